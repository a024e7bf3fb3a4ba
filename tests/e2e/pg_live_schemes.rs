//! Audit chains in the schemes teams use: each chain is built by an independent
//! implementation (Python's hashlib, `audit_chain.py`) into a real PostgreSQL table, then
//! verified by `vouch scan`. Intact chains pass; one changed byte or a deleted row fails at
//! that row; a chain read under the wrong scheme names the scheme it verifies as.

// Test helpers: a panic with the value is the clearest failure report.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::{message, repo_with_config, run};
use crate::pg_live::{AUDITOR_PASSWORD, Scan, scan};
use crate::pg_live_harness::{Cluster, ServerSpec, auditor_sql};

const ROWS: u64 = 12;

/// Creates `table` filled by the Python oracle under `scheme` (plus the tamper, if any).
fn build_chain(pg: &Cluster, table: &str, scheme: &Value, tamper: Value) {
    let mut spec = scheme.clone();
    spec["table"] = table.into();
    spec["rows"] = ROWS.into();
    spec["tamper"] = tamper;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/audit_chain.py");
    let out = run(
        Command::new("python3").arg(script).arg(spec.to_string()),
        "audit_chain.py",
    );
    pg.psql("app", &String::from_utf8(out.stdout).unwrap());
}

/// `[postgres.audit_chain]` lines for a scheme spec.
fn chain_toml(scheme: &Value) -> String {
    let mut toml = String::from("[postgres.audit_chain]\n");
    for key in [
        "algorithm",
        "encoding",
        "payload",
        "separator",
        "prev_included",
        "genesis",
    ] {
        if let Some(v) = scheme.get(key).and_then(Value::as_str) {
            writeln!(toml, "{key} = {v:?}").unwrap();
        }
    }
    if let Some(columns) = scheme.get("columns") {
        writeln!(toml, "columns = {columns}").unwrap();
    }
    toml
}

fn scan_tables(pg: &Cluster, tables: &[String], chain: &str) -> Scan {
    let listed: Vec<String> = tables.iter().map(|t| format!("{t:?}")).collect();
    let repo = repo_with_config(&format!(
        "[postgres]\naudit_tables = [{}]\n\n{chain}\n[[target.postgres]]\nname = \"chains\"\n\
         dsn_env = \"T_CHAINS\"\n",
        listed.join(", ")
    ));
    scan(
        &repo,
        &[("T_CHAINS", pg.dsn("auditor", AUDITOR_PASSWORD, "app"))],
        &["--target", "chains"],
    )
}

#[test]
fn chains_built_by_python_verify_under_their_scheme_and_tampering_is_caught_at_its_row() {
    let pg = Cluster::start(&ServerSpec::default());
    pg.psql("postgres", "CREATE DATABASE app");
    pg.psql(
        "app",
        &auditor_sql(AUDITOR_PASSWORD).replace(
            "GRANT SELECT ON public.audit_events TO auditor;",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO auditor;",
        ),
    );
    // (name, scheme, edited row, deleted row): the tampered rows move through the chain.
    let schemes = [
        (
            "sorted512",
            json!({"algorithm": "sha512", "encoding": "base64", "payload": "json_sorted",
                   "prev_included": "suffix"}),
            1,
            6,
        ),
        (
            "columns384",
            json!({"algorithm": "sha384", "encoding": "hex", "payload": "columns",
                   "columns": ["id", "tenant_id", "action", "at", "note"], "separator": "|",
                   "prev_included": "prefix", "genesis": "GENESIS"}),
            5,
            1,
        ),
        (
            "inpayload256",
            json!({"algorithm": "sha256", "encoding": "base64", "payload": "json",
                   "prev_included": "prev_hash", "genesis": "null"}),
            12,
            11,
        ),
        (
            "colsprev512",
            json!({"algorithm": "sha512", "encoding": "hex", "payload": "columns",
                   "columns": ["prev_hash", "id", "action", "at"], "separator": ":",
                   "prev_included": "prev_hash", "genesis": "empty"}),
            7,
            3,
        ),
    ];
    for (name, scheme, edited, deleted) in &schemes {
        let tables = [
            format!("{name}_ok"),
            format!("{name}_edit"),
            format!("{name}_del"),
        ];
        build_chain(&pg, &tables[0], scheme, Value::Null);
        build_chain(&pg, &tables[1], scheme, json!({ "edit": edited }));
        build_chain(&pg, &tables[2], scheme, json!({ "delete": deleted }));
        let s = scan_tables(&pg, &tables, &chain_toml(scheme));
        let ok = s.finding("pg-audit-chain-valid", &format!("public.{name}_ok"));
        assert_eq!(ok["status"], "pass", "{name}: {ok:#}");
        assert_eq!(ok["evidence"]["rows_checked"], ROWS);
        let edit = s.finding("pg-audit-chain-valid", &format!("public.{name}_edit"));
        assert_eq!(edit["status"], "fail", "{name}: {edit:#}");
        assert_eq!(edit["evidence"]["first_broken"]["key"], edited.to_string());
        assert_eq!(edit["evidence"]["first_broken"]["reason"], "hash");
        assert!(
            message(edit).contains(&format!("key {edited} ")),
            "{edit:#}"
        );
        let del = s.finding("pg-audit-chain-valid", &format!("public.{name}_del"));
        assert_eq!(del["status"], "fail", "{name}: {del:#}");
        assert_eq!(
            del["evidence"]["first_broken"]["key"],
            (deleted + 1).to_string()
        );
        assert_eq!(del["evidence"]["first_broken"]["reason"], "prev_hash");
    }

    // Read under the default scheme, the SHA-512/base64 chain is not called tampered: the
    // message names the scheme it verifies as, and it is still no pass.
    let s = scan_tables(&pg, &["sorted512_ok".to_owned()], "");
    let f = s.finding("pg-audit-chain-valid", "public.sorted512_ok");
    assert_eq!(f["status"], "error", "{f:#}");
    let said = message(f);
    assert!(
        said.contains(
            "verifies as sha512/base64, payload json_sorted, previous hash as suffix: check \
             [postgres.audit_chain]"
        ),
        "{said}"
    );
    crate::pg_live::pg_fragment(&s, &pg, "chains").assert_fixture(
        "pg_live_schemes::chains_built_by_python_verify_under_their_scheme_and_tampering_is_caught_at_its_row",
        "pg-audit-chain-valid/error/other_scheme",
    );
}
