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
use checks::resolve::PostgresOptions;
use checks::settings::{AuditChainSettings, ChainAlgorithm, ChainEncoding, ChainPayload};
use tokio_postgres::SimpleQueryMessage;

use super::connect::Session;
use super::scheme::{PrevPlace, Scheme};

pub const SCHEME: &str =
    "sha256-hex(prev_hash || json(other columns in column order, values as text))";
/// Rows fetched per round trip: memory stays bounded by this, whatever the table's size.
const BATCH: usize = 1000;
/// Rows kept to try the other common schemes on when the configured one fails among them.
const PROBE_ROWS: usize = 64;

/// Which columns play which part, resolved against the table's columns.
struct Layout {
    order_by: Vec<String>,
    hash: String,
    /// Every column but the hash, in table order: what a scheme reads.
    fields: Vec<String>,
    /// The previous-hash column's index in `fields`.
    prev: usize,
    /// The fields a JSON payload hashes: all but the previous hash and `exclude_columns`.
    json_columns: Vec<usize>,
    scheme: Scheme,
}

/// Verifies one audit table's chain. Never fails: a problem becomes the record's `error`.
pub async fn verify(
    client: &Session,
    table: &Table,
    primary_key: Vec<String>,
    pg: &PostgresOptions,
) -> AuditChain {
    let mut record = unread(table.qualified_name(), table.location.clone(), None);
    let layout = match layout(table, primary_key, pg) {
        Ok(l) => l,
        Err(e) => {
            record.error = Some(e);
            return record;
        }
    };
    record.hash_column = Some(layout.hash.clone());
    record.prev_hash_column = Some(layout.fields[layout.prev].clone());
    record.order_by.clone_from(&layout.order_by);
    record.scheme = layout.scheme.label();
    if let Err(e) = walk(client, table, &layout, &pg.audit_chain, &mut record).await {
        // End the read-only transaction the cursor lived in; the session is reused.
        let _ = client.batch_execute("ROLLBACK").await;
        record.error = Some(e);
    }
    record
}

fn layout(table: &Table, primary_key: Vec<String>, pg: &PostgresOptions) -> Result<Layout, String> {
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
    let hash = pick(pg.audit_hash_columns.clone(), "hash")?;
    // `prev_included = "<column>"` names the previous-hash column itself.
    let prev = match cfg.prev_included.as_str() {
        "prefix" | "suffix" => pick(pg.audit_prev_hash_columns.clone(), "previous-hash")?,
        column => pick(vec![column.to_owned()], "previous-hash (prev_included)")?,
    };
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
    let fields: Vec<String> = table
        .columns
        .iter()
        .filter(|c| **c != hash)
        .cloned()
        .collect();
    let prev_index = fields
        .iter()
        .position(|c| *c == prev)
        .ok_or_else(|| format!("its previous-hash column `{prev}` is also its hash column"))?;
    let json_columns: Vec<usize> = (0..fields.len())
        .filter(|&i| i != prev_index && !cfg.exclude_columns.contains(&fields[i]))
        .collect();
    let scheme = Scheme::configured(cfg, &fields, prev_index, &json_columns)?;
    Ok(Layout {
        order_by,
        hash,
        fields,
        prev: prev_index,
        json_columns,
        scheme,
    })
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn walk(
    client: &Session,
    table: &Table,
    layout: &Layout,
    cfg: &AuditChainSettings,
    record: &mut AuditChain,
) -> Result<(), String> {
    let ident = |c: &String| quote_ident(c);
    let order: Vec<String> = layout.order_by.iter().map(ident).collect();
    let mut select: Vec<String> = order.clone();
    select.push(quote_ident(&layout.hash));
    select.extend(layout.fields.iter().map(ident));
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
    let mut verifier = Verifier::new(layout, &layout.scheme, cfg.genesis.as_deref());
    let mut probe: Vec<Vec<Option<String>>> = Vec::new();
    loop {
        let messages = client
            .simple_query(&format!("FETCH {BATCH} FROM vouch_chain"))
            .await?;
        let mut fetched = 0;
        for message in &messages {
            if let SimpleQueryMessage::Row(row) = message {
                fetched += 1;
                let values: Vec<Option<&str>> = (0..row.len()).map(|i| row.get(i)).collect();
                if probe.len() < PROBE_ROWS {
                    probe.push(values.iter().map(|v| v.map(str::to_owned)).collect());
                }
                verifier.check(&values, record);
            }
        }
        if fetched < BATCH {
            break;
        }
    }
    client.batch_execute("CLOSE vouch_chain; COMMIT").await?;
    record.verifies_as = other_scheme(layout, cfg, &probe, verifier.first_broken_at);
    Ok(())
}

/// When the configured scheme broke within the first rows, the first other common scheme
/// under which all of them verify: the configuration is then wrong, not the log.
fn other_scheme(
    layout: &Layout,
    cfg: &AuditChainSettings,
    probe: &[Vec<Option<String>>],
    first_broken_at: Option<usize>,
) -> Option<String> {
    if first_broken_at.is_none_or(|at| at >= probe.len()) {
        return None;
    }
    layout
        .scheme
        .alternatives(&layout.json_columns)
        .into_iter()
        .find(|alternative| {
            let mut verifier = Verifier::new(layout, alternative, cfg.genesis.as_deref());
            let mut scratch = missing("", "");
            for row in probe {
                let values: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
                verifier.check(&values, &mut scratch);
            }
            scratch.broken_rows == 0
        })
        .map(|s| s.label())
}

/// What the first row's previous hash may be (`[postgres.audit_chain] genesis`).
fn is_genesis(genesis: Option<&str>, prev: Option<&str>) -> bool {
    match (genesis, prev) {
        (None | Some("empty" | "null"), None) => true,
        (None, Some(p)) => p.is_empty() || (p.len() == 64 && p.bytes().all(|b| b == b'0')),
        (Some("empty"), Some(p)) => p.is_empty(),
        (Some("null"), Some(_)) | (Some(_), None) => false,
        (Some(literal), Some(p)) => p == literal,
    }
}

fn genesis_text(genesis: Option<&str>) -> String {
    match genesis {
        None => "NULL, empty or 64 zeros".to_owned(),
        Some("empty") => "NULL or empty".to_owned(),
        Some("null") => "NULL".to_owned(),
        Some(literal) => literal.to_owned(),
    }
}

/// Walks rows in chain order under one scheme, recording what breaks.
struct Verifier<'a> {
    layout: &'a Layout,
    scheme: &'a Scheme,
    genesis: Option<&'a str>,
    previous_hash: Option<String>,
    rows: usize,
    /// The 0-based position of the first row that did not verify.
    first_broken_at: Option<usize>,
}

impl<'a> Verifier<'a> {
    fn new(layout: &'a Layout, scheme: &'a Scheme, genesis: Option<&'a str>) -> Self {
        Verifier {
            layout,
            scheme,
            genesis,
            previous_hash: None,
            rows: 0,
            first_broken_at: None,
        }
    }

    /// `values`: the key columns, the hash, then the fields.
    fn check(&mut self, values: &[Option<&str>], record: &mut AuditChain) {
        let keys = self.layout.order_by.len();
        let key = values[..keys]
            .iter()
            .map(|v| v.unwrap_or("NULL"))
            .collect::<Vec<_>>()
            .join(",");
        let hash = values[keys].unwrap_or("");
        let fields = &values[keys + 1..];
        let prev = fields[self.layout.prev];
        record.rows_checked += 1;
        let link_ok = match &self.previous_hash {
            None => is_genesis(self.genesis, prev),
            Some(expected) => prev.is_some_and(|p| self.scheme.same(expected, p)),
        };
        let broken = if link_ok {
            let computed = self
                .scheme
                .row_hash(&self.layout.fields, fields, prev.unwrap_or(""));
            (!self.scheme.same(&computed, hash)).then(|| ("hash", computed, hash.to_owned()))
        } else {
            let expected = self
                .previous_hash
                .clone()
                .unwrap_or_else(|| genesis_text(self.genesis));
            Some(("prev_hash", expected, prev.unwrap_or("NULL").to_owned()))
        };
        if let Some((reason, expected, found)) = broken {
            record.broken_rows += 1;
            self.first_broken_at.get_or_insert(self.rows);
            if record.first_broken.is_none() {
                record.first_broken = Some(BrokenRow {
                    key,
                    reason: reason.to_owned(),
                    expected,
                    found,
                });
            }
        }
        self.rows += 1;
        self.previous_hash = Some(hash.to_owned());
    }
}

/// The default scheme: `sha256_hex(prev || {"col":"text",…})`.
pub fn row_hash(prev: &str, names: &[String], values: &[Option<&str>]) -> String {
    let scheme = Scheme {
        algorithm: ChainAlgorithm::Sha256,
        encoding: ChainEncoding::Hex,
        payload: ChainPayload::Json,
        separator: String::new(),
        prev: PrevPlace::Prefix,
        hashed: (0..names.len()).collect(),
    };
    scheme.row_hash(names, values, prev)
}

/// Where an audit table named in the configuration but absent from the database is reported.
pub fn missing(uri: &str, qualified: &str) -> AuditChain {
    unread(
        qualified.to_owned(),
        Location::postgres(uri, Some(qualified)),
        Some(format!(
            "the configured audit table {qualified} does not exist"
        )),
    )
}

/// The record of a table's chain before any row is read.
fn unread(table: String, location: Location, error: Option<String>) -> AuditChain {
    AuditChain {
        table,
        location,
        hash_column: None,
        prev_hash_column: None,
        order_by: Vec::new(),
        scheme: SCHEME.to_owned(),
        rows_checked: 0,
        broken_rows: 0,
        first_broken: None,
        verifies_as: None,
        error,
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
    }

    /// A table `(id, prev_hash, action, hash)` under `cfg`.
    fn table_layout(cfg: &str) -> Layout {
        let table: Table = serde_json::from_value(serde_json::json!({
            "schema": "public", "name": "audit_events",
            "columns": ["id", "prev_hash", "action", "hash"],
            "location": {"uri": "postgres://h:5432/db/public.audit_events"},
        }))
        .unwrap();
        let pg = PostgresOptions {
            audit_chain: toml::from_str(cfg).unwrap(),
            ..PostgresOptions::default()
        };
        layout(&table, vec!["id".into()], &pg).unwrap()
    }

    /// Rows `(id, hash, prev_hash, action)` chained under the layout's scheme.
    fn chain(layout: &Layout, n: usize) -> Vec<Vec<Option<String>>> {
        let mut rows = Vec::new();
        let mut prev: Option<String> = None;
        for i in 1..=n {
            let id = i.to_string();
            let action = format!("event {i}");
            let fields = [Some(id.as_str()), prev.as_deref(), Some(action.as_str())];
            let hash =
                layout
                    .scheme
                    .row_hash(&layout.fields, &fields, prev.as_deref().unwrap_or(""));
            rows.push(vec![
                Some(id.clone()),
                Some(hash.clone()),
                Some(id),
                prev.clone(),
                Some(action),
            ]);
            prev = Some(hash);
        }
        rows
    }

    fn run(layout: &Layout, rows: &[Vec<Option<String>>]) -> AuditChain {
        let mut record = missing("postgres://h:5432/db", "public.audit_events");
        let mut verifier = Verifier::new(layout, &layout.scheme, None);
        for row in rows {
            let values: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
            verifier.check(&values, &mut record);
        }
        record.verifies_as = other_scheme(
            layout,
            &AuditChainSettings::default(),
            rows,
            verifier.first_broken_at,
        );
        record
    }

    const SCHEMES: [&str; 4] = [
        "",
        "algorithm = \"sha512\"\nencoding = \"base64\"\npayload = \"json_sorted\"\nprev_included = \"suffix\"",
        "algorithm = \"sha384\"\npayload = \"columns\"\ncolumns = [\"id\", \"action\"]\nseparator = \":\"",
        "prev_included = \"prev_hash\"",
    ];

    #[test]
    fn an_intact_chain_verifies_under_each_scheme() {
        for cfg in SCHEMES {
            let layout = table_layout(cfg);
            let record = run(&layout, &chain(&layout, 5));
            assert_eq!((record.rows_checked, record.broken_rows), (5, 0), "{cfg}");
        }
    }

    /// Every byte of every stored value, changed, is caught at its row; a deleted row at the
    /// row after it.
    #[test]
    fn one_changed_byte_in_any_row_or_a_deleted_row_is_caught_at_that_row() {
        for cfg in SCHEMES {
            let layout = table_layout(cfg);
            let rows = chain(&layout, 6);
            for (r, row) in rows.iter().enumerate() {
                // The hash, the previous hash and the action (the id is the key: changing it
                // reorders the chain instead).
                for column in 1..row.len() {
                    let Some(text) = &row[column] else { continue };
                    for at in 0..text.len() {
                        let mut tampered = rows.clone();
                        let mut bytes = text.clone().into_bytes();
                        bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
                        tampered[r][column] = Some(String::from_utf8(bytes).unwrap());
                        let record = run(&layout, &tampered);
                        let broken = record.first_broken.expect("caught");
                        assert_eq!(
                            broken.key,
                            (r + 1).to_string(),
                            "{cfg} row {r} col {column}"
                        );
                        assert_eq!(record.verifies_as, None, "tampering is not a scheme");
                    }
                }
            }
            for deleted in 0..rows.len() - 1 {
                let mut gap = rows.clone();
                gap.remove(deleted);
                let broken = run(&layout, &gap).first_broken.expect("caught");
                assert_eq!(broken.key, (deleted + 2).to_string(), "{cfg}");
                assert_eq!(broken.reason, "prev_hash");
            }
        }
    }

    #[test]
    fn a_chain_built_with_another_scheme_names_it() {
        let sha512 = table_layout(SCHEMES[1]);
        let record = run(&table_layout(""), &chain(&sha512, 4));
        assert_eq!(record.first_broken.unwrap().key, "1");
        assert_eq!(
            record.verifies_as.as_deref(),
            Some("sha512/base64, payload json_sorted, previous hash as suffix")
        );
    }

    #[test]
    fn a_previous_hash_column_that_is_the_hash_column_is_an_error() {
        let table: Table = serde_json::from_value(serde_json::json!({
            "schema": "public", "name": "audit_events", "columns": ["id", "hash"],
            "location": {"uri": "postgres://h:5432/db/public.audit_events"},
        }))
        .unwrap();
        let pg = PostgresOptions {
            audit_chain: toml::from_str("prev_included = \"hash\"").unwrap(),
            ..PostgresOptions::default()
        };
        let err = layout(&table, vec!["id".into()], &pg).err().unwrap();
        assert!(err.contains("`hash` is also its hash column"), "{err}");
    }

    #[test]
    fn genesis_values() {
        assert!(is_genesis(None, Some(&"0".repeat(64))));
        assert!(is_genesis(Some("empty"), Some("")));
        assert!(!is_genesis(Some("null"), Some("")));
        assert!(is_genesis(Some("GENESIS"), Some("GENESIS")));
        assert!(!is_genesis(Some("GENESIS"), None));
    }
}
