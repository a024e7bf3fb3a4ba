use serde_json::json;

use super::pg_common::{Scope, scopes, table_names};
use crate::facts::pg::Table;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct PgAuditAppendOnly;

impl Rule for PgAuditAppendOnly {
    const META: Meta = Meta {
        id: "pg-audit-append-only",
        title: "Audit tables cannot be changed by the application's roles",
        severity: Severity::High,
        controls: &["AUD-01"],
        source: Source::Postgres,
        docs: r#"
## Why
An audit log the application can update, delete from or truncate proves nothing: whoever
compromises the application can erase their tracks. "Append-only" must be enforced by the
database, not by the absence of a code path.

## What is judged
Every audit table (`[postgres] audit_tables`, default: tables named `audit_log(s)`, `audit_event(s)`,
`audit_trail(s)`, `audit_entries`, `audit_records`, `auditlog(s)`, `*_audit(s)`, `*_audit_log(s)`;
`audit_tables = []` means none), for the runtime roles (with their memberships and PUBLIC; when `[postgres] runtime_roles` is
not set, the roles the migrations grant table privileges to; when there are none either, every
grantee, and the owner counts as a role the application may use):
- no TRUNCATE grant (row triggers do not fire on TRUNCATE), and the table is not owned by them;
- for UPDATE and DELETE: either no grant, or a `BEFORE … FOR EACH ROW` trigger on that event
  whose function raises an exception.

Privileges a platform grants outside the migrations count: on Supabase (the set grants to or
writes policies for `anon`/`authenticated`), the platform's default privileges grant ALL on
every new table in schema `public` to `anon`, `authenticated` and `service_role`, so an audit
table there that the migrations never REVOKE on is truncatable by the application's roles
(TRUNCATE is not subject to row-level security), whatever its policies say.

## How to fix
`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM app_user;` and, as a second line,
`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW
EXECUTE FUNCTION forbid_change();` with a function that `RAISE EXCEPTION`s.

## Evidence
The grants to the runtime roles, the guarding triggers found, and what is missing.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            for t in scope.audit_tables() {
                let subject = t.qualified_name();
                let [q, n] = table_names(t);
                if scope.error_if_unparsed(out, &subject, &["grant", "trigger", "owner"], &[&q, &n])
                {
                    continue;
                }
                let problems = problems(&scope, t);
                let evidence = json!({
                    "database": scope.db.name, "runtime_roles": scope.runtime_roles_evidence(), "table": subject,
                    "grants": t.grants.iter().map(|g| json!({"grantee": g.grantee, "privilege": g.privilege})).collect::<Vec<_>>(),
                    "triggers": t.triggers.iter().map(|tr| json!({"name": tr.name, "timing": tr.timing, "events": tr.events, "for_each_row": tr.for_each_row, "function": tr.function})).collect::<Vec<_>>(),
                    "problems": problems.iter().map(|(_, p)| p).collect::<Vec<_>>(),
                });
                match problems.first() {
                    None => out.pass(
                        subject.clone(),
                        t.location.clone(),
                        format!(
                            "{subject} cannot be updated, deleted or truncated by the runtime roles"
                        ),
                        evidence,
                    ),
                    Some((location, _)) => {
                        let list: Vec<&str> = problems.iter().map(|(_, p)| p.as_str()).collect();
                        out.fail(
                            subject.clone(),
                            location.clone(),
                            format!("{subject} is not append-only: {}", list.join("; ")),
                            evidence,
                        );
                    }
                }
            }
        }
    }
}

/// How a privilege from a platform's defaults is named in a problem.
const PLATFORM: &str = "by Supabase's default privileges on schema public (the migrations neither grant nor revoke on the table) ";

fn problems(scope: &Scope<'_>, t: &Table) -> Vec<(Location, String)> {
    let closure = scope.runtime_closure();
    let holds = |grantee: &str| {
        closure
            .as_ref()
            .is_none_or(|c| c.iter().any(|r| r == grantee))
    };
    let mut problems = Vec::new();
    match (&closure, &t.owner) {
        (Some(c), Some(owner)) if c.contains(owner) => {
            problems.push((t.owner_set_at(), format!("owned by runtime role {owner}")));
        }
        (None, owner) => {
            // Nobody says which role the application uses: it may be the owner, who can
            // truncate, disable the guarding triggers or drop the table.
            let owner = owner
                .as_deref()
                .unwrap_or("the role that runs the migrations");
            problems.push((
                t.owner_set_at(),
                format!(
                    "owned by {owner}, which the application may use (no [postgres] runtime_roles set and none granted privileges)"
                ),
            ));
        }
        _ => {}
    }
    // Privileges the platform grants outside the migrations count like granted ones.
    let platform = scope.platform_grants(t);
    let granted = t
        .grants
        .iter()
        .map(|g| (g, ""))
        .chain(platform.iter().map(|g| (g, PLATFORM)));
    for (g, by) in granted.filter(|(g, _)| holds(&g.grantee)) {
        let already = problems.iter().any(|(_, p): &(Location, String)| {
            p.starts_with(&format!("{} granted to {} ", g.privilege, g.grantee))
        });
        if already {
            continue;
        }
        match g.privilege.as_str() {
            "TRUNCATE" => problems.push((
                g.location.clone(),
                format!(
                    "TRUNCATE granted to {} {by}(TRUNCATE ignores row-level security and row triggers)",
                    g.grantee
                ),
            )),
            "UPDATE" | "DELETE" if !guarded(scope, t, &g.privilege.to_ascii_lowercase()) => {
                problems.push((
                    g.location.clone(),
                    format!(
                        "{} granted to {} {by}with no BEFORE {} row trigger that raises",
                        g.privilege, g.grantee, g.privilege
                    ),
                ));
            }
            _ => {}
        }
    }
    problems
}

/// A `BEFORE <event> … FOR EACH ROW` trigger whose function raises.
fn guarded(scope: &Scope<'_>, t: &Table, event: &str) -> bool {
    t.triggers.iter().any(|tr| {
        tr.timing == "before"
            && tr.for_each_row
            && tr.events.iter().any(|e| e == event)
            && scope.db.functions.iter().any(|f| {
                f.raises
                    && (format!("{}.{}", f.schema, f.name) == tr.function || f.name == tr.function)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::pg::{Database, Grant, Policy};
    use crate::model::Status;
    use crate::rules::postgres::test_facts::table;
    use crate::settings::Settings;

    fn audit_table(name: &str) -> Table {
        Table {
            rls_enabled: true,
            location: Location::file("m.sql", 3),
            policies: vec![Policy {
                name: "Super admins can view audit logs".into(),
                command: "select".into(),
                permissive: true,
                roles: vec!["authenticated".into()],
                using: Some("is_super_admin()".into()),
                with_check: None,
                location: Location::file("m.sql", 9),
            }],
            ..table(name, &["id", "actor"])
        }
    }

    fn judged(db: Database) -> crate::Finding {
        let settings: Settings =
            toml::from_str("[postgres]\nruntime_roles = [\"anon\", \"authenticated\"]\n").unwrap();
        let facts = crate::Facts {
            settings,
            postgres: vec![db],
            ..crate::Facts::default()
        };
        crate::registry::run_on(&PgAuditAppendOnly, &facts).remove(0)
    }

    /// The corpus's FN20 (supabase-dump-orgs `public.super_admin_audit`): no grant in the
    /// migrations, but Supabase's default privileges grant ALL on new `public` tables to the
    /// API roles, and TRUNCATE ignores row-level security.
    #[test]
    fn supabase_default_privileges_make_a_public_audit_table_truncatable() {
        let mut other = audit_table("profiles");
        other.grants.push(Grant {
            grantee: "authenticated".into(),
            privilege: "SELECT".into(),
            object: None,
            location: Location::file("m.sql", 20),
        });
        let db = Database {
            tables: vec![audit_table("super_admin_audit"), other.clone()],
            ..Database::default()
        };
        let f = judged(db);
        assert_eq!(f.subject, "public.super_admin_audit");
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(
            f.message
                .contains("TRUNCATE granted to authenticated by Supabase's default privileges"),
            "{f:?}"
        );
        // A REVOKE on the table in the migrations takes the platform's grants back.
        let db = Database {
            tables: vec![audit_table("super_admin_audit"), other],
            revoked_tables: vec!["public.super_admin_audit".into()],
            ..Database::default()
        };
        assert_eq!(judged(db).status, Status::Pass);
        // Outside `public` the platform grants nothing.
        let mut private = audit_table("super_admin_audit");
        private.schema = "private".into();
        let db = Database {
            tables: vec![private],
            ..Database::default()
        };
        assert_eq!(judged(db).status, Status::Pass);
    }
}
