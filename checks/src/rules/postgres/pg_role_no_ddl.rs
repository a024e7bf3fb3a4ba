use serde_json::json;

use super::pg_common::scopes;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct PgRoleNoDdl;

const DDL_TABLE_PRIVILEGES: &[&str] = &["TRUNCATE", "REFERENCES", "TRIGGER"];

impl Rule for PgRoleNoDdl {
    const META: Meta = Meta {
        id: "pg-role-no-ddl",
        title: "Runtime database roles cannot change the schema",
        severity: Severity::High,
        controls: &["ACC-01"],
        source: Source::Postgres,
        docs: r#"
## Why
A role that can create objects, own tables, or hold TRUNCATE, REFERENCES or TRIGGER on tenant
and audit tables can undo isolation from inside the application: truncate an audit log, attach
a trigger that copies rows elsewhere, or create a view that bypasses RLS. Schema changes belong
to a separate migrations role.

## What is judged
For each role in `[postgres] runtime_roles`, or when unset the roles the migrations grant table privileges to
(other than table owners, `postgres` and psql variables) (with the roles it is a member of, and PUBLIC): no
CREATE on any schema (including ownership of a schema), no ownership of tenant or audit tables,
and no TRUNCATE, REFERENCES or TRIGGER on them (`GRANT ALL` includes all three).

## How to fix
`REVOKE CREATE ON SCHEMA public FROM app_user, PUBLIC;` and grant only what the application
uses: `GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO app_user;`.

## Evidence
The role and each privilege that lets it change the schema, with where it was granted.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            for name in scope.runtime_roles() {
                if scope.error_if_unparsed(out, name, &["grant", "owner"], &[name]) {
                    continue;
                }
                let closure = scope.closure(name);
                let mut problems: Vec<(Location, String)> = Vec::new();
                for g in &scope.db.schema_privileges {
                    if g.privilege == "CREATE" && closure.contains(&g.grantee) {
                        let schema = g.object.as_deref().unwrap_or("?");
                        problems.push((
                            g.location.clone(),
                            format!("CREATE on schema {schema} (held by {})", g.grantee),
                        ));
                    }
                }
                for t in scope
                    .db
                    .tables
                    .iter()
                    .filter(|t| scope.tenant_reason(t).is_some() || scope.is_audit_table(t))
                {
                    let q = t.qualified_name();
                    if let Some(owner) = t.owner.as_ref().filter(|o| closure.contains(o)) {
                        problems.push((t.owner_set_at(), format!("owns {q} (as {owner})")));
                    }
                    for g in t.grants.iter().filter(|g| {
                        DDL_TABLE_PRIVILEGES.contains(&g.privilege.as_str())
                            && closure.contains(&g.grantee)
                    }) {
                        problems.push((
                            g.location.clone(),
                            format!("{} on {q} (held by {})", g.privilege, g.grantee),
                        ));
                    }
                }
                let evidence = json!({
                    "database": scope.db.name, "runtime_roles": scope.runtime_roles_evidence(), "role": name,
                    "problems": problems.iter().map(|(l, p)| json!({"privilege": p, "at": l})).collect::<Vec<_>>(),
                });
                match problems.first() {
                    None => {
                        let location = scope.role_location(name);
                        out.pass(
                            name.clone(),
                            location,
                            format!("{name} holds no schema-changing privilege"),
                            evidence,
                        );
                    }
                    Some((location, _)) => {
                        let list: Vec<&str> = problems.iter().map(|(_, p)| p.as_str()).collect();
                        out.fail(
                            name.clone(),
                            location.clone(),
                            format!(
                                "runtime role {name} can change the schema: {}",
                                list.join("; ")
                            ),
                            evidence,
                        );
                    }
                }
            }
        }
    }
}
