use serde_json::json;

use super::pg_common::scopes;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};
use crate::parse::sql::SEARCH_PATH_FROM_CURRENT;

pub struct PgSecurityDefinerSearchPath;

impl Rule for PgSecurityDefinerSearchPath {
    const META: Meta = Meta {
        id: "pg-security-definer-search-path",
        title: "SECURITY DEFINER functions pin their search_path",
        severity: Severity::Medium,
        controls: &["ACC-01"],
        source: Source::Postgres,
        docs: r#"
## Why
A SECURITY DEFINER function runs with its owner's privileges (often the table owner, who
bypasses RLS). If it resolves names through the caller's `search_path`, a caller who can create
objects in any schema on that path can plant a function or operator the definer then runs with
elevated rights — a privilege escalation PostgreSQL's documentation warns about. It serves
least privilege (ACC-01): the application must not be able to borrow the owner's rights.

## What is judged
Every function created with `SECURITY DEFINER` (or switched to it by `ALTER FUNCTION`) has a
`SET search_path` clause (`pg_proc.proconfig` live). `SET search_path = ''` (fully qualified
names) is the safest choice. `SET search_path FROM CURRENT` in a migration is an `error`: it
pins the migrating session's path, which the files do not show (a live scan reads the value).
The check proves that a path is pinned, not that the schemas on it are safe: a path that
names a schema every role may write to (`public` before PostgreSQL 15), or that leaves out
`pg_temp` (then searched first for tables), still passes.

## How to fix
`ALTER FUNCTION public.current_tenant() SET search_path = pg_catalog, pg_temp;` or add
`SET search_path = ''` to the CREATE FUNCTION and qualify every name in the body.

## Evidence
The function, `security_definer` and its `search_path`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            for f in scope.db.functions.iter().filter(|f| f.security_definer) {
                let subject = format!("{}.{}", f.schema, f.name);
                if scope.error_if_unparsed(out, &subject, &["function"], &[&subject, &f.name]) {
                    continue;
                }
                let evidence = json!({ "database": scope.db.name, "function": subject, "security_definer": true, "search_path": f.search_path });
                match &f.search_path {
                    // Pinned to the migrating session's path: which one, the files do not say.
                    Some(p) if p == SEARCH_PATH_FROM_CURRENT => out.error(subject.clone(), f.location.clone(), format!("{subject} is SECURITY DEFINER with SET search_path FROM CURRENT: the path pinned is the migrating session's, which the migrations do not show"), evidence),
                    Some(p) => out.pass(subject.clone(), f.location.clone(), format!("{subject} is SECURITY DEFINER with search_path = {p}"), evidence),
                    None => out.fail(subject.clone(), f.location.clone(), format!("{subject} is SECURITY DEFINER without SET search_path: callers can hijack name resolution"), evidence),
                }
            }
        }
    }
}
