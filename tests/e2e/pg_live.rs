//! `vouch scan --target` against real PostgreSQL servers started by the test (one cluster per
//! test: roles are cluster-wide). The live-only checks are asserted on findings; the shared pg
//! checks' inputs are asserted on the collected facts (`--dump-facts`).

// Test helpers: a panic with the value is the clearest failure report.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use crate::harness::free_port;
use crate::harness::{
    array, check_facts, element, find_finding, findings_of, message, printed, repo_with_config,
    strings, text, vouch,
};
use crate::live_fixtures::Fragment;
use crate::pg_live_harness::{Cluster, SECURE_SCHEMA, ServerSpec, auditor_sql};

pub(crate) const AUDITOR_PASSWORD: &str = "Aud1tor-Secret-4711";

/// Everything one scan printed or wrote.
pub(crate) struct Scan {
    pub code: i32,
    pub report: Value,
    pub facts: Value,
    pub raw: String,
}

pub(crate) fn scan(repo: &tempfile::TempDir, env: &[(&str, String)], args: &[&str]) -> Scan {
    let facts_path = repo.path().join("facts.json");
    let mut cmd = vouch();
    cmd.arg("scan")
        .arg(repo.path())
        .args(["--format", "json", "--dump-facts"])
        .arg(&facts_path)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("vouch runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    let facts_text = std::fs::read_to_string(&facts_path).expect("facts written");
    let facts = serde_json::from_str(&facts_text).expect("facts JSON");
    Scan {
        code: out.status.code().unwrap_or(-1),
        report,
        facts,
        raw: format!("{stdout}\n{stderr}\n{facts_text}"),
    }
}

impl Scan {
    pub(crate) fn finding(&self, check: &str, subject: &str) -> &Value {
        find_finding(&self.report, check, subject).unwrap_or_else(|| {
            panic!(
                "no {check} finding for {subject}: {:#}",
                self.report["findings"]
            )
        })
    }

    pub(crate) fn database(&self, target: &str) -> &Value {
        array(&self.facts, "postgres")
            .iter()
            .find(|d| d["name"] == target && d["origin"] == "live")
            .unwrap_or_else(|| panic!("no live database {target}"))
    }

    fn table(&self, target: &str, qualified: &str) -> &Value {
        array(self.database(target), "tables")
            .iter()
            .find(|t| format!("{}.{}", text(t, "schema"), text(t, "name")) == qualified)
            .unwrap_or_else(|| panic!("no table {qualified}"))
    }

    fn role(&self, target: &str, name: &str) -> &Value {
        element(self.database(target), "roles", "name", name)
    }
}

/// The fixture fragment of one live target of a scan: its free port and the cluster's temp dir
/// (the CA file) replaced by placeholders.
pub(crate) fn pg_fragment<'a>(s: &'a Scan, pg: &Cluster, target: &str) -> Fragment<'a> {
    Fragment::new(&s.facts, "postgres")
        .target(target)
        .port(pg.port)
        .replace(pg.dir().display().to_string(), "/tmp/vouch-pg")
}

fn config(target: &str, extra: &str) -> String {
    format!(
        "[postgres]\nruntime_roles = [\"app_user\"]\n\n[[target.postgres]]\nname = \"{target}\"\n\
         dsn_env = \"VOUCH_TEST_DSN_{}\"\n{extra}",
        target.replace('-', "_").to_uppercase()
    )
}

fn env_for(target: &str, dsn: String) -> (&'static str, String) {
    let var = format!("VOUCH_TEST_DSN_{}", target.replace('-', "_").to_uppercase());
    (Box::leak(var.into_boxed_str()), dsn)
}

/// A server from `spec` with database `app`: the secure schema and the auditor role.
fn secure_app(spec: &ServerSpec) -> Cluster {
    let pg = Cluster::start(spec);
    pg.psql("postgres", "CREATE DATABASE app");
    pg.psql("app", SECURE_SCHEMA);
    pg.psql("app", &auditor_sql(AUDITOR_PASSWORD));
    pg
}

/// `vouch scan --target TARGET`, connecting to database `app` as the auditor.
fn scan_as_auditor(repo: &tempfile::TempDir, pg: &Cluster, target: &str) -> Scan {
    scan(
        repo,
        &[env_for(target, pg.dsn("auditor", AUDITOR_PASSWORD, "app"))],
        &["--target", target],
    )
}

/// A secure server: TLS verified against the test CA (verify-full), hostssl only, SCRAM, an
/// intact audit chain. Every live-only check passes.
#[test]
fn secure_database_passes_every_live_check() {
    let pg = secure_app(&ServerSpec::default());
    let ca = pg.ca_file();
    let repo = repo_with_config(&config(
        "prod",
        &format!(
            "sslmode = \"verify-full\"\nca_file = \"{}\"\n",
            ca.display()
        ),
    ));
    let s = scan_as_auditor(&repo, &pg, "prod");
    let uri = pg.uri("app");

    let ssl = s.finding("pg-ssl-enforced", "prod");
    assert_eq!(ssl["status"], "pass", "{ssl:#}");
    assert_eq!(ssl["location"]["uri"], uri);
    assert_eq!(s.finding("pg-password-scram", "prod")["status"], "pass");
    assert_eq!(s.finding("pg-password-scram", "auditor")["status"], "pass");
    assert_eq!(s.finding("pg-password-scram", "app_user")["status"], "pass");
    let chain = s.finding("pg-audit-chain-valid", "public.audit_events");
    assert_eq!(chain["status"], "pass", "{chain:#}");
    assert_eq!(chain["evidence"]["rows_checked"], 25);
    assert_eq!(
        chain["location"]["uri"],
        format!("{uri}/public.audit_events")
    );

    let live = &s.database("prod")["live"];
    assert_eq!(live["tls_in_use"], true);
    assert_eq!(live["connected_as"], "auditor");
    assert_eq!(
        s.facts["collections"][1]["origin"], uri,
        "no user or password in the origin"
    );
    assert!(!s.raw.contains(AUDITOR_PASSWORD));
    assert!(!s.raw.contains("auditor@"));

    let test = "pg_live::secure_database_passes_every_live_check";
    for case in [
        "pg-ssl-enforced/pass/hostssl_only",
        "pg-password-scram/pass/scram_everywhere",
        "pg-audit-chain-valid/pass/intact",
    ] {
        pg_fragment(&s, &pg, "prod").assert_fixture(test, case);
    }
    // One role whose password was stored as MD5 (the session's setting), the server's still
    // scram-sha-256: that role fails.
    pg.psql(
        "app",
        "SET password_encryption = 'md5'; CREATE ROLE legacy LOGIN PASSWORD 'legacy-password';",
    );
    let env = [env_for("prod", pg.dsn("auditor", AUDITOR_PASSWORD, "app"))];
    let md5_role = scan(&repo, &env, &["--target", "prod"]);
    assert_eq!(
        md5_role.finding("pg-password-scram", "legacy")["status"],
        "fail"
    );
    assert_eq!(
        md5_role.finding("pg-password-scram", "prod")["status"],
        "pass"
    );
    pg_fragment(&md5_role, &pg, "prod").assert_fixture(test, "pg-password-scram/fail/md5_role");
    // A misspelt connection type in pg_hba.conf, not yet reloaded: PostgreSQL reports the line
    // as an error in pg_hba_file_rules, and the rules can no longer be proven.
    pg.psql("app", "DROP ROLE legacy");
    pg.append_hba("hostsssl all all 0.0.0.0/0 scram-sha-256");
    let bad_line = scan(&repo, &env, &["--target", "prod"]);
    assert_eq!(
        bad_line.finding("pg-ssl-enforced", "prod")["status"],
        "error"
    );
    pg_fragment(&bad_line, &pg, "prod")
        .assert_fixture(test, "pg-ssl-enforced/error/hba_line_does_not_parse");
}

/// `verify-ca` trusts the CA but not the name: reaching the server under a name its certificate
/// does not carry (`hostaddr` keeps the TCP address) passes with verify-ca and is an error with
/// verify-full that names the mismatch.
#[test]
fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let pg = secure_app(&ServerSpec::default());
    let ca = pg.ca_file().display().to_string();
    let toml = format!(
        "[postgres]\nruntime_roles = [\"app_user\"]\n\n\
         [[target.postgres]]\nname = \"ca\"\ndsn_env = \"T_CA\"\nsslmode = \"verify-ca\"\nca_file = \"{ca}\"\n\n\
         [[target.postgres]]\nname = \"full\"\ndsn_env = \"T_FULL\"\nsslmode = \"verify-full\"\nca_file = \"{ca}\"\n"
    );
    let repo = repo_with_config(&toml);
    let dsn = format!(
        "host=db.not-in-the-cert.example hostaddr=127.0.0.1 port={} user=auditor password={AUDITOR_PASSWORD} dbname=app",
        pg.port
    );
    let s = scan(
        &repo,
        &[("T_CA", dsn.clone()), ("T_FULL", dsn)],
        &["--all-targets"],
    );
    let ca_finding = s.finding("pg-ssl-enforced", "ca");
    assert_eq!(ca_finding["status"], "pass", "{ca_finding:#}");
    assert_eq!(s.database("ca")["live"]["tls_in_use"], true);
    let full = s.finding("pg-ssl-enforced", "full");
    assert_eq!(full["status"], "error", "{full:#}");
    let said = message(full);
    assert!(said.contains("target full"), "{said}");
    assert!(
        said.contains("db.not-in-the-cert.example") || said.contains("NotValidForName"),
        "the cause names the host-name mismatch: {said}"
    );
    assert!(!s.raw.contains(AUDITOR_PASSWORD));
}

/// `ssl = off` with a plain `host` rule: pg-ssl-enforced fails and says why.
#[test]
fn ssl_off_fails_pg_ssl_enforced() {
    let pg = secure_app(&ServerSpec {
        ssl: false,
        hba: vec!["host all all 127.0.0.1/32 scram-sha-256"],
        ..ServerSpec::default()
    });
    let repo = repo_with_config(&config("plain", ""));
    let s = scan_as_auditor(&repo, &pg, "plain");
    let f = s.finding("pg-ssl-enforced", "plain");
    assert_eq!(f["status"], "fail", "{f:#}");
    assert!(message(f).contains("ssl is `off`"));
    assert_eq!(s.database("plain")["live"]["tls_in_use"], false);
    assert_eq!(s.code, 1, "a high-severity failure gates");
    pg_fragment(&s, &pg, "plain").assert_fixture(
        "pg_live::ssl_off_fails_pg_ssl_enforced",
        "pg-ssl-enforced/fail/ssl_off",
    );
}

/// ssl on, but a `host` line still admits plain TCP: a fail naming that pg_hba line.
#[test]
fn host_rule_beside_hostssl_fails_pg_ssl_enforced() {
    let pg = secure_app(&ServerSpec {
        hba: vec![
            "hostssl all auditor 127.0.0.1/32 scram-sha-256",
            "host all all 127.0.0.1/32 scram-sha-256",
        ],
        ..ServerSpec::default()
    });
    let repo = repo_with_config(&config("mixed", "sslmode = \"require\"\n"));
    let s = scan_as_auditor(&repo, &pg, "mixed");
    let f = s.finding("pg-ssl-enforced", "mixed");
    assert_eq!(f["status"], "fail", "{f:#}");
    assert_eq!(f["evidence"]["rules_admitting_plain_tcp"][0]["line"], 3);
    assert_eq!(
        f["evidence"]["rules_admitting_plain_tcp"][0]["kind"],
        "host"
    );
    pg_fragment(&s, &pg, "mixed").assert_fixture(
        "pg_live::host_rule_beside_hostssl_fails_pg_ssl_enforced",
        "pg-ssl-enforced/fail/host_line_admits_plain",
    );
}

/// password_encryption = md5 and a role with an MD5 hash: both fail; the hash never leaves
/// the server.
#[test]
fn md5_passwords_fail_pg_password_scram() {
    let pg = secure_app(&ServerSpec {
        hba: vec!["hostssl all all 127.0.0.1/32 md5"],
        settings: vec!["password_encryption=md5"],
        ..ServerSpec::default()
    });
    pg.psql("app", "CREATE ROLE legacy LOGIN PASSWORD 'legacy-password'");
    let repo = repo_with_config(&config("old", ""));
    let s = scan_as_auditor(&repo, &pg, "old");
    let setting = s.finding("pg-password-scram", "old");
    assert_eq!(setting["status"], "fail", "{setting:#}");
    assert_eq!(setting["evidence"]["password_encryption"], "md5");
    let legacy = s.finding("pg-password-scram", "legacy");
    assert_eq!(legacy["status"], "fail");
    assert_eq!(
        legacy["location"]["uri"],
        format!("{}/role/legacy", pg.uri("app"))
    );
    assert_eq!(s.finding("pg-password-scram", "auditor")["status"], "pass");
    let md5_hash = pg.psql(
        "app",
        "SELECT rolpassword FROM pg_authid WHERE rolname = 'legacy'",
    );
    assert!(md5_hash.trim().starts_with("md5"));
    assert!(
        !s.raw.contains(md5_hash.trim()),
        "the stored hash never reaches the output"
    );
    pg_fragment(&s, &pg, "old").assert_fixture(
        "pg_live::md5_passwords_fail_pg_password_scram",
        "pg-password-scram/fail/md5_setting",
    );
}

/// A row edited behind the trigger's back: the chain breaks at exactly that row.
#[test]
fn edited_audit_row_breaks_the_chain_at_its_key() {
    let pg = secure_app(&ServerSpec::default());
    pg.psql(
        "app",
        "ALTER TABLE public.audit_events DISABLE TRIGGER audit_immutable; \
         UPDATE public.audit_events SET action = 'nothing happened' WHERE id = 17;",
    );
    let repo = repo_with_config(&config("tampered", ""));
    let s = scan_as_auditor(&repo, &pg, "tampered");
    let f = s.finding("pg-audit-chain-valid", "public.audit_events");
    assert_eq!(f["status"], "fail", "{f:#}");
    assert_eq!(f["evidence"]["first_broken"]["key"], "17");
    assert_eq!(f["evidence"]["first_broken"]["reason"], "hash");
    assert_eq!(f["evidence"]["broken_rows"], 1);
    assert_eq!(f["evidence"]["rows_checked"], 25);
    assert!(message(f).contains("key 17"));
    pg_fragment(&s, &pg, "tampered").assert_fixture(
        "pg_live::edited_audit_row_breaks_the_chain_at_its_key",
        "pg-audit-chain-valid/fail/edited_row",
    );
}

/// A role with nothing but CONNECT runs the whole audit: the catalogs PUBLIC can read are
/// collected, and what needs a grant (pg_hba, pg_authid, the audit rows) is an error, never a
/// pass.
#[test]
fn connect_only_role_runs_the_whole_audit_and_fails_closed_where_it_cannot_see() {
    let pg = Cluster::start(&ServerSpec::default());
    pg.psql("postgres", "CREATE DATABASE app");
    pg.psql("app", SECURE_SCHEMA);
    pg.psql(
        "app",
        &format!(
            "SET password_encryption = 'scram-sha-256';
             CREATE ROLE minimal LOGIN PASSWORD '{AUDITOR_PASSWORD}';
             REVOKE CONNECT ON DATABASE app FROM PUBLIC;
             GRANT CONNECT ON DATABASE app TO minimal, app_user;"
        ),
    );
    let repo = repo_with_config(&config("min", ""));
    let s = scan(
        &repo,
        &[env_for("min", pg.dsn("minimal", AUDITOR_PASSWORD, "app"))],
        &["--target", "min"],
    );
    let db = s.database("min");
    assert!(db.get("error").is_none(), "{:#}", db["error"]);
    let orders = s.table("min", "public.orders");
    assert_eq!(orders["rls_enabled"], true);
    assert_eq!(orders["rls_forced"], true);
    assert_eq!(orders["policies"][0]["name"], "tenant_isolation");
    assert_eq!(
        strings(orders, "grants", "privilege"),
        ["INSERT", "SELECT", "UPDATE"]
    );
    assert_eq!(s.role("min", "app_user")["login"], true);
    assert!(
        db["live"]["hba_error"]
            .as_str()
            .unwrap()
            .contains("permission denied")
    );
    assert!(
        db["live"]["passwords_error"]
            .as_str()
            .unwrap()
            .contains("permission denied")
    );
    assert_eq!(s.finding("pg-ssl-enforced", "min")["status"], "error");
    assert_eq!(s.finding("pg-password-scram", "min")["status"], "error");
    let chain = s.finding("pg-audit-chain-valid", "public.audit_events");
    assert_eq!(chain["status"], "error");
    assert!(message(chain).contains("permission denied"));
    assert_eq!(s.code, 1, "errors gate: fail closed");
    for case in [
        "pg-ssl-enforced/error/hba_unreadable",
        "pg-password-scram/error/authid_unreadable",
        "pg-audit-chain-valid/error/no_select",
    ] {
        pg_fragment(&s, &pg, "min").assert_fixture(
            "pg_live::connect_only_role_runs_the_whole_audit_and_fails_closed_where_it_cannot_see",
            case,
        );
    }
}

/// Wrong password, a refused port, a server that never answers, an unset variable and a
/// certificate from the wrong CA are error findings naming the target and the cause; the good
/// target still runs; the known password appears in no output.
#[test]
fn faults_are_error_findings_and_no_secret_leaks() {
    let pg = secure_app(&ServerSpec::default());
    let wrong_password = "Wr0ng-Pa55word-Leak-Canary";
    let refused_port = free_port();
    // Accepts TCP (the kernel completes the handshake) but never answers: a timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let other_ca = Cluster::start(&ServerSpec {
        ssl: true,
        hba: vec![],
        settings: vec![],
    });
    let toml = format!(
        "[postgres]\nruntime_roles = [\"app_user\"]\n\n\
         [[target.postgres]]\nname = \"good\"\ndsn_env = \"T_GOOD\"\nsslmode = \"verify-full\"\nca_file = \"{ca}\"\n\n\
         [[target.postgres]]\nname = \"badpass\"\ndsn_env = \"T_BADPASS\"\n\n\
         [[target.postgres]]\nname = \"refused\"\ndsn_env = \"T_REFUSED\"\nconnect_timeout = 5\n\n\
         [[target.postgres]]\nname = \"silent\"\ndsn_env = \"T_SILENT\"\nconnect_timeout = 2\n\n\
         [[target.postgres]]\nname = \"unset\"\ndsn_env = \"T_UNSET_VARIABLE\"\n\n\
         [[target.postgres]]\nname = \"wrongca\"\ndsn_env = \"T_WRONGCA\"\nsslmode = \"verify-full\"\nca_file = \"{other}\"\n",
        ca = pg.ca_file().display(),
        other = other_ca.ca_file().display(),
    );
    let repo = repo_with_config(&toml);
    let refused_dsn = format!("postgres://auditor:{wrong_password}@127.0.0.1:{refused_port}/app");
    let s = scan(
        &repo,
        &[
            ("T_GOOD", pg.dsn("auditor", AUDITOR_PASSWORD, "app")),
            ("T_BADPASS", pg.dsn("auditor", wrong_password, "app")),
            ("T_REFUSED", refused_dsn.clone()),
            (
                "T_SILENT",
                format!(
                    "host=127.0.0.1 port={silent_port} user=auditor password={wrong_password} dbname=app"
                ),
            ),
            (
                "T_WRONGCA",
                format!(
                    "postgresql://auditor:{wrong_password}@127.0.0.1:{}/app",
                    pg.port
                ),
            ),
        ],
        &["--all-targets"],
    );
    assert_eq!(s.code, 1, "connection faults gate");
    assert_eq!(
        s.finding("pg-ssl-enforced", "good")["status"],
        "pass",
        "the good target still ran"
    );
    let said = |t: &str| message(s.finding("pg-ssl-enforced", t)).to_owned();
    for t in ["badpass", "refused", "silent", "unset", "wrongca"] {
        assert_eq!(s.finding("pg-ssl-enforced", t)["status"], "error", "{t}");
        assert!(said(t).contains(&format!("target {t}")), "{}", said(t));
        assert!(!said(t).contains('\n'));
    }
    assert!(
        said("badpass").contains("password authentication failed"),
        "{}",
        said("badpass")
    );
    assert!(
        said("refused").to_lowercase().contains("refused"),
        "{}",
        said("refused")
    );
    assert!(
        said("unset").contains("T_UNSET_VARIABLE is not set"),
        "{}",
        said("unset")
    );
    assert!(
        said("wrongca").to_lowercase().contains("certificate"),
        "{}",
        said("wrongca")
    );
    assert!(said("wrongca").contains(&format!("postgres://127.0.0.1:{}/app", pg.port)));
    for secret in [wrong_password, AUDITOR_PASSWORD, refused_dsn.as_str()] {
        assert!(!s.raw.contains(secret), "{secret} leaked");
    }
    let test = "pg_live::faults_are_error_findings_and_no_secret_leaks";
    for (target, case) in [
        ("refused", "pg-ssl-enforced/error/unreachable"),
        ("unset", "pg-ssl-enforced/error/dsn_env_unset"),
        (
            "refused",
            "pg-audit-hash-chained/error/live-database-unreachable",
        ),
        ("refused", "pg-rls-enabled/error/live-database-unreachable"),
        ("badpass", "pg-role-no-ddl/error/live-database-unreachable"),
    ] {
        pg_fragment(&s, &pg, target)
            .port(refused_port)
            .assert_fixture(test, case);
    }
    for format in ["text", "sarif", "markdown", "junit"] {
        let all = printed(&check_facts(&repo.path().join("facts.json"), format));
        assert!(!all.trim().is_empty(), "{format} output is written");
        assert!(
            !all.contains(wrong_password) && !all.contains(AUDITOR_PASSWORD),
            "{format} leaked"
        );
    }
}

/// The violations the shared pg checks judge, asserted on the collected facts: RLS off, a
/// `USING (true)` policy, BYPASSRLS, membership of a superuser role, a runtime role owning a
/// table, CREATE on the schema, a PUBLIC grant, a mutable audit table, partitions and a
/// SECURITY DEFINER function without search_path. Then drift against a migrations baseline
/// that still enables RLS on the table disabled by hand.
#[test]
fn violations_are_collected_as_facts_and_hand_changes_show_as_drift() {
    let pg = secure_app(&ServerSpec::default());
    pg.psql(
        "app",
        "CREATE TABLE public.documents (id int PRIMARY KEY, tenant_id uuid);
         GRANT SELECT ON public.documents TO PUBLIC;
         CREATE TABLE public.notes (id int PRIMARY KEY, tenant_id uuid);
         ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
         CREATE POLICY anything ON public.notes USING (true);
         CREATE ROLE bypasser LOGIN BYPASSRLS;
         CREATE ROLE admins SUPERUSER NOLOGIN;
         CREATE ROLE app_member LOGIN IN ROLE admins;
         CREATE TABLE public.invoices (id int PRIMARY KEY, tenant_id uuid);
         ALTER TABLE public.invoices OWNER TO app_user;
         GRANT CREATE ON SCHEMA public TO app_user;
         CREATE TABLE public.billing_audit (id int PRIMARY KEY, what text);
         GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.billing_audit TO app_user;
         CREATE TABLE public.events (id int, tenant_id int, PRIMARY KEY (tenant_id, id)) PARTITION BY LIST (tenant_id);
         CREATE TABLE public.events_t1 PARTITION OF public.events FOR VALUES IN (1);
         CREATE FUNCTION public.unsafe() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
         CREATE FUNCTION public.safe() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT 1';",
    );
    let repo = repo_with_config(
        "[postgres]\nruntime_roles = [\"nobody\"]\n\n[[target.postgres]]\nname = \"facts\"\ndsn_env = \"T_FACTS\"\n\
         runtime_roles = [\"app_user\", \"bypasser\", \"app_member\"]\n",
    );
    let s = scan(
        &repo,
        &[("T_FACTS", pg.dsn("auditor", AUDITOR_PASSWORD, "app"))],
        &["--target", "facts"],
    );
    let uri = pg.uri("app");

    let documents = s.table("facts", "public.documents");
    assert_eq!(documents["rls_enabled"], false);
    assert_eq!(
        documents["location"]["uri"],
        format!("{uri}/public.documents")
    );
    let public_select = array(documents, "grants");
    assert!(
        public_select
            .iter()
            .any(|g| g["grantee"] == "app_user" && g["privilege"] == "SELECT"),
        "PUBLIC grants count"
    );
    let notes = s.table("facts", "public.notes");
    assert_eq!(
        (
            notes["rls_enabled"].as_bool(),
            notes["rls_forced"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(notes["policies"][0]["using"], "true");
    assert_eq!(
        notes["policies"][0]["roles"],
        serde_json::json!([]),
        "PUBLIC"
    );
    assert_eq!(s.role("facts", "bypasser")["bypassrls"], true);
    assert_eq!(s.role("facts", "admins")["superuser"], true);
    assert_eq!(
        s.role("facts", "app_member")["member_of"],
        serde_json::json!(["admins"])
    );
    assert_eq!(s.table("facts", "public.invoices")["owner"], "app_user");
    let schema_grants = array(s.database("facts"), "schema_privileges");
    assert!(schema_grants.iter().any(|g| g["grantee"] == "app_user"
        && g["privilege"] == "CREATE"
        && g["object"] == "public"));
    let billing = s.table("facts", "public.billing_audit");
    let billing_grants: Vec<&str> = array(billing, "grants")
        .iter()
        .filter(|g| g["grantee"] == "app_user")
        .map(|g| text(g, "privilege"))
        .collect();
    assert_eq!(
        billing_grants,
        ["DELETE", "INSERT", "SELECT", "TRUNCATE", "UPDATE"]
    );
    let audit = s.table("facts", "public.audit_events");
    let immutable = array(audit, "triggers")
        .iter()
        .find(|t| t["name"] == "audit_immutable")
        .unwrap();
    assert_eq!(immutable["timing"], "before");
    assert_eq!(immutable["events"], serde_json::json!(["update", "delete"]));
    assert_eq!(immutable["for_each_row"], true);
    let functions = array(s.database("facts"), "functions");
    let function = |n: &str| functions.iter().find(|f| f["name"] == n).unwrap();
    assert_eq!(function("audit_immutable")["raises"], true);
    assert_eq!(function("audit_chain")["raises"], false);
    assert_eq!(function("unsafe")["security_definer"], true);
    assert!(
        function("unsafe")
            .get("search_path")
            .is_none_or(Value::is_null)
    );
    assert_eq!(function("safe")["search_path"], "pg_catalog");
    assert!(
        array(&s.database("facts")["live"], "partitions")
            .iter()
            .any(|p| p["table"] == "public.events_t1" && p["parent"] == "public.events")
    );
    assert!(
        array(&s.facts["postgres"][0], "tables")
            .iter()
            .any(|t| t["name"] == "events_t1")
    );
    // The shared pg-* checks judge the live facts exactly as they judge migrations.
    for (check, subject, status) in [
        ("pg-rls-enabled", "public.documents", "fail"),
        ("pg-rls-forced", "public.notes", "fail"),
        ("pg-rls-policy-tenant", "public.notes", "fail"),
        ("pg-role-no-bypass", "bypasser", "fail"),
        ("pg-role-no-bypass", "app_member", "fail"),
        ("pg-role-no-bypass", "app_user", "pass"),
        ("pg-role-not-owner", "app_user", "fail"),
        ("pg-role-no-ddl", "app_user", "fail"),
        ("pg-audit-append-only", "public.billing_audit", "fail"),
        ("pg-audit-append-only", "public.audit_events", "pass"),
        ("pg-security-definer-search-path", "public.unsafe", "fail"),
        ("pg-security-definer-search-path", "public.safe", "pass"),
    ] {
        let f = s.finding(check, subject);
        assert_eq!(f["status"], status, "{check} {subject}: {f:#}");
        assert!(
            f["location"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with(&uri)),
            "{check} {subject} points at the live resource: {f:#}"
        );
    }
    // The billing_audit table has no hash columns: unverifiable, an error.
    assert_eq!(
        s.finding("pg-audit-chain-valid", "public.billing_audit")["status"],
        "error"
    );

    // Drift: a migrations baseline (the same state, read from files) in which RLS is still
    // enabled on documents: someone disabled it by hand.
    let mut facts = s.facts.clone();
    let mut baseline = facts["postgres"][0].clone();
    baseline["origin"] = "migrations".into();
    baseline["name"] = "migrations:db/migrations".into();
    baseline.as_object_mut().unwrap().remove("live");
    for table in baseline["tables"].as_array_mut().unwrap() {
        table["location"] = serde_json::json!({ "path": "db/migrations/0001_init.sql", "line": 3 });
        table["rls_location"] = table["location"].clone();
        table["owner"] = Value::Null;
        if table["name"] == "documents" {
            table["rls_enabled"] = true.into();
            table["rls_location"] =
                serde_json::json!({ "path": "db/migrations/0002_rls.sql", "line": 7 });
        }
    }
    baseline["roles"] = serde_json::json!([]);
    facts["postgres"].as_array_mut().unwrap().push(baseline);
    let facts_path = repo.path().join("with-migrations.json");
    std::fs::write(&facts_path, serde_json::to_string(&facts).unwrap()).unwrap();
    let out = check_facts(&facts_path, "json");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let drift = findings_of(&report, "pg-schema-drift");
    let documents = drift
        .iter()
        .find(|f| f["subject"] == "public.documents")
        .unwrap();
    assert_eq!(documents["status"], "fail", "{documents:#}");
    assert_eq!(documents["location"]["path"], "db/migrations/0002_rls.sql");
    assert_eq!(documents["location"]["line"], 7);
    assert_eq!(
        documents["related"][0]["uri"],
        format!("{uri}/public.documents")
    );
    assert_eq!(
        drift
            .iter()
            .find(|f| f["subject"] == "public.orders")
            .unwrap()["status"],
        "pass"
    );
}

/// pg-schema-drift on real facts: a repository's migrations applied to a real server, scanned
/// together; then each hand change (a policy dropped, a role altered, RLS no longer forced) is
/// made on the server and scanned again, and a live target that cannot be reached is an
/// error. Each scan is the committed fixture of its case.
#[test]
fn migrations_applied_by_hand_and_changed_by_hand_regenerate_the_drift_fixtures() {
    const ROLES: &str = "CREATE ROLE app_user LOGIN;\nCREATE ROLE migrator NOLOGIN;\n";
    const ORDERS: &str = "-- orders, one tenant per row\n\
        CREATE TABLE public.orders (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);\n\
        ALTER TABLE public.orders OWNER TO migrator;\n\
        CREATE POLICY tenant_isolation ON public.orders FOR ALL\n    \
            USING (tenant_id = current_setting('app.tenant_id')::uuid);\n\
        ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;\n\
        ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;\n\
        GRANT SELECT, INSERT ON public.orders TO app_user;\n";
    let test =
        "pg_live::migrations_applied_by_hand_and_changed_by_hand_regenerate_the_drift_fixtures";
    let pg = Cluster::start(&ServerSpec::default());
    pg.psql("postgres", "CREATE DATABASE app");
    pg.psql("app", ROLES);
    pg.psql("app", ORDERS);
    pg.psql(
        "app",
        &auditor_sql(AUDITOR_PASSWORD)
            .replace("GRANT SELECT ON public.audit_events TO auditor;", ""),
    );
    let refused_port = free_port();
    let repo = repo_with_config(
        "[postgres]\nruntime_roles = [\"app_user\"]\n\n\
         [[target.postgres]]\nname = \"prod\"\ndsn_env = \"T_PROD\"\n\n\
         [[target.postgres]]\nname = \"down\"\ndsn_env = \"T_DOWN\"\nconnect_timeout = 5\n",
    );
    let migrations = repo.path().join("db/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(migrations.join("0001_roles.sql"), ROLES).unwrap();
    std::fs::write(migrations.join("0003_orders.sql"), ORDERS).unwrap();
    let env = [
        ("T_PROD", pg.dsn("auditor", AUDITOR_PASSWORD, "app")),
        (
            "T_DOWN",
            format!("host=127.0.0.1 port={refused_port} user=auditor dbname=app"),
        ),
    ];
    let drift =
        |s: &Scan, subject: &str| text(s.finding("pg-schema-drift", subject), "status").to_owned();
    let record = |s: &Scan, target: &str, case: &str| {
        let baseline = array(&s.facts, "postgres")
            .iter()
            .find(|d| d["origin"] == "migrations")
            .expect("the migrations were folded");
        let baseline = text(baseline, "name").to_owned();
        pg_fragment(s, &pg, &baseline)
            .target(target)
            .port(refused_port)
            .assert_fixture(test, case);
    };

    let s = scan(&repo, &env, &["--target", "prod"]);
    assert_eq!(drift(&s, "public.orders"), "pass");
    assert_eq!(drift(&s, "app_user"), "pass");
    record(&s, "prod", "pg-schema-drift/pass/same");

    pg.psql("app", "DROP POLICY tenant_isolation ON public.orders");
    let s = scan(&repo, &env, &["--target", "prod"]);
    assert_eq!(drift(&s, "public.orders"), "fail");
    record(&s, "prod", "pg-schema-drift/fail/policy_dropped");
    pg.psql(
        "app",
        "CREATE POLICY tenant_isolation ON public.orders FOR ALL \
         USING (tenant_id = current_setting('app.tenant_id')::uuid)",
    );

    pg.psql("app", "ALTER ROLE app_user BYPASSRLS");
    let s = scan(&repo, &env, &["--target", "prod"]);
    assert_eq!(drift(&s, "app_user"), "fail");
    assert_eq!(drift(&s, "public.orders"), "pass");
    record(&s, "prod", "pg-schema-drift/fail/role_altered_by_hand");
    pg.psql("app", "ALTER ROLE app_user NOBYPASSRLS");

    pg.psql(
        "app",
        "ALTER TABLE public.orders NO FORCE ROW LEVEL SECURITY",
    );
    let s = scan(&repo, &env, &["--target", "prod"]);
    assert_eq!(drift(&s, "public.orders"), "fail");
    record(&s, "prod", "pg-schema-drift/fail/rls_not_forced_by_hand");

    let s = scan(&repo, &env, &["--target", "down"]);
    assert_eq!(drift(&s, "down"), "error");
    record(&s, "down", "pg-schema-drift/error/live_unreachable");
}
