use super::*;

fn vocabulary(toml: &str) -> Vocabulary {
    let settings: crate::settings::Settings = toml::from_str(toml).expect("settings");
    Vocabulary::new(
        "orders",
        &["tenant_id".to_owned()],
        &settings.resolve().expect("resolves").postgres,
    )
}

fn defaults() -> Vocabulary {
    vocabulary("")
}

#[track_caller]
fn restricted(v: &Vocabulary, expr: &str) -> Vec<String> {
    match v.judge(expr) {
        Ok(Outcome::Restricted(notes)) => notes,
        other => panic!("`{expr}` should restrict by tenant, got {other:?}"),
    }
}

#[track_caller]
fn open_branch(v: &Vocabulary, expr: &str) -> Branch {
    match v.judge(expr) {
        Ok(Outcome::Open(b)) => b,
        other => panic!("`{expr}` should be open, got {other:?}"),
    }
}

#[test]
fn tenant_keys_on_declared_settings_and_functions_restrict() {
    let v = defaults();
    for expr in [
        "tenant_id = current_setting('app.tenant_id')::uuid",
        "current_setting('app.tenant_id')::uuid = tenant_id",
        "tenant_id = CAST(current_setting('app.tenant_id', true) AS uuid)",
        // PostgreSQL's own rendering (pg_policies.qual).
        "(tenant_id = (current_setting('app.tenant_id'::text))::uuid)",
        "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid",
        "\"tenant_id\" = (auth.jwt() ->> 'tenant_id')::uuid",
        "tenant_id = (SELECT auth.uid())",
        "tenant_id::text = current_setting('request.jwt.claims', true)::json ->> 'org_id'",
        "tenant_id = ANY (current_setting('app.tenant_id')::uuid[])",
        "tenant_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = auth.uid())",
        "tenant_id = ANY (ARRAY(SELECT m.tenant_id FROM memberships m WHERE m.user_id = auth.uid()))",
        "tenant_id = (SELECT u.tenant_id FROM users u WHERE u.id = current_setting('app.user_id')::uuid)",
        "EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = orders.tenant_id AND m.user_id = auth.uid())",
        "tenant_id = current_setting('app.tenant_id')::uuid AND status <> 'deleted'",
        "(tenant_id = current_setting('app.tenant_id')::uuid OR tenant_id = (auth.jwt() ->> 'org')::uuid)",
        "false",
    ] {
        restricted(&v, expr);
    }
}

#[test]
fn the_issues_leaks_are_open_and_quoted() {
    let v = defaults();
    let b = open_branch(
        &v,
        "tenant_id IS NOT NULL OR current_setting('app.tenant_id') IS NOT NULL",
    );
    assert_eq!(b.text, "tenant_id IS NOT NULL");
    assert!(b.why.contains("IS NOT NULL"), "{b:?}");

    let b = open_branch(&v, "tenant_id = current_setting('app.user_id')::uuid");
    assert!(
        b.why.contains("app.user_id") && b.why.contains("user, not its tenant"),
        "{b:?}"
    );
    // Not declared at all: the message names the key and the configured ones.
    let v2 = vocabulary("[postgres]\nuser_settings = []\n");
    let b = open_branch(&v2, "tenant_id = current_setting('app.user_id')::uuid");
    assert!(
        b.why.contains("`app.user_id`") && b.why.contains("tenant_settings: app.tenant_id"),
        "{b:?}"
    );

    let b = open_branch(&v, "tenant_id = '00000000-0000-0000-0000-000000000001'");
    assert!(b.why.contains("constant"), "{b:?}");
    let b = open_branch(&v, "true");
    assert!(b.why.contains("every row"), "{b:?}");
    let b = open_branch(&v, "project_id = current_setting('app.tenant_id')::uuid");
    assert!(b.why.contains("not a tenant column"), "{b:?}");
    let b = open_branch(&v, "tenant_id = tenant_id");
    assert!(b.why.contains("not the session's tenant"), "{b:?}");
    let b = open_branch(
        &v,
        "tenant_id = current_setting('app.tenant_id')::uuid OR 1 = 1",
    );
    assert_eq!(b.text, "1 = 1");
    let b = open_branch(
        &v,
        "NOT (tenant_id <> current_setting('app.tenant_id')::uuid)",
    );
    assert!(b.why.contains("negates"), "{b:?}");
}

#[test]
fn functions_are_recognised_by_declaration_not_by_name() {
    let v = defaults();
    let b = open_branch(&v, "tenant_id = app.current_tenant()");
    assert!(b.why.contains("`app.current_tenant()`"), "{b:?}");
    let b = open_branch(&v, "basejump.has_role_on_account(account_id)");
    assert!(b.why.contains("not a declared tenant function"), "{b:?}");
    let declared = Vocabulary::new(
        "orders",
        &["account_id".to_owned()],
        &toml::from_str::<crate::settings::Settings>(
            "[postgres]\ntenant_functions = [\"basejump.has_role_on_account\", \"app.current_tenant\"]\n",
        )
        .unwrap()
        .resolve()
        .unwrap()
        .postgres,
    );
    restricted(&declared, "basejump.has_role_on_account(account_id)");
    restricted(&declared, "basejump.has_role_on_account(account_id) = true");
    restricted(&declared, "account_id = app.current_tenant()");
    let b = open_branch(&declared, "basejump.has_role_on_account(id)");
    assert!(b.why.contains("not a tenant column"), "{b:?}");
}

#[test]
fn subselects_must_themselves_be_keyed_on_the_session() {
    let v = defaults();
    let b = open_branch(&v, "tenant_id IN (SELECT id FROM tenants)");
    assert!(b.why.contains("not the session's tenant"), "{b:?}");
    open_branch(
        &v,
        "tenant_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = auth.uid() OR m.public)",
    );
    // Unqualified outer column inside EXISTS means the subselect's own column.
    let b = open_branch(
        &v,
        "EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = tenant_id AND m.user_id = auth.uid())",
    );
    assert!(b.why.contains("orders.<tenant column>"), "{b:?}");
}

#[test]
fn user_scoped_policies_pass_and_say_so() {
    let v = defaults();
    let notes = restricted(&v, "user_id = auth.uid()");
    assert!(notes.iter().any(|n| n.contains("user-scoped")), "{notes:?}");
    restricted(&v, "owner_id = current_setting('app.user_id')::uuid");
    let none = vocabulary("[postgres]\nuser_columns = []\n");
    open_branch(&none, "user_id = auth.uid()");
}

#[test]
fn session_switches_are_bypasses_unless_declared_break_glass() {
    let v = defaults();
    let b = open_branch(&v, "current_setting('app.bypass_rls', true)::text = 'on'");
    assert_eq!(b.bypass.as_deref(), Some("the setting `app.bypass_rls`"));
    let b = open_branch(
        &v,
        "tenant_id = current_setting('app.tenant_id')::uuid OR current_setting('app.bypass_rls', true)::boolean",
    );
    assert!(b.bypass.is_some(), "{b:?}");
    let b = open_branch(&v, "auth.role() = 'service_role'");
    assert_eq!(b.bypass.as_deref(), Some("`auth.role()`"));
    let glass = vocabulary("[postgres]\nbreak_glass = [\"app.bypass_*\", \"auth.role()\"]\n");
    let notes = restricted(
        &glass,
        "tenant_id = current_setting('app.tenant_id')::uuid OR current_setting('app.bypass_rls', true) = 'on'",
    );
    assert!(notes.iter().any(|n| n.contains("break-glass")), "{notes:?}");
    restricted(&glass, "auth.role() = 'service_role'");
}

/// A declared break-glass setting is accepted but never proven safe: PostgreSQL lets any
/// session SET a custom setting (tested live in `pg_policy_oracle`), so the verdict says so.
#[test]
fn an_accepted_break_glass_setting_is_reported_as_settable_by_the_session() {
    let glass =
        vocabulary("[postgres]\nbreak_glass = [\"app.bypass_rls\", \"is_super_admin()\"]\n");
    let notes = restricted(
        &glass,
        "tenant_id = current_setting('app.tenant_id')::uuid OR current_setting('app.bypass_rls', true) = 'on'",
    );
    assert!(
        notes.iter().any(|n| n.contains("settable by the session")
            && n.contains("`current_setting('app.bypass_rls', true) = 'on'`")),
        "{notes:?}"
    );
    let notes = restricted(&glass, "is_super_admin()");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("does not judge who can make `is_super_admin()` true")),
        "{notes:?}"
    );
}

/// FN1/FN2 of the corpus (supabase-dump-orgs): `WITH CHECK (user_id = auth.uid())` on a table
/// with its own tenant column lets a user write a row into any organization.
#[test]
fn a_user_scoped_write_check_leaves_the_tenant_column_free_unless_bound() {
    let free = Vocabulary::new(
        "organization_access_log",
        &["organization_id".to_owned()],
        &crate::resolve::PostgresOptions::default(),
    )
    .with_user_scope(UserScope::LeavesTenantFree {
        tenant_columns: vec!["organization_id".to_owned()],
        read_by: "Admins can view organization audit logs".to_owned(),
    });
    let b = open_branch(&free, "user_id = auth.uid()");
    assert_eq!(b.text, "user_id = auth.uid()");
    assert!(
        b.why
            .contains("leaves the tenant column `organization_id` free")
            && b.why
                .contains("through policy `Admins can view organization audit logs`"),
        "{b:?}"
    );
    // Restricting the tenant column too is enough.
    restricted(
        &free,
        "user_id = auth.uid() AND organization_id = current_setting('app.tenant_id')::uuid",
    );
    // Bound (a composite foreign key, or declared): user-scoped, and the evidence says why.
    let bound = defaults().with_user_scope(UserScope::Isolates(Some(
        "declared by [postgres] single_tenant_users = true".to_owned(),
    )));
    let notes = restricted(&bound, "auth.uid() = user_id");
    assert!(
        notes.iter().any(|n| n.contains("single_tenant_users")),
        "{notes:?}"
    );
}

/// A 30,000-term AND chain parses into a tree 60,000 levels deep; rendering or dropping it
/// overflowed the stack (vouch aborted, exit 134). It is refused before parsing, on a thread
/// with a stack smaller than the scanner's worker threads.
#[test]
fn a_huge_chain_is_refused_not_a_stack_overflow() {
    let chain = vec!["tenant_id = current_setting('app.tenant_id')::uuid"; 30_000].join(" AND ");
    let deep = format!("{}true{}", "(".repeat(5_000), ")".repeat(5_000));
    let limit_chain = vec!["a = 1"; depth::MAX_NESTING / 2 - 5].join(" OR ");
    let verdicts = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let v = defaults();
            (v.judge(&chain), v.judge(&deep), v.judge(&limit_chain))
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(verdicts.0, Err(Unjudged::TooDeep));
    assert_eq!(verdicts.1, Err(Unjudged::TooDeep));
    assert!(
        matches!(verdicts.2, Ok(Outcome::Open(_))),
        "{:?}",
        verdicts.2
    );
}

#[test]
fn unreadable_text_is_unjudged() {
    let v = defaults();
    assert!(matches!(
        v.judge("tenant_id = = 1"),
        Err(Unjudged::Unreadable(_))
    ));
    assert!(matches!(
        v.judge("tenant_id = 1 garbage"),
        Err(Unjudged::Unreadable(_))
    ));
}

/// `endpoint.app_id -> application.org_id`: the vocabulary of `endpoint`, whose only tenant
/// link is its parent `public.application`.
fn endpoint() -> Vocabulary {
    let settings = crate::resolve::PostgresOptions::default();
    let application = Vocabulary::new("application", &["org_id".to_owned()], &settings);
    Vocabulary::new("endpoint", &[], &settings).with_link(Link::new(
        "app_id",
        "public.application",
        Some("id"),
        application,
    ))
}

#[test]
fn a_tenant_path_policy_must_restrict_the_parent_to_the_session_tenant() {
    let v = endpoint();
    for expr in [
        "app_id IN (SELECT id FROM application WHERE org_id = current_setting('app.tenant_id')::uuid)",
        "app_id IN (SELECT a.id FROM public.application a WHERE a.org_id = auth.uid())",
        "app_id = (SELECT id FROM application WHERE org_id = current_setting('app.tenant_id')::uuid)",
        "EXISTS (SELECT 1 FROM application a WHERE a.id = endpoint.app_id AND a.org_id = current_setting('app.tenant_id')::uuid)",
        // PostgreSQL's rendering of the first one (pg_policies.qual).
        "(app_id IN ( SELECT application.id FROM application WHERE (application.org_id = (current_setting('app.tenant_id'::text))::uuid)))",
    ] {
        let notes = restricted(&v, expr);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("app_id -> public.application")),
            "{expr}: {notes:?}"
        );
    }
    for (expr, why) in [
        (
            "app_id IN (SELECT id FROM application WHERE org_id = current_setting('app.user_id')::uuid)",
            "which carries the session's user",
        ),
        ("app_id IN (SELECT id FROM application)", "has no condition"),
        (
            "app_id IN (SELECT id FROM application WHERE org_id IS NOT NULL)",
            "IS NOT NULL",
        ),
        (
            "app_id IN (SELECT id FROM application WHERE name = current_setting('app.tenant_id'))",
            "not a tenant column",
        ),
        (
            "app_id IN (SELECT org_id FROM application WHERE org_id = current_setting('app.tenant_id')::uuid)",
            "selects something other",
        ),
        (
            "app_id IN (SELECT a.id FROM application a JOIN application b ON b.id = a.id WHERE b.org_id = auth.uid())",
            "does not read `public.application` alone",
        ),
        (
            "EXISTS (SELECT 1 FROM application a WHERE a.id = app_id AND a.org_id = auth.uid())",
            "not tied to this row",
        ),
        (
            "app_id = current_setting('app.tenant_id')::int",
            "not a tenant column",
        ),
    ] {
        let b = open_branch(&v, expr);
        assert!(b.why.contains(why), "{expr}: {b:?}");
    }
}
