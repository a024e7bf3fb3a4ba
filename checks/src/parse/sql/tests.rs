//! Fold tests: SQL in, schema state out.

use super::*;
use crate::facts::pg::Database;

fn db(files: &[(&str, &str)]) -> Database {
    let parsed: Vec<ParsedFile> = files.iter().map(|(p, s)| parse_file(p, s)).collect();
    fold("migrations:test", &parsed)
}

#[test]
fn folds_rls_policies_owner_and_grants() {
    let d = db(&[
        (
            "m/001.sql",
            "CREATE TABLE Orders (id uuid, \"tenantId\" uuid REFERENCES tenants(id));\n\
             ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\
             ALTER TABLE orders FORCE ROW LEVEL SECURITY;\n\
             CREATE POLICY iso ON orders FOR ALL TO app_user USING (\"tenantId\" = current_setting('app.tenant_id')::uuid);\n\
             GRANT ALL ON orders TO app_user;\n\
             REVOKE TRUNCATE, REFERENCES, TRIGGER ON orders FROM app_user;\n",
        ),
        (
            "m/002.sql",
            "INSERT INTO orders VALUES (1);\nALTER TABLE orders OWNER TO migrator;\nALTER TABLE orders DISABLE ROW LEVEL SECURITY;\n",
        ),
    ]);
    let t = &d.tables[0];
    assert_eq!(t.qualified_name(), "public.orders");
    assert_eq!(t.columns, vec!["id", "tenantId"]);
    assert_eq!(t.foreign_keys[0].references, "public.tenants");
    assert!(!t.rls_enabled);
    assert!(t.rls_forced);
    assert_eq!(t.rls_location, Some(Location::file("m/002.sql", 3)));
    assert_eq!(t.owner.as_deref(), Some("migrator"));
    assert_eq!(t.policies[0].roles, vec!["app_user"]);
    let mut privs: Vec<&str> = t.grants.iter().map(|g| g.privilege.as_str()).collect();
    privs.sort_unstable();
    assert_eq!(privs, vec!["DELETE", "INSERT", "SELECT", "UPDATE"]);
    assert_eq!(d.parse_stats.statements, 9);
    assert_eq!(d.parse_stats.skipped, 1);
    assert_eq!(d.parse_stats.parsed, 8);
}

#[test]
fn folds_roles_membership_and_default_privileges() {
    let d = db(&[(
        "001.sql",
        "CREATE ROLE admin WITH BYPASSRLS NOLOGIN;\n\
         CREATE ROLE app_user LOGIN;\n\
         GRANT admin TO app_user;\n\
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app_user;\n\
         CREATE TABLE a (id int);\n\
         ALTER ROLE app_user SUPERUSER;\n",
    )]);
    let app = d.roles.iter().find(|r| r.name == "app_user").unwrap();
    assert_eq!(app.member_of, vec!["admin"]);
    assert!(app.superuser && app.login);
    assert_eq!(app.attributes_location, Some(Location::file("001.sql", 6)));
    assert_eq!(d.tables[0].grants[0].privilege, "SELECT");
}

#[test]
fn like_copies_columns_and_drop_function_removes() {
    let d = db(&[(
        "001.sql",
        "CREATE TABLE orders (id int, tenant_id uuid);\n\
         CREATE TABLE orders_archive (LIKE orders);\n\
         CREATE TABLE orders_copy (LIKE orders INCLUDING ALL);\n\
         CREATE FUNCTION f() RETURNS int SECURITY DEFINER AS $$ SELECT 1 $$ LANGUAGE sql;\n\
         DROP FUNCTION IF EXISTS f();\n",
    )]);
    let archive = d
        .tables
        .iter()
        .find(|t| t.name == "orders_archive")
        .unwrap();
    assert_eq!(archive.columns, vec!["id", "tenant_id"]);
    assert!(d.functions.is_empty());
    // sqlparser 0.63 does not parse LIKE … INCLUDING: kept as an unparsed CREATE TABLE, so
    // pg-rls-enabled reports `error` for it rather than missing the table.
    assert_eq!(d.unparsed[0].creates.as_deref(), Some("public.orders_copy"));
}

#[test]
fn set_role_makes_that_role_the_owner_of_new_tables() {
    let d = db(&[
        (
            "001.sql",
            "SET ROLE app_user;\nCREATE TABLE a (id int);\nRESET ROLE;\nCREATE TABLE b (id int);\n",
        ),
        ("002.sql", "CREATE TABLE c (id int);\n"),
    ]);
    let owner = |n: &str| d.tables.iter().find(|t| t.name == n).unwrap().owner.clone();
    assert_eq!(owner("a").as_deref(), Some("app_user"));
    assert_eq!(owner("b"), None);
    assert_eq!(
        owner("c"),
        None,
        "SET ROLE lasts for its file's session only"
    );
}

#[test]
fn renames_drops_and_search_path() {
    let d = db(&[(
        "001.sql",
        "SET search_path = billing;\nCREATE TABLE inv (org_id int);\nALTER TABLE inv RENAME TO invoices;\n\
         CREATE TABLE tmp (id int);\nDROP TABLE tmp;\n\
         CREATE POLICY p ON invoices USING (true);\nALTER POLICY p ON invoices RENAME TO q;\n",
    )]);
    assert_eq!(d.tables.len(), 1);
    assert_eq!(d.tables[0].qualified_name(), "billing.invoices");
    assert_eq!(d.tables[0].policies[0].name, "q");
}

#[test]
fn every_way_postgresql_removes_a_function_search_path_unpins_it() {
    // PostgreSQL: `RESET ALL`, `SET search_path TO DEFAULT` and `RESET search_path` remove the
    // function-local setting; `ALTER ROUTINE` alters functions as ALTER FUNCTION does.
    let pinned = |name: &str| {
        format!(
            "CREATE FUNCTION {name}() RETURNS uuid LANGUAGE sql SECURITY DEFINER \
             SET search_path = '' AS $$ SELECT NULL::uuid $$;\n"
        )
    };
    let mut sql = String::new();
    for name in ["a", "b", "c", "d", "e"] {
        sql.push_str(&pinned(name));
    }
    sql.push_str(
        "ALTER FUNCTION a() RESET ALL;\n\
         ALTER FUNCTION b() SET search_path TO DEFAULT;\n\
         ALTER FUNCTION c() STABLE SET search_path = DEFAULT;\n\
         ALTER FUNCTION d() SET search_path = \"default\";\n\
         ALTER ROUTINE e() RESET search_path;\n",
    );
    let d = db(&[("001.sql", &sql)]);
    let path = |name: &str| {
        d.functions
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .search_path
            .clone()
    };
    assert_eq!(path("a"), None);
    assert_eq!(path("b"), None);
    assert_eq!(path("c"), None);
    assert_eq!(
        path("d").as_deref(),
        Some("\"default\""),
        "a schema named default"
    );
    // Not read, but kept: the function's search_path cannot be proven.
    assert_eq!(d.unparsed.len(), 1, "{:?}", d.unparsed);
    assert!(
        d.unparsed[0].mentions.contains(&"e".to_owned()),
        "{:?}",
        d.unparsed
    );
    assert_eq!(d.unparsed[0].topics, vec!["function"]);
}

#[test]
fn predefined_all_data_roles_grant_every_table() {
    let d = db(&[(
        "001.sql",
        "CREATE ROLE app LOGIN;\nCREATE TABLE flags (name text);\n\
         GRANT pg_read_all_data TO app;\nCREATE TABLE later (id int);\n",
    )]);
    for t in &d.tables {
        let g: Vec<_> = t
            .grants
            .iter()
            .map(|g| (g.grantee.as_str(), g.privilege.as_str()))
            .collect();
        assert_eq!(g, vec![("pg_read_all_data", "SELECT")], "{}", t.name);
        assert_eq!(t.grants[0].location, Location::file("001.sql", 3));
    }
    let revoked = db(&[(
        "001.sql",
        "CREATE ROLE app LOGIN;\nCREATE TABLE flags (name text);\n\
         GRANT pg_write_all_data TO app;\nREVOKE pg_write_all_data FROM app;\n",
    )]);
    assert!(revoked.tables[0].grants.is_empty());
}

#[test]
fn triggers_functions_and_unparsed() {
    let d = db(&[(
        "001.sql",
        "CREATE TABLE audit_log (id int);\n\
         CREATE FUNCTION forbid() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'append-only'; END $$;\n\
         CREATE TRIGGER no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION forbid();\n\
         CREATE FUNCTION whoami() RETURNS text SECURITY DEFINER AS $$ SELECT 1 $$ LANGUAGE sql;\n\
         DO $$ BEGIN EXECUTE 'ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY'; END $$;\n\
         ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;\n",
    )]);
    let t = &d.tables[0];
    assert_eq!(t.triggers[0].function, "public.forbid");
    assert_eq!(t.triggers[0].events, vec!["update", "delete"]);
    assert!(t.triggers[0].for_each_row);
    let forbid = d.functions.iter().find(|f| f.name == "forbid").unwrap();
    assert!(forbid.raises && !forbid.security_definer);
    let who = d.functions.iter().find(|f| f.name == "whoami").unwrap();
    assert!(who.security_definer && who.search_path.is_none());
    // The DO block's EXECUTE of a constant is read as the statement it holds.
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    assert!(
        t.rls_enabled,
        "the statement after the DO block is still folded"
    );
}

fn topics_of(d: &Database) -> Vec<Vec<String>> {
    d.unparsed.iter().map(|u| u.topics.clone()).collect()
}

#[test]
fn statements_that_change_nothing_judged_leave_no_unparsed_record() {
    let d = db(&[(
        "001.sql",
        "CREATE TABLE orders (tenant_id uuid);\n\
         GRANT EXECUTE ON FUNCTION public.slugify(slug text, name text) TO authenticated;\n\
         REVOKE ALL ON FUNCTION public.f(a integer, b text) FROM PUBLIC;\n\
         ALTER TYPE public.account_role OWNER TO postgres;\n\
         DO $$ BEGIN\n  CREATE TYPE account_role AS ENUM ('owner', 'member');\n\
         EXCEPTION WHEN duplicate_object THEN null;\nEND $$;\n\
         -- grant everything to the role owner; revoke nothing\n\
         COMMENT ON TABLE orders IS 'owner to role user grant';\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    assert_eq!(d.parse_stats.unparsed, 0);
}

#[test]
fn psql_variables_are_names_not_unreadable_statements() {
    let d = db(&[(
        "001.sql",
        "CREATE TABLE orders (tenant_id uuid);\n\
         GRANT ALL ON TABLE orders TO :DATABASE_OWNER;\n\
         GRANT SELECT ON TABLE orders TO :\"DATABASE_VISITOR\";\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    let grantees: Vec<&str> = d.tables[0]
        .grants
        .iter()
        .map(|g| g.grantee.as_str())
        .collect();
    assert!(grantees.contains(&":DATABASE_OWNER"), "{grantees:?}");
    assert!(grantees.contains(&":DATABASE_VISITOR"), "{grantees:?}");
}

#[test]
fn do_blocks_are_read_statement_by_statement() {
    let d = db(&[(
        "001.sql",
        "CREATE TABLE orders (tenant_id uuid);\n\
         DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN\n\
             CREATE ROLE app WITH LOGIN BYPASSRLS;\n  END IF;\n\
           CREATE POLICY everyone ON orders USING (true);\nEND\n$$;\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    let app = d.roles.iter().find(|r| r.name == "app").expect("role app");
    assert!(app.bypassrls && app.login);
    assert_eq!(app.location, Location::file("001.sql", 5));
    let p = &d.tables[0].policies[0];
    assert_eq!(p.using.as_deref(), Some("true"));
    assert_eq!(p.location, Location::file("001.sql", 7));
}

#[test]
fn unreadable_statements_taint_only_what_they_name_and_later_statements_decide_again() {
    let d = db(&[(
        "001.sql",
        "CREATE TABLE orders (tenant_id uuid);\nCREATE TABLE notes (tenant_id uuid);\n\
         ALTER TABLE orders ENABLE ROW LEVEL SECURITY, weird syntax here;\n\
         DO $$ BEGIN EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', v_table); END $$;\n\
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n",
    )]);
    assert_eq!(d.unparsed.len(), 2, "{:?}", d.unparsed);
    let targeted = &d.unparsed[0];
    assert!(targeted.targeted);
    assert_eq!(targeted.mentions, vec!["orders", "public.orders"]);
    assert_eq!(targeted.topics, vec!["rls"]);
    let dynamic = &d.unparsed[1];
    assert!(dynamic.mentions.is_empty() && !dynamic.targeted);
    assert_eq!(dynamic.topics, vec!["rls"]);
    assert!(
        dynamic
            .decided_later
            .contains(&"rls:public.notes".to_owned()),
        "{:?}",
        dynamic.decided_later
    );
    assert!(
        !dynamic
            .decided_later
            .contains(&"rls:public.orders".to_owned())
    );
    assert_eq!(topics_of(&d).len(), 2);
}

#[test]
fn an_unreadable_owner_change_names_the_new_owner() {
    // PostgreSQL runs this (`SET WITHOUT CLUSTER` is what sqlparser does not read): `api` owns
    // `notes` afterwards, so the role checks must find the statement by the role's name.
    let d = db(&[(
        "001.sql",
        "CREATE TABLE notes (workspace_id uuid);\nALTER TABLE notes SET WITHOUT CLUSTER, OWNER TO api;\n\
         ALTER TABLE notes SET WITHOUT CLUSTER, OWNER TO CURRENT_USER;\n",
    )]);
    assert_eq!(d.unparsed.len(), 2, "{:?}", d.unparsed);
    let named = &d.unparsed[0];
    assert!(named.targeted);
    assert_eq!(named.mentions, vec!["api", "notes", "public.notes"]);
    assert_eq!(named.topics, vec!["owner"]);
    // An owner known only when the migration runs: untargeted, every word kept.
    let current = &d.unparsed[1];
    assert!(!current.targeted, "{current:?}");
    assert!(current.mentions.contains(&"notes".to_owned()));
}

#[test]
fn a_call_of_a_function_that_changes_rls_is_recorded_at_the_call() {
    let d = db(&[
        (
            "001.sql",
            "CREATE TABLE orders (tenant_id uuid);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\
             CREATE FUNCTION open_up() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  ALTER TABLE orders DISABLE ROW LEVEL SECURITY;\nEND $$;\n",
        ),
        (
            "002.sql",
            "SELECT open_up();\nSELECT count(*) FROM orders;\n",
        ),
    ]);
    assert!(
        d.tables[0].rls_enabled,
        "defining the function runs nothing"
    );
    assert_eq!(d.unparsed.len(), 1, "{:?}", d.unparsed);
    let u = &d.unparsed[0];
    assert_eq!(u.location, Location::file("002.sql", 1));
    assert_eq!(u.topics, vec!["rls"]);
    assert!(u.mentions.contains(&"public.orders".to_owned()));
    assert!(u.excerpt.contains("runs public.open_up"), "{}", u.excerpt);
}

#[test]
fn gexec_and_standard_conforming_strings_are_not_blind_spots() {
    let d = db(&[(
        "001.sql",
        "CREATE TABLE orders (tenant_id uuid);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\
         SELECT format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', tablename) FROM pg_tables \\gexec\n\
         SET standard_conforming_strings = off;\n\
         SELECT 'x\\'';\nALTER TABLE orders FORCE ROW LEVEL SECURITY;\nSELECT '';\n\
         RESET standard_conforming_strings;\n",
    )]);
    assert_eq!(d.unparsed.len(), 1, "{:?}", d.unparsed);
    assert_eq!(d.unparsed[0].location, Location::file("001.sql", 3));
    assert!(d.tables[0].rls_forced, "the ALTER after 'x\\'' runs");
}

#[test]
fn a_do_body_under_standard_conforming_strings_off_is_unread_however_quoted() {
    // On PostgreSQL 15 each body disables RLS while a reader with the setting on would miss it:
    // - quoted with `'…'`: the body is `BEGIN ALTER TABLE … ; RAISE NOTICE '%', 1; …`, but read
    //   without backslash escapes it ends at `\'`, and the longest fragment (no ALTER) stands
    //   for it;
    // - quoted with `$$`: PL/pgSQL reads the body's own strings with the session's setting, so
    //   `'x\''` is `x'` and the ALTER runs, where a reader with it on sees it inside a string.
    for body in [
        "'BEGIN ALTER TABLE orders DISABLE ROW LEVEL SECURITY; RAISE NOTICE \\'%\\', 1; \
         RAISE NOTICE ''a notice long enough to be the longest fragment of this statement, by far''; END'",
        "$$ BEGIN RAISE NOTICE 'x\\''; ALTER TABLE orders DISABLE ROW LEVEL SECURITY; \
         RAISE NOTICE 'y\\''; END $$",
    ] {
        let d = db(&[(
            "001.sql",
            &format!(
                "CREATE TABLE orders (tenant_id uuid);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\
                 SET standard_conforming_strings = off;\nDO {body};\n\
                 RESET standard_conforming_strings;\n"
            ),
        )]);
        assert_eq!(d.unparsed.len(), 1, "{body}: {:?}", d.unparsed);
        assert_eq!(
            d.unparsed[0].location,
            Location::file("001.sql", 4),
            "{body}"
        );
    }
}

#[test]
fn standard_conforming_strings_changed_other_than_by_set_is_unread() {
    // After set_config() turns the setting off, PostgreSQL ends `'x\''` after `x'` and runs the
    // ALTER; read with the setting on, the ALTER sits inside one string to `'y\''`.
    for changed in [
        "SELECT set_config('standard_conforming_strings', 'off', false);",
        "ALTER DATABASE app SET standard_conforming_strings = off;",
        "ALTER ROLE migrator SET standard_conforming_strings TO off;",
        // Spelled so that no text search finds the name.
        "SELECT set_config('standard_' || 'conforming_strings', 'off', false);",
        "SET U&\"standard\\005fconforming_strings\" TO off;",
        // Inside a body, which the splitter does not follow.
        "DO $$ BEGIN SET standard_conforming_strings = off; END $$;",
        "DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$;",
        "DO $$ BEGIN EXECUTE 'SET standard_conforming_strings TO off'; END $$;",
        // Until the transaction ends, which the splitter does not follow either.
        "BEGIN; SET LOCAL standard_conforming_strings = off;",
    ] {
        let d = db(&[(
            "001.sql",
            &format!(
                "CREATE TABLE orders (tenant_id uuid);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\
                 {changed}\nSELECT 'x\\''; ALTER TABLE orders DISABLE ROW LEVEL SECURITY; SELECT 'y\\'';\n"
            ),
        )]);
        assert_eq!(d.unparsed.len(), 1, "{changed}: {:?}", d.unparsed);
        assert_eq!(
            d.unparsed[0].location,
            Location::file("001.sql", 3),
            "{changed}"
        );
    }
    // The SET the splitter follows is no unread statement, nor is SHOW.
    let d = db(&[(
        "001.sql",
        "CREATE TABLE orders (tenant_id uuid);\nSET standard_conforming_strings = on;\n\
         SHOW standard_conforming_strings;\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
}

#[test]
fn a_setting_the_splitter_cannot_carry_on_is_unread() {
    // A ROLLBACK undoes the SET (the splitter keeps `off`); a file that ends with it off may
    // hand it to the next migration in the same session.
    for (sql, line) in [
        (
            "BEGIN;\nSET standard_conforming_strings = off;\nROLLBACK;\nSELECT 1;\n",
            3,
        ),
        ("SET standard_conforming_strings = of;\nSELECT 1;\n", 1),
        ("SET standard_conforming_strings TO f;\nSELECT 1;\n", 1),
    ] {
        let d = db(&[("001.sql", sql)]);
        assert_eq!(d.unparsed.len(), 1, "{sql}: {:?}", d.unparsed);
        assert_eq!(
            d.unparsed[0].location,
            Location::file("001.sql", line),
            "{sql}"
        );
    }
    // Set back on before the end: nothing unread.
    let d = db(&[(
        "001.sql",
        "SET standard_conforming_strings = no;\nSET standard_conforming_strings = t;\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
}

#[test]
fn an_unterminated_comment_makes_the_set_an_error() {
    let d = db(&[(
        "m/001.sql",
        "CREATE TABLE orders (tenant_id uuid);\n/* the rest is hidden\nALTER TABLE orders DISABLE ROW LEVEL SECURITY;\n",
    )]);
    let error = d.error.expect("an error");
    assert!(
        error.contains("m/001.sql:2: unterminated `/*` comment"),
        "{error}"
    );
}

#[test]
fn truncated_input_never_panics() {
    // Every prefix of realistic files: unterminated quotes, dollar bodies, COPY data, comments.
    let files = [
        include_str!("../../../../fixtures/repos/pg-dump/db/schema.sql"),
        include_str!(
            "../../../../fixtures/repos/pg-supabase/supabase/migrations/20240112141500_policies.sql"
        ),
    ];
    for text in files {
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                let _ = parse_file("x.sql", &text[..cut]);
            }
            cut += 7;
        }
    }
}

#[test]
fn after_triggers_with_literal_arguments_are_read_and_before_ones_stay_unparsed() {
    // Graphile Starter's and Supabase's dumps pass literal arguments to trigger functions;
    // sqlparser 0.63 cannot read them (fixtures/third_party/migrations, parse coverage).
    let d = db(&[(
        "001.sql",
        "CREATE TABLE user_emails (id int, user_id int);\n\
         CREATE TRIGGER _500_audit_added AFTER INSERT ON user_emails FOR EACH ROW EXECUTE FUNCTION app_private.tg__add_audit_job('added_email', 'user_id', 'id', 'email');\n\
         CREATE TRIGGER handle_updated_at BEFORE UPDATE ON user_emails FOR EACH ROW EXECUTE FUNCTION moddatetime('updated_at');\n",
    )]);
    let t = &d.tables[0];
    assert_eq!(t.triggers.len(), 1, "{:?}", t.triggers);
    assert_eq!(t.triggers[0].function, "app_private.tg__add_audit_job");
    assert_eq!(t.triggers[0].timing, "after");
    // The BEFORE trigger's argument may switch a guard: still `cannot prove`, never guessed.
    assert_eq!(d.unparsed.len(), 1, "{:?}", d.unparsed);
    assert!(d.unparsed[0].excerpt.contains("handle_updated_at"));
    assert_eq!(d.parse_stats.unparsed, 1);
}

/// `pg-rls-enabled`'s verdict on `public.orders` of a folded database.
fn rls_enabled_verdict(d: Database) -> (crate::Status, String) {
    let facts = crate::Facts {
        postgres: vec![d],
        ..crate::Facts::default()
    };
    let options = facts.settings.resolve().unwrap();
    let cx = crate::Context::new(&facts, &options);
    let findings =
        crate::registry::run_one(&crate::rules::postgres::pg_rls_enabled::PgRlsEnabled, &cx);
    let f = findings
        .into_iter()
        .find(|f| f.subject == "public.orders")
        .expect("a finding on public.orders");
    (f.status, f.message)
}

#[test]
fn a_body_in_an_escape_string_is_read_whole_and_unescaped() {
    // `E'…'`: `\'` is a quote inside the body. Read with the plain-string rule, the body was
    // cut at the first `\'` and a longer decoy span between two escaped quotes was taken for
    // it; and a body read with its escapes kept showed `\` to the splitter, which took it for
    // a psql meta-command and dropped the rest of its line.
    let decoy = "1 + ".repeat(40);
    for body in [
        format!(
            "BEGIN ALTER TABLE orders DISABLE ROW LEVEL SECURITY; RAISE NOTICE \\'a\\'; PERFORM {decoy}1; RAISE NOTICE \\'b\\'; END"
        ),
        "BEGIN RAISE NOTICE \\'a\\'; ALTER TABLE orders DISABLE ROW LEVEL SECURITY; END".to_owned(),
    ] {
        for wrap in [
            format!("DO E'{body}';\n"),
            format!(
                "CREATE FUNCTION open_up() RETURNS void LANGUAGE plpgsql AS E'{body}';\nSELECT open_up();\n"
            ),
        ] {
            let d = db(&[(
                "001.sql",
                &format!(
                    "CREATE TABLE orders (tenant_id uuid);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n{wrap}"
                ),
            )]);
            let seen = !d.tables[0].rls_enabled
                || d.unparsed
                    .iter()
                    .any(|u| u.topics.contains(&"rls".to_owned()));
            assert!(seen, "{wrap}: {:?}", d.unparsed);
        }
    }
}

#[test]
fn a_conditional_statement_in_a_do_block_is_not_taken_as_run() {
    let guarded = "CREATE TABLE orders (tenant_id uuid);\n\
         DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'orders' AND relrowsecurity) THEN\n\
             ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n  END IF;\nEND\n$$;\n";
    let d = db(&[("001.sql", guarded)]);
    assert_eq!(d.unparsed.len(), 1, "{:?}", d.unparsed);
    let u = &d.unparsed[0];
    assert_eq!(u.topics, vec!["rls"]);
    assert!(u.targeted && u.mentions.contains(&"public.orders".to_owned()));
    assert!(u.excerpt.contains("may not run"), "{}", u.excerpt);
    assert_eq!(u.location, Location::file("001.sql", 5));
    assert_eq!(d.parse_stats.unparsed, 0, "the statement was read");
    let (status, message) = rls_enabled_verdict(d);
    assert_eq!(status, crate::Status::Error, "{message}");
    assert!(message.contains("IF NOT EXISTS"), "{message}");

    // A later unconditional statement decides it again.
    let decided = db(&[
        ("001.sql", guarded),
        ("002.sql", "ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n"),
    ]);
    assert_eq!(rls_enabled_verdict(decided).0, crate::Status::Pass);

    // Loops and exception handlers may not run either; a plain BEGIN … END block does.
    for body in [
        "FOR r IN SELECT 1 LOOP ALTER TABLE orders ENABLE ROW LEVEL SECURITY; END LOOP;",
        "PERFORM 1; EXCEPTION WHEN others THEN ALTER TABLE orders ENABLE ROW LEVEL SECURITY;",
        "CASE current_setting('app.env') WHEN 'prod' THEN ALTER TABLE orders ENABLE ROW LEVEL SECURITY; END CASE;",
    ] {
        let sql = format!("CREATE TABLE orders (tenant_id uuid);\nDO $$ BEGIN {body} END $$;\n");
        assert_eq!(
            rls_enabled_verdict(db(&[("001.sql", &sql)])).0,
            crate::Status::Error,
            "{body}"
        );
    }
    let plain = "CREATE TABLE orders (tenant_id uuid);\n\
         DO $$ BEGIN IF true THEN NULL; END IF; ALTER TABLE orders ENABLE ROW LEVEL SECURITY; END $$;\n";
    assert_eq!(
        rls_enabled_verdict(db(&[("001.sql", plain)])).0,
        crate::Status::Pass
    );
}

/// The fold never panics, whatever order, truncation or garbage the migrations hold: statements
/// drawn from the forms the fold understands (and the ones it must refuse), cut at any byte,
/// interleaved with arbitrary text, split over files. Every table it reports comes from a
/// `CREATE TABLE` in the input.
mod fold_never_panics {
    use proptest::prelude::*;

    use super::*;

    const FORMS: &[&str] = &[
        "CREATE TABLE t (id uuid, tenant_id uuid REFERENCES tenants(id));",
        "CREATE TABLE IF NOT EXISTS app.t2 (id int PRIMARY KEY, org_id int);",
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY;",
        "ALTER TABLE t FORCE ROW LEVEL SECURITY;",
        "ALTER TABLE t DISABLE ROW LEVEL SECURITY;",
        "CREATE POLICY p ON t FOR ALL TO app USING (tenant_id = current_setting('app.tenant_id')::uuid);",
        "CREATE POLICY q ON t AS RESTRICTIVE FOR SELECT USING (true OR tenant_id IS NOT NULL);",
        "DROP POLICY p ON t;",
        "GRANT ALL ON t TO app;",
        "REVOKE DELETE ON t FROM app;",
        "ALTER TABLE t OWNER TO app;",
        "ALTER TABLE t RENAME TO t3;",
        "DROP TABLE t;",
        "CREATE ROLE app WITH LOGIN BYPASSRLS;",
        "ALTER ROLE app NOBYPASSRLS;",
        "SET standard_conforming_strings = off;",
        "SELECT 'x\\'';",
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', 't'); END $$;",
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER AS $f$ SELECT 1 $f$;",
        "SELECT f();",
        "\\gexec",
        "/* unterminated",
        "-- +goose Down\nDROP TABLE t;",
        "-- +goose Up",
        "COPY t FROM stdin;\n1\n\\.",
        "E'\\\\' $tag$ $$ \" ' ;",
    ];

    fn statement() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(FORMS).prop_map(str::to_owned),
            1 => any::<String>(),
            1 => (proptest::sample::select(FORMS), any::<prop::sample::Index>())
                .prop_map(|(form, cut)| {
                    let at = cut.index(form.len() + 1);
                    form.get(..at).unwrap_or(form).to_owned()
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn on_any_migration_set(files in prop::collection::vec(
            prop::collection::vec(statement(), 0..12), 1..4)) {
            let texts: Vec<String> = files.iter().map(|f| f.join("\n")).collect();
            let parsed: Vec<ParsedFile> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| parse_file(&format!("m/{i:03}.sql"), t))
                .collect();
            let d = fold("migrations:prop", &parsed);
            let all = texts.concat().to_ascii_lowercase();
            for table in &d.tables {
                prop_assert!(all.contains("create table") || all.contains("rename"),
                    "{} appeared without a CREATE TABLE", table.qualified_name());
            }
        }
    }
}

/// A REVOKE on a table is remembered (platform grants made outside the migrations may be
/// gone), until the table is created again.
#[test]
fn revokes_on_tables_are_recorded_until_the_table_is_recreated() {
    let d = db(&[(
        "m/001.sql",
        "CREATE TABLE public.audit_log (id int);\n\
         CREATE TABLE public.notes (id int);\n\
         CREATE TABLE public.gone (id int);\n\
         REVOKE ALL ON public.audit_log FROM anon, authenticated;\n\
         REVOKE ALL ON public.gone FROM anon;\n\
         DROP TABLE public.gone;\n\
         CREATE TABLE public.gone (id int);\n\
         GRANT SELECT ON public.notes TO authenticated;\n",
    )]);
    assert_eq!(d.revoked_tables, vec!["public.audit_log"]);
}

fn role<'a>(d: &'a Database, name: &str) -> &'a crate::facts::pg::Role {
    d.roles
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("role {name} in {:?}", d.roles))
}

#[test]
fn create_user_and_create_group_are_create_role() {
    let d = db(&[(
        "001.sql",
        "CREATE USER app BYPASSRLS;\n\
         CREATE USER admin WITH SUPERUSER ENCRYPTED PASSWORD 'x';\n\
         CREATE USER batch NOLOGIN;\n\
         CREATE GROUP maint WITH BYPASSRLS USER batch, app;\n\
         CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'x');\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    let app = role(&d, "app");
    assert!(app.bypassrls && app.login && !app.undeclared);
    assert_eq!(app.member_of, vec!["maint"]);
    let admin = role(&d, "admin");
    assert!(admin.superuser && admin.login);
    assert!(!role(&d, "batch").login);
    let maint = role(&d, "maint");
    assert!(maint.bypassrls && !maint.login);
    assert_eq!(role(&d, "batch").member_of, vec!["maint"]);
}

#[test]
fn alter_group_adds_and_drops_members_as_grant_and_revoke_do() {
    let d = db(&[(
        "001.sql",
        "CREATE ROLE maint NOLOGIN BYPASSRLS;\n\
         CREATE ROLE app LOGIN;\n\
         CREATE ROLE other LOGIN;\n\
         ALTER GROUP maint ADD USER app, other;\n\
         ALTER GROUP maint DROP USER other;\n\
         ALTER USER other WITH BYPASSRLS;\n\
         ALTER GROUP maint RENAME TO maintenance;\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    assert_eq!(role(&d, "app").member_of, vec!["maint"]);
    assert!(role(&d, "other").member_of.is_empty());
    assert!(role(&d, "other").bypassrls);
    assert!(role(&d, "maintenance").bypassrls);
    let dropped = db(&[(
        "001.sql",
        "CREATE GROUP g;\nCREATE ROLE h;\nDROP GROUP IF EXISTS g, h;\n",
    )]);
    assert!(dropped.roles.is_empty(), "{:?}", dropped.roles);
}

#[test]
fn create_role_membership_clauses_fold_as_postgresql_applies_them() {
    let d = db(&[(
        "001.sql",
        "CREATE ROLE maint NOLOGIN BYPASSRLS;\n\
         CREATE ROLE app LOGIN;\n\
         CREATE ROLE ops LOGIN;\n\
         CREATE ROLE a LOGIN IN ROLE maint;\n\
         CREATE ROLE b LOGIN IN GROUP maint;\n\
         CREATE ROLE grp NOLOGIN ROLE app ADMIN ops;\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    assert_eq!(role(&d, "a").member_of, vec!["maint"]);
    assert_eq!(role(&d, "b").member_of, vec!["maint"]);
    assert_eq!(role(&d, "app").member_of, vec!["grp"]);
    assert_eq!(role(&d, "ops").member_of, vec!["grp"]);
}

#[test]
fn revoking_an_option_of_a_membership_keeps_the_membership() {
    let d = db(&[(
        "001.sql",
        "CREATE ROLE maint NOLOGIN BYPASSRLS;\nCREATE ROLE app LOGIN;\nGRANT maint TO app WITH ADMIN OPTION;\n\
         REVOKE ADMIN OPTION FOR maint FROM app;\nREVOKE INHERIT OPTION FOR maint FROM app;\n",
    )]);
    assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
    assert_eq!(role(&d, "app").member_of, vec!["maint"]);
}

/// `pg-role-no-bypass`'s verdicts (subject, status) on a folded database, with
/// `runtime_roles` when given.
fn no_bypass_verdicts(d: Database, runtime_roles: Option<&[&str]>) -> Vec<(String, crate::Status)> {
    let mut facts = crate::Facts {
        postgres: vec![d],
        ..crate::Facts::default()
    };
    if let Some(roles) = runtime_roles {
        facts.settings.postgres.runtime_roles =
            Some(roles.iter().map(|r| (*r).to_owned()).collect());
    }
    let options = facts.settings.resolve().unwrap();
    let cx = crate::Context::new(&facts, &options);
    crate::registry::run_one(
        &crate::rules::postgres::pg_role_no_bypass::PgRoleNoBypass,
        &cx,
    )
    .into_iter()
    .map(|f| (f.subject, f.status))
    .collect()
}

const TENANT_TABLE: &str = "CREATE TABLE public.orders (id uuid, tenant_id uuid);\n\
     ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;\n\
     ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;\n\
     CREATE POLICY iso ON public.orders USING (tenant_id = current_setting('app.tenant')::uuid);\n\
     GRANT SELECT ON public.orders TO app;\n";

#[test]
fn a_runtime_role_created_by_create_user_with_bypassrls_fails_inferred_or_configured() {
    for attribute in ["BYPASSRLS", "SUPERUSER"] {
        for roles in [None, Some(&["app"][..])] {
            let d = db(&[(
                "001.sql",
                &format!("CREATE USER app {attribute};\n{TENANT_TABLE}"),
            )]);
            assert_eq!(
                no_bypass_verdicts(d, roles),
                vec![("app".to_owned(), crate::Status::Fail)],
                "{attribute} {roles:?}"
            );
        }
    }
}

#[test]
fn a_runtime_role_in_a_bypassrls_group_fails() {
    for setup in [
        "CREATE ROLE maint NOLOGIN BYPASSRLS;\nCREATE ROLE app LOGIN;\nALTER GROUP maint ADD USER app;\n",
        "CREATE ROLE app LOGIN;\nCREATE GROUP maint WITH BYPASSRLS USER app;\n",
    ] {
        for roles in [None, Some(&["app"][..])] {
            let d = db(&[("001.sql", &format!("{setup}{TENANT_TABLE}"))]);
            assert_eq!(
                no_bypass_verdicts(d, roles),
                vec![("app".to_owned(), crate::Status::Fail)],
                "{setup} {roles:?}"
            );
        }
    }
}

#[test]
fn an_unread_statement_about_an_inferred_role_or_its_groups_is_an_error() {
    // `SYSID` is not read: the statement stays unparsed, and it names the role.
    let d = db(&[(
        "001.sql",
        &format!("CREATE ROLE app LOGIN SYSID 7 BYPASSRLS;\n{TENANT_TABLE}"),
    )]);
    assert!(!d.unparsed.is_empty());
    assert_eq!(
        no_bypass_verdicts(d, None),
        vec![("app".to_owned(), crate::Status::Error)]
    );
    // An unread statement about a group the role is a member of.
    let d = db(&[(
        "001.sql",
        &format!(
            "CREATE ROLE app LOGIN;\nCREATE ROLE maint NOLOGIN SYSID 7 BYPASSRLS;\n\
             GRANT maint TO app;\n{TENANT_TABLE}"
        ),
    )]);
    assert!(!d.unparsed.is_empty());
    for roles in [None, Some(&["app"][..])] {
        assert_eq!(
            no_bypass_verdicts(d.clone(), roles),
            vec![("app".to_owned(), crate::Status::Error)],
            "{roles:?}"
        );
    }
}
