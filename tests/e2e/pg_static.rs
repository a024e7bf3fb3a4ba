//! Tenant isolation from SQL migrations: `vouch scan` on realistic repositories in the styles
//! of Supabase, Prisma, Flyway, Rails `structure.sql`, pg_dump and golang-migrate, each with
//! the findings it must produce (status and the file:line that decided them).

use crate::harness::{fixture, scan_json};

/// (check, subject, status, "path:line") for every `pg-*` finding of a scan, sorted.
fn pg_findings(report: &serde_json::Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
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

/// Scans `fixtures/repos/<repo>` and asserts the exit code and exactly these pg findings.
fn expect(repo: &str, exit: i32, expected: &[(&str, &str, &str, &str)]) {
    let (code, report) = scan_json(&fixture(&format!("repos/{repo}")), &[]);
    let got = pg_findings(&report);
    let mut want: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(c, s, st, at)| {
            (
                (*c).to_owned(),
                (*s).to_owned(),
                (*st).to_owned(),
                (*at).to_owned(),
            )
        })
        .collect();
    want.sort();
    assert_eq!(got, want, "{repo}: pg findings differ");
    assert_eq!(code, exit, "{repo}: exit code");
}

#[test]
fn flyway_newest_migration_disabling_rls_fails_the_gate_at_that_line() {
    let d = "src/main/resources/db/migration";
    let v1 = format!("{d}/V1__create_schema.sql");
    let v11 = format!("{d}/V1_1__row_level_security.sql");
    let v2 = format!("{d}/V2__audit_events.sql");
    let v3 = format!("{d}/V3__invoice_lines.sql");
    let v10 = format!("{d}/V10__bulk_import_invoices.sql");
    let at = |f: &str, l: u32| format!("{f}:{l}");
    let rows = [
        ("pg-rls-enabled", "billing.invoices", "fail", at(&v10, 4)),
        ("pg-rls-enabled", "billing.accounts", "pass", at(&v11, 3)),
        (
            "pg-rls-enabled",
            "billing.audit_events",
            "pass",
            at(&v2, 14),
        ),
        (
            "pg-rls-enabled",
            "billing.invoice_lines",
            "pass",
            at(&v3, 11),
        ),
        ("pg-rls-forced", "billing.accounts", "pass", at(&v11, 4)),
        ("pg-rls-forced", "billing.audit_events", "pass", at(&v2, 15)),
        (
            "pg-rls-forced",
            "billing.invoice_lines",
            "pass",
            at(&v3, 12),
        ),
        // RLS is off on invoices: pg-rls-enabled's failure; the dependent checks are notes.
        ("pg-rls-forced", "billing.invoices", "fail", at(&v10, 4)),
        ("pg-rls-policy", "billing.accounts", "pass", at(&v11, 8)),
        ("pg-rls-policy", "billing.audit_events", "pass", at(&v2, 17)),
        (
            "pg-rls-policy",
            "billing.invoice_lines",
            "pass",
            at(&v3, 13),
        ),
        (
            "pg-rls-policy-tenant",
            "billing.accounts",
            "pass",
            at(&v11, 8),
        ),
        (
            "pg-rls-policy-tenant",
            "billing.audit_events",
            "pass",
            at(&v2, 17),
        ),
        (
            "pg-rls-policy-tenant",
            "billing.invoice_lines",
            "pass",
            at(&v3, 13),
        ),
        (
            "pg-rls-policy-tenant",
            "billing.invoices",
            "fail",
            at(&v10, 4),
        ),
        (
            "pg-table-classified",
            "billing.accounts",
            "pass",
            at(&v1, 8),
        ),
        (
            "pg-table-classified",
            "billing.audit_events",
            "pass",
            at(&v2, 3),
        ),
        (
            "pg-table-classified",
            "billing.invoice_lines",
            "pass",
            at(&v3, 3),
        ),
        (
            "pg-table-classified",
            "billing.invoices",
            "pass",
            at(&v1, 15),
        ),
        ("pg-role-no-bypass", "billing_app", "pass", at(&v1, 5)),
        ("pg-role-no-ddl", "billing_app", "pass", at(&v1, 5)),
        ("pg-role-not-owner", "billing_app", "pass", at(&v1, 5)),
        (
            "pg-audit-append-only",
            "billing.audit_events",
            "pass",
            at(&v2, 3),
        ),
        (
            "pg-audit-hash-chained",
            "billing.audit_events",
            "pass",
            at(&v2, 3),
        ),
    ];
    let rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(c, s, st, a)| (*c, *s, *st, a.as_str()))
        .collect();
    expect("pg-flyway", 1, &rows);

    let (_, report) = scan_json(&fixture("repos/pg-flyway"), &[]);
    let disabled = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "pg-rls-enabled" && f["subject"] == "billing.invoices")
        .unwrap();
    assert_eq!(disabled["severity"], "critical");
    assert!(
        disabled["message"]
            .as_str()
            .unwrap()
            .contains("disabled here")
    );
}

#[test]
fn golang_migrate_applies_up_files_only_and_passes() {
    let m = "db/migrations";
    let r1 = format!("{m}/000001_roles.up.sql");
    let r2 = format!("{m}/000002_workspaces.up.sql");
    let r3 = format!("{m}/000003_audit.up.sql");
    let at = |f: &str, l: u32| format!("{f}:{l}");
    let rows = [
        ("pg-rls-enabled", "public.notes", "pass", at(&r2, 14)),
        ("pg-rls-enabled", "public.notes_audit", "pass", at(&r3, 11)),
        ("pg-rls-forced", "public.notes", "pass", at(&r2, 14)),
        ("pg-rls-forced", "public.notes_audit", "pass", at(&r3, 12)),
        ("pg-rls-policy", "public.notes", "pass", at(&r2, 20)),
        ("pg-rls-policy", "public.notes_audit", "pass", at(&r3, 15)),
        ("pg-rls-policy-tenant", "public.notes", "pass", at(&r2, 20)),
        (
            "pg-rls-policy-tenant",
            "public.notes_audit",
            "pass",
            at(&r3, 15),
        ),
        ("pg-table-classified", "public.notes", "pass", at(&r2, 6)),
        (
            "pg-table-classified",
            "public.notes_audit",
            "pass",
            at(&r3, 1),
        ),
        // Declared in vouch.toml's global_tables.
        (
            "pg-table-classified",
            "public.workspaces",
            "pass",
            at(&r2, 1),
        ),
        ("pg-role-no-bypass", "api", "pass", at(&r1, 3)),
        ("pg-role-no-ddl", "api", "pass", at(&r1, 3)),
        ("pg-role-not-owner", "api", "pass", at(&r1, 3)),
        (
            "pg-audit-append-only",
            "public.notes_audit",
            "pass",
            at(&r3, 1),
        ),
        (
            "pg-audit-hash-chained",
            "public.notes_audit",
            "pass",
            at(&r3, 1),
        ),
        (
            "pg-security-definer-search-path",
            "public.workspace_of",
            "pass",
            at(&r3, 28),
        ),
    ];
    let rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(c, s, st, a)| (*c, *s, *st, a.as_str()))
        .collect();
    expect("pg-golang-migrate", 0, &rows);
}

#[test]
fn prisma_bypass_policy_defeats_tenant_isolation() {
    let init = "prisma/migrations/20240220093000_rls/migration.sql";
    let at = |l: u32| format!("{init}:{l}");
    let init0 = |l: u32| format!("prisma/migrations/20240110120000_init/migration.sql:{l}");
    let rows = [
        ("pg-rls-enabled", "public.Customer", "pass", at(7)),
        ("pg-rls-enabled", "public.Invoice", "pass", at(6)),
        ("pg-rls-forced", "public.Customer", "pass", at(11)),
        ("pg-rls-forced", "public.Invoice", "pass", at(10)),
        ("pg-rls-policy", "public.Customer", "pass", at(19)),
        ("pg-rls-policy", "public.Invoice", "pass", at(18)),
        ("pg-rls-policy-tenant", "public.Customer", "fail", at(19)),
        ("pg-rls-policy-tenant", "public.Invoice", "fail", at(18)),
        ("pg-table-classified", "public.Customer", "pass", init0(19)),
        ("pg-table-classified", "public.Invoice", "pass", init0(10)),
        // The tenant table itself: undeclared, but the migrations manage app_user's grants
        // (on Invoice and Customer) and grant nothing on it, and no platform default applies
        // (not Supabase): app_user cannot reach it. Before the FP1 fix it was assumed reachable.
        ("pg-table-classified", "public.Tenant", "pass", init0(2)),
        ("pg-role-no-bypass", "app_user", "pass", at(2)),
        ("pg-role-no-ddl", "app_user", "pass", at(2)),
        ("pg-role-not-owner", "app_user", "pass", at(2)),
    ];
    let rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(c, s, st, a)| (*c, *s, *st, a.as_str()))
        .collect();
    expect("pg-prisma", 1, &rows);
}

#[test]
fn supabase_open_policy_and_unpinned_definer_fail() {
    let init = "supabase/migrations/20240105093000_init.sql";
    let pol = "supabase/migrations/20240112141500_policies.sql";
    let docs = "supabase/migrations/20240203110000_documents.sql";
    let at = |f: &str, l: u32| format!("{f}:{l}");
    let rows = [
        ("pg-rls-enabled", "public.documents", "pass", at(docs, 10)),
        ("pg-rls-enabled", "public.projects", "pass", at(init, 28)),
        ("pg-rls-forced", "public.documents", "fail", at(docs, 2)),
        ("pg-rls-forced", "public.projects", "fail", at(init, 17)),
        ("pg-rls-policy", "public.documents", "pass", at(docs, 18)),
        ("pg-rls-policy", "public.projects", "pass", at(pol, 20)),
        (
            "pg-rls-policy-tenant",
            "public.documents",
            "fail",
            at(docs, 13),
        ),
        (
            "pg-rls-policy-tenant",
            "public.projects",
            "pass",
            at(pol, 20),
        ),
        (
            "pg-table-classified",
            "public.documents",
            "pass",
            at(docs, 2),
        ),
        (
            "pg-table-classified",
            "public.memberships",
            "pass",
            at(init, 10),
        ),
        // The tenant table itself (`tenant_table`) is a tenant table keyed by `id`: judged
        // like the others (its one SELECT policy is membership-keyed; the commands no policy
        // covers are only an informational note, Supabase granting them outside the migrations).
        (
            "pg-table-classified",
            "public.organizations",
            "pass",
            at(init, 4),
        ),
        (
            "pg-rls-enabled",
            "public.organizations",
            "pass",
            at(init, 26),
        ),
        ("pg-rls-forced", "public.organizations", "fail", at(init, 4)),
        ("pg-rls-policy", "public.organizations", "fail", at(pol, 31)),
        (
            "pg-rls-policy-tenant",
            "public.organizations",
            "pass",
            at(pol, 31),
        ),
        (
            "pg-table-classified",
            "public.projects",
            "pass",
            at(init, 17),
        ),
        (
            "pg-security-definer-search-path",
            "public.document_count",
            "fail",
            at(docs, 23),
        ),
        (
            "pg-security-definer-search-path",
            "public.is_member_of",
            "pass",
            at(pol, 2),
        ),
        // `reporting` is created in the DO block (read, line 36) and granted SELECT: with no
        // `runtime_roles` configured it is inferred as a runtime role and judged.
        ("pg-role-no-bypass", "reporting", "pass", at(docs, 36)),
        ("pg-role-no-ddl", "reporting", "pass", at(docs, 36)),
        ("pg-role-not-owner", "reporting", "pass", at(docs, 36)),
    ];
    let rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(c, s, st, a)| (*c, *s, *st, a.as_str()))
        .collect();
    expect("pg-supabase", 1, &rows);
}

#[test]
fn rails_structure_sql_without_rls_on_the_audit_log() {
    let s = "db/structure.sql";
    let at = |l: u32| format!("{s}:{l}");
    let rows = [
        ("pg-audit-append-only", "public.audit_log", "pass", at(100)),
        ("pg-audit-hash-chained", "public.audit_log", "fail", at(100)),
        ("pg-rls-enabled", "public.audit_log", "fail", at(100)),
        ("pg-rls-enabled", "public.projects", "pass", at(140)),
        // RLS is off on audit_log: pg-rls-enabled's failure; the dependent checks are notes.
        ("pg-rls-forced", "public.audit_log", "fail", at(100)),
        ("pg-rls-forced", "public.projects", "fail", at(63)),
        ("pg-rls-policy", "public.projects", "pass", at(146)),
        ("pg-rls-policy-tenant", "public.audit_log", "fail", at(100)),
        ("pg-rls-policy-tenant", "public.projects", "pass", at(146)),
        ("pg-table-classified", "public.accounts", "fail", at(20)),
        (
            "pg-table-classified",
            "public.ar_internal_metadata",
            "pass",
            at(51),
        ),
        ("pg-table-classified", "public.audit_log", "pass", at(100)),
        ("pg-table-classified", "public.projects", "pass", at(63)),
        (
            "pg-table-classified",
            "public.schema_migrations",
            "pass",
            at(91),
        ),
        // The role is created outside structure.sql: its attributes cannot be proven.
        ("pg-role-no-bypass", "rails_app", "error", at(0)),
        ("pg-role-no-ddl", "rails_app", "pass", at(0)),
        ("pg-role-not-owner", "rails_app", "pass", at(0)),
    ];
    let rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(c, s, st, a)| (*c, *s, *st, a.as_str()))
        .collect();
    expect("pg-rails", 1, &rows);
}

#[test]
fn pg_dump_with_copy_data_and_dollar_bodies() {
    let s = "db/schema.sql";
    let at = |l: u32| format!("{s}:{l}");
    let rows = [
        (
            "pg-audit-append-only",
            "helpdesk.audit_trail",
            "pass",
            at(80),
        ),
        (
            "pg-audit-hash-chained",
            "helpdesk.audit_trail",
            "fail",
            at(80),
        ),
        ("pg-rls-enabled", "helpdesk.audit_trail", "pass", at(157)),
        ("pg-rls-enabled", "helpdesk.comments", "fail", at(114)),
        ("pg-rls-enabled", "helpdesk.tickets", "pass", at(170)),
        ("pg-rls-forced", "helpdesk.audit_trail", "pass", at(88)),
        // RLS is off on comments: pg-rls-enabled's failure; the dependent checks are notes.
        ("pg-rls-forced", "helpdesk.comments", "fail", at(114)),
        ("pg-rls-forced", "helpdesk.tickets", "pass", at(105)),
        ("pg-rls-policy", "helpdesk.audit_trail", "pass", at(163)),
        // At the grant of the command no policy covers.
        ("pg-rls-policy", "helpdesk.tickets", "fail", at(204)),
        (
            "pg-rls-policy-tenant",
            "helpdesk.audit_trail",
            "pass",
            at(163),
        ),
        ("pg-rls-policy-tenant", "helpdesk.comments", "fail", at(114)),
        ("pg-rls-policy-tenant", "helpdesk.tickets", "pass", at(183)),
        (
            "pg-table-classified",
            "helpdesk.audit_trail",
            "pass",
            at(80),
        ),
        ("pg-table-classified", "helpdesk.comments", "pass", at(114)),
        ("pg-table-classified", "helpdesk.tickets", "pass", at(97)),
        ("pg-role-no-bypass", "helpdesk_app", "error", at(0)),
        ("pg-role-no-ddl", "helpdesk_app", "fail", at(122)),
        ("pg-role-not-owner", "helpdesk_app", "fail", at(122)),
        (
            "pg-security-definer-search-path",
            "helpdesk.ticket_stats",
            "pass",
            at(70),
        ),
    ];
    let rows: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(c, s, st, a)| (*c, *s, *st, a.as_str()))
        .collect();
    expect("pg-dump", 1, &rows);
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
