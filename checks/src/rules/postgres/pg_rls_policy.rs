use super::pg_tenant_isolation::rls_scopes;
use serde_json::json;

use super::pg_common::{Scope, policy_applies, table_names};
use crate::facts::pg::{Origin, Policy, Table};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source, Status};

pub struct PgRlsPolicy;

const COMMANDS: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE"];

impl Rule for PgRlsPolicy {
    const META: Meta = Meta {
        id: "pg-rls-policy",
        title: "Every tenant table with RLS has a policy for each command the application may run",
        severity: Severity::High,
        controls: &["TEN-01"],
        source: Source::Postgres,
        docs: r#"
## Why
With row-level security enabled and no policy for a command, PostgreSQL denies that command
outright. Teams then "fix" the outage with a blanket policy or by turning RLS off. A policy per
granted command is the sign that isolation was designed, not patched.

## What is judged
For every tenant table with RLS enabled: each of SELECT, INSERT, UPDATE, DELETE that the runtime
roles (`[postgres] runtime_roles`, or when unset the roles the migrations grant table privileges to
(other than table owners, `postgres` and psql variables), with the roles they are members of, and PUBLIC) are granted
on the table must be covered by at least one permissive policy (`FOR ALL` or that command)
applying to those roles. Only commands the runtime roles are granted count: a table they hold
nothing on may have RLS and no policy at all (deny-all), and passes. When the migrations grant
nothing on the table, the grants are assumed to live elsewhere only where that can happen: on
Supabase (the set grants to or writes policies for `anon`/`authenticated`), whose default
privileges grant ALL on every new table in schema `public` to its API roles (unless the
migrations REVOKE on the table), or when the migrations grant no table privilege at all.
Commands no policy covers are then reported as an informational note, not a failure, since
row-level security without an applicable policy denies them (deny-all isolates; only the
application's use of the command is at stake). A migration set that manages its grants (a
complete pg_dump) and grants nothing on a table outside `public` says the runtime roles cannot
use it: pass. Without configured runtime roles, any policy counts. A policy
covers a command only with the expression PostgreSQL needs for it: USING for SELECT, UPDATE and
DELETE; WITH CHECK for INSERT (or USING, for `FOR ALL`). An `INSERT` policy without `WITH CHECK`
makes PostgreSQL refuse every insert, so it does not cover INSERT.

## How to fix
Add the missing policies, e.g.
`CREATE POLICY orders_insert ON orders FOR INSERT TO app_user WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);`
or revoke the command from the runtime role if the application never needs it.

## Evidence
The table, the commands granted, the policies found and the commands left uncovered.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in rls_scopes(cx, out) {
            for (t, _) in scope.tenant_tables() {
                if !t.rls_enabled {
                    continue;
                }
                let subject = t.qualified_name();
                let [q, n] = table_names(t);
                if scope.error_if_unparsed(out, &subject, &["policy", "grant", "rls"], &[&q, &n]) {
                    continue;
                }
                judge(&scope, t, out);
            }
        }
    }
}

/// The commands the runtime roles may run on `t`, and whether they are known: `false` when
/// they may be granted where vouch cannot see (migrations that grant nothing on it while a
/// platform's default privileges cover it or the grants live outside them, see
/// [`Scope::grants_may_live_elsewhere`]; a live database read without configured runtime
/// roles), and all four commands are then assumed.
fn granted(scope: &Scope<'_>, t: &Table) -> (Vec<&'static str>, bool) {
    let unknown = match scope.db.origin {
        Origin::Migrations => scope.grants_may_live_elsewhere(t),
        Origin::Live => t.grants.is_empty() && scope.options.runtime_roles.is_none(),
    };
    if unknown {
        return (COMMANDS.to_vec(), false);
    }
    (needed_commands(scope, t), true)
}

fn judge(scope: &Scope<'_>, t: &Table, out: &mut Findings) {
    let subject = t.qualified_name();
    let (needed, known) = granted(scope, t);
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|c| !t.policies.iter().any(|p| covers(scope, p, c)))
        .collect();
    let location = t
        .policies
        .last()
        .map_or_else(|| t.location.clone(), |p| p.location.clone());
    let evidence = json!({
        "database": scope.db.name, "runtime_roles": scope.runtime_roles_evidence(), "table": subject,
        "commands_needed": needed, "grants_known": known,
        "policies": t.policies.iter().map(|p| json!({"name": p.name, "command": p.command, "roles": p.roles, "permissive": p.permissive})).collect::<Vec<_>>(),
        "uncovered": missing,
    });
    if missing.is_empty() {
        let message = if needed.is_empty() {
            format!(
                "{subject}: the runtime roles are granted no command on it (the migrations grant table privileges, none on it, and no platform default covers it): row-level security without a policy denies nothing they could use"
            )
        } else {
            format!("{subject} has a policy for {}", needed.join(", "))
        };
        out.pass(subject, location, message, evidence);
        return;
    }
    let denied = missing.join(", ");
    if known {
        let at = grant_location(scope, t, missing[0]).unwrap_or(location);
        out.fail(
            subject.clone(),
            at,
            format!(
                "{subject} has row-level security and the runtime roles are granted {denied}, but no policy applying to them covers it: PostgreSQL denies {denied} to them (row-level security without an applicable policy is deny-all)"
            ),
            evidence,
        );
    } else {
        // Nothing says the commands are granted: deny-all isolates, so this is only a note.
        out.push_with_severity(
            Status::Fail,
            Severity::Info,
            subject.clone(),
            location,
            format!(
                "{subject}: no policy covers {denied}; if the runtime roles are granted {denied} outside the migrations, PostgreSQL denies it to them (deny-all)"
            ),
            evidence,
        );
    }
}

/// Where `command` was granted to a runtime role (or to anyone, roles unknown).
fn grant_location(scope: &Scope<'_>, t: &Table, command: &str) -> Option<Location> {
    let closure = scope.runtime_closure();
    t.grants
        .iter()
        .find(|g| {
            g.privilege == command && closure.as_ref().is_none_or(|cl| cl.contains(&g.grantee))
        })
        .map(|g| g.location.clone())
}

/// The commands the runtime roles hold on `t`.
fn needed_commands(scope: &Scope<'_>, t: &Table) -> Vec<&'static str> {
    let closure = scope.runtime_closure();
    COMMANDS
        .iter()
        .copied()
        .filter(|c| {
            t.grants.iter().any(|g| {
                g.privilege == *c && closure.as_ref().is_none_or(|cl| cl.contains(&g.grantee))
            })
        })
        .collect()
}

/// A permissive policy for `command` that applies to the runtime roles and admits rows for it:
/// SELECT, UPDATE and DELETE need a USING expression, INSERT a WITH CHECK (or, for a `FOR ALL`
/// policy, its USING). PostgreSQL refuses every row for a command whose policies lack the
/// expression (verified on PostgreSQL 15), so such a policy does not cover it.
fn covers(scope: &Scope<'_>, p: &Policy, command: &str) -> bool {
    let for_command = p.command == "all" || p.command.eq_ignore_ascii_case(command);
    let admits = if command == "INSERT" {
        p.with_check.is_some() || (p.command == "all" && p.using.is_some())
    } else {
        p.using.is_some()
    };
    let applies = policy_applies(p, scope.runtime_closure().as_deref());
    p.permissive && for_command && admits && applies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::pg::Database;
    use crate::model::Location;
    use crate::rules::postgres::test_facts::{policy, table};
    use crate::settings::Settings;

    #[test]
    fn a_policy_covers_a_command_only_with_the_expression_postgres_needs() {
        let settings = Settings::default();
        let facts = crate::Facts {
            settings: settings.clone(),
            postgres: vec![Database::default()],
            ..crate::Facts::default()
        };
        let options = facts.settings.resolve().unwrap();
        let cx = Context::new(&facts, &options);
        let mut out = Findings::new(&PgRlsPolicy::META);
        let scope = &super::super::pg_common::scopes(&cx, &mut out)[0];
        assert!(!covers(scope, &policy("insert", None, None), "INSERT"));
        assert!(covers(scope, &policy("insert", None, Some("x")), "INSERT"));
        assert!(covers(scope, &policy("all", Some("x"), None), "INSERT"));
        assert!(!covers(scope, &policy("all", None, Some("x")), "SELECT"));
        assert!(covers(scope, &policy("update", Some("x"), None), "UPDATE"));
        assert!(!covers(scope, &policy("select", Some("x"), None), "DELETE"));
    }

    fn deny_all_table(grants: &[&str]) -> Table {
        Table {
            rls_enabled: true,
            rls_forced: true,
            policies: vec![policy("select", Some("tenant_id = 1"), None)],
            grants: grants
                .iter()
                .map(|g| crate::facts::pg::Grant {
                    grantee: "app".into(),
                    privilege: (*g).into(),
                    object: None,
                    location: Location::file("m.sql", 7),
                })
                .collect(),
            ..table("docs", &["id", "tenant_id"])
        }
    }

    /// The one finding on `t`, with `app` the runtime role.
    fn judged(t: Table) -> crate::Finding {
        run_on(vec![t], "app").remove(0)
    }

    #[test]
    fn reports_the_granted_commands_deny_all_leaves_unusable() {
        let f = judged(deny_all_table(&["SELECT", "UPDATE"]));
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::High));
        assert!(
            f.message.contains("granted UPDATE") && f.message.contains("deny-all"),
            "{f:?}"
        );
        assert_eq!(
            f.location,
            Location::file("m.sql", 7),
            "points at the grant"
        );
        // Nothing granted in the migrations: the uncovered commands are only a note.
        let f = judged(deny_all_table(&[]));
        assert_eq!((f.status, f.severity), (Status::Fail, Severity::Info));
        assert!(f.message.contains("INSERT, UPDATE, DELETE"), "{f:?}");
        assert_eq!(judged(deny_all_table(&["SELECT"])).status, Status::Pass);
    }

    fn run_on(tables: Vec<Table>, runtime_role: &str) -> Vec<crate::Finding> {
        let settings: Settings = toml::from_str(&format!(
            "[postgres]\nruntime_roles = [\"{runtime_role}\"]\n"
        ))
        .unwrap();
        let facts = crate::Facts {
            settings,
            postgres: vec![Database {
                tables,
                ..Database::default()
            }],
            ..crate::Facts::default()
        };
        let mut out = Findings::new(&PgRlsPolicy::META);
        PgRlsPolicy.run(
            &Context::new(&facts, &facts.settings.resolve().unwrap()),
            &mut out,
        );
        out.into_vec()
    }

    fn finding_about<'a>(findings: &'a [crate::Finding], subject: &str) -> &'a crate::Finding {
        findings
            .iter()
            .find(|f| f.subject == subject)
            .unwrap_or_else(|| panic!("no finding about {subject}: {findings:?}"))
    }

    /// The corpus's FP1 (pgdump-graphile-starter `app_public.organization_invitations`): RLS,
    /// no policy, and no grant to the visitor role in a complete pg_dump that grants its other
    /// tables: the role cannot use the table at all, so nothing is left unusable.
    #[test]
    fn a_table_a_complete_dump_grants_nothing_on_is_deny_all_and_passes() {
        let mut granted = deny_all_table(&["SELECT"]);
        granted.schema = "app_public".into();
        granted.name = "organizations".into();
        let mut invitations = deny_all_table(&[]);
        invitations.schema = "app_public".into();
        invitations.name = "organization_invitations".into();
        invitations.policies.clear();
        let findings = run_on(vec![granted, invitations.clone()], "app");
        let f = finding_about(&findings, "app_public.organization_invitations");
        assert_eq!(
            (f.status, f.severity),
            (Status::Pass, Severity::High),
            "{f:?}"
        );
        assert!(
            f.message.starts_with(
                "app_public.organization_invitations: the runtime roles are granted no command"
            ),
            "{f:?}"
        );
        // On Supabase, a `public` table the migrations grant nothing on is granted ALL by the
        // platform's default privileges: the uncovered commands stay a note.
        let mut supabase_granted = deny_all_table(&["SELECT"]);
        supabase_granted.grants[0].grantee = "authenticated".into();
        supabase_granted.name = "orgs".into();
        invitations.schema = "public".into();
        let findings = run_on(vec![supabase_granted, invitations], "authenticated");
        let f = finding_about(&findings, "public.organization_invitations");
        assert_eq!(
            (f.status, f.severity),
            (Status::Fail, Severity::Info),
            "{f:?}"
        );
        assert!(
            f.message.contains("SELECT, INSERT, UPDATE, DELETE"),
            "{f:?}"
        );
    }
}
