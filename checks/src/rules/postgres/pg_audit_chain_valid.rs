use serde_json::json;

use super::pg_live_common::{live_databases, readable};
use crate::facts::pg_live::AuditChain;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgAuditChainValid;

impl Rule for PgAuditChainValid {
    const META: Meta = Meta {
        id: "pg-audit-chain-valid",
        title: "The live audit log's hash chain verifies end to end",
        severity: Severity::High,
        controls: &["AUD-01"],
        source: Source::Postgres,
        docs: r#"
## Why
A hash chain makes an audit log tamper-evident only if someone verifies it. A row edited,
deleted or inserted out of order by a superuser, a restore or an attacker breaks the chain at
that row; verifying it on every audit run turns "append-only" from a promise into evidence.

## What is judged
Each audit table of a live target (`[postgres] audit_tables`, default `audit_log`,
`audit_events`, `audit_trail`, `*_audit`; subject: `schema.table`). vouch walks the table in
chain order (`[postgres.audit_chain] order_by`, default the primary key) with a server-side
cursor, a thousand rows at a time, so memory stays bounded whatever the size, and checks:
1. each row's previous-hash column equals the hash of the row before it (the first row's is
   the `genesis` value: by default NULL, empty, or 64 zeros);
2. each row's hash recomputes under the configured scheme. The **default scheme** is
   `hash = lower-hex( SHA-256( prev_hash || json ) )`, where `prev_hash` is the row's
   previous-hash value as text (empty when NULL) and `json` is the compact JSON object of every
   other column (all but the hash and previous-hash columns and `exclude_columns`) in column
   order, each value as PostgreSQL's text output (session `TimeZone = UTC`,
   `DateStyle = ISO, YMD`) in a JSON string, or `null`; for example
   `{"id":"1","tenant_id":"42","action":"login","at":"2026-01-01 09:00:00+00"}`.

Columns are found by name: the hash in `hash`, `row_hash` or `entry_hash`, the link in
`prev_hash` or `previous_hash` (`[postgres] audit_hash_columns` and `audit_prev_hash_columns`
override them, as for `pg-audit-hash-chained`); `[postgres.audit_chain]` sets `order_by` and
`exclude_columns`, and describes the other common schemes:

| key | values (default first) |
|---|---|
| `algorithm` | `sha256`, `sha384`, `sha512` |
| `encoding` | `hex` (compared in any case), `base64` (standard alphabet, padded) |
| `payload` | `json`; `json_sorted` (the same object with keys sorted, as Python's `json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`); `columns`: the values of `columns = [...]` in that order joined by `separator` (default `|`), NULL as an empty value |
| `prev_included` | `prefix` (previous hash, then payload), `suffix`, or the previous-hash column's name: it is then hashed inside the payload like any other column (NULL as `null`) and no longer prefixed. With `payload = "columns"` a prefix or suffix is joined by the separator |
| `genesis` | unset (NULL, empty or 64 zeros), `empty` (NULL or empty), `null`, or a literal the first row's previous hash must equal |

```toml
[postgres.audit_chain]
algorithm = "sha512"
encoding = "base64"
payload = "columns"
columns = ["id", "tenant_id", "action", "at"]
separator = "|"
genesis = "GENESIS"
```

When the configured scheme fails within the first 64 rows, vouch tries the other common
schemes on them (each algorithm and encoding, `json` or `json_sorted`, previous hash as prefix
or suffix). If one verifies them all, the finding is an `error` naming it ("verifies as
sha512/base64, payload json_sorted, previous hash as suffix: check [postgres.audit_chain]"):
a configuration to fix, not evidence of tampering, and still not a pass.

A table vouch cannot read (no `SELECT` grant), without the columns or without an order is
`error`: unverified is never a pass. A deleted last row cannot be seen by any chain; anchor the
latest hash outside the database (an evidence pack does) to detect truncation.

## How to fix
A broken chain is an incident: find out who changed the named row (server logs, backups), then
restore the original rows. Make the table append-only (`pg-audit-append-only`) so it cannot
happen again. If the application hashes differently, configure the columns, or compute the
hash in a `BEFORE INSERT` trigger with the scheme above.

## Evidence
Rows checked, rows whose link or hash did not verify, and the first broken row: its primary
key, which link failed, the expected and found values; at the table's
`postgres://HOST:PORT/DB/SCHEMA.TABLE` URI.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for db in live_databases(cx) {
            if let Some(live) = readable(db, out) {
                for chain in &live.audit_chains {
                    judge(chain, out);
                }
            }
        }
    }
}

fn judge(chain: &AuditChain, out: &mut Findings) {
    let evidence = json!(chain);
    let subject = chain.table.clone();
    let location = chain.location.clone();
    if let Some(cause) = &chain.error {
        let msg = format!(
            "the hash chain of {} could not be verified: {cause}",
            chain.table
        );
        return out.error(subject, location, msg, evidence);
    }
    if let (Some(broken), Some(other)) = (&chain.first_broken, &chain.verifies_as) {
        // Not evidence of tampering: the rows hash under another scheme than the one declared.
        let msg = format!(
            "the hash chain of {} does not verify under the configured scheme ({}; first at the \
             row with key {}) but verifies as {other}: check [postgres.audit_chain]",
            chain.table, chain.scheme, broken.key
        );
        return out.error(subject, location, msg, evidence);
    }
    match &chain.first_broken {
        None => {
            let msg = format!(
                "the hash chain of {} verifies over all {} rows",
                chain.table, chain.rows_checked
            );
            out.pass(subject, location, msg, evidence);
        }
        Some(broken) => {
            let msg = format!(
                "the hash chain of {} is broken at the row with key {} ({} does not match); {} of {} rows fail",
                chain.table, broken.key, broken.reason, chain.broken_rows, chain.rows_checked
            );
            out.fail(subject, location, msg, evidence);
        }
    }
}
