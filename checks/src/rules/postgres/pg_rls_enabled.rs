use super::pg_tenant_isolation::rls_scopes;
use serde_json::json;

use super::pg_common::table_names;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgRlsEnabled;

impl Rule for PgRlsEnabled {
    const META: Meta = Meta {
        id: "pg-rls-enabled",
        title: "Every tenant table has row-level security enabled",
        severity: Severity::Critical,
        controls: &["TEN-01"],
        source: Source::Postgres,
        docs: r#"
## Why
Without row-level security a tenant table is guarded only by the application's `WHERE
tenant_id = …`: one forgotten filter, one ORM default, one SQL injection, and a customer reads
another customer's rows. With RLS enabled, PostgreSQL itself applies the table's policies to
every query of a non-owner role.

## What is judged
Every tenant table (a table with a tenant column from `[postgres] tenant_columns`, default
`tenant_id`, `org_id`, `organization_id`, `account_id`, `workspace_id`, `team_id`, `firm_id`,
`customer_id`, compared ignoring case and `_`; or a foreign key to `[postgres] tenant_table`; or
that tenant table itself, whose rows are the tenants (its key, the column the foreign keys
reference or `id`, is its tenant column: a policy restricts it by `id = <session tenant>`); or,
with `[postgres] tenant_paths` (default on), a foreign-key chain to a tenant table;
`include_tables`/`exclude_tables` globs override; see `pg-table-classified`) must have `relrowsecurity` in the final state:
from migrations, after every `ALTER TABLE … ENABLE/DISABLE ROW LEVEL SECURITY` in order; live,
from `pg_class`. The finding points at the statement that decided it (the CREATE TABLE, or the
last ENABLE/DISABLE). A statement vouch could not parse that may change it makes the result
`error`, never `pass`.

## How to fix
`ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;` in a new migration, together with the
policies that let the application see its tenant's rows (see `pg-rls-policy-tenant`).

## Evidence
The table, why it counts as a tenant table, `rls_enabled`, and the deciding statement's location.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in rls_scopes(cx, out) {
            scope.error_on_unparsed_tables(out, "judge");
            for (t, reason) in scope.tenant_tables() {
                let subject = t.qualified_name();
                let [q, n] = table_names(t);
                if scope.error_if_unparsed(out, &subject, &["rls"], &[&q, &n]) {
                    continue;
                }
                let location = t.rls_location.clone().unwrap_or_else(|| t.location.clone());
                let evidence = json!({
                    "database": scope.db.name, "table": subject, "tenant": reason,
                    "rls_enabled": t.rls_enabled, "decided_at": location,
                });
                if t.rls_enabled {
                    out.pass(
                        subject.clone(),
                        location,
                        format!("{subject} has row-level security enabled"),
                        evidence,
                    );
                } else if t.rls_location.is_some() {
                    out.fail(
                        subject.clone(),
                        location,
                        format!("{subject} ({reason}) has row-level security disabled here"),
                        evidence,
                    );
                } else {
                    out.fail(
                        subject.clone(),
                        location,
                        format!("{subject} ({reason}) never enables row-level security"),
                        evidence,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::pg::{Database, Origin};

    /// A `[[target.postgres]]`'s own `tenant_columns` decide which of ITS tables are tenant
    /// tables; another live database and the migrations keep `[postgres]`'s (the defaults).
    #[test]
    fn a_targets_own_tenant_columns_are_honoured_for_its_database_only() {
        // Each database's table at its own place, so that a verdict merged in from another
        // database would show in `related`.
        let db = |origin, name: &str| {
            Database {
            origin,
            name: name.to_owned(),
            tables: vec![
                serde_json::from_value(json!({
                    "schema": "public", "name": "cases", "columns": ["id", "firm_ref"],
                    "location": { "uri": format!("postgres://h:5432/{name}/{origin:?}/public.cases") }
                }))
                .unwrap(),
            ],
            ..Database::default()
        }
        };
        let facts = crate::Facts {
            settings: toml::from_str(
                "[[target.postgres]]\nname = \"prod\"\ndsn_env = \"P\"\n\
                 tenant_columns = [\"firm_ref\"]\n\n\
                 [[target.postgres]]\nname = \"other\"\ndsn_env = \"O\"\n",
            )
            .unwrap(),
            postgres: vec![
                db(Origin::Live, "prod"),
                db(Origin::Live, "other"),
                db(Origin::Migrations, "prod"),
            ],
            ..crate::Facts::default()
        };
        let options = facts.settings.resolve().unwrap();
        let findings = crate::registry::run_one(&PgRlsEnabled, &Context::new(&facts, &options));
        let judged: Vec<_> = findings
            .iter()
            .map(|f| {
                (
                    f.subject.as_str(),
                    f.status,
                    f.evidence["database"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            judged,
            [("public.cases", crate::Status::Fail, Some("prod"))],
            "only the live `prod` counts firm_ref as a tenant column: {findings:#?}"
        );
        assert_eq!(
            findings[0].location,
            crate::Location::resource("postgres://h:5432/prod/Live/public.cases")
        );
        assert!(findings[0].related.is_empty(), "{findings:#?}");
    }
}
