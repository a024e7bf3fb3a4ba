//! Walking an audit table's hash chain with a server-side cursor, in bounded memory.
//!
//! The scheme (documented in `pg-audit-chain-valid`): rows in chain order (the primary key
//! unless `order_by` says otherwise); each row's previous-hash value equals the hash of the row
//! before it (the first row's is NULL, empty or 64 zeros); each hash is the lower-case hex
//! SHA-256 of the previous-hash text (empty when NULL) followed by the compact JSON object of
//! the other columns in column order, each value as PostgreSQL's text output or `null`.
//!
//! vouch only verifies and records the result; `pg-audit-chain-valid` judges it.

use checks::Location;
use checks::facts::pg::Table;
use checks::facts::pg_live::{AuditChain, BrokenRow};
use checks::settings::PostgresSettings;
use sha2::{Digest, Sha256};
use tokio_postgres::SimpleQueryMessage;

use super::connect::Session;

pub const SCHEME: &str =
    "sha256-hex(prev_hash || json(other columns in column order, values as text))";
/// Rows fetched per round trip: memory stays bounded by this, whatever the table's size.
const BATCH: usize = 1000;

/// Which columns play which part, resolved against the table's columns.
struct Layout {
    order_by: Vec<String>,
    hash: String,
    prev: String,
    hashed: Vec<String>,
}

/// Verifies one audit table's chain. Never fails: a problem becomes the record's `error`.
pub async fn verify(
    client: &Session,
    table: &Table,
    primary_key: Vec<String>,
    pg: &PostgresSettings,
) -> AuditChain {
    let mut record = AuditChain {
        table: table.qualified_name(),
        location: table.location.clone(),
        hash_column: None,
        prev_hash_column: None,
        order_by: Vec::new(),
        scheme: SCHEME.to_owned(),
        rows_checked: 0,
        broken_rows: 0,
        first_broken: None,
        error: None,
    };
    let layout = match layout(table, primary_key, pg) {
        Ok(l) => l,
        Err(e) => {
            record.error = Some(e);
            return record;
        }
    };
    record.hash_column = Some(layout.hash.clone());
    record.prev_hash_column = Some(layout.prev.clone());
    record.order_by.clone_from(&layout.order_by);
    if let Err(e) = walk(client, table, &layout, &mut record).await {
        // End the read-only transaction the cursor lived in; the session is reused.
        let _ = client.batch_execute("ROLLBACK").await;
        record.error = Some(e);
    }
    record
}

fn layout(
    table: &Table,
    primary_key: Vec<String>,
    pg: &PostgresSettings,
) -> Result<Layout, String> {
    let cfg = &pg.audit_chain;
    let has = |c: &str| table.columns.iter().any(|x| x == c);
    // The first configured (or default) name the table has, as `pg-audit-hash-chained` does.
    let pick = |candidates: Vec<String>, what: &str| {
        candidates.iter().find(|c| has(c)).cloned().ok_or_else(|| {
            format!(
                "it has no {what} column (looked for {})",
                candidates.join(", ")
            )
        })
    };
    let hash = pick(pg.effective_audit_hash_columns(), "hash")?;
    let prev = pick(pg.effective_audit_prev_hash_columns(), "previous-hash")?;
    let order_by = if cfg.order_by.is_empty() {
        primary_key
    } else {
        cfg.order_by.clone()
    };
    if order_by.is_empty() {
        return Err(
            "it has no primary key to order the chain by (set [postgres.audit_chain] order_by)"
                .to_owned(),
        );
    }
    if let Some(missing) = order_by.iter().find(|c| !has(c)) {
        return Err(format!("it has no order_by column `{missing}`"));
    }
    let hashed = table
        .columns
        .iter()
        .filter(|c| **c != hash && **c != prev && !cfg.exclude_columns.contains(c))
        .cloned()
        .collect();
    Ok(Layout {
        order_by,
        hash,
        prev,
        hashed,
    })
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn walk(
    client: &Session,
    table: &Table,
    layout: &Layout,
    record: &mut AuditChain,
) -> Result<(), String> {
    let ident = |c: &String| quote_ident(c);
    let order: Vec<String> = layout.order_by.iter().map(ident).collect();
    let mut select: Vec<String> = order.clone();
    select.push(quote_ident(&layout.hash));
    select.push(quote_ident(&layout.prev));
    select.extend(layout.hashed.iter().map(ident));
    let from = format!(
        "{}.{}",
        quote_ident(&table.schema),
        quote_ident(&table.name)
    );
    let declare = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
         DECLARE vouch_chain NO SCROLL CURSOR FOR SELECT {} FROM {from} ORDER BY {}",
        select.join(", "),
        order.join(", ")
    );
    client.batch_execute(&declare).await?;
    let mut state = ChainState::default();
    let keys = layout.order_by.len();
    loop {
        let messages = client
            .simple_query(&format!("FETCH {BATCH} FROM vouch_chain"))
            .await?;
        let mut fetched = 0;
        for message in &messages {
            if let SimpleQueryMessage::Row(row) = message {
                fetched += 1;
                let values: Vec<Option<&str>> = (0..row.len()).map(|i| row.get(i)).collect();
                state.check(&values, keys, &layout.hashed, record);
            }
        }
        if fetched < BATCH {
            break;
        }
    }
    client.batch_execute("CLOSE vouch_chain; COMMIT").await?;
    Ok(())
}

#[derive(Default)]
struct ChainState {
    previous_hash: Option<String>,
}

impl ChainState {
    /// `values`: the key columns, hash, previous hash, then the hashed columns.
    fn check(
        &mut self,
        values: &[Option<&str>],
        keys: usize,
        names: &[String],
        record: &mut AuditChain,
    ) {
        let key = values[..keys]
            .iter()
            .map(|v| v.unwrap_or("NULL"))
            .collect::<Vec<_>>()
            .join(",");
        let hash = values[keys].unwrap_or("");
        let prev = values[keys + 1];
        record.rows_checked += 1;
        let link_ok = match &self.previous_hash {
            None => prev.is_none_or(is_genesis),
            Some(expected) => prev.is_some_and(|p| p.eq_ignore_ascii_case(expected)),
        };
        let broken = if link_ok {
            let computed = row_hash(prev.unwrap_or(""), names, &values[keys + 2..]);
            (!computed.eq_ignore_ascii_case(hash)).then(|| ("hash", computed, hash.to_owned()))
        } else {
            let expected = self.previous_hash.clone().unwrap_or_default();
            Some(("prev_hash", expected, prev.unwrap_or("NULL").to_owned()))
        };
        if let Some((reason, expected, found)) = broken {
            record.broken_rows += 1;
            if record.first_broken.is_none() {
                record.first_broken = Some(BrokenRow {
                    key,
                    reason: reason.to_owned(),
                    expected,
                    found,
                });
            }
        }
        self.previous_hash = Some(hash.to_owned());
    }
}

fn is_genesis(prev: &str) -> bool {
    prev.is_empty() || (prev.len() == 64 && prev.bytes().all(|b| b == b'0'))
}

/// The default scheme: `sha256_hex(prev || {"col":"text",…})`.
pub fn row_hash(prev: &str, names: &[String], values: &[Option<&str>]) -> String {
    let mut json = String::from("{");
    for (i, (name, value)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&serde_json::to_string(name).unwrap_or_default());
        json.push(':');
        match value {
            Some(v) => json.push_str(&serde_json::to_string(v).unwrap_or_default()),
            None => json.push_str("null"),
        }
    }
    json.push('}');
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(json.as_bytes());
    format!("{:x}", hasher.finalize())
}

/// Where an audit table named in the configuration but absent from the database is reported.
pub fn missing(uri: &str, qualified: &str) -> AuditChain {
    AuditChain {
        table: qualified.to_owned(),
        location: Location::resource(format!("{uri}/{qualified}")),
        hash_column: None,
        prev_hash_column: None,
        order_by: Vec::new(),
        scheme: SCHEME.to_owned(),
        rows_checked: 0,
        broken_rows: 0,
        first_broken: None,
        error: Some(format!(
            "the configured audit table {qualified} does not exist"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scheme_is_sha256_of_prev_and_compact_json() {
        let names = vec!["id".to_owned(), "action".to_owned(), "note".to_owned()];
        let h = row_hash("", &names, &[Some("1"), Some("login"), None]);
        // printf '%s' '{"id":"1","action":"login","note":null}' | sha256sum
        assert_eq!(
            h,
            "67a6100c6f46c0340f806d3b304583adf7de4e6d3a1e5c650e602ddf5e8e34ae"
        );
        let next = row_hash(&h, &names[..1], &[Some("2")]);
        // printf '%s%s' "$h" '{"id":"2"}' | sha256sum
        assert_eq!(next.len(), 64);
        assert_ne!(next, h);
    }

    fn empty_record() -> AuditChain {
        missing("postgres://h:5432/db", "public.audit_events")
    }

    #[test]
    fn a_deleted_row_breaks_the_next_link() {
        let names = vec!["id".to_owned()];
        let h1 = row_hash("", &names, &[Some("1")]);
        let h2 = row_hash(&h1, &names, &[Some("2")]);
        let h3 = row_hash(&h2, &names, &[Some("3")]);
        let mut record = empty_record();
        let mut state = ChainState::default();
        // Row 2 was deleted: row 3's prev_hash no longer matches row 1's hash.
        state.check(
            &[Some("1"), Some(&h1), None, Some("1")],
            1,
            &names,
            &mut record,
        );
        state.check(
            &[Some("3"), Some(&h3), Some(&h2), Some("3")],
            1,
            &names,
            &mut record,
        );
        assert_eq!(record.rows_checked, 2);
        let broken = record.first_broken.unwrap();
        assert_eq!(
            (broken.key.as_str(), broken.reason.as_str()),
            ("3", "prev_hash")
        );
        assert_eq!(broken.expected, h1);
    }

    #[test]
    fn an_intact_chain_has_no_broken_row() {
        let names = vec!["id".to_owned()];
        let h1 = row_hash(&"0".repeat(64), &names, &[Some("1")]);
        let h2 = row_hash(&h1, &names, &[Some("2")]);
        let mut record = empty_record();
        let mut state = ChainState::default();
        let genesis = "0".repeat(64);
        state.check(
            &[Some("1"), Some(&h1), Some(&genesis), Some("1")],
            1,
            &names,
            &mut record,
        );
        state.check(
            &[Some("2"), Some(&h2), Some(&h1), Some("2")],
            1,
            &names,
            &mut record,
        );
        assert_eq!((record.rows_checked, record.broken_rows), (2, 0));
    }
}
