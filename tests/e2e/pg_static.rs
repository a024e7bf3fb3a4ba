//! Tenant isolation from SQL migrations: `vouch scan` on realistic repositories in the styles
//! of Supabase, Prisma, Flyway, Rails `structure.sql`, pg_dump and golang-migrate, each with
//! the findings it must produce (status and the file:line that decided them).

use serde_json::Value;

use crate::harness::{finding, findings, fixture, message, scan_json};

/// (check, subject, status, "path:line") for every `pg-*` finding of a scan, sorted.
fn pg_findings(report: &Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = findings(report)
        .iter()
        .filter(|f| f["check"].as_str().is_some_and(|c| c.starts_with("pg-")))
        .map(|f| {
            let loc = &f["location"];
            let at = match loc["path"].as_str() {
                Some(p) => format!("{p}:{}", loc["line"]),
                None => loc["uri"].as_str().unwrap_or("").to_owned(),
            };
            (
                f["check"].as_str().unwrap_or("").to_owned(),
                f["subject"].as_str().unwrap_or("").to_owned(),
                f["status"].as_str().unwrap_or("").to_owned(),
                at,
            )
        })
        .collect();
    out.sort();
    out
}

/// Scans `fixtures/repos/<repo>`, asserts the exit code and exactly the pg findings of `table`,
/// and returns the report. A row of `table` is `check subject status FILE:LINE`, FILE a short
/// name from `files` (the path it stands for); blank lines and `#` comments are passed over.
fn expect(repo: &str, exit: i32, files: &[(&str, &str)], table: &str) -> Value {
    let (code, report) = scan_json(&fixture(&format!("repos/{repo}")), &[]);
    let path = |name: &str| {
        let (_, path) = files
            .iter()
            .find(|(short, _)| *short == name)
            .unwrap_or_else(|| panic!("{repo}: no file named {name}"));
        *path
    };
    let mut want: Vec<(String, String, String, String)> = table
        .lines()
        .map(str::trim)
        .filter(|row| !row.is_empty() && !row.starts_with('#'))
        .map(|row| {
            let cells: Vec<&str> = row.split_whitespace().collect();
            let [check, subject, status, at] = cells[..] else {
                panic!("{repo}: a row is `check subject status FILE:LINE`: {row}")
            };
            let (file, line) = at
                .split_once(':')
                .unwrap_or_else(|| panic!("{repo}: no FILE:LINE in {row}"));
            let at = format!("{}:{line}", path(file));
            (check.into(), subject.into(), status.into(), at)
        })
        .collect();
    want.sort();
    assert_eq!(pg_findings(&report), want, "{repo}: pg findings differ");
    assert_eq!(code, exit, "{repo}: exit code");
    report
}

#[test]
fn flyway_newest_migration_disabling_rls_fails_the_gate_at_that_line() {
    let report = expect(
        "pg-flyway",
        1,
        &[
            (
                "V1",
                "src/main/resources/db/migration/V1__create_schema.sql",
            ),
            (
                "V1_1",
                "src/main/resources/db/migration/V1_1__row_level_security.sql",
            ),
            ("V2", "src/main/resources/db/migration/V2__audit_events.sql"),
            (
                "V3",
                "src/main/resources/db/migration/V3__invoice_lines.sql",
            ),
            (
                "V10",
                "src/main/resources/db/migration/V10__bulk_import_invoices.sql",
            ),
        ],
        "
        pg-rls-enabled        billing.invoices      fail V10:4
        pg-rls-enabled        billing.accounts      pass V1_1:3
        pg-rls-enabled        billing.audit_events  pass V2:14
        pg-rls-enabled        billing.invoice_lines pass V3:11
        pg-rls-forced         billing.accounts      pass V1_1:4
        pg-rls-forced         billing.audit_events  pass V2:15
        pg-rls-forced         billing.invoice_lines pass V3:12
        # RLS is off on invoices: pg-rls-enabled's failure; the dependent checks are notes.
        pg-rls-forced         billing.invoices      fail V10:4
        pg-rls-policy         billing.accounts      pass V1_1:8
        pg-rls-policy         billing.audit_events  pass V2:17
        pg-rls-policy         billing.invoice_lines pass V3:13
        pg-rls-policy-tenant  billing.accounts      pass V1_1:8
        pg-rls-policy-tenant  billing.audit_events  pass V2:17
        pg-rls-policy-tenant  billing.invoice_lines pass V3:13
        pg-rls-policy-tenant  billing.invoices      fail V10:4
        pg-table-classified   billing.accounts      pass V1:8
        pg-table-classified   billing.audit_events  pass V2:3
        pg-table-classified   billing.invoice_lines pass V3:3
        pg-table-classified   billing.invoices      pass V1:15
        pg-role-no-bypass     billing_app           pass V1:5
        pg-role-no-ddl        billing_app           pass V1:5
        pg-role-not-owner     billing_app           pass V1:5
        pg-audit-append-only  billing.audit_events  pass V2:3
        pg-audit-hash-chained billing.audit_events  pass V2:3
        ",
    );
    let disabled = finding(&report, "pg-rls-enabled", "billing.invoices");
    assert_eq!(disabled["severity"], "critical");
    assert!(message(disabled).contains("disabled here"));
}

#[test]
fn golang_migrate_applies_up_files_only_and_passes() {
    expect(
        "pg-golang-migrate",
        0,
        &[
            ("roles", "db/migrations/000001_roles.up.sql"),
            ("workspaces", "db/migrations/000002_workspaces.up.sql"),
            ("audit", "db/migrations/000003_audit.up.sql"),
        ],
        "
        pg-rls-enabled                  public.notes        pass workspaces:14
        pg-rls-enabled                  public.notes_audit  pass audit:11
        pg-rls-forced                   public.notes        pass workspaces:14
        pg-rls-forced                   public.notes_audit  pass audit:12
        pg-rls-policy                   public.notes        pass workspaces:20
        pg-rls-policy                   public.notes_audit  pass audit:15
        pg-rls-policy-tenant            public.notes        pass workspaces:20
        pg-rls-policy-tenant            public.notes_audit  pass audit:15
        pg-table-classified             public.notes        pass workspaces:6
        pg-table-classified             public.notes_audit  pass audit:1
        # Declared in vouch.toml's global_tables.
        pg-table-classified             public.workspaces   pass workspaces:1
        pg-role-no-bypass               api                 pass roles:3
        pg-role-no-ddl                  api                 pass roles:3
        pg-role-not-owner               api                 pass roles:3
        pg-audit-append-only            public.notes_audit  pass audit:1
        pg-audit-hash-chained           public.notes_audit  pass audit:1
        pg-security-definer-search-path public.workspace_of pass audit:28
        ",
    );
}

#[test]
fn prisma_bypass_policy_defeats_tenant_isolation() {
    expect(
        "pg-prisma",
        1,
        &[
            (
                "init",
                "prisma/migrations/20240110120000_init/migration.sql",
            ),
            ("rls", "prisma/migrations/20240220093000_rls/migration.sql"),
        ],
        "
        pg-rls-enabled       public.Customer pass rls:7
        pg-rls-enabled       public.Invoice  pass rls:6
        pg-rls-forced        public.Customer pass rls:11
        pg-rls-forced        public.Invoice  pass rls:10
        pg-rls-policy        public.Customer pass rls:19
        pg-rls-policy        public.Invoice  pass rls:18
        pg-rls-policy-tenant public.Customer fail rls:19
        pg-rls-policy-tenant public.Invoice  fail rls:18
        pg-table-classified  public.Customer pass init:19
        pg-table-classified  public.Invoice  pass init:10
        # The tenant table itself: undeclared, but the migrations manage app_user's grants
        # (on Invoice and Customer) and grant nothing on it, and no platform default applies
        # (not Supabase): app_user cannot reach it. Before the FP1 fix it was assumed reachable.
        pg-table-classified  public.Tenant   pass init:2
        pg-role-no-bypass    app_user        pass rls:2
        pg-role-no-ddl       app_user        pass rls:2
        pg-role-not-owner    app_user        pass rls:2
        ",
    );
}

#[test]
fn supabase_open_policy_and_unpinned_definer_fail() {
    expect(
        "pg-supabase",
        1,
        &[
            ("init", "supabase/migrations/20240105093000_init.sql"),
            (
                "policies",
                "supabase/migrations/20240112141500_policies.sql",
            ),
            (
                "documents",
                "supabase/migrations/20240203110000_documents.sql",
            ),
        ],
        "
        pg-rls-enabled                  public.documents      pass documents:10
        pg-rls-enabled                  public.projects       pass init:28
        pg-rls-forced                   public.documents      fail documents:2
        pg-rls-forced                   public.projects       fail init:17
        pg-rls-policy                   public.documents      pass documents:18
        pg-rls-policy                   public.projects       pass policies:20
        pg-rls-policy-tenant            public.documents      fail documents:13
        pg-rls-policy-tenant            public.projects       pass policies:20
        pg-table-classified             public.documents      pass documents:2
        pg-table-classified             public.memberships    pass init:10
        # The tenant table itself (`tenant_table`) is a tenant table keyed by `id`: judged
        # like the others (its one SELECT policy is membership-keyed; the commands no policy
        # covers are only an informational note, Supabase granting them outside the migrations).
        pg-table-classified             public.organizations  pass init:4
        pg-rls-enabled                  public.organizations  pass init:26
        pg-rls-forced                   public.organizations  fail init:4
        pg-rls-policy                   public.organizations  fail policies:31
        pg-rls-policy-tenant            public.organizations  pass policies:31
        pg-table-classified             public.projects       pass init:17
        pg-security-definer-search-path public.document_count fail documents:23
        pg-security-definer-search-path public.is_member_of   pass policies:2
        # `reporting` is created in the DO block (read, line 36) and granted SELECT: with no
        # `runtime_roles` configured it is inferred as a runtime role and judged.
        pg-role-no-bypass               reporting             pass documents:36
        pg-role-no-ddl                  reporting             pass documents:36
        pg-role-not-owner               reporting             pass documents:36
        ",
    );
}

#[test]
fn rails_structure_sql_without_rls_on_the_audit_log() {
    expect(
        "pg-rails",
        1,
        &[("structure", "db/structure.sql")],
        "
        pg-audit-append-only  public.audit_log            pass  structure:100
        pg-audit-hash-chained public.audit_log            fail  structure:100
        pg-rls-enabled        public.audit_log            fail  structure:100
        pg-rls-enabled        public.projects             pass  structure:140
        # RLS is off on audit_log: pg-rls-enabled's failure; the dependent checks are notes.
        pg-rls-forced         public.audit_log            fail  structure:100
        pg-rls-forced         public.projects             fail  structure:63
        pg-rls-policy         public.projects             pass  structure:146
        pg-rls-policy-tenant  public.audit_log            fail  structure:100
        pg-rls-policy-tenant  public.projects             pass  structure:146
        pg-table-classified   public.accounts             fail  structure:20
        pg-table-classified   public.ar_internal_metadata pass  structure:51
        pg-table-classified   public.audit_log            pass  structure:100
        pg-table-classified   public.projects             pass  structure:63
        pg-table-classified   public.schema_migrations    pass  structure:91
        # The role is created outside structure.sql: its attributes cannot be proven.
        pg-role-no-bypass     rails_app                   error structure:0
        pg-role-no-ddl        rails_app                   pass  structure:0
        pg-role-not-owner     rails_app                   pass  structure:0
        ",
    );
}

#[test]
fn pg_dump_with_copy_data_and_dollar_bodies() {
    expect(
        "pg-dump",
        1,
        &[("schema", "db/schema.sql")],
        "
        pg-audit-append-only            helpdesk.audit_trail  pass  schema:80
        pg-audit-hash-chained           helpdesk.audit_trail  fail  schema:80
        pg-rls-enabled                  helpdesk.audit_trail  pass  schema:157
        pg-rls-enabled                  helpdesk.comments     fail  schema:114
        pg-rls-enabled                  helpdesk.tickets      pass  schema:170
        pg-rls-forced                   helpdesk.audit_trail  pass  schema:88
        # RLS is off on comments: pg-rls-enabled's failure; the dependent checks are notes.
        pg-rls-forced                   helpdesk.comments     fail  schema:114
        pg-rls-forced                   helpdesk.tickets      pass  schema:105
        pg-rls-policy                   helpdesk.audit_trail  pass  schema:163
        # At the grant of the command no policy covers.
        pg-rls-policy                   helpdesk.tickets      fail  schema:204
        pg-rls-policy-tenant            helpdesk.audit_trail  pass  schema:163
        pg-rls-policy-tenant            helpdesk.comments     fail  schema:114
        pg-rls-policy-tenant            helpdesk.tickets      pass  schema:183
        pg-table-classified             helpdesk.audit_trail  pass  schema:80
        pg-table-classified             helpdesk.comments     pass  schema:114
        pg-table-classified             helpdesk.tickets      pass  schema:97
        pg-role-no-bypass               helpdesk_app          error schema:0
        pg-role-no-ddl                  helpdesk_app          fail  schema:122
        pg-role-not-owner               helpdesk_app          fail  schema:122
        pg-security-definer-search-path helpdesk.ticket_stats pass  schema:70
        ",
    );
}

/// Parse coverage over every fixture migration set: statements parsed / total, with what was
/// skipped unparsed (data, SET, indexes…) and what could not be parsed. Run with
/// `cargo test --test e2e parse_coverage -- --nocapture` to see the table.
#[test]
fn parse_coverage_over_fixtures() {
    let repos = [
        "repos/pg-supabase",
        "repos/pg-prisma",
        "repos/pg-flyway",
        "repos/pg-rails",
        "repos/pg-dump",
        "repos/pg-golang-migrate",
        "demo",
    ];
    let mut total = checks::facts::pg::ParseStats::default();
    let mut unparsed = Vec::new();
    println!("| fixture | files | statements | skipped | parsed | unparsed |");
    println!("|---|---|---|---|---|---|");
    for repo in repos {
        for db in vouch::sources::migrations::collect(&fixture(repo), &[]) {
            let s = db.parse_stats;
            assert_eq!(
                s.statements,
                s.skipped + s.parsed + s.unparsed,
                "{repo}: counts add up"
            );
            assert!(s.statements > 0, "{repo}: statements found");
            println!(
                "| {repo} | {} | {} | {} | {} | {} |",
                s.files, s.statements, s.skipped, s.parsed, s.unparsed
            );
            total.files += s.files;
            total.statements += s.statements;
            total.skipped += s.skipped;
            total.parsed += s.parsed;
            total.unparsed += s.unparsed;
            unparsed.extend(
                db.unparsed
                    .iter()
                    .map(|u| format!("{}: {}", u.location, u.excerpt)),
            );
        }
    }
    println!(
        "| total | {} | {} | {} | {} | {} |",
        total.files, total.statements, total.skipped, total.parsed, total.unparsed
    );
    println!("unparsed: {unparsed:?}");
    // Every statement is read: the Supabase DO block's CREATE ROLE included (it used to be the
    // one unparsed statement).
    assert_eq!(unparsed, Vec::<String>::new());
    assert_eq!(total.unparsed, 0);
}
