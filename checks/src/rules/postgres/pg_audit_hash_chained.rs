use serde_json::json;

use super::pg_common::{loose, scopes};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgAuditHashChained;

impl Rule for PgAuditHashChained {
    const META: Meta = Meta {
        id: "pg-audit-hash-chained",
        title: "Audit tables carry a hash chain",
        severity: Severity::Medium,
        controls: &["AUD-01"],
        source: Source::Postgres,
        docs: r#"
## Why
Append-only grants stop the application; they do not stop a database administrator or an
attacker with the owner's credentials. Chaining each record to the previous one by hash makes
any later edit, deletion or reordering detectable by re-computing the chain.

## What is judged
Every audit table (see `pg-audit-append-only`) has a column for the row's own hash
(`[postgres] audit_hash_columns`, default `hash`, `row_hash`, `entry_hash`) and one for the
previous row's hash (`audit_prev_hash_columns`, default `prev_hash`, `previous_hash`). Names are
compared ignoring case and `_`. Verifying the chain itself needs the data: that is done by the
live PostgreSQL audit.

## How to fix
`ALTER TABLE audit_events ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea NOT NULL;` filled
by a BEFORE INSERT trigger (`hash = sha256(prev_hash || row data)`).

## Evidence
The table's columns and which of the two chain columns were found.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            let loosened =
                |names: &[String]| -> Vec<String> { names.iter().map(|c| loose(c)).collect() };
            let hash = loosened(&scope.options.audit_hash_columns);
            let prev = loosened(&scope.options.audit_prev_hash_columns);
            for t in scope.audit_tables() {
                let subject = t.qualified_name();
                let find = |names: &[String]| {
                    t.columns
                        .iter()
                        .find(|c| names.contains(&loose(c)))
                        .cloned()
                };
                let (h, p) = (find(&hash), find(&prev));
                let evidence = json!({ "database": scope.db.name, "table": subject, "columns": t.columns, "hash_column": h, "prev_hash_column": p });
                if let (Some(h), Some(p)) = (&h, &p) {
                    out.pass(
                        subject.clone(),
                        t.location.clone(),
                        format!("{subject} chains rows by `{p}` → `{h}`"),
                        evidence,
                    );
                } else {
                    let missing: Vec<&str> = [
                        (h.is_none(), "a row hash column"),
                        (p.is_none(), "a previous-hash column"),
                    ]
                    .iter()
                    .filter(|(m, _)| *m)
                    .map(|(_, w)| *w)
                    .collect();
                    out.fail(
                        subject.clone(),
                        t.location.clone(),
                        format!(
                            "{subject} has no hash chain: missing {}",
                            missing.join(" and ")
                        ),
                        evidence,
                    );
                }
            }
        }
    }
}
