use super::pg_tenant_isolation::rls_not_applicable;
use serde_json::json;

use super::pg_common::{Scope, policy_applies, scopes, table_names};
use crate::facts::pg::{Policy, Table};
use crate::model::{Check, Context, Findings, Meta, Severity, Source};

pub struct PgRlsPolicy;

static META: Meta = Meta {
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
applying to those roles. When the migrations grant nothing on the table at all, the grants are
assumed to live elsewhere (Supabase grants everything to `anon` and `authenticated`) and all
four commands must be covered. Without configured runtime roles, any policy counts. A policy
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

const COMMANDS: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE"];

impl Check for PgRlsPolicy {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            if rls_not_applicable(&scope, out) {
                continue;
            }
            for (t, _) in scope.tenant_tables() {
                if !t.rls_enabled {
                    continue;
                }
                let subject = t.qualified_name();
                let [q, n] = table_names(t);
                if scope.error_if_unparsed(out, &subject, &["policy", "grant", "rls"], &[&q, &n]) {
                    continue;
                }
                let needed = needed_commands(&scope, t);
                let missing: Vec<&str> = needed
                    .iter()
                    .copied()
                    .filter(|c| !t.policies.iter().any(|p| covers(&scope, p, c)))
                    .collect();
                let location = t
                    .policies
                    .last()
                    .map_or_else(|| t.location.clone(), |p| p.location.clone());
                let evidence = json!({
                    "database": scope.db.name, "runtime_roles": scope.runtime_roles_evidence(), "table": subject, "commands_needed": needed,
                    "policies": t.policies.iter().map(|p| json!({"name": p.name, "command": p.command, "roles": p.roles, "permissive": p.permissive})).collect::<Vec<_>>(),
                    "uncovered": missing,
                });
                if missing.is_empty() {
                    out.pass(
                        subject.clone(),
                        location,
                        format!("{subject} has a policy for {}", needed.join(", ")),
                        evidence,
                    );
                } else {
                    out.fail(
                        subject.clone(),
                        location,
                        format!("{subject} has row-level security but no policy for {} granted to the runtime roles", missing.join(", ")),
                        evidence,
                    );
                }
            }
        }
    }
}

/// The commands the runtime roles hold on `t`; all four when the migrations grant nothing.
fn needed_commands(scope: &Scope<'_>, t: &Table) -> Vec<&'static str> {
    if t.grants.is_empty() {
        return COMMANDS.to_vec();
    }
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
    use crate::settings::Settings;

    fn policy(command: &str, using: Option<&str>, with_check: Option<&str>) -> Policy {
        Policy {
            name: "p".into(),
            command: command.into(),
            permissive: true,
            roles: vec![],
            using: using.map(Into::into),
            with_check: with_check.map(Into::into),
            location: Location::file("m.sql", 1),
        }
    }

    #[test]
    fn a_policy_covers_a_command_only_with_the_expression_postgres_needs() {
        let settings = Settings::default();
        let facts = crate::Facts {
            settings: settings.clone(),
            postgres: vec![Database::default()],
            ..crate::Facts::default()
        };
        let cx = Context::new(&facts);
        let mut out = Findings::new(&META);
        let scope = &scopes(&cx, &mut out)[0];
        assert!(!covers(scope, &policy("insert", None, None), "INSERT"));
        assert!(covers(scope, &policy("insert", None, Some("x")), "INSERT"));
        assert!(covers(scope, &policy("all", Some("x"), None), "INSERT"));
        assert!(!covers(scope, &policy("all", None, Some("x")), "SELECT"));
        assert!(covers(scope, &policy("update", Some("x"), None), "UPDATE"));
        assert!(!covers(scope, &policy("select", Some("x"), None), "DELETE"));
    }
}
