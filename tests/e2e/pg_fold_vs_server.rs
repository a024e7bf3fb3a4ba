//! The static fold against a real PostgreSQL: every fixture migration set is applied, in the
//! order vouch discovered, to a fresh server, and the folded state is compared with the
//! catalogs (`pg_class.relrowsecurity/relforcerowsecurity`, owners, `pg_policies`, `pg_roles`,
//! `pg_auth_members`, table privileges, triggers, SECURITY DEFINER functions). Where they
//! disagree, the fold is wrong.

use std::collections::BTreeSet;
use std::path::Path;

use checks::facts::pg::Database;
use vouch::sources::migrations;

use crate::harness::{finding, fixture};
use crate::pg_server::PgServer;

/// Roles a fixture's platform creates outside the migrations (Supabase's API roles; the roles
/// a pg_dump schema refers to). Roles are cluster-wide: created once per server.
fn prelude_roles(repo: &str) -> &'static str {
    match repo {
        "pg-supabase" => "CREATE ROLE authenticated; CREATE ROLE anon;",
        "pg-dump" => "CREATE ROLE helpdesk_owner; CREATE ROLE helpdesk_app;",
        "../third_party/migrations/dbmate-radler" => "CREATE ROLE saas_user;",
        "../third_party/migrations/pgdump-graphile-starter" => {
            "CREATE ROLE graphile_starter; CREATE ROLE graphile_starter_visitor;"
        }
        "../third_party/migrations/supabase-basejump" => {
            "CREATE ROLE authenticated; CREATE ROLE anon; CREATE ROLE service_role;"
        }
        _ => "",
    }
}

/// Objects a fixture's platform provides in each database (Supabase's `auth` schema).
fn prelude_objects(repo: &str) -> &'static str {
    match repo {
        "pg-supabase" => {
            "CREATE SCHEMA auth; CREATE SCHEMA extensions; \
             CREATE TABLE auth.users (id uuid PRIMARY KEY); \
             CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';"
        }
        "../third_party/migrations/supabase-basejump" => {
            "CREATE SCHEMA auth; CREATE SCHEMA extensions; \
             CREATE EXTENSION \"uuid-ossp\" SCHEMA extensions; CREATE EXTENSION pgcrypto; \
             CREATE TABLE auth.users (id uuid PRIMARY KEY); \
             CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';"
        }
        _ => "",
    }
}

/// Schemas and roles that belong to the prelude or to PostgreSQL, not to the fixture.
const FOREIGN_SCHEMAS: &str =
    "('pg_catalog', 'information_schema', 'auth', 'extensions', 'pg_toast')";

fn compare_repo(repo: &str) {
    compare_root(repo, &fixture(&format!("repos/{repo}")));
}

fn compare_root(repo: &str, root: &Path) {
    let root = root.to_path_buf();
    let folded = migrations::collect(&root, &[]);
    // Sets of another engine's SQL are skipped by the fold; PostgreSQL is not asked either.
    let sets: Vec<_> = migrations::sets(&root, &[])
        .into_iter()
        .filter(|s| folded.iter().any(|db| db.name == s.name))
        .collect();
    assert!(!sets.is_empty(), "{repo}: no migration set found");
    let server = PgServer::start();
    if !prelude_roles(repo).is_empty() {
        server.exec("postgres", prelude_roles(repo));
    }
    for (i, (set, db)) in sets.iter().zip(&folded).enumerate() {
        let name = format!("fixture_{i}");
        server.exec("postgres", &format!("CREATE DATABASE {name}"));
        if !prelude_objects(repo).is_empty() {
            server.exec(&name, prelude_objects(repo));
        }
        for file in &set.files {
            server.apply_file(&name, &without_psql_restrict(&root.join(file)));
        }
        let problems = differences(&server, &name, db);
        assert!(
            problems.is_empty(),
            "{repo} ({}): the fold disagrees with PostgreSQL:\n{}",
            set.name,
            problems.join("\n")
        );
    }
}

/// pg_dump ≥ 15.14 writes `\restrict KEY`; older psql rejects it, so it is dropped (it only
/// guards against a malicious server during restore). Of a goose/dbmate file only the up
/// sections are applied, as the tool does.
fn without_psql_restrict(file: &Path) -> tempfile::TempPath {
    let text = std::fs::read_to_string(file).expect("fixture readable");
    let text = checks::parse::sql::sections::up_only(&text).unwrap_or(text);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect();
    let tmp = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(tmp.path(), kept.join("\n") + "\n").expect("temp file written");
    tmp.into_temp_path()
}

fn set_of<I: IntoIterator<Item = String>>(i: I) -> BTreeSet<String> {
    i.into_iter().collect()
}

/// Every disagreement between the folded `db` and the server's catalogs, one line each.
fn differences(server: &PgServer, dbname: &str, db: &Database) -> Vec<String> {
    let mut problems = Vec::new();
    let mut diff = |what: &str, fold: BTreeSet<String>, live: BTreeSet<String>| {
        for x in fold.difference(&live) {
            problems.push(format!("{what}: fold has `{x}`, server does not"));
        }
        for x in live.difference(&fold) {
            problems.push(format!("{what}: server has `{x}`, fold does not"));
        }
    };
    let q = |sql: &str| server.query(dbname, sql);

    // Tables: RLS enabled/forced and owner.
    let live_tables = q(&format!(
        "SELECT n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN {FOREIGN_SCHEMAS}"
    ));
    diff(
        "table (rls, forced, owner)",
        set_of(db.tables.iter().map(|t| {
            let owner = t.owner.clone().unwrap_or_else(|| "postgres".to_owned());
            format!(
                "{} rls={} forced={} owner={owner}",
                t.qualified_name(),
                t.rls_enabled,
                t.rls_forced
            )
        })),
        set_of(live_tables.iter().map(|r| {
            format!(
                "{} rls={} forced={} owner={}",
                r[0],
                r[1] == "t",
                r[2] == "t",
                r[3]
            )
        })),
    );

    // Policies: name, command, permissive, roles, which expressions exist.
    let live_policies = q(&format!(
        "SELECT schemaname || '.' || tablename, policyname, lower(cmd), permissive = 'PERMISSIVE',
                array_to_string(ARRAY(SELECT unnest(roles) ORDER BY 1), ','), qual IS NOT NULL, with_check IS NOT NULL
         FROM pg_policies WHERE schemaname NOT IN {FOREIGN_SCHEMAS}"
    ));
    diff(
        "policy",
        set_of(db.tables.iter().flat_map(|t| {
            t.policies.iter().map(move |p| {
                let mut roles = p.roles.clone();
                roles.sort();
                let roles = if roles.is_empty() {
                    "public".to_owned()
                } else {
                    roles.join(",")
                };
                format!(
                    "{} {} {} permissive={} roles={roles} using={} check={}",
                    t.qualified_name(),
                    p.name,
                    p.command,
                    p.permissive,
                    p.using.is_some(),
                    p.with_check.is_some()
                )
            })
        })),
        set_of(live_policies.iter().map(|r| {
            format!(
                "{} {} {} permissive={} roles={} using={} check={}",
                r[0],
                r[1],
                r[2],
                r[3] == "t",
                r[4],
                r[5] == "t",
                r[6] == "t"
            )
        })),
    );

    // Table privileges of everyone but the owner (whose implicit ALL the fold does not list).
    // A column privilege (`GRANT UPDATE (name) ON t`) lets the role run that command on the
    // table, which is what the fold records and the checks judge: it counts as the table's.
    let live_grants = q(&format!(
        "SELECT g.table_schema || '.' || g.table_name, g.grantee, g.privilege_type
         FROM information_schema.role_table_grants g
         JOIN pg_class c ON c.relname = g.table_name
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = g.table_schema
         WHERE g.table_schema NOT IN {FOREIGN_SCHEMAS} AND g.grantee <> pg_get_userbyid(c.relowner)
         UNION
         SELECT g.table_schema || '.' || g.table_name, g.grantee, g.privilege_type
         FROM information_schema.role_column_grants g
         JOIN pg_class c ON c.relname = g.table_name
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = g.table_schema
         WHERE g.table_schema NOT IN {FOREIGN_SCHEMAS} AND g.grantee <> pg_get_userbyid(c.relowner)"
    ));
    diff(
        "table privilege",
        set_of(db.tables.iter().flat_map(|t| {
            let owner = t.owner.clone().unwrap_or_else(|| "postgres".to_owned());
            t.grants
                .iter()
                .filter(move |g| g.grantee != owner)
                .map(move |g| format!("{} {} {}", t.qualified_name(), g.grantee, g.privilege))
        })),
        set_of(
            live_grants
                .iter()
                .map(|r| format!("{} {} {}", r[0], r[1], r[2])),
        ),
    );

    // Roles the migrations create: attributes and memberships.
    let declared: Vec<String> = db
        .roles
        .iter()
        .filter(|r| !r.undeclared)
        .map(|r| r.name.clone())
        .collect();
    if !declared.is_empty() {
        let list = declared
            .iter()
            .map(|r| format!("'{r}'"))
            .collect::<Vec<_>>()
            .join(",");
        let live_roles = q(&format!(
            "SELECT rolname, rolsuper, rolbypassrls, rolcanlogin, rolcreaterole, rolcreatedb,
                    array_to_string(ARRAY(SELECT m.rolname FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.roleid
                                          WHERE am.member = r.oid ORDER BY 1), ',')
             FROM pg_roles r WHERE rolname IN ({list})"
        ));
        diff(
            "role",
            set_of(db.roles.iter().filter(|r| !r.undeclared).map(|r| {
                let mut m = r.member_of.clone();
                m.sort();
                format!(
                    "{} super={} bypass={} login={} createrole={} createdb={} member_of={}",
                    r.name,
                    r.superuser,
                    r.bypassrls,
                    r.login,
                    r.createrole,
                    r.createdb,
                    m.join(",")
                )
            })),
            set_of(live_roles.iter().map(|r| {
                format!(
                    "{} super={} bypass={} login={} createrole={} createdb={} member_of={}",
                    r[0],
                    r[1] == "t",
                    r[2] == "t",
                    r[3] == "t",
                    r[4] == "t",
                    r[5] == "t",
                    r[6]
                )
            })),
        );
    }

    // Triggers: timing, events, row level, function.
    let live_triggers = q(&format!(
        "SELECT n.nspname || '.' || c.relname, t.tgname,
                CASE WHEN t.tgtype & 2 <> 0 THEN 'before' WHEN t.tgtype & 64 <> 0 THEN 'instead of' ELSE 'after' END,
                concat_ws(',', CASE WHEN t.tgtype & 4 <> 0 THEN 'insert' END, CASE WHEN t.tgtype & 16 <> 0 THEN 'update' END,
                               CASE WHEN t.tgtype & 8 <> 0 THEN 'delete' END, CASE WHEN t.tgtype & 32 <> 0 THEN 'truncate' END),
                t.tgtype & 1 <> 0, pn.nspname || '.' || p.proname
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
         WHERE NOT t.tgisinternal AND n.nspname NOT IN {FOREIGN_SCHEMAS}"
    ));
    diff(
        "trigger",
        set_of(db.tables.iter().flat_map(|t| {
            t.triggers.iter().map(move |tr| {
                let order = ["insert", "update", "delete", "truncate"];
                let events: Vec<&str> = order
                    .iter()
                    .copied()
                    .filter(|e| tr.events.iter().any(|x| x == e))
                    .collect();
                format!(
                    "{} {} {} {} row={} {}",
                    t.qualified_name(),
                    tr.name,
                    tr.timing,
                    events.join(","),
                    tr.for_each_row,
                    tr.function
                )
            })
        })),
        set_of(live_triggers.iter().map(|r| {
            format!(
                "{} {} {} {} row={} {}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4] == "t",
                r[5]
            )
        })),
    );

    // SECURITY DEFINER functions and whether they pin search_path.
    let live_definers = q(&format!(
        "SELECT n.nspname || '.' || p.proname,
                EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{{}}')) c WHERE c LIKE 'search_path=%')
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prosecdef AND n.nspname NOT IN {FOREIGN_SCHEMAS}"
    ));
    diff(
        "security definer function",
        set_of(db.functions.iter().filter(|f| f.security_definer).map(|f| {
            format!(
                "{}.{} search_path={}",
                f.schema,
                f.name,
                f.search_path.is_some()
            )
        })),
        set_of(
            live_definers
                .iter()
                .map(|r| format!("{} search_path={}", r[0], r[1] == "t")),
        ),
    );
    problems
}

/// The comparison itself can fail: a fold that is wrong in each compared property is caught.
#[test]
fn comparison_catches_a_wrong_fold() {
    let root = fixture("repos/pg-flyway");
    let set = &migrations::sets(&root, &[])[0];
    let mut db = migrations::collect(&root, &[]).remove(0);
    let server = PgServer::start();
    server.exec("postgres", "CREATE DATABASE wrong");
    for file in &set.files {
        server.apply_file("wrong", &root.join(file));
    }
    assert!(
        differences(&server, "wrong", &db).is_empty(),
        "the unchanged fold matches"
    );
    let invoices = db
        .tables
        .iter_mut()
        .find(|t| t.name == "invoices")
        .expect("invoices");
    invoices.rls_enabled = true;
    invoices.policies.clear();
    invoices.grants.retain(|g| g.privilege != "DELETE");
    db.roles
        .iter_mut()
        .find(|r| r.name == "billing_app")
        .expect("role")
        .bypassrls = true;
    let audit = db
        .tables
        .iter_mut()
        .find(|t| t.name == "audit_events")
        .expect("audit");
    audit.triggers[0].timing = "after".to_owned();
    let problems = differences(&server, "wrong", &db).join("\n");
    for expected in [
        "billing.invoices rls=true",
        "policy: server has `billing.invoices invoices_tenant",
        "table privilege: server has `billing.invoices billing_app DELETE`",
        "role: fold has `billing_app super=false bypass=true",
        "trigger: fold has `billing.audit_events audit_events_no_change after",
    ] {
        assert!(
            problems.contains(expected),
            "missing `{expected}` in:\n{problems}"
        );
    }
}

#[test]
fn fold_matches_postgres_supabase() {
    compare_repo("pg-supabase");
}

#[test]
fn fold_matches_postgres_prisma() {
    compare_repo("pg-prisma");
}

#[test]
fn fold_matches_postgres_flyway() {
    compare_repo("pg-flyway");
}

#[test]
fn fold_matches_postgres_rails_structure_sql() {
    compare_repo("pg-rails");
}

#[test]
fn fold_matches_postgres_pg_dump() {
    compare_repo("pg-dump");
}

#[test]
fn fold_matches_postgres_golang_migrate() {
    compare_repo("pg-golang-migrate");
}

#[test]
fn fold_matches_postgres_fold_regressions() {
    // goose Up/Down, DO blocks, RLS decided after a DO block, standard_conforming_strings off;
    // its ClickHouse set is skipped.
    compare_repo("pg-fold-regressions");
}

/// PostgreSQL's older role spellings and the membership clauses of CREATE ROLE, as PostgreSQL
/// applies them: `CREATE USER` (LOGIN), `CREATE GROUP … USER`, `ALTER GROUP … ADD|DROP USER`,
/// `ALTER USER`, `DROP GROUP`, `IN ROLE`/`IN GROUP`/`ROLE`/`ADMIN`, `ENCRYPTED PASSWORD`, and a
/// REVOKE of the admin option that leaves the membership.
#[test]
fn fold_matches_postgres_role_synonyms_and_membership_clauses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let migrations = dir.path().join("db/migrations");
    std::fs::create_dir_all(&migrations).expect("dirs");
    std::fs::write(
        migrations.join("001_roles.up.sql"),
        "CREATE USER app BYPASSRLS;\n\
         CREATE USER admin WITH SUPERUSER ENCRYPTED PASSWORD 'x';\n\
         CREATE USER batch NOLOGIN CREATEDB;\n\
         CREATE GROUP maint WITH BYPASSRLS USER batch, app;\n\
         CREATE ROLE ops LOGIN;\n\
         CREATE ROLE reporting NOLOGIN;\n\
         ALTER GROUP reporting ADD USER ops, batch;\n\
         ALTER GROUP reporting DROP USER batch;\n\
         ALTER USER ops WITH CREATEROLE;\n\
         CREATE ROLE a LOGIN IN ROLE maint;\n\
         CREATE ROLE b LOGIN IN GROUP reporting;\n\
         CREATE ROLE grp NOLOGIN ROLE app ADMIN ops;\n\
         GRANT maint TO ops WITH ADMIN OPTION;\n\
         REVOKE ADMIN OPTION FOR maint FROM ops;\n\
         CREATE GROUP gone;\n\
         DROP GROUP IF EXISTS gone;\n\
         CREATE TABLE public.orders (id uuid, tenant_id uuid);\n\
         GRANT SELECT ON public.orders TO app, ops;\n",
    )
    .expect("write");
    let db = migrations::collect(dir.path(), &[]).remove(0);
    assert!(db.unparsed.is_empty(), "{:?}", db.unparsed);
    // The comparison looks only at the roles the fold declares: each must be there.
    let declared: Vec<&str> = (db.roles.iter())
        .filter(|r| !r.undeclared)
        .map(|r| r.name.as_str())
        .collect();
    for name in [
        "app",
        "admin",
        "batch",
        "maint",
        "ops",
        "reporting",
        "a",
        "b",
        "grp",
    ] {
        assert!(
            declared.contains(&name),
            "{name} not declared: {declared:?}"
        );
    }
    assert!(!declared.contains(&"gone"), "{declared:?}");
    let app = db.roles.iter().find(|r| r.name == "app").expect("app");
    assert!(app.bypassrls && app.login, "{app:?}");
    compare_root("role synonyms", dir.path());
}

/// Evasions the fold cannot follow: PostgreSQL really disables RLS on each table, and vouch
/// reports each as `error` (never `pass`) for pg-rls-enabled, naming the statement.
#[test]
fn evasions_postgres_applies_are_errors_in_the_static_verdict() {
    let root = fixture("repos/pg-fold-evasion");
    let set = &migrations::sets(&root, &[])[0];
    let server = PgServer::start();
    server.exec("postgres", "CREATE DATABASE evasion");
    for file in &set.files {
        server.apply_file("evasion", &without_psql_restrict(&root.join(file)));
    }
    let live = server.query(
        "evasion",
        "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND NOT c.relrowsecurity ORDER BY 1",
    );
    let disabled: Vec<&str> = live.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        disabled,
        ["credits", "debits", "invoices", "payments", "refunds"]
    );
    let (_, report) = crate::harness::scan_json(&root, &[]);
    for table in [
        "public.credits",
        "public.debits",
        "public.invoices",
        "public.payments",
        "public.refunds",
    ] {
        let f = finding(&report, "pg-rls-enabled", table);
        assert_eq!(f["status"], "error", "{table}: {f}");
    }
    let invoices = finding(&report, "pg-rls-enabled", "public.invoices");
    let message = invoices["message"].as_str().unwrap_or("");
    assert!(message.contains("maintenance"), "{message}");
}

#[test]
fn fold_matches_postgres_demo() {
    let root = fixture("demo");
    assert!(root.join("db/migrations").is_dir());
    compare_repo_at("demo");
}

pub(crate) fn compare_repo_at(rel: &str) {
    compare_repo(&format!("../{rel}"));
}

/// The policy semantics the checks rely on, observed on PostgreSQL itself: a `FOR ALL` policy
/// without WITH CHECK checks new rows with its USING; an `INSERT` policy without WITH CHECK
/// refuses every insert; `USING (true)` shows every tenant's rows.
#[test]
fn policy_semantics_the_checks_assume_hold_on_postgres() {
    let server = PgServer::start();
    server.exec(
        "postgres",
        "CREATE ROLE app; \
         CREATE TABLE a (tenant_id int); CREATE TABLE b (tenant_id int); CREATE TABLE c (tenant_id int); \
         INSERT INTO c VALUES (1), (2); \
         ALTER TABLE a ENABLE ROW LEVEL SECURITY; ALTER TABLE b ENABLE ROW LEVEL SECURITY; \
         ALTER TABLE c ENABLE ROW LEVEL SECURITY; \
         GRANT ALL ON a, b, c TO app; \
         CREATE POLICY a_all ON a FOR ALL TO app USING (tenant_id = current_setting('app.tenant_id')::int); \
         CREATE POLICY b_ins ON b FOR INSERT TO app; \
         CREATE POLICY c_open ON c FOR SELECT TO app USING (true);",
    );
    let as_app = |sql: &str| {
        server.query(
            "postgres",
            &format!("SET app.tenant_id = '1'; SET ROLE app; {sql}"),
        )
    };
    // FOR ALL without WITH CHECK: USING checks the new row (tenant 1 ok).
    assert_eq!(
        as_app("INSERT INTO a VALUES (1) RETURNING tenant_id"),
        vec![vec!["1".to_owned()]]
    );
    let refused = |sql: &str| {
        std::process::Command::new(crate::pg_server::psql_path())
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &server.port.to_string(),
                "-U",
                "postgres",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args([
                "-d",
                "postgres",
                "-c",
                &format!("SET app.tenant_id = '1'; SET ROLE app; {sql}"),
            ])
            .output()
            .is_ok_and(|o| {
                String::from_utf8_lossy(&o.stderr).contains("violates row-level security policy")
            })
    };
    // … and refuses another tenant's row.
    assert!(refused("INSERT INTO a VALUES (2)"));
    // INSERT policy without WITH CHECK: every insert is refused.
    assert!(refused("INSERT INTO b VALUES (1)"));
    // USING (true): both tenants' rows are visible.
    assert_eq!(as_app("SELECT count(*) FROM c"), vec![vec!["2".to_owned()]]);
}
