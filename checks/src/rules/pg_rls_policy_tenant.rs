use serde_json::json;

use super::pg_common::{loose, scopes, table_names};
use crate::facts::pg::Policy;
use crate::model::{Check, Context, Findings, Meta, Severity, Source};

pub struct PgRlsPolicyTenant;

static META: Meta = Meta {
    id: "pg-rls-policy-tenant",
    title: "Tenant table policies restrict rows to the session's tenant, for reads and writes",
    severity: Severity::Critical,
    controls: &["TEN-01"],
    source: Source::Postgres,
    docs: r#"
## Why
Enabling RLS proves nothing if the policy is `USING (true)`, compares the wrong column, or
guards reads while letting writes through: an `INSERT` policy without `WITH CHECK` lets a
tenant write rows into another tenant.

## What is judged
The policies of every tenant table, as PostgreSQL applies them:
- reads (SELECT, and the rows UPDATE/DELETE can reach) use each permissive `FOR ALL`, `SELECT`,
  `UPDATE` and `DELETE` policy's `USING`;
- writes use each permissive `FOR ALL`, `INSERT` and `UPDATE` policy's `WITH CHECK`, where a
  `FOR ALL` or `FOR UPDATE` policy without `WITH CHECK` reuses its `USING`, and an `INSERT`
  policy needs its own `WITH CHECK` (without it PostgreSQL refuses every insert, which
  `pg-rls-policy` reports as an uncovered command).
Permissive policies are OR-ed, so each of them must restrict by tenant — unless a restrictive
policy (AND-ed) for that direction does. An expression restricts by tenant when it mentions one
of the table's tenant columns and a session value: `current_setting(…)`, `current_user`,
`session_user`, a JWT or `auth.*` function, a function whose name says tenant/current, or a
subselect (a membership table). `true`, and expressions that never mention the tenant column,
fail. A table with no policy at all fails.

## How to fix
`CREATE POLICY tenant_isolation ON orders USING (tenant_id = current_setting('app.tenant_id')::uuid) WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);`

## Evidence
Each policy's command, roles, USING and WITH CHECK, and the reason each failing one fails.
"#,
};

impl Check for PgRlsPolicyTenant {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            for (t, _) in scope.tenant_tables() {
                let subject = t.qualified_name();
                let [q, n] = table_names(t);
                if scope.error_if_unparsed(out, &subject, &["policy"], &[&q, &n]) {
                    continue;
                }
                let mut columns: Vec<String> = scope
                    .tenant_columns_of(t)
                    .iter()
                    .map(|c| loose(c))
                    .collect();
                if columns.is_empty() {
                    columns = scope
                        .settings
                        .effective_tenant_columns()
                        .iter()
                        .map(|c| loose(c))
                        .collect();
                }
                let problems = judge_policies(&t.policies, &columns);
                let evidence = json!({
                    "database": scope.db.name, "table": subject,
                    "policies": t.policies.iter().map(|p| json!({
                        "name": p.name, "command": p.command, "permissive": p.permissive,
                        "roles": p.roles, "using": p.using, "with_check": p.with_check,
                    })).collect::<Vec<_>>(),
                    "problems": problems.iter().map(|(_, why)| why).collect::<Vec<_>>(),
                });
                match problems.first() {
                    None => {
                        let location = t
                            .policies
                            .last()
                            .map_or_else(|| t.location.clone(), |p| p.location.clone());
                        out.pass(
                            subject.clone(),
                            location,
                            format!(
                                "every policy of {subject} restricts reads and writes by tenant"
                            ),
                            evidence,
                        );
                    }
                    Some((policy, why)) => {
                        let location = policy
                            .and_then(|i| t.policies.get(i))
                            .map_or_else(|| t.location.clone(), |p| p.location.clone());
                        out.fail(
                            subject.clone(),
                            location,
                            format!("{subject}: {why}"),
                            evidence,
                        );
                    }
                }
            }
        }
    }
}

/// Problems with the table's policies: (index of the policy at fault, why).
fn judge_policies(policies: &[Policy], columns: &[String]) -> Vec<(Option<usize>, String)> {
    if policies.is_empty() {
        return vec![(None, "no policy restricts rows by tenant".to_owned())];
    }
    let mut problems = Vec::new();
    for (direction, commands) in [
        ("reads", &["all", "select", "update", "delete"][..]),
        ("writes", &["all", "insert", "update"][..]),
    ] {
        let effective = |p: &Policy| -> Option<String> {
            if direction == "reads" {
                p.using.clone()
            } else {
                p.with_check
                    .clone()
                    .or_else(|| (p.command != "insert").then(|| p.using.clone()).flatten())
            }
        };
        let applies = |p: &Policy| commands.contains(&p.command.to_ascii_lowercase().as_str());
        let restrictive_ok = policies.iter().any(|p| {
            !p.permissive
                && applies(p)
                && effective(p).is_some_and(|e| restricts_by_tenant(&e, columns).is_ok())
        });
        if restrictive_ok {
            continue;
        }
        for (i, p) in policies
            .iter()
            .enumerate()
            .filter(|(_, p)| p.permissive && applies(p))
        {
            // A policy without the expression for this direction admits no row for it
            // (PostgreSQL 15: an INSERT policy without WITH CHECK refuses every insert), so it
            // cannot leak; `pg-rls-policy` reports the command as uncovered instead.
            let Some(expression) = effective(p) else {
                continue;
            };
            let verdict = restricts_by_tenant(&expression, columns);
            if let Err(why) = verdict {
                problems.push((
                    Some(i),
                    format!(
                        "policy `{}` ({}) {why}, so {direction} are not restricted to the tenant",
                        p.name, p.command
                    ),
                ));
            }
        }
    }
    problems
}

/// Expressions that read who the session is acting for.
const SESSION: &[&str] = &[
    "current_setting",
    "current_user",
    "session_user",
    "current_role",
    "auth.",
    "jwt",
    "request.",
];

/// `Ok` when the expression compares a tenant column with a session value.
pub(crate) fn restricts_by_tenant(expr: &str, columns: &[String]) -> Result<(), String> {
    let lower = expr.to_ascii_lowercase();
    let bare: String = lower
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .collect();
    if bare == "true" {
        return Err(format!("is `{expr}`"));
    }
    let words = identifiers(expr);
    if !words.iter().any(|(w, _)| columns.contains(&loose(w))) {
        return Err(format!("never mentions the tenant column (`{expr}`)"));
    }
    let session = SESSION.iter().any(|s| lower.contains(s))
        || words.iter().any(|(w, call)| {
            w == "select"
                || (*call
                    && ["tenant", "current", "org", "member", "session", "claim"]
                        .iter()
                        .any(|k| w.contains(k)))
        });
    if session {
        Ok(())
    } else {
        Err(format!(
            "compares the tenant column with no session value (`{expr}`)"
        ))
    }
}

/// Identifier words of an expression (lower case, quotes dropped, string literals skipped) and
/// whether each is called as a function.
fn identifiers(expr: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut word = String::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_string = !in_string;
            continue;
        }
        if in_string {
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            let mut rest = chars.clone();
            let mut next = Some(c);
            while next.is_some_and(char::is_whitespace) {
                next = rest.next();
            }
            out.push((word.to_lowercase(), next == Some('(')));
            word.clear();
        }
    }
    if !word.is_empty() {
        out.push((word.to_lowercase(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    fn cols() -> Vec<String> {
        vec!["tenantid".to_owned()]
    }

    #[test]
    fn judges_expressions() {
        assert!(
            restricts_by_tenant(
                "tenant_id = current_setting('app.tenant_id')::uuid",
                &cols()
            )
            .is_ok()
        );
        assert!(
            restricts_by_tenant("\"tenantId\" = (auth.jwt() ->> 'tenant_id')::uuid", &cols())
                .is_ok()
        );
        assert!(
            restricts_by_tenant(
                "tenant_id IN (SELECT tenant_id FROM memberships WHERE user_id = auth.uid())",
                &cols()
            )
            .is_ok()
        );
        assert!(restricts_by_tenant("tenant_id = app.current_tenant()", &cols()).is_ok());
        assert!(restricts_by_tenant("true", &cols()).is_err());
        assert!(restricts_by_tenant("(true)", &cols()).is_err());
        assert!(restricts_by_tenant("user_id = auth.uid()", &cols()).is_err());
        assert!(restricts_by_tenant("tenant_id = tenant_id", &cols()).is_err());
        assert!(restricts_by_tenant("current_setting('tenant_id') IS NOT NULL", &cols()).is_err());
    }

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
    fn applies_policies_as_postgres_does() {
        let good = "tenant_id = current_setting('app.tenant_id')::uuid";
        assert!(judge_policies(&[policy("all", Some(good), None)], &cols()).is_empty());
        assert!(judge_policies(&[policy("update", Some(good), None)], &cols()).is_empty());
        let insert_without_check = judge_policies(
            &[
                policy("select", Some(good), None),
                policy("insert", None, None),
            ],
            &cols(),
        );
        assert!(
            insert_without_check.is_empty(),
            "an INSERT policy without WITH CHECK admits no row: {insert_without_check:?}"
        );
        assert!(!judge_policies(&[policy("all", Some(good), Some("true"))], &cols()).is_empty());
        assert!(!judge_policies(&[], &cols()).is_empty());
        let mut restrictive = policy("all", Some(good), None);
        restrictive.permissive = false;
        assert!(
            judge_policies(&[restrictive, policy("all", Some("true"), None)], &cols()).is_empty()
        );
    }
}
