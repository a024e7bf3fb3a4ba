//! Database-per-tenant and schema-per-tenant isolation, judged live by `pg-tenant-isolation`
//! on a real PostgreSQL with two tenants, one set up correctly and one leaking. The oracle is
//! PostgreSQL itself: the test logs in as each tenant's runtime role, tries to read the other
//! tenant's row, and the verdict must agree with what the server allowed.

// Test helpers: a panic with the value is the clearest failure report.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use crate::harness::{message, repo_with_config};
use crate::live_fixtures::Fragment;
use crate::pg_live::{AUDITOR_PASSWORD, Scan, scan};
use crate::pg_live_harness::{Cluster, ServerSpec, psql_script};

const APP_PASSWORD: &str = "Tenant-App-Pw-0815";

/// Logs in over TCP (TLS, SCRAM) as `user` and runs `sql`: what PostgreSQL allows that role.
fn try_as(pg: &Cluster, user: &str, db: &str, sql: &str) -> Result<String, String> {
    let dsn = format!(
        "host=127.0.0.1 port={} user={user} password={APP_PASSWORD} dbname={db} sslmode=require",
        pg.port
    );
    let out = psql_script().args([&dsn, "-c", sql]).output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

fn roles_sql(roles: &[&str]) -> String {
    let mut sql = format!(
        "SET password_encryption = 'scram-sha-256'; \
         CREATE ROLE auditor LOGIN PASSWORD '{AUDITOR_PASSWORD}';"
    );
    for r in roles {
        write!(sql, " CREATE ROLE {r} LOGIN PASSWORD '{APP_PASSWORD}';").unwrap();
    }
    sql
}

fn tenant_config(isolation: &str, targets: &[(&str, &str, &str)]) -> String {
    let mut toml = format!("[postgres]\nisolation = \"{isolation}\"\n");
    for (tenant, env, role) in targets {
        write!(
            toml,
            "\n[[target.postgres]]\nname = \"{tenant}\"\ndsn_env = \"{env}\"\ntenant = \"{tenant}\"\n\
             runtime_roles = [\"{role}\"]\n"
        )
        .unwrap();
    }
    toml
}

/// Database per tenant, each tenant with its own runtime role.
const OWN_ROLES: [(&str, &str, &str); 2] = [
    ("acme", "T_ACME", "acme_app"),
    ("globex", "T_GLOBEX", "globex_app"),
];

/// The auditor's DSN of each tenant's database, in the variables the configs name.
fn database_env(pg: &Cluster) -> [(&'static str, String); 2] {
    [
        ("T_ACME", pg.dsn("auditor", AUDITOR_PASSWORD, "acme")),
        ("T_GLOBEX", pg.dsn("auditor", AUDITOR_PASSWORD, "globex")),
    ]
}

/// The auditor's DSN of the shared database of schema per tenant.
fn saas_env(pg: &Cluster) -> [(&'static str, String); 1] {
    [("T_SAAS", pg.dsn("auditor", AUDITOR_PASSWORD, "saas"))]
}

/// The fixture fragment of a scan's tenant targets (all of them: the check judges each tenant
/// against the others).
fn tenant_fragment<'a>(s: &'a Scan, pg: &Cluster) -> Fragment<'a> {
    Fragment::new(&s.facts, "postgres").port(pg.port)
}

/// vouch's verdict on a tenant agrees with PostgreSQL: pass exactly when the other tenant's
/// runtime role could not read the tenant's row.
fn assert_agrees(s: &Scan, tenant: &str, oracle: &Result<String, String>) {
    let f = s.finding("pg-tenant-isolation", tenant);
    let expected = if oracle.is_ok() { "fail" } else { "pass" };
    assert_eq!(
        f["status"], expected,
        "PostgreSQL said {oracle:?}; vouch: {f:#}"
    );
}

#[test]
fn database_per_tenant_verdicts_agree_with_what_postgresql_allows() {
    let pg = Cluster::start(&ServerSpec::default());
    pg.psql("postgres", &roles_sql(&["acme_app", "globex_app"]));
    for (db, owner_row) in [("acme", "Acme Corp"), ("globex", "Globex Inc")] {
        pg.psql("postgres", &format!("CREATE DATABASE {db}"));
        pg.psql(
            db,
            &format!(
                "CREATE TABLE public.firms (id int PRIMARY KEY, firm_id int, name text);
                 INSERT INTO public.firms VALUES (1, 1, '{owner_row}');
                 GRANT SELECT ON public.firms TO {db}_app;"
            ),
        );
    }
    // acme: only its own role (and the auditor) may connect. globex keeps PUBLIC's default
    // CONNECT and lets everyone read its table.
    pg.psql(
        "acme",
        "REVOKE CONNECT ON DATABASE acme FROM PUBLIC; GRANT CONNECT ON DATABASE acme TO acme_app, auditor;",
    );
    pg.psql("globex", "GRANT SELECT ON public.firms TO PUBLIC;");

    let into_acme = try_as(&pg, "globex_app", "acme", "SELECT name FROM public.firms");
    let into_globex = try_as(&pg, "acme_app", "globex", "SELECT name FROM public.firms");
    assert!(
        into_acme
            .as_ref()
            .is_err_and(|e| e.contains("permission denied for database")),
        "{into_acme:?}"
    );
    assert_eq!(into_globex.as_deref(), Ok("Globex Inc"), "the leak is real");
    assert_eq!(
        try_as(&pg, "acme_app", "acme", "SELECT name FROM public.firms").as_deref(),
        Ok("Acme Corp")
    );

    let repo = repo_with_config(&tenant_config("database", &OWN_ROLES));
    let s = scan(&repo, &database_env(&pg), &["--all-targets"]);
    assert_agrees(&s, "acme", &into_acme);
    assert_agrees(&s, "globex", &into_globex);
    let leak = s.finding("pg-tenant-isolation", "globex");
    let said = message(leak);
    assert!(
        said.contains("`acme_app` may CONNECT to database globex through PUBLIC's CONNECT"),
        "{said}"
    );
    assert_eq!(leak["location"]["uri"], pg.uri("globex"));
    assert_eq!(s.code, 1, "a critical failure gates");
    tenant_fragment(&s, &pg).assert_fixture(
        "pg_tenant_isolation::database_per_tenant_verdicts_agree_with_what_postgresql_allows",
        "pg-tenant-isolation/fail/public_connect",
    );
    // The RLS checks do not apply to a database per tenant: a note, never a pass.
    let rls = s.finding("pg-rls-enabled", "public.firms");
    assert_eq!(
        (rls["status"].as_str(), rls["severity"].as_str()),
        (Some("fail"), Some("info"))
    );
    assert!(message(rls).starts_with("not applicable"), "{rls:#}");

    // The same databases, with one login role shared by both tenants: both fail, and the
    // shared role does read both tenants' rows.
    pg.psql(
        "acme",
        "GRANT CONNECT ON DATABASE acme TO globex_app; GRANT SELECT ON public.firms TO globex_app;",
    );
    let shared = try_as(&pg, "globex_app", "acme", "SELECT name FROM public.firms");
    assert_eq!(shared.as_deref(), Ok("Acme Corp"));
    let repo = repo_with_config(&tenant_config(
        "database",
        &[
            ("acme", "T_ACME", "globex_app"),
            ("globex", "T_GLOBEX", "globex_app"),
        ],
    ));
    let s = scan(&repo, &database_env(&pg), &["--all-targets"]);
    for tenant in ["acme", "globex"] {
        let f = s.finding("pg-tenant-isolation", tenant);
        assert_eq!(f["status"], "fail", "{f:#}");
        assert!(message(f).contains("`globex_app` is shared with tenant"));
    }
    assert!(!s.raw.contains(AUDITOR_PASSWORD));
    tenant_fragment(&s, &pg).assert_fixture(
        "pg_tenant_isolation::database_per_tenant_verdicts_agree_with_what_postgresql_allows",
        "pg-tenant-isolation/fail/shared_role",
    );

    // Both set up correctly: each database admits its own runtime role only.
    pg.psql(
        "acme",
        "REVOKE CONNECT ON DATABASE acme FROM globex_app; REVOKE SELECT ON public.firms FROM globex_app;",
    );
    pg.psql(
        "globex",
        "REVOKE CONNECT ON DATABASE globex FROM PUBLIC; GRANT CONNECT ON DATABASE globex TO globex_app, auditor;
         REVOKE SELECT ON public.firms FROM PUBLIC;",
    );
    let env = database_env(&pg);
    let isolated = repo_with_config(&tenant_config("database", &OWN_ROLES));
    let s = scan(&isolated, &env, &["--all-targets"]);
    for tenant in ["acme", "globex"] {
        let f = s.finding("pg-tenant-isolation", tenant);
        assert_eq!(f["status"], "pass", "{f:#}");
    }
    tenant_fragment(&s, &pg).assert_fixture(
        "pg_tenant_isolation::database_per_tenant_verdicts_agree_with_what_postgresql_allows",
        "pg-tenant-isolation/pass/database_per_tenant",
    );
    // A tenant target without runtime roles: nothing says who must be kept out, an error.
    let no_roles = repo_with_config(
        &(tenant_config("database", &[("acme", "T_ACME", "acme_app")])
            + "\n[[target.postgres]]\nname = \"globex\"\ndsn_env = \"T_GLOBEX\"\ntenant = \"globex\"\nruntime_roles = []\n"),
    );
    let s = scan(&no_roles, &env, &["--all-targets"]);
    let f = s.finding("pg-tenant-isolation", "globex");
    assert_eq!(f["status"], "error", "{f:#}");
    tenant_fragment(&s, &pg).assert_fixture(
        "pg_tenant_isolation::database_per_tenant_verdicts_agree_with_what_postgresql_allows",
        "pg-tenant-isolation/error/tenant_without_runtime_roles",
    );
}

#[test]
fn schema_per_tenant_verdicts_agree_with_what_postgresql_allows() {
    let pg = Cluster::start(&ServerSpec::default());
    pg.psql("postgres", &roles_sql(&["acme_app", "globex_app"]));
    pg.psql("postgres", "CREATE DATABASE saas");
    pg.psql(
        "saas",
        "CREATE SCHEMA acme; CREATE SCHEMA globex;
         CREATE TABLE acme.firms (id int PRIMARY KEY, name text);
         CREATE TABLE globex.firms (id int PRIMARY KEY, name text);
         INSERT INTO acme.firms VALUES (1, 'Acme Corp');
         INSERT INTO globex.firms VALUES (1, 'Globex Inc');
         GRANT USAGE ON SCHEMA acme TO acme_app; GRANT SELECT ON acme.firms TO acme_app;
         GRANT USAGE ON SCHEMA globex TO PUBLIC; GRANT SELECT ON globex.firms TO PUBLIC;",
    );
    let into_acme = try_as(&pg, "globex_app", "saas", "SELECT name FROM acme.firms");
    let into_globex = try_as(&pg, "acme_app", "saas", "SELECT name FROM globex.firms");
    assert!(
        into_acme
            .as_ref()
            .is_err_and(|e| e.contains("permission denied for schema acme")),
        "{into_acme:?}"
    );
    assert_eq!(into_globex.as_deref(), Ok("Globex Inc"));

    let repo = repo_with_config(&tenant_config(
        "schema",
        &[
            ("acme", "T_SAAS", "acme_app"),
            ("globex", "T_SAAS", "globex_app"),
        ],
    ));
    let s = scan(&repo, &saas_env(&pg), &["--all-targets"]);
    assert_agrees(&s, "acme", &into_acme);
    assert_agrees(&s, "globex", &into_globex);
    let said = message(s.finding("pg-tenant-isolation", "globex")).to_owned();
    assert!(
        said.contains("`acme_app` has USAGE on schema globex through PUBLIC's USAGE"),
        "{said}"
    );

    // Both set up correctly: each schema admits its own runtime role only.
    pg.psql(
        "saas",
        "REVOKE USAGE ON SCHEMA globex FROM PUBLIC; REVOKE SELECT ON globex.firms FROM PUBLIC;
         GRANT USAGE ON SCHEMA globex TO globex_app; GRANT SELECT ON globex.firms TO globex_app;",
    );
    let isolated = scan(&repo, &saas_env(&pg), &["--all-targets"]);
    for tenant in ["acme", "globex"] {
        let f = isolated.finding("pg-tenant-isolation", tenant);
        assert_eq!(f["status"], "pass", "{f:#}");
    }
    tenant_fragment(&isolated, &pg).assert_fixture(
        "pg_tenant_isolation::schema_per_tenant_verdicts_agree_with_what_postgresql_allows",
        "pg-tenant-isolation/pass/schema_per_tenant",
    );
    pg.psql(
        "saas",
        "REVOKE USAGE ON SCHEMA globex FROM globex_app; REVOKE SELECT ON globex.firms FROM globex_app;
         GRANT USAGE ON SCHEMA globex TO PUBLIC; GRANT SELECT ON globex.firms TO PUBLIC;",
    );

    // A search_path naming another tenant's schema is reported even while USAGE is refused:
    // the role is set up to resolve that tenant's objects first.
    pg.psql(
        "saas",
        "ALTER ROLE globex_app SET search_path = globex, acme",
    );
    let s = scan(&repo, &saas_env(&pg), &["--all-targets"]);
    let f = s.finding("pg-tenant-isolation", "acme");
    assert_eq!(f["status"], "fail", "{f:#}");
    assert!(
        message(f).contains("`globex_app` has search_path `globex, acme` naming schema acme"),
        "{f:#}"
    );
    tenant_fragment(&s, &pg).assert_fixture(
        "pg_tenant_isolation::schema_per_tenant_verdicts_agree_with_what_postgresql_allows",
        "pg-tenant-isolation/fail/schema_usage_and_search_path",
    );

    // A target that cannot be read is an error, never a pass.
    pg.psql("saas", "ALTER ROLE globex_app RESET search_path");
    let repo = repo_with_config(&tenant_config(
        "schema",
        &[
            ("acme", "T_SAAS", "acme_app"),
            ("globex", "T_UNSET_GLOBEX", "globex_app"),
        ],
    ));
    let s = scan(&repo, &saas_env(&pg), &["--all-targets"]);
    let f = s.finding("pg-tenant-isolation", "globex");
    assert_eq!(f["status"], "error", "{f:#}");
    assert!(message(f).contains("T_UNSET_GLOBEX is not set"), "{f:#}");
    tenant_fragment(&s, &pg).assert_fixture(
        "pg_tenant_isolation::schema_per_tenant_verdicts_agree_with_what_postgresql_allows",
        "pg-tenant-isolation/error/unreadable_target",
    );
}
