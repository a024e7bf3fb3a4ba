//! PostgreSQL as the oracle of `pg-rls-policy-tenant`: every policy-semantics case
//! (`fixtures/repos/pg-policy-semantics/<case>`) is applied to a real server, two tenants' rows
//! are created, and the runtime role `app_user` (not the owner, no BYPASSRLS) tries, with the
//! session set to one tenant, to read, update, insert and move rows of the other. vouch's
//! verdict must agree in both directions: a case it passes never leaks, a case it fails does.
//! The same SQL is also judged statically (as a migrations directory) and live (the server
//! audited through `[[target.postgres]]`), and both verdicts must be the same.
//!
//! The session of tenant X sets every declared key consistently: `app.tenant_id` = X,
//! `app.user_id` and `request.jwt.claim.sub` = X's user. Tenant A's user also owns a personal
//! account, which is tenant B (as in Supabase/basejump, where a personal account's id is its
//! owner's user id): a policy keyed on the user id where the tenant id belongs then shows B's
//! rows to A. A second probe adds the switch `app.bypass_rls = on`, which the application (or
//! an injected statement) can set as easily as the tenant.

use std::path::Path;

use serde_json::Value;

use crate::harness::{find_finding, fixture, text, vouch};
use crate::pg_live_harness::{Cluster, ServerSpec, psql_script};

const TENANT_A: &str = "aaaaaaaa-0000-0000-0000-000000000001";
const TENANT_B: &str = "bbbbbbbb-0000-0000-0000-000000000002";
/// Tenant A's user: also the owner of the personal account that is tenant B.
const USER_A: &str = TENANT_B;
const USER_B: &str = "cccccccc-0000-0000-0000-000000000003";

/// Every case and the verdict it must get (written by reading the SQL).
const CASES: &[(&str, &str)] = &[
    ("correct-tenant", "pass"),
    ("is-not-null-or", "fail"),
    ("wrong-setting-key", "fail"),
    ("constant-comparison", "fail"),
    ("or-bypass", "fail"),
    ("restrictive-and-permissive", "pass"),
    ("insert-check-true", "fail"),
    ("service-role-update", "pass"),
    ("rls-no-policy", "pass"),
    ("user-scoped", "pass"),
    // User-scoped writes on a table read by tenant (the corpus's FN1/FN2): pass only when the
    // row's tenant is bound to its user.
    ("user-scoped-tenant-read", "fail"),
    ("user-scoped-membership-key", "pass"),
    ("user-scoped-single-tenant", "pass"),
    ("in-subselect-membership", "pass"),
    ("in-subselect-unkeyed", "fail"),
    ("exists-correlated", "pass"),
    ("exists-unqualified", "fail"),
    ("definer-membership-function", "pass"),
    // Tenant paths: `public.endpoints` is a tenant table through `endpoints.app_id -> apps.org_id`.
    ("path-through-parent", "pass"),
    ("path-exists-parent", "pass"),
    ("path-wrong-key", "fail"),
    ("path-unrestricted-parent", "fail"),
];

/// A tenant-path case: `public.endpoints` (from `path-prelude.sql`) belongs to a tenant only
/// through its app.
fn is_tenant_path(case: &str) -> bool {
    case.starts_with("path-")
}

/// The SQL files of a case, in the order they are applied: the shared prelude, the tenant-path
/// tables for a tenant-path case, the schema the case adds (`setup.sql`, when it has one), then
/// its `policies.sql`, or the policies of the case its `BASE` file names (a case that is
/// another's policies over more schema: a constraint, a trigger).
fn sql_files(case: &str) -> Vec<std::path::PathBuf> {
    let root = fixture("repos/pg-policy-semantics");
    let dir = root.join(case);
    let mut files = vec![root.join("prelude.sql")];
    if is_tenant_path(case) {
        files.push(root.join("path-prelude.sql"));
    }
    files.extend(Some(dir.join("setup.sql")).filter(|f| f.exists()));
    let policies_of = match std::fs::read_to_string(dir.join("BASE")) {
        Ok(base) => root.join(base.trim()),
        Err(_) => dir,
    };
    files.push(policies_of.join("policies.sql"));
    files
}

/// The table a case judges: `public.docs`, or for a tenant-path case `public.endpoints`.
fn subject(case: &str) -> &'static str {
    if is_tenant_path(case) {
        "public.endpoints"
    } else {
        "public.docs"
    }
}

/// The app each tenant owns in the tenant-path cases.
fn app_of(tenant: &str) -> u32 {
    if tenant == TENANT_A { 1 } else { 2 }
}

/// `psql` over TCP as the superuser; `Err` carries psql's message (a refused write).
fn psql(port: u16, db: &str, commands: &[String]) -> Result<String, String> {
    let mut cmd = psql_script();
    cmd.args([
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-U",
        "postgres",
        "-d",
        db,
    ]);
    for c in commands {
        cmd.args(["-c", c]);
    }
    let out = cmd.output().expect("psql runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn must(port: u16, db: &str, sql: &str) {
    psql(port, db, &[sql.to_owned()]).unwrap_or_else(|e| panic!("{db}: {sql}: {e}"));
}

/// Runs `probe` as app_user in tenant `me`'s session, rolled back; the last output line.
fn as_tenant(port: u16, db: &str, me: &str, flags: bool, probe: &str) -> Result<String, String> {
    let user = if me == TENANT_A { USER_A } else { USER_B };
    let mut settings = format!(
        "SELECT set_config('app.tenant_id', '{me}', true), set_config('app.user_id', '{user}', true), \
         set_config('request.jwt.claim.sub', '{user}', true)"
    );
    if flags {
        settings.push_str(", set_config('app.bypass_rls', 'on', true)");
    }
    let out = psql(
        port,
        db,
        &[
            "BEGIN".to_owned(),
            settings,
            "SET LOCAL ROLE app_user".to_owned(),
            probe.to_owned(),
            "ROLLBACK".to_owned(),
        ],
    )?;
    Ok(out.lines().last().unwrap_or_default().trim().to_owned())
}

/// The user of tenant `tenant`'s session.
fn user_of(tenant: &str) -> &'static str {
    if tenant == TENANT_A { USER_A } else { USER_B }
}

/// The row of `public.docs` tenant `tenant` starts with.
fn row_of(tenant: &str) -> u32 {
    if tenant == TENANT_A { 1 } else { 2 }
}

/// After `write` in tenant `me`'s session, tenant `other`'s session (its own settings, same
/// transaction, rolled back) counts the rows with `id`: a write planted in another tenant
/// counts only when that tenant reads it. No RETURNING: PostgreSQL would also apply the
/// writer's SELECT policies to the new row.
fn then_other_reads(write: &str, other: &str, id: u32) -> String {
    let other_user = user_of(other);
    format!(
        "{write}; RESET ROLE; SELECT set_config('app.tenant_id', '{other}', true), \
         set_config('app.user_id', '{other_user}', true), \
         set_config('request.jwt.claim.sub', '{other_user}', true); SET LOCAL ROLE app_user; \
         SELECT count(*) FROM public.docs WHERE id = {id}"
    )
}

/// The probes of tenant `me`'s session against the rows of tenant `other` in `public.docs`.
fn docs_probes(me: &str, other: &str, other_user: &str) -> Vec<(&'static str, String)> {
    let my_user = user_of(me);
    let mine = row_of(me);
    vec![
        (
            "reads",
            format!("SELECT count(*) FROM public.docs WHERE tenant_id = '{other}'"),
        ),
        (
            "updates",
            format!(
                "WITH u AS (UPDATE public.docs SET body = 'x' WHERE tenant_id = '{other}' \
                         RETURNING 1) SELECT count(*) FROM u"
            ),
        ),
        (
            "inserts",
            format!(
                "WITH i AS (INSERT INTO public.docs VALUES (99, '{other}', '{other_user}', 'x') \
                         RETURNING 1) SELECT count(*) FROM i"
            ),
        ),
        (
            "moves",
            format!(
                "WITH u AS (UPDATE public.docs SET tenant_id = '{other}', user_id = '{other_user}' \
                         WHERE tenant_id = '{me}' RETURNING 1) SELECT count(*) FROM u"
            ),
        ),
        // A user writes "their own" row into the other tenant, which then reads it.
        (
            "plants a row read by",
            then_other_reads(
                &format!("INSERT INTO public.docs VALUES (99, '{other}', '{my_user}', 'x')"),
                other,
                99,
            ),
        ),
        (
            "moves its own row to be read by",
            then_other_reads(
                &format!("UPDATE public.docs SET tenant_id = '{other}' WHERE id = {mine}"),
                other,
                mine,
            ),
        ),
    ]
}

/// The same probes against `public.endpoints`, whose rows belong to a tenant through their app.
fn endpoint_probes(me: &str, other: &str, _other_user: &str) -> Vec<(&'static str, String)> {
    let (mine, theirs) = (app_of(me), app_of(other));
    vec![
        (
            "reads",
            format!("SELECT count(*) FROM public.endpoints WHERE app_id = {theirs}"),
        ),
        (
            "updates",
            format!(
                "WITH u AS (UPDATE public.endpoints SET url = 'x' WHERE app_id = {theirs} \
                 RETURNING 1) SELECT count(*) FROM u"
            ),
        ),
        (
            "inserts",
            format!(
                "WITH i AS (INSERT INTO public.endpoints VALUES (99, {theirs}, 'x') RETURNING 1) \
                 SELECT count(*) FROM i"
            ),
        ),
        (
            "moves",
            format!(
                "WITH u AS (UPDATE public.endpoints SET app_id = {theirs} WHERE app_id = {mine} \
                 RETURNING 1) SELECT count(*) FROM u"
            ),
        ),
    ]
}

/// The ways tenant `me`'s session reached a row of tenant `other`, as PostgreSQL decided.
fn leaks(port: u16, db: &str, case: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (me, other, other_user) in [(TENANT_A, TENANT_B, USER_B), (TENANT_B, TENANT_A, USER_A)] {
        for flags in [false, true] {
            let counted = if is_tenant_path(case) {
                endpoint_probes(me, other, other_user)
            } else {
                docs_probes(me, other, other_user)
            };
            for (what, probe) in counted {
                // A refused statement (policy violation) or 0 rows: no leak.
                if let Ok(n) = as_tenant(port, db, me, flags, &probe)
                    && n != "0"
                {
                    let flag = if flags { " with app.bypass_rls" } else { "" };
                    found.push(format!("tenant {me} {what} {n} row(s) of {other}{flag}"));
                }
            }
        }
    }
    found
}

/// The case's `[postgres]` keys (after `runtime_roles = ["app_user"]`, shared by all).
fn postgres_section(case: &str) -> String {
    let own = std::fs::read_to_string(
        fixture("repos/pg-policy-semantics")
            .join(case)
            .join("vouch.toml"),
    )
    .unwrap_or_default();
    let keys = own.trim_start_matches("[postgres]").trim();
    format!("[postgres]\nruntime_roles = [\"app_user\"]\n{keys}\n")
}

/// The statically scanned repository: the case's SQL files as migrations, its settings.
fn static_repo(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for (n, file) in sql_files(case).iter().enumerate() {
        let name = file.file_name().unwrap().to_string_lossy();
        std::fs::copy(file, migrations.join(format!("{:04}_{name}", n + 1))).unwrap();
    }
    std::fs::write(dir.path().join("vouch.toml"), postgres_section(case)).unwrap();
    dir
}

/// A repository with no migrations (a report holds one finding per check and subject, so the
/// live verdict is taken from its own scan) and the server as its live target.
fn live_repo(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        "{}\n[[target.postgres]]\nname = \"live\"\ndsn_env = \"VOUCH_ORACLE_DSN\"\n\
         sslmode = \"disable\"\n",
        postgres_section(case)
    );
    std::fs::write(dir.path().join("vouch.toml"), config).unwrap();
    dir
}

/// The `pg-rls-policy-tenant` finding on `subject` of one scan.
fn verdict(repo: &Path, args: &[&str], dsn: &str, subject: &str) -> (String, Value) {
    let out = vouch()
        .arg("scan")
        .arg(repo)
        .args(["--format", "json"])
        .args(args)
        .env("VOUCH_ORACLE_DSN", dsn)
        .output()
        .expect("vouch runs");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    match find_finding(&report, "pg-rls-policy-tenant", subject) {
        Some(f) => (text(f, "status").to_owned(), f.clone()),
        None => ("missing".to_owned(), report["findings"].clone()),
    }
}

/// A server that trusts logins over local TCP, with the roles the policies name.
fn oracle_server() -> Cluster {
    let pg = Cluster::start(&ServerSpec {
        ssl: false,
        hba: vec!["host all all 127.0.0.1/32 trust"],
        settings: Vec::new(),
    });
    must(
        pg.port,
        "postgres",
        "CREATE ROLE app_user NOLOGIN NOBYPASSRLS; CREATE ROLE service_role NOLOGIN",
    );
    pg
}

/// Creates database `db` holding `case`'s SQL files.
fn case_database(port: u16, db: &str, case: &str) {
    must(port, "postgres", &format!("CREATE DATABASE {db}"));
    for file in sql_files(case) {
        must(port, db, &std::fs::read_to_string(&file).unwrap());
    }
}

/// The static and the live verdict, and the findings for a failure message.
fn verdicts(case: &str, dsn: &str) -> (String, String, Value) {
    let table = subject(case);
    let (stat, stat_finding) = verdict(static_repo(case).path(), &[], dsn, table);
    let (live, live_finding) = verdict(live_repo(case).path(), &["--target", "live"], dsn, table);
    (stat, live, Value::Array(vec![stat_finding, live_finding]))
}

#[test]
fn postgres_agrees_with_every_policy_verdict_static_and_live() {
    let pg = oracle_server();
    let mut table = Vec::new();
    let mut problems = Vec::new();
    for (i, (case, expected)) in CASES.iter().enumerate() {
        let db = format!("case_{i}");
        case_database(pg.port, &db, case);
        must(
            pg.port,
            &db,
            &format!(
                "INSERT INTO public.memberships VALUES ('{USER_A}', '{TENANT_A}'), ('{USER_B}', '{TENANT_B}');
                 INSERT INTO public.docs VALUES (1, '{TENANT_A}', '{USER_A}', 'a'), (2, '{TENANT_B}', '{USER_B}', 'b');"
            ),
        );
        if is_tenant_path(case) {
            must(
                pg.port,
                &db,
                &format!(
                    "INSERT INTO public.apps VALUES (1, '{TENANT_A}', 'a'), (2, '{TENANT_B}', 'b');
                     INSERT INTO public.endpoints VALUES (1, 1, 'a'), (2, 2, 'b');"
                ),
            );
        }
        let leaked = leaks(pg.port, &db, case);
        let dsn = format!("host=127.0.0.1 port={} user=postgres dbname={db}", pg.port);
        let (stat, live, findings) = verdicts(case, &dsn);
        table.push(format!(
            "{case:30} static={stat:5} live={live:5} postgres={}",
            if leaked.is_empty() {
                "isolated"
            } else {
                "leaks"
            }
        ));
        if stat != *expected || live != *expected {
            problems.push(format!(
                "{case}: expected {expected}, static {stat}, live {live}: {findings:#}"
            ));
        }
        if (stat == "pass") != leaked.is_empty() {
            problems.push(format!(
                "{case}: vouch says {stat} but PostgreSQL: {leaked:?}: {findings:#}"
            ));
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// A declared break-glass setting (`[postgres] break_glass = ["app.bypass_rls"]`) passes, but
/// PostgreSQL lets the runtime role turn it on itself: a custom setting has no privilege
/// (`REVOKE SET ON PARAMETER` and `ALTER ROLE … SET` do not stop the session's own
/// `set_config`). vouch's verdict, static and live, must say that the switch is settable.
#[test]
fn a_custom_setting_is_settable_by_the_runtime_role() {
    let pg = oracle_server();
    case_database(pg.port, "glass", "or-bypass");
    must(
        pg.port,
        "glass",
        &format!(
            "INSERT INTO public.docs VALUES (1, '{TENANT_A}', '{USER_A}', 'a'), (2, '{TENANT_B}', '{USER_B}', 'b');
             REVOKE SET ON PARAMETER app.bypass_rls FROM PUBLIC;
             ALTER ROLE app_user SET app.bypass_rls = 'off';"
        ),
    );
    let other_rows = |switch: bool| {
        let mut commands = vec![
            "BEGIN".to_owned(),
            format!("SELECT set_config('app.tenant_id', '{TENANT_A}', true)"),
            "SET LOCAL ROLE app_user".to_owned(),
        ];
        if switch {
            // Run as app_user, after SET ROLE: the role itself flips the switch.
            commands.push("SELECT set_config('app.bypass_rls', 'on', true)".to_owned());
        }
        commands.push(format!(
            "SELECT count(*) FROM public.docs WHERE tenant_id = '{TENANT_B}'"
        ));
        commands.push("ROLLBACK".to_owned());
        let out = psql(pg.port, "glass", &commands).expect("app_user may set it");
        out.lines().last().unwrap_or_default().trim().to_owned()
    };
    assert_eq!(other_rows(false), "0", "the tenant policy isolates");
    assert_eq!(
        other_rows(true),
        "1",
        "app_user turned app.bypass_rls on itself despite REVOKE SET and ALTER ROLE … SET"
    );
    let config = "[postgres]\nruntime_roles = [\"app_user\"]\nbreak_glass = [\"app.bypass_rls\"]\n";
    let dsn = format!("host=127.0.0.1 port={} user=postgres dbname=glass", pg.port);
    let stat = static_repo("or-bypass");
    std::fs::write(stat.path().join("vouch.toml"), config).unwrap();
    let live = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        live.path().join("vouch.toml"),
        format!(
            "{config}\n[[target.postgres]]\nname = \"live\"\ndsn_env = \"VOUCH_ORACLE_DSN\"\nsslmode = \"disable\"\n"
        ),
    )
    .unwrap();
    for (repo, args) in [
        (stat.path(), &[][..]),
        (live.path(), &["--target", "live"][..]),
    ] {
        let (status, finding) = verdict(repo, args, &dsn, "public.docs");
        let message = finding["message"].as_str().unwrap_or_default();
        assert_eq!(status, "pass", "{finding:#}");
        assert!(
            message.contains("accepted break-glass")
                && message.contains("settable by the session")
                && message.contains("`SET app.bypass_rls`"),
            "{finding:#}"
        );
    }
}
