use super::pg_tenant_isolation::rls_scopes;
use serde_json::{Value, json};

use super::pg_common::loose;
use super::pg_common::{Scope, not_applicable_without_rls, policy_applies, table_names};
use super::pg_policy_semantics::{Link, Outcome, Unjudged, UserScope, Vocabulary};
use crate::facts::pg::{Policy, Table};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgRlsPolicyTenant;

impl Rule for PgRlsPolicyTenant {
    const META: Meta = Meta {
        id: "pg-rls-policy-tenant",
        title: "Tenant table policies restrict rows to the session's tenant, for reads and writes",
        severity: Severity::Critical,
        controls: &["TEN-01"],
        source: Source::Postgres,
        docs: r#"
## Why
Enabling RLS proves nothing if the policy is `USING (true)`, compares the wrong column, is keyed
on the wrong session setting, or ORs the tenant test with a branch every row passes. An `INSERT`
policy without `WITH CHECK`, or a permissive "bypass" policy, lets a session write or read
another tenant's rows.

## What is judged
The policies of every tenant table with row-level security enabled (a table without it is
`pg-rls-enabled`'s failure; here it gets an informational "not applicable" note, never a pass),
as PostgreSQL applies them, for each runtime role (`[postgres] runtime_roles`; without them,
every policy is assumed to apply):
- a policy applies to a role only when its `TO` list names the role, a role it is a member of,
  or PUBLIC — `FOR UPDATE TO service_role USING (true)` does not open the table to `app_user`;
- reads (SELECT, and the rows UPDATE/DELETE can reach) use the `USING` of each `FOR ALL`,
  `SELECT`, `UPDATE` and `DELETE` policy; writes use the `WITH CHECK` of each `FOR ALL`,
  `INSERT` and `UPDATE` policy (a `FOR ALL`/`FOR UPDATE` policy without one reuses `USING`; an
  `INSERT` policy without one refuses every insert);
- the rows admitted are (permissive₁ OR permissive₂ …) AND restrictive₁ AND …: the direction
  is isolated when some restrictive policy restricts by tenant, or when every permissive one
  does. With RLS enabled and no permissive policy for the role, PostgreSQL denies every row,
  which isolates (`pg-rls-policy` reports commands left unusable).

Each expression is parsed into its tree and judged by its boolean structure: every disjunct of
its disjunctive form must carry a tenant restriction (`A AND B` is restricted when either side
is, `A OR B` when both are). A tenant restriction is:
- `tenant_col = <session tenant>` (either side, through casts and parentheses), or
  `tenant_col IN (…)` / `= ANY(…)` of session values;
- `tenant_col IN (SELECT …)`, `tenant_col = (SELECT …)`, `= ANY(ARRAY(SELECT …))`: a subselect
  whose condition is itself keyed on a declared session value in every disjunct (a membership
  table);
- `EXISTS (SELECT … WHERE m.tenant_id = <table>.tenant_id AND m.user_id = <session user>)`: the
  outer column must be qualified with the table's name (an unqualified name means the
  subselect's own column, and the test is then true for every row);
- a call of a declared tenant function given a tenant column (`has_role_on_account(account_id)`);
  functions are recognised by declaration, never by their names;
- a tenant path (`[postgres] tenant_paths`, default on): for a table that is a tenant table only
  through a foreign key (`endpoint.app_id -> application.org_id`), `app_id IN (SELECT id FROM
  application WHERE <cond>)`, `app_id = (SELECT id FROM application WHERE <cond>)` or `EXISTS
  (SELECT 1 FROM application a WHERE a.id = endpoint.app_id AND <cond>)`, where the subselect
  reads the parent alone, selects the referenced column, and `<cond>` restricts the parent's rows
  to the session's tenant by these same rules (chains are followed parent by parent);
- user-scoped: `user_col = <session user or tenant value>`, where `user_col` is one of
  `[postgres] user_columns` (default `user_id`, `owner_id`). For reads, a row keyed on one user
  is visible only to that user, which is stricter than tenant scoping, so it passes (the
  evidence marks it). For writes it restricts the tenant only when the row's tenant follows its
  user, or nobody reads the row by tenant: the table has no tenant column of its own (the user
  column, or a tenant path, is its scope); no permissive policy reads it by tenant (every read is
  user-scoped too, so a row written with another tenant's id is seen by its user alone); a
  composite foreign key covers a tenant column and the user column (`FOREIGN KEY
  (org_id, user_id) REFERENCES memberships (org_id, user_id)`: a user writes only into tenants
  they belong to); or `[postgres] single_tenant_users = true` declares that every user belongs
  to one tenant and that the tenant column is set from the user (a default or trigger; the
  evidence names the declaration). Otherwise `WITH CHECK (user_id = auth.uid())` leaves the
  tenant column free: a user writes (or moves) a row into any tenant, whose members then read
  it, so the policy fails. A foreign key from the users table to the tenant table is not
  enough: it makes each user belong to one tenant, but the row's own tenant column can still
  name another.

A session value is `current_setting('<key>'[, missing_ok])` of a declared key, a call of a
declared function, a JSON field of either (`auth.jwt() ->> 'org_id'`), wrapped in casts,
`NULLIF(…, constant)`, or `COALESCE` of session values only. `true`, `IS NOT NULL`,
comparisons with constants, columns that are not the tenant's, negations, undeclared settings
or functions fail, quoting the branch. A branch reading only session values (`current_setting
('app.bypass_rls', true) = 'on'`) admits every row when the session says so: it is reported as
a bypass and fails unless declared in `[postgres] break_glass`. A declared switch passes but
is never proven safe: a custom setting such as `app.bypass_rls` can be `SET` by any session
(PostgreSQL has no privilege on placeholder settings: `REVOKE SET ON PARAMETER` and `ALTER ROLE
… SET` do not stop it), so the verdict says "settable by the session" — the declaration accepts
that whoever runs SQL as a runtime role can read every tenant. For a declared function
(`is_super_admin()`) vouch does not judge who can make it true, and says so.

## Settings
```toml
[postgres]
# current_setting keys (globs) carrying the session's tenant. Default: app.tenant_id, app.tenant,
# app.current_tenant, app.current_tenant_id, app.org_id, app.organization_id, app.current_org_id,
# app.account_id, app.workspace_id, app.team_id, request.jwt.claims, request.jwt.claim.*
# (PostgREST). `[]` means none.
tenant_settings = ["app.tenant_id"]
# Functions returning the session's tenant or deciding membership for a tenant column.
# Default: auth.uid, auth.jwt (Supabase; the user is the tenant).
tenant_functions = ["auth.uid", "basejump.has_role_on_account"]
# User-scoped rows: columns, and the settings/functions carrying the session's user.
# Defaults: user_id, owner_id; app.user_id, app.current_user_id, request.jwt.claim.sub; auth.uid.
user_columns = ["user_id"]
user_settings = ["app.user_id"]
user_functions = ["auth.uid"]
# Accepted break-glass switches: setting keys (globs) or functions written `name()`.
break_glass = ["app.bypass_rls"]
# Every user belongs to one tenant and the tenant column of a row is set from its user
# (default false): user-scoped WITH CHECKs then isolate writes.
single_tenant_users = true
```
The tenant table itself (`[postgres] tenant_table`) is judged with its key (the column the
tenant columns reference, or `id`) as its tenant column: `USING (id = <session tenant>)`. A new
row there is a new tenant, so its `INSERT` policies are not judged as cross-tenant writes.

An expression deeper than 300 levels, or one vouch cannot parse, is `error` for its table.

## How to fix
`CREATE POLICY tenant_isolation ON orders USING (tenant_id = current_setting('app.tenant_id')::uuid) WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);`
Key it on a declared setting, drop `OR` branches that do not restrict, and declare membership
functions in `tenant_functions`.

## Evidence
Each policy's command, roles, USING and WITH CHECK; the open branches (quoted) with the role,
direction and reason; notes (deny-all directions, user-scoped keys, accepted break-glass).
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in rls_scopes(cx, out) {
            for (t, _) in scope.tenant_tables() {
                let subject = t.qualified_name();
                let [q, n] = table_names(t);
                if scope.error_if_unparsed(out, &subject, &["policy"], &[&q, &n]) {
                    continue;
                }
                if !t.rls_enabled {
                    let evidence = json!({"database": scope.db.name, "table": subject});
                    not_applicable_without_rls(out, t, evidence);
                    continue;
                }
                let reads = vocabulary(&scope, t, 0);
                let writes =
                    vocabulary(&scope, t, 0).with_user_scope(user_scope_of_writes(&scope, t));
                let mut verdict = judge_table(t, &principals(&scope), [&reads, &writes]);
                if scope.is_tenant_registry(t) {
                    registry_inserts_create_tenants(t, &mut verdict);
                }
                report(&scope, t, &verdict, out);
            }
        }
    }
}

/// How many parents a tenant path's vocabulary follows (cycles end here too).
const MAX_PATH_DEPTH: usize = 8;

/// The table's vocabulary: its tenant columns and, for a table that is a tenant table only
/// through foreign keys, the links its policies must follow (each parent judged by its own).
fn vocabulary(scope: &Scope<'_>, t: &Table, depth: usize) -> Vocabulary {
    let mut v = Vocabulary::new(&t.name, &tenant_columns(scope, t), scope.options);
    if depth >= MAX_PATH_DEPTH || !scope.tenant_columns_of(t).is_empty() {
        return v;
    }
    for link in scope.tenant_links(t) {
        let parent = vocabulary(scope, link.parent, depth + 1);
        v = v.with_link(Link::new(
            &link.column,
            &link.parent.qualified_name(),
            link.referenced.as_deref(),
            parent,
        ));
    }
    v
}

/// What a user-scoped `WITH CHECK` proves on `t` (see [`UserScope`]): nothing about the tenant
/// when `t` has a tenant column of its own that a policy reads by, and neither a composite
/// foreign key with the user column nor `[postgres] single_tenant_users` binds to the user.
fn user_scope_of_writes(scope: &Scope<'_>, t: &Table) -> UserScope {
    let tenant = scope.tenant_columns_of(t);
    if tenant.is_empty() {
        // The user column (or a path) is the table's only scope.
        return UserScope::Isolates(None);
    }
    let Some(read_by) = tenant_read(scope, t) else {
        return UserScope::Isolates(Some(
            "no policy reads the table by tenant, so a row is seen only by its user".to_owned(),
        ));
    };
    if scope.options.single_tenant_users {
        return UserScope::Isolates(Some(
            "declared by [postgres] single_tenant_users = true".to_owned(),
        ));
    }
    let users: Vec<String> = scope
        .options
        .user_columns
        .iter()
        .map(|c| loose(c))
        .collect();
    let binding = t.foreign_keys.iter().find(|fk| {
        let has = |wanted: &[String]| fk.columns.iter().any(|c| wanted.contains(&loose(c)));
        has(&tenant.iter().map(|c| loose(c)).collect::<Vec<_>>()) && has(&users)
    });
    match binding {
        Some(fk) => UserScope::Isolates(Some(format!(
            "the foreign key ({}) -> {} binds the row's tenant to its user",
            fk.columns.join(", "),
            fk.references
        ))),
        None => UserScope::LeavesTenantFree {
            tenant_columns: tenant,
            read_by,
        },
    }
}

/// The first permissive policy applying to the runtime roles that reads `t` by tenant (its
/// `USING` restricts rows to the session's tenant without counting user columns): through it,
/// a row written into a tenant is read by that tenant's members.
fn tenant_read(scope: &Scope<'_>, t: &Table) -> Option<String> {
    let mut options = scope.options.clone();
    options.user_columns = Vec::new();
    let by_tenant = Vocabulary::new(&t.name, &tenant_columns(scope, t), &options);
    let closure = scope.runtime_closure();
    t.policies
        .iter()
        .filter(|p| p.permissive && Direction::Reads.applies(p))
        .filter(|p| policy_applies(p, closure.as_deref()))
        .find(|p| {
            p.using
                .as_deref()
                .is_some_and(|u| matches!(by_tenant.judge(u), Ok(Outcome::Restricted(_))))
        })
        .map(|p| p.name.clone())
}

/// The table's tenant columns; for a table included by name, the configured ones.
fn tenant_columns(scope: &Scope<'_>, t: &Table) -> Vec<String> {
    let columns = scope.tenant_columns_of(t);
    if columns.is_empty() {
        scope.options.tenant_columns.clone()
    } else {
        columns
    }
}

/// The sessions judged: each runtime role with the roles it acts as, or — none configured —
/// one session to which every policy may apply.
fn principals(scope: &Scope<'_>) -> Vec<(String, Option<Vec<String>>)> {
    // An explicitly empty list names no role either: every policy may then apply, never none.
    let roles = scope.options.configured_runtime_roles();
    if roles.is_empty() {
        return vec![("any role".to_owned(), None)];
    }
    roles
        .iter()
        .map(|r| (r.clone(), Some(scope.closure(r))))
        .collect()
}

fn report(scope: &Scope<'_>, t: &Table, verdict: &TableVerdict, out: &mut Findings) {
    let subject = t.qualified_name();
    let at = |i: Option<usize>| {
        i.and_then(|i| t.policies.get(i))
            .map_or_else(|| t.location.clone(), |p| p.location.clone())
    };
    let evidence = json!({
        "database": scope.db.name, "table": subject,
        "policies": t.policies.iter().map(|p| json!({
            "name": p.name, "command": p.command, "permissive": p.permissive,
            "roles": p.roles, "using": p.using, "with_check": p.with_check,
        })).collect::<Vec<_>>(),
        "problems": verdict.problems.iter().map(|p| p.evidence.clone()).collect::<Vec<_>>(),
        "unjudged": verdict.unjudged.iter().map(|(_, why)| why).collect::<Vec<_>>(),
        "notes": verdict.notes,
    });
    if let Some(problem) = verdict.problems.first() {
        out.fail(
            subject.clone(),
            at(problem.policy),
            format!("{subject}: {}", problem.message),
            evidence,
        );
    } else if let Some((policy, why)) = verdict.unjudged.first() {
        out.error(
            subject.clone(),
            at(Some(*policy)),
            format!("{subject}: cannot prove it: {why}"),
            evidence,
        );
    } else {
        let how = if verdict.notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", verdict.notes.join("; "))
        };
        let last = t.policies.len().checked_sub(1);
        out.pass(
            subject.clone(),
            at(last),
            format!("every policy of {subject} restricts reads and writes by tenant{how}"),
            evidence,
        );
    }
}

/// A reason the table is not isolated.
#[derive(Debug)]
struct Problem {
    /// The policy at fault, by index.
    policy: Option<usize>,
    message: String,
    evidence: Value,
}

#[derive(Debug, Default)]
struct TableVerdict {
    problems: Vec<Problem>,
    /// Policies whose expression could not be judged, and why.
    unjudged: Vec<(usize, String)>,
    notes: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Reads,
    Writes,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Reads => "reads",
            Direction::Writes => "writes",
        }
    }

    fn commands(self) -> &'static [&'static str] {
        match self {
            Direction::Reads => &["all", "select", "update", "delete"],
            Direction::Writes => &["all", "insert", "update"],
        }
    }

    /// The expression PostgreSQL applies for this direction, if the policy has one.
    fn expression(self, p: &Policy) -> Option<&str> {
        match self {
            Direction::Reads => p.using.as_deref(),
            Direction::Writes => p.with_check.as_deref().or_else(|| {
                (!p.command.eq_ignore_ascii_case("insert"))
                    .then_some(p.using.as_deref())
                    .flatten()
            }),
        }
    }

    fn applies(self, p: &Policy) -> bool {
        self.commands()
            .contains(&p.command.to_ascii_lowercase().as_str())
    }
}

/// Judges the table's policies for every session in `principals`.
fn judge_table(
    t: &Table,
    principals: &[(String, Option<Vec<String>>)],
    [reads, writes]: [&Vocabulary; 2],
) -> TableVerdict {
    let mut verdict = TableVerdict::default();
    if t.policies.is_empty() && !t.rls_enabled {
        verdict.problems.push(Problem {
            policy: None,
            message: "no policy restricts rows by tenant (row-level security is not enabled)"
                .to_owned(),
            evidence: json!({"why": "no policy and row-level security disabled"}),
        });
        return verdict;
    }
    // Each expression is parsed and judged once, whatever the number of roles.
    let outcomes: Vec<[Option<Result<Outcome, Unjudged>>; 2]> = t
        .policies
        .iter()
        .map(|p| {
            [(Direction::Reads, reads), (Direction::Writes, writes)]
                .map(|(d, v)| d.expression(p).map(|e| v.judge(e)))
        })
        .collect();
    for (label, closure) in principals {
        for (slot, direction) in [Direction::Reads, Direction::Writes]
            .into_iter()
            .enumerate()
        {
            let applicable: Vec<usize> = (0..t.policies.len())
                .filter(|&i| {
                    let p = &t.policies[i];
                    direction.applies(p) && policy_applies(p, closure.as_deref())
                })
                .collect();
            judge_direction(
                t,
                &outcomes,
                &applicable,
                slot,
                (label, direction),
                &mut verdict,
            );
        }
    }
    dedup(&mut verdict);
    verdict
}

/// One role and direction: (OR of permissive) AND (AND of restrictive).
fn judge_direction(
    t: &Table,
    outcomes: &[[Option<Result<Outcome, Unjudged>>; 2]],
    applicable: &[usize],
    slot: usize,
    (label, direction): (&str, Direction),
    verdict: &mut TableVerdict,
) {
    let outcome = |i: usize| outcomes[i][slot].as_ref();
    let permissive: Vec<usize> = applicable
        .iter()
        .copied()
        .filter(|&i| t.policies[i].permissive && outcome(i).is_some())
        .collect();
    if permissive.is_empty() {
        if t.rls_enabled {
            verdict.notes.push(format!(
                "{} denied to {label}: no permissive policy applies",
                direction.name()
            ));
        } else {
            verdict.problems.push(Problem {
                policy: None,
                message: format!(
                    "no policy restricts {} for {label}, and row-level security is not enabled",
                    direction.name()
                ),
                evidence: json!({"role": label, "direction": direction.name()}),
            });
        }
        return;
    }
    let restricted_by_restrictive = applicable.iter().any(|&i| {
        !t.policies[i].permissive && matches!(outcome(i), Some(Ok(Outcome::Restricted(_))))
    });
    if restricted_by_restrictive {
        return;
    }
    for i in permissive {
        let p = &t.policies[i];
        match outcome(i) {
            Some(Ok(Outcome::Restricted(notes))) => verdict
                .notes
                .extend(notes.iter().map(|n| format!("policy `{}`: {n}", p.name))),
            Some(Ok(Outcome::Open(branch))) => {
                let kind = if branch.bypass.is_some() {
                    "bypass: "
                } else {
                    ""
                };
                verdict.problems.push(Problem {
                    policy: Some(i),
                    message: format!(
                        "{kind}policy `{}` ({}) lets {} through for {label}: `{}` {}",
                        p.name,
                        p.command,
                        direction.name(),
                        branch.text,
                        branch.why
                    ),
                    evidence: json!({
                        "policy": p.name, "role": label, "direction": direction.name(),
                        "branch": branch.text, "why": branch.why, "bypass": branch.bypass,
                    }),
                });
            }
            Some(Err(why)) => verdict
                .unjudged
                .push((i, format!("policy `{}` ({}): {why}", p.name, p.command))),
            None => {}
        }
    }
}

/// On the tenant table itself a new row is a new tenant (its key is unique, and an INSERT
/// policy gives no access to existing rows), so an `INSERT` policy's check is not a
/// cross-tenant write: its problems are dropped, noted in the evidence.
fn registry_inserts_create_tenants(t: &Table, verdict: &mut TableVerdict) {
    let before = verdict.problems.len();
    verdict.problems.retain(|p| {
        p.policy
            .and_then(|i| t.policies.get(i))
            .is_none_or(|policy| !policy.command.eq_ignore_ascii_case("insert"))
    });
    if verdict.problems.len() < before {
        verdict.notes.push(
            "INSERT policies of the tenant table create new tenants, not rows of another tenant"
                .to_owned(),
        );
    }
}

/// The same problem found for several roles or directions is reported once.
fn dedup(verdict: &mut TableVerdict) {
    let mut seen = Vec::new();
    verdict.problems.retain(|p| {
        let key = (
            p.policy,
            p.evidence.get("branch").cloned(),
            p.evidence.get("direction").cloned(),
        );
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    verdict.unjudged.sort();
    verdict.unjudged.dedup();
    let mut notes = Vec::new();
    for n in verdict.notes.drain(..) {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    verdict.notes = notes;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::PostgresOptions;
    use crate::rules::postgres::test_facts::{policy, table};

    const GOOD: &str = "tenant_id = current_setting('app.tenant_id')::uuid";

    fn orders(policies: Vec<Policy>, rls_enabled: bool) -> Table {
        Table {
            rls_enabled,
            rls_forced: true,
            policies,
            ..table("orders", &["id", "tenant_id"])
        }
    }

    fn judge(policies: Vec<Policy>, roles: &[(&str, &[&str])]) -> TableVerdict {
        let vocabulary = Vocabulary::new(
            "orders",
            &["tenant_id".to_owned()],
            &PostgresOptions::default(),
        );
        let principals: Vec<(String, Option<Vec<String>>)> = if roles.is_empty() {
            vec![("any role".into(), None)]
        } else {
            roles
                .iter()
                .map(|(r, cl)| {
                    let mut closure: Vec<String> = cl.iter().map(|s| (*s).to_owned()).collect();
                    closure.push((*r).to_owned());
                    closure.push("PUBLIC".to_owned());
                    ((*r).to_owned(), Some(closure))
                })
                .collect()
        };
        judge_table(
            &orders(policies, true),
            &principals,
            [&vocabulary, &vocabulary],
        )
    }

    #[test]
    fn applies_policies_as_postgres_does() {
        assert!(
            judge(vec![policy("all", Some(GOOD), None)], &[])
                .problems
                .is_empty()
        );
        assert!(
            judge(vec![policy("update", Some(GOOD), None)], &[])
                .problems
                .is_empty()
        );
        let insert_without_check = judge(
            vec![
                policy("select", Some(GOOD), None),
                policy("insert", None, None),
            ],
            &[],
        );
        assert!(
            insert_without_check.problems.is_empty(),
            "an INSERT policy without WITH CHECK admits no row: {insert_without_check:?}"
        );
        let open_writes = judge(vec![policy("all", Some(GOOD), Some("true"))], &[]);
        assert!(
            open_writes.problems[0]
                .message
                .contains("lets writes through"),
            "{open_writes:?}"
        );
        let mut restrictive = policy("all", Some(GOOD), None);
        restrictive.permissive = false;
        assert!(
            judge(
                vec![restrictive.clone(), policy("all", Some("true"), None)],
                &[]
            )
            .problems
            .is_empty()
        );
        // A restrictive policy alone admits nothing: deny-all.
        let alone = judge(vec![restrictive], &[]);
        assert!(
            alone.problems.is_empty() && !alone.notes.is_empty(),
            "{alone:?}"
        );
        // An open restrictive policy does not rescue an open permissive one.
        let mut open_restrictive = policy("all", Some("true"), None);
        open_restrictive.permissive = false;
        let both_open = judge(
            vec![open_restrictive, policy("all", Some("true"), None)],
            &[],
        );
        assert!(!both_open.problems.is_empty());
    }

    #[test]
    fn rls_with_no_policy_is_deny_all_and_without_rls_it_fails() {
        let vocabulary = Vocabulary::new(
            "orders",
            &["tenant_id".to_owned()],
            &PostgresOptions::default(),
        );
        let any = [("any role".to_owned(), None)];
        let deny_all = judge_table(&orders(vec![], true), &any, [&vocabulary, &vocabulary]);
        assert!(deny_all.problems.is_empty(), "{deny_all:?}");
        assert!(deny_all.notes.iter().any(|n| n.contains("denied")));
        let no_rls = judge_table(&orders(vec![], false), &any, [&vocabulary, &vocabulary]);
        assert!(
            no_rls.problems[0].message.contains("not enabled"),
            "{no_rls:?}"
        );
    }

    #[test]
    fn a_policy_applies_only_to_the_roles_in_its_to_list() {
        let mut service = policy("update", Some("true"), None);
        service.roles = vec!["service_role".into()];
        let tenant = policy("all", Some(GOOD), None);
        let roles: &[(&str, &[&str])] = &[("authenticated", &[])];
        let verdict = judge(vec![tenant.clone(), service.clone()], roles);
        assert!(verdict.problems.is_empty(), "{verdict:?}");
        // A role that is a member of service_role gets it.
        let member: &[(&str, &[&str])] = &[("app", &["service_role"])];
        let verdict = judge(vec![tenant.clone(), service.clone()], member);
        assert!(
            verdict.problems[0].message.contains("for app"),
            "{verdict:?}"
        );
        // Without runtime roles every policy may apply.
        assert!(!judge(vec![tenant, service], &[]).problems.is_empty());
    }

    #[test]
    fn the_offending_branch_is_quoted() {
        let verdict = judge(
            vec![policy(
                "all",
                Some("tenant_id IS NOT NULL OR current_setting('app.tenant_id') IS NOT NULL"),
                None,
            )],
            &[],
        );
        assert!(
            verdict.problems[0]
                .message
                .contains("`tenant_id IS NOT NULL`"),
            "{verdict:?}"
        );
        let bypass = judge(
            vec![
                policy("all", Some(GOOD), None),
                policy(
                    "all",
                    Some("current_setting('app.bypass_rls', true)::text = 'on'"),
                    None,
                ),
            ],
            &[],
        );
        assert!(
            bypass.problems[0].message.starts_with("bypass: "),
            "{bypass:?}"
        );
    }

    #[test]
    fn an_unjudgeable_policy_is_an_error_naming_it() {
        let deep = vec![GOOD; 400].join(" AND ");
        let mut p = policy("all", Some(&deep), None);
        p.name = "deep_one".into();
        let verdict = judge(vec![p], &[]);
        assert!(verdict.problems.is_empty());
        assert!(verdict.unjudged[0].1.contains("`deep_one`"), "{verdict:?}");
    }

    /// The corpus's FN1 (supabase-dump-orgs `public.organization_access_log`): a member
    /// inserts rows with any organization_id, which that organization's admins then read.
    fn access_log(foreign_keys: Vec<crate::facts::pg::ForeignKey>, toml: &str) -> crate::Finding {
        let mut insert = policy("insert", None, Some("user_id = auth.uid()"));
        insert.name = "Users can insert their own audit logs".into();
        let read = policy(
            "select",
            Some("organization_id = current_setting('app.tenant_id')::uuid"),
            None,
        );
        let mut t = orders(vec![read, insert], true);
        t.name = "organization_access_log".into();
        t.columns = vec!["id".into(), "organization_id".into(), "user_id".into()];
        t.foreign_keys = foreign_keys;
        let settings: crate::settings::Settings = toml::from_str(&format!(
            "[postgres]\ntenant_columns = [\"organization_id\"]\n{toml}"
        ))
        .unwrap();
        let facts = crate::Facts {
            settings,
            postgres: vec![crate::facts::pg::Database {
                tables: vec![t],
                ..Default::default()
            }],
            ..crate::Facts::default()
        };
        crate::registry::run_on(&PgRlsPolicyTenant, &facts).remove(0)
    }

    #[test]
    fn a_user_scoped_write_check_fails_when_the_tenant_column_is_left_free() {
        use crate::model::Status;
        let f = access_log(vec![], "");
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(
            f.message
                .contains("`Users can insert their own audit logs`")
                && f.message.contains("`user_id = auth.uid()`")
                && f.message.contains("tenant column `organization_id` free"),
            "{f:?}"
        );
        // Declared: every user belongs to one tenant and the tenant column follows the user.
        let f = access_log(vec![], "single_tenant_users = true\n");
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.message.contains("single_tenant_users"), "{f:?}");
        // By construction: a composite foreign key to the memberships.
        let fk = crate::facts::pg::ForeignKey {
            columns: vec!["organization_id".into(), "user_id".into()],
            references: "public.organization_memberships".into(),
            referenced_columns: vec!["organization_id".into(), "user_id".into()],
        };
        let f = access_log(vec![fk], "");
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.message.contains("binds the row's tenant"), "{f:?}");
    }

    /// supabase-dump-orgs `public.user_organization_context`: a user's own row pointing at an
    /// organization, read only by that user: writing another organization's id harms nobody.
    #[test]
    fn a_user_scoped_write_check_passes_when_nobody_reads_the_table_by_tenant() {
        let mut own = policy(
            "all",
            Some("user_id = auth.uid()"),
            Some("user_id = auth.uid()"),
        );
        own.name = "Users can manage their own organization context".into();
        let mut t = orders(vec![own], true);
        t.columns = vec!["id".into(), "tenant_id".into(), "user_id".into()];
        let facts = crate::Facts {
            postgres: vec![crate::facts::pg::Database {
                tables: vec![t],
                ..Default::default()
            }],
            ..crate::Facts::default()
        };
        let f = crate::registry::run_on(&PgRlsPolicyTenant, &facts).remove(0);
        assert_eq!(f.status, crate::model::Status::Pass, "{f:?}");
        assert!(f.message.contains("seen only by its user"), "{f:?}");
    }

    /// The corpus's FN3/FN4 (prisma-rls `public.Company`, supabase-dump-orgs
    /// `public.organizations`): the tenant table itself has no tenant column and was not judged,
    /// although its own bypass policy admits every tenant's row.
    #[test]
    fn the_tenant_table_itself_is_judged_by_its_key() {
        use crate::model::Status;
        let mut bypass = policy(
            "all",
            Some("current_setting('app.bypass_rls', TRUE)::text = 'on'"),
            None,
        );
        bypass.name = "bypass_rls_policy".into();
        let own = policy(
            "select",
            Some("id = current_setting('app.current_company_id')::int"),
            None,
        );
        let mut create = policy("insert", None, Some("true"));
        create.name = "anyone creates a company".into();
        let company = |policies: Vec<Policy>| {
            let mut t = orders(policies, true);
            t.name = "Company".into();
            t.columns = vec!["id".into(), "name".into()];
            t
        };
        let mut user = orders(vec![policy("all", Some("true"), None)], false);
        user.name = "User".into();
        user.columns = vec!["id".into(), "companyId".into()];
        user.foreign_keys = vec![crate::facts::pg::ForeignKey {
            columns: vec!["companyId".into()],
            references: "public.Company".into(),
            referenced_columns: vec!["id".into()],
        }];
        let run = |company: Table| {
            let settings: crate::settings::Settings = toml::from_str(
                "[postgres]\ntenant_columns = [\"companyId\"]\ntenant_table = \"Company\"\ntenant_settings = [\"app.current_company_id\"]\n",
            )
            .unwrap();
            let facts = crate::Facts {
                settings,
                postgres: vec![crate::facts::pg::Database {
                    tables: vec![company, user.clone()],
                    ..Default::default()
                }],
                ..crate::Facts::default()
            };
            crate::registry::run_on(&PgRlsPolicyTenant, &facts)
                .into_iter()
                .find(|f| f.subject == "public.Company")
                .expect("the tenant table is judged")
        };
        let f = run(company(vec![own.clone(), bypass]));
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(
            f.message.contains("`bypass_rls_policy`")
                && f.message
                    .contains("current_setting('app.bypass_rls', true)::TEXT = 'on'"),
            "{f:?}"
        );
        // Its own row by key passes; creating a new row creates a new tenant.
        let f = run(company(vec![own, create]));
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.message.contains("create new tenants"), "{f:?}");
    }

    #[test]
    fn a_table_without_rls_is_one_failure_and_not_applicable_to_the_dependent_checks() {
        use crate::model::{Severity, Status};
        let facts = crate::Facts {
            postgres: vec![crate::facts::pg::Database {
                tables: vec![orders(vec![policy("all", Some(GOOD), None)], false)],
                ..Default::default()
            }],
            ..crate::Facts::default()
        };
        let options = facts.settings.resolve().unwrap();
        let cx = Context::new(&facts, &options);
        let run = |check: &dyn crate::model::Check| crate::registry::run_one(check, &cx);
        let enabled = run(&crate::rules::postgres::pg_rls_enabled::PgRlsEnabled);
        assert_eq!(enabled[0].status, Status::Fail);
        for dependent in [
            run(&PgRlsPolicyTenant),
            run(&crate::rules::postgres::pg_rls_forced::PgRlsForced),
        ] {
            let f = &dependent[0];
            assert_eq!(
                (f.status, f.severity),
                (Status::Fail, Severity::Info),
                "{f:?}"
            );
            assert!(
                f.message.starts_with("not applicable: public.orders"),
                "{f:?}"
            );
        }
    }
}
