use serde_json::json;

use super::pg_common::{Scope, scopes};
use super::pg_live_common::{live_databases, readable, target_location};
use crate::facts::pg::Database;
use crate::facts::pg_live::{RoleAccess, TenantAccess};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source, Status};
use crate::settings::{Isolation, TenantTarget};

pub struct PgTenantIsolation;

impl Rule for PgTenantIsolation {
    const META: Meta = Meta {
        id: "pg-tenant-isolation",
        title: "Each tenant's database or schema refuses every other tenant's runtime role",
        severity: Severity::Critical,
        controls: &["TEN-01"],
        source: Source::Postgres,
        docs: r#"
## Why
With a database (or a schema) per tenant, isolation no longer lives in row-level security
policies: it lives in who may connect to which database and who may use which schema. One
login role shared by two tenants' applications, or PostgreSQL's default `CONNECT` for PUBLIC on
every new database, lets one tenant's credentials open another tenant's data.

## What is judged
Only with `[postgres] isolation = "database"` or `"schema"` (the RLS checks are then reported
as not applicable). Each live `[[target.postgres]]` that names its `tenant` (subject: the
target's name) is judged against the runtime roles of every *other* tenant target (the
target's own `runtime_roles`, else `[postgres] runtime_roles`):

- no runtime role is shared between two tenants, and no two tenant targets are the same
  database;
- `database`: no other tenant's runtime role may `CONNECT` to this database, whether by a grant,
  by membership, as a superuser, or through PUBLIC (`has_database_privilege`, PostgreSQL's own
  answer);
- `schema`: no other tenant's runtime role has `USAGE` on this tenant's schema
  (`tenant_schema`, default the tenant's name), and none has a `search_path` naming it.

```toml
[postgres]
isolation = "database"

[[target.postgres]]
name = "acme"
dsn_env = "ACME_DSN"
tenant = "acme"
runtime_roles = ["acme_app"]

[[target.postgres]]
name = "globex"
dsn_env = "GLOBEX_DSN"
tenant = "globex"
runtime_roles = ["globex_app"]
```

A target that cannot be read, a tenant without runtime roles, fewer than two tenant targets, or a
role whose privileges were not collected is `error`: unproven isolation is never a pass.

## How to fix
`REVOKE CONNECT ON DATABASE acme FROM PUBLIC; GRANT CONNECT ON DATABASE acme TO acme_app;`
give each tenant its own login role, and for schemas `REVOKE ALL ON SCHEMA acme FROM PUBLIC;
GRANT USAGE ON SCHEMA acme TO acme_app;` and `ALTER ROLE … RESET search_path`.

## Evidence
The tenant's database (and schema), whether PUBLIC holds CONNECT (USAGE), and for every
runtime role of every tenant what PostgreSQL answers: exists, superuser, may connect, schema
usage, search_path; at the target's `postgres://HOST:PORT/DB` URI.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let isolation = cx.options.postgres.isolation;
        if isolation == Isolation::Rls {
            return;
        }
        let tenants = &cx.options.tenant_targets;
        let live: Vec<&Database> = live_databases(cx).collect();
        if tenants.is_empty() {
            for db in live {
                let msg = format!(
                    "[postgres] isolation = \"{}\" but no [[target.postgres]] names its `tenant`: \
                     which database belongs to which tenant is unknown",
                    isolation.as_str()
                );
                out.error(
                    db.name.clone(),
                    target_location(db),
                    msg,
                    json!({ "target": db.name }),
                );
            }
            return;
        }
        for db in live {
            let Some(tenant) = tenants.iter().find(|t| t.target == db.name) else {
                continue;
            };
            if let Some(state) = readable(db, out) {
                let uri = |name: &str| {
                    cx.facts
                        .postgres
                        .iter()
                        .find(|d| d.name == name)
                        .and_then(|d| d.live.as_ref())
                        .map(|l| l.uri.clone())
                };
                judge(
                    isolation,
                    tenant,
                    tenants,
                    state.tenant_access.as_ref(),
                    &uri,
                    db,
                    out,
                );
            }
        }
    }
}

/// Why one other tenant's role is (or may be) let in, or nothing.
enum Access {
    Refused,
    Admitted(String),
    Unknown(String),
}

fn judge(
    isolation: Isolation,
    tenant: &TenantTarget,
    all: &[TenantTarget],
    access: Option<&TenantAccess>,
    uri_of: &dyn Fn(&str) -> Option<String>,
    db: &Database,
    out: &mut Findings,
) {
    let subject = db.name.clone();
    let location = target_location(db);
    let evidence = json!({
        "isolation": isolation.as_str(), "tenant": tenant.tenant,
        "runtime_roles": tenant.runtime_roles, "access": access,
        "other_tenants": all.iter().filter(|t| t.target != tenant.target)
            .map(|t| json!({"tenant": t.tenant, "target": t.target, "runtime_roles": t.runtime_roles}))
            .collect::<Vec<_>>(),
    });
    let unproven = match access {
        None => Some("its grants were not collected".to_owned()),
        Some(a) => a.error.clone(),
    };
    let unproven = unproven.or_else(|| preconditions(isolation, tenant, all, access));
    if let Some(cause) = unproven {
        let msg = format!(
            "isolation of tenant {} cannot be judged: {cause}",
            tenant.tenant
        );
        return out.error(subject, location, msg, evidence);
    }
    let Some(access) = access else { return };
    let mut leaks = Vec::new();
    let mut unknown = Vec::new();
    let own_uri = uri_of(&tenant.target);
    for other in all.iter().filter(|t| t.target != tenant.target) {
        if isolation == Isolation::Database && own_uri.is_some() && uri_of(&other.target) == own_uri
        {
            leaks.push(format!(
                "it is the same database as tenant {}'s",
                other.tenant
            ));
        }
        for role in &other.runtime_roles {
            if tenant.runtime_roles.contains(role) {
                leaks.push(format!(
                    "runtime role `{role}` is shared with tenant {}",
                    other.tenant
                ));
                continue;
            }
            match role_access(isolation, access, role) {
                Access::Refused => {}
                Access::Admitted(how) => leaks.push(format!(
                    "tenant {}'s runtime role `{role}` {how}",
                    other.tenant
                )),
                Access::Unknown(why) => unknown.push(format!("`{role}`: {why}")),
            }
        }
    }
    let place = match isolation {
        Isolation::Schema => format!("schema {}", access.schema.as_deref().unwrap_or("?")),
        _ => format!("database {}", access.database),
    };
    if !leaks.is_empty() {
        let msg = format!(
            "tenant {}'s {place} is not isolated: {}",
            tenant.tenant,
            leaks.join("; ")
        );
        out.push(Status::Fail, subject, location, msg, evidence);
    } else if !unknown.is_empty() {
        let msg = format!(
            "isolation of tenant {} cannot be judged: {}",
            tenant.tenant,
            unknown.join("; ")
        );
        out.error(subject, location, msg, evidence);
    } else {
        let others: Vec<&str> = all
            .iter()
            .filter(|t| t.target != tenant.target)
            .map(|t| t.tenant.as_str())
            .collect();
        let msg = format!(
            "tenant {}'s {place} refuses the runtime roles of tenant(s) {}",
            tenant.tenant,
            others.join(", ")
        );
        out.pass(subject, location, msg, evidence);
    }
}

/// What must hold before the grants can prove anything.
fn preconditions(
    isolation: Isolation,
    tenant: &TenantTarget,
    all: &[TenantTarget],
    access: Option<&TenantAccess>,
) -> Option<String> {
    if all.len() < 2 {
        return Some("only one [[target.postgres]] names a tenant; isolation between tenants needs at least two".to_owned());
    }
    if let Some(empty) = all.iter().find(|t| t.runtime_roles.is_empty()) {
        return Some(format!(
            "tenant {} (target {}) declares no runtime_roles, so which role its application uses is unknown",
            empty.tenant, empty.target
        ));
    }
    if isolation == Isolation::Schema && access.is_some_and(|a| !a.schema_exists) {
        return Some(format!(
            "its schema {} does not exist (set `tenant_schema`)",
            tenant.schema
        ));
    }
    None
}

fn role_access(isolation: Isolation, access: &TenantAccess, role: &str) -> Access {
    let Some(probe) = access.roles.iter().find(|r| r.role == role) else {
        return Access::Unknown("its privileges were not collected".to_owned());
    };
    if !probe.exists {
        return Access::Refused;
    }
    match isolation {
        Isolation::Schema => schema_access(access, probe),
        _ if probe.can_connect => Access::Admitted(format!(
            "may CONNECT to database {} {}",
            access.database,
            how(
                probe,
                access.public_connect,
                "PUBLIC's CONNECT (the default for a new database)"
            )
        )),
        _ => Access::Refused,
    }
}

fn schema_access(access: &TenantAccess, probe: &RoleAccess) -> Access {
    let schema = access.schema.as_deref().unwrap_or_default();
    let named = probe
        .search_path
        .iter()
        .find(|p| p.split(',').any(|s| s.trim().trim_matches('"') == schema));
    match (probe.schema_usage, named) {
        (Some(true), _) => Access::Admitted(format!(
            "has USAGE on schema {schema} {}",
            how(probe, access.public_schema_usage, "PUBLIC's USAGE")
        )),
        (_, Some(path)) => {
            Access::Admitted(format!("has search_path `{path}` naming schema {schema}"))
        }
        (Some(false), None) => Access::Refused,
        (None, None) => Access::Unknown("its schema privilege was not collected".to_owned()),
    }
}

fn how(probe: &RoleAccess, public: bool, public_text: &str) -> String {
    if probe.superuser {
        "as a superuser".to_owned()
    } else if public {
        format!("through {public_text}")
    } else {
        "through a grant to it or to a role it belongs to".to_owned()
    }
}

/// The scopes the row-level-security checks judge: every scope of [`scopes`] whose tenants are
/// isolated by RLS; the others get [`rls_not_applicable`]'s notes.
pub(crate) fn rls_scopes<'a>(cx: &'a Context<'_>, out: &mut Findings) -> Vec<Scope<'a>> {
    let mut judged = scopes(cx, out);
    judged.retain(|scope| !rls_not_applicable(scope, out));
    judged
}

/// For the RLS checks: with database or schema isolation they do not apply. Records one
/// informational note per tenant table (never a pass) and returns `true`.
pub(crate) fn rls_not_applicable(scope: &Scope<'_>, out: &mut Findings) -> bool {
    let isolation = scope.options.isolation;
    if isolation == Isolation::Rls {
        return false;
    }
    for (t, reason_of_tenancy) in scope.tenant_tables() {
        let subject = t.qualified_name();
        let reason = format!(
            "[postgres] isolation = \"{isolation}\" declares {isolation} per tenant, so \
             row-level security on {subject} is not what isolates tenants; \
             pg-tenant-isolation judges the live targets",
            isolation = isolation.as_str()
        );
        let evidence = json!({ "isolation": isolation.as_str(), "database": scope.db.name, "table": subject, "tenant": reason_of_tenancy });
        out.not_applicable(subject, t.location.clone(), &reason, evidence);
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::model::{Severity, Status};
    use crate::registry::{find, run_on};

    /// A firm-per-database product: `orders` has a `firm_id` column and no RLS.
    fn facts(isolation: &str) -> crate::Facts {
        serde_json::from_value(serde_json::json!({
            "settings": { "postgres": { "isolation": isolation } },
            "postgres": [{
                "origin": "migrations", "name": "migrations:db/migrations",
                "tables": [{ "schema": "public", "name": "orders", "columns": ["id", "firm_id"],
                             "location": { "path": "db/migrations/0001.sql", "line": 1 } }]
            }]
        }))
        .unwrap()
    }

    const RLS_CHECKS: [&str; 4] = [
        "pg-rls-enabled",
        "pg-rls-forced",
        "pg-rls-policy",
        "pg-rls-policy-tenant",
    ];

    #[test]
    fn with_database_isolation_the_rls_checks_are_not_applicable_and_never_pass() {
        for isolation in ["database", "schema"] {
            let facts = facts(isolation);
            for id in RLS_CHECKS {
                let findings = run_on(find(id).unwrap(), &facts);
                assert!(!findings.is_empty(), "{id}: the table is still reported");
                for f in findings {
                    assert_eq!(
                        (f.status, f.severity),
                        (Status::Fail, Severity::Info),
                        "{id}"
                    );
                    assert!(
                        f.message
                            .starts_with("not applicable: [postgres] isolation = \"")
                            && f.message.contains(isolation),
                        "{id}: {}",
                        f.message
                    );
                }
            }
        }
        // The same table under the default (rls) still fails the critical check.
        let facts = facts("rls");
        let rls = run_on(find("pg-rls-enabled").unwrap(), &facts);
        assert_eq!(
            (rls[0].status, rls[0].severity),
            (Status::Fail, Severity::Critical)
        );
    }

    #[test]
    fn with_rls_isolation_pg_tenant_isolation_reports_nothing() {
        let facts = facts("rls");
        let findings = run_on(find("pg-tenant-isolation").unwrap(), &facts);
        assert!(findings.is_empty());
    }
}
