use super::pg_tenant_isolation::rls_scopes;
use serde_json::json;

use super::pg_common::{not_applicable_without_rls, table_names};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgRlsForced;

impl Rule for PgRlsForced {
    const META: Meta = Meta {
        id: "pg-rls-forced",
        title: "Every tenant table forces row-level security on its owner",
        severity: Severity::High,
        controls: &["TEN-01"],
        source: Source::Postgres,
        docs: r#"
## Why
PostgreSQL does not apply row-level security to a table's owner unless the table is marked
`FORCE ROW LEVEL SECURITY`. Applications often connect as the role that ran the migrations and
therefore owns every table: their policies then silently do nothing.

## What is judged
Every tenant table (see `pg-rls-enabled`) has `relforcerowsecurity` in the final state: the last
`ALTER TABLE … [NO] FORCE ROW LEVEL SECURITY` of the migrations, or `pg_class` live. A table
without row-level security is not judged here: `pg-rls-enabled` fails it, and this check records
an informational "not applicable" note (never a pass).

## How to fix
`ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;` — and connect as a role that does not own
the tables (see `pg-role-not-owner`).

## Evidence
The table, `rls_forced`, and the location of the statement that decided it.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in rls_scopes(cx, out) {
            for (t, reason) in scope.tenant_tables() {
                let subject = t.qualified_name();
                let [q, n] = table_names(t);
                if scope.error_if_unparsed(out, &subject, &["rls", "force"], &[&q, &n]) {
                    continue;
                }
                if !t.rls_enabled {
                    let evidence =
                        json!({"database": scope.db.name, "table": subject, "tenant": reason});
                    not_applicable_without_rls(out, t, evidence);
                    continue;
                }
                let location = t
                    .force_location
                    .clone()
                    .unwrap_or_else(|| t.location.clone());
                let evidence = json!({
                    "database": scope.db.name, "table": subject, "tenant": reason,
                    "rls_forced": t.rls_forced, "owner": t.owner, "decided_at": location,
                });
                if t.rls_forced {
                    out.pass(
                        subject.clone(),
                        location,
                        format!("{subject} forces row-level security"),
                        evidence,
                    );
                } else {
                    out.fail(
                        subject.clone(),
                        location,
                        format!("{subject} does not FORCE ROW LEVEL SECURITY: its owner bypasses every policy"),
                        evidence,
                    );
                }
            }
        }
    }
}
