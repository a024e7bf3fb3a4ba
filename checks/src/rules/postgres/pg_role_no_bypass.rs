use serde_json::json;

use super::pg_common::scopes;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgRoleNoBypass;

impl Rule for PgRoleNoBypass {
    const META: Meta = Meta {
        id: "pg-role-no-bypass",
        title: "Runtime database roles cannot bypass row-level security",
        severity: Severity::Critical,
        controls: &["ACC-01"],
        source: Source::Postgres,
        docs: r#"
## Why
A SUPERUSER or a role with BYPASSRLS ignores every row-level security policy: if the
application connects as one, tenant isolation is switched off for every query, however good the
policies are. Membership counts: a role that is a member of such a role can `SET ROLE` to it.

## What is judged
Each role in `[postgres] runtime_roles` (when unset: each role the migrations create and grant
table privileges to, other than table owners; the evidence says the roles were inferred): neither it nor any role it is a member of
(transitively) is SUPERUSER or BYPASSRLS, after every CREATE/ALTER ROLE and GRANT/REVOKE of
membership in the migrations (or `pg_roles`/`pg_auth_members` live). `CREATE USER` (a role that
logs in), `CREATE GROUP`, `ALTER GROUP … ADD|DROP USER` and the `IN ROLE`/`ROLE`/`USER`/`ADMIN`
clauses of `CREATE ROLE` count as PostgreSQL applies them. A runtime role the migrations never
create has unknown attributes: `error`; so does one that is a member of a role the migrations
never create (`GRANT postgres TO app`; PostgreSQL's predefined `pg_*` roles excepted), and a
role about which, or about a role it is a member of, some statement could not be read,
configured or inferred. Nothing is judged when no
runtime role is configured.

## How to fix
`ALTER ROLE app_user NOSUPERUSER NOBYPASSRLS;` and `REVOKE admin FROM app_user;`. Run migrations
as a separate owner role.

## Evidence
The role, its attributes, its memberships and which role confers the bypass.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            for name in scope.runtime_roles() {
                // A statement vouch could not read that may set the attributes or memberships
                // of the role or of a role it is a member of: nothing below is proven, whether
                // the role was configured or inferred.
                let closure = scope.closure(name);
                if scope.error_if_unparsed_in_closure(out, name, &["role"], &closure) {
                    continue;
                }
                let platform_role = scope.role(name).is_none_or(|r| r.undeclared);
                if scope.runtime_roles_inferred && platform_role {
                    // Inferred from a GRANT and created outside the migrations (Supabase's
                    // `anon`): no statement here sets its attributes; the live audit judges it.
                    continue;
                }
                let Some(role) = scope.role(name).filter(|r| !r.undeclared) else {
                    let location = scope.role_location(name);
                    out.error(
                        name.clone(),
                        location,
                        format!("runtime role {name} is not created in {}: its SUPERUSER/BYPASSRLS attributes cannot be proven", scope.db.name),
                        json!({ "database": scope.db.name, "runtime_roles": scope.runtime_roles_evidence(), "role": name }),
                    );
                    continue;
                };
                let bypassing = closure
                    .iter()
                    .filter_map(|r| scope.role(r))
                    .find(|r| r.superuser || r.bypassrls);
                let evidence = json!({
                    "database": scope.db.name, "runtime_roles": scope.runtime_roles_evidence(), "role": name, "superuser": role.superuser,
                    "bypassrls": role.bypassrls, "member_of": closure.iter().filter(|r| *r != name && *r != "PUBLIC").collect::<Vec<_>>(),
                });
                // A role it is a member of that the migrations never create (`GRANT postgres TO
                // app`, Supabase's `service_role`): its attributes are unknown. PostgreSQL's
                // predefined `pg_*` roles bypass nothing.
                let unknown = (closure.iter()).find(|r| {
                    *r != name
                        && *r != "PUBLIC"
                        && !r.starts_with("pg_")
                        && scope.role(r).is_none_or(|x| x.undeclared)
                });
                match (bypassing, unknown) {
                    (None, Some(other)) => out.error(
                        name.clone(),
                        role.attributes_set_at(),
                        format!(
                            "runtime role {name} is a member of {other}, which the migrations never create: whether it bypasses row-level security cannot be proven"
                        ),
                        evidence,
                    ),
                    (None, None) => out.pass(
                        name.clone(),
                        role.attributes_set_at(),
                        format!(
                            "{name} is neither SUPERUSER nor BYPASSRLS, directly or by membership"
                        ),
                        evidence,
                    ),
                    (Some(r), _) => {
                        let what = if r.superuser {
                            "SUPERUSER"
                        } else {
                            "BYPASSRLS"
                        };
                        let how = if r.name == *name {
                            String::new()
                        } else {
                            format!(" through membership of {}", r.name)
                        };
                        let location = r.attributes_set_at();
                        out.fail(
                            name.clone(),
                            location,
                            format!(
                                "runtime role {name} is {what}{how}: it bypasses row-level security"
                            ),
                            evidence,
                        );
                    }
                }
            }
        }
    }
}
