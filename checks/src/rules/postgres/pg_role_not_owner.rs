use serde_json::json;

use super::pg_common::scopes;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgRoleNotOwner;

impl Rule for PgRoleNotOwner {
    const META: Meta = Meta {
        id: "pg-role-not-owner",
        title: "Runtime database roles own no tenant table",
        severity: Severity::High,
        controls: &["ACC-01"],
        source: Source::Postgres,
        docs: r#"
## Why
A table's owner bypasses its row-level security (unless the table forces it) and can always
disable RLS, drop policies or drop the table. The application's role must not own what it is
meant to be confined by.

## What is judged
For each role in `[postgres] runtime_roles`, or when unset the roles the migrations grant table privileges to
(other than table owners, `postgres` and psql variables): no tenant table is owned by it or by a role it is a
member of, after every `ALTER TABLE … OWNER TO` of the migrations (`pg_class.relowner` live).
Tables whose owner the migrations never set belong to the role that runs them, which is not
judged here.

## How to fix
`ALTER TABLE public.orders OWNER TO migrator;` — a role used only for migrations.

## Evidence
The role and the tenant tables it owns, with the OWNER TO statements.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            for name in scope.runtime_roles() {
                if scope.error_if_unparsed(out, name, &["owner"], &[name]) {
                    continue;
                }
                let closure = scope.closure(name);
                let owned: Vec<_> = scope
                    .tenant_tables()
                    .filter(|(t, _)| t.owner.as_ref().is_some_and(|o| closure.contains(o)))
                    .map(|(t, _)| t)
                    .collect();
                let evidence = json!({
                    "database": scope.db.name, "runtime_roles": scope.runtime_roles_evidence(), "role": name,
                    "owns": owned.iter().map(|t| json!({"table": t.qualified_name(), "owner": t.owner})).collect::<Vec<_>>(),
                });
                match owned.first() {
                    None => {
                        let location = scope.role_location(name);
                        out.pass(
                            name.clone(),
                            location,
                            format!("{name} owns no tenant table"),
                            evidence,
                        );
                    }
                    Some(t) => {
                        let location = t.owner_set_at();
                        let list: Vec<String> = owned.iter().map(|t| t.qualified_name()).collect();
                        out.fail(name.clone(), location, format!("runtime role {name} owns tenant tables ({}): owners bypass row-level security", list.join(", ")), evidence);
                    }
                }
            }
        }
    }
}
