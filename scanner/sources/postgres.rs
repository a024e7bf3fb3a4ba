//! Live PostgreSQL targets: connect read-only (DSN from the environment only), read the
//! catalogs into the same `pg` records migrations fill, plus the live-only facts (settings,
//! pg_hba, password methods, audit-chain verification). Judges nothing.
//!
//! Faults are facts: a target that cannot be reached, authenticated or read becomes a
//! `Database` with `error` set (one sentence naming the target and the cause, secrets
//! redacted), and the other targets still run.

mod catalog;
mod chain;
mod connect;
mod scheme;
mod source;
mod tenancy;

use checks::facts::Collection;
use checks::facts::pg::{Database, Origin};
use checks::facts::pg_live::LiveState;
use checks::resolve::{PostgresOptions, Resolved};
use checks::settings::PostgresTarget;
use futures_util::StreamExt;

pub use chain::row_hash;
use connect::{Plan, Secrets, Session};
pub use source::Databases;

/// Targets audited at the same time.
const CONCURRENT_TARGETS: usize = 4;

/// Audits every target, [`CONCURRENT_TARGETS`] at a time; results in the order of `targets`.
pub async fn collect(
    targets: &[PostgresTarget],
    options: &Resolved,
    collected_at: &str,
    progress: &crate::engine::Progress,
) -> Vec<(Collection, Database)> {
    // Built before streaming them: a closure in the stream would make the future's `Send`
    // bound fail on its borrowed arguments.
    let audits: Vec<_> = (targets.iter().enumerate())
        .map(|(i, t)| numbered(i, audit_target(t, options, collected_at), progress))
        .collect();
    let mut results: Vec<(usize, (Collection, Database))> = futures_util::stream::iter(audits)
        .buffer_unordered(CONCURRENT_TARGETS)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// `audit` tagged with its index, counted as one target done.
async fn numbered<T>(
    index: usize,
    audit: impl Future<Output = T>,
    progress: &crate::engine::Progress,
) -> (usize, T) {
    let audited = audit.await;
    progress.target_done();
    (index, audited)
}

async fn audit_target(
    target: &PostgresTarget,
    options: &Resolved,
    collected_at: &str,
) -> (Collection, Database) {
    let dsn = std::env::var(&target.dsn_env).ok();
    audit_with_dsn(target, dsn, options, collected_at).await
}

async fn audit_with_dsn(
    target: &PostgresTarget,
    dsn: Option<String>,
    options: &Resolved,
    collected_at: &str,
) -> (Collection, Database) {
    let plan = match connect::plan(target, dsn) {
        Ok(p) => p,
        Err((cause, secrets)) => {
            return failed(target, None, &secrets.redact(&cause), collected_at);
        }
    };
    let mut db = Database {
        origin: Origin::Live,
        name: target.name.clone(),
        live: Some(LiveState {
            uri: plan.uri.clone(),
            ..LiveState::default()
        }),
        ..Database::default()
    };
    let effective = options.postgres_for(&db);
    match plan.connect().await {
        Err(cause) => db.error = Some(format!("cannot connect to {}: {cause}", plan.uri)),
        Ok(client) => {
            if let Err(cause) = read_database(&client, &plan, effective, &mut db).await {
                db.error = Some(cause);
            } else if let (Some(tenant), Some(live)) = (&target.tenant, &mut db.live) {
                let schema = target.tenant_schema.as_deref().unwrap_or(tenant);
                live.tenant_access = Some(tenancy::access(&client, options, tenant, schema).await);
            }
        }
    }
    let db = scrub(db, &plan.secrets);
    let collection = Collection {
        source: "postgres".to_owned(),
        target: target.name.clone(),
        origin: plan.secrets.redact(&plan.uri),
        collected_at: collected_at.to_owned(),
        error: db
            .error
            .as_ref()
            .map(|e| format!("target {}: {e}", target.name)),
    };
    (collection, db)
}

/// A target that could not even be planned (no DSN, an unparsable DSN) or read at all.
fn failed(
    target: &PostgresTarget,
    uri: Option<&str>,
    cause: &str,
    collected_at: &str,
) -> (Collection, Database) {
    let origin = uri.map_or_else(|| format!("env:{}", target.dsn_env), str::to_owned);
    let collection = Collection {
        source: "postgres".to_owned(),
        target: target.name.clone(),
        origin,
        collected_at: collected_at.to_owned(),
        error: Some(format!("target {}: {cause}", target.name)),
    };
    let db = Database {
        origin: Origin::Live,
        name: target.name.clone(),
        error: Some(cause.to_owned()),
        ..Database::default()
    };
    (collection, db)
}

/// Reads everything. The core catalogs (tables, policies, triggers, roles, privileges,
/// functions) are all-or-nothing: without one of them no pg check could be trusted, so the
/// error is the database's. Settings, pg_hba, passwords and chains fail on their own.
async fn read_database(
    client: &Session,
    plan: &Plan,
    pg: &PostgresOptions,
    db: &mut Database,
) -> Result<(), String> {
    let uri = plan.uri.as_str();
    let core = |part: &str, cause: String| format!("cannot read {part} on {uri}: {cause}");
    let mut live = db.live.take().unwrap_or_default();
    let info = client
        .query_one(
            "SELECT current_setting('server_version'), current_user::text, \
                    coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
            &[],
        )
        .await
        .map_err(|e| core("the server version", e))?;
    live.server_version = info.get(0);
    live.connected_as = info.get(1);
    live.tls_in_use = info.get(2);

    let mut tables = catalog::tables(client, uri)
        .await
        .map_err(|e| core("pg_class", e))?;
    catalog::policies(client, &mut tables)
        .await
        .map_err(|e| core("pg_policy", e))?;
    catalog::triggers(client, &mut tables)
        .await
        .map_err(|e| core("pg_trigger", e))?;
    catalog::foreign_keys(client, &mut tables)
        .await
        .map_err(|e| core("pg_constraint", e))?;
    catalog::table_privileges(client, &mut tables, pg.configured_runtime_roles())
        .await
        .map_err(|e| core("table privileges", e))?;
    db.schema_privileges = catalog::schema_privileges(client, uri, pg.configured_runtime_roles())
        .await
        .map_err(|e| core("schema privileges", e))?;
    db.roles = catalog::roles(client, uri)
        .await
        .map_err(|e| core("pg_roles", e))?;
    db.functions = catalog::functions(client, uri)
        .await
        .map_err(|e| core("pg_proc", e))?;

    match catalog::settings(client).await {
        Ok(s) => live.settings = s,
        Err(e) => live.settings_error = Some(e),
    }
    match catalog::hba_rules(client).await {
        Ok(r) => live.hba_rules = r,
        Err(e) => live.hba_error = Some(format!("cannot read pg_hba_file_rules: {e}")),
    }
    match catalog::passwords(client, uri).await {
        Ok(p) => live.passwords = p,
        Err(e) => live.passwords_error = Some(format!("cannot read pg_authid: {e}")),
    }
    live.partitions = std::mem::take(&mut tables.partitions);
    verify_chains(client, uri, pg, &tables, &mut live).await;
    db.tables = tables.by_oid.into_values().collect();
    db.tables
        .sort_by_key(checks::facts::pg::Table::qualified_name);
    db.live = Some(live);
    Ok(())
}

async fn verify_chains(
    client: &Session,
    uri: &str,
    pg: &PostgresOptions,
    tables: &catalog::Tables,
    live: &mut LiveState,
) {
    let is_partition = |q: &str| {
        live.partitions
            .iter()
            .any(|p| p.table == q && p.kind == "partition")
    };
    let audit = &pg.audit;
    let mut chains = Vec::new();
    for (oid, table) in &tables.by_oid {
        let qualified = table.qualified_name();
        if is_partition(&qualified) || !audit.matches(&table.name, &qualified) {
            continue;
        }
        let chain = match catalog::primary_key(client, *oid).await {
            Ok(pk) => chain::verify(client, table, pk, pg).await,
            Err(e) => {
                let mut c = chain::missing(uri, &qualified);
                c.error = Some(format!("cannot read its primary key: {e}"));
                c
            }
        };
        chains.push(chain);
    }
    for configured in (pg.audit.patterns().iter())
        .filter(|_| pg.audit_tables_given)
        .filter(|c| !c.contains('*') && !c.contains('?'))
    {
        let found = tables
            .by_oid
            .values()
            .any(|t| t.name == *configured || t.qualified_name() == *configured);
        if !found {
            chains.push(chain::missing(uri, configured));
        }
    }
    chains.sort_by(|a, b| a.table.cmp(&b.table));
    live.audit_chains = chains;
}

/// Every error message of the database's facts, with every secret (however short) redacted.
fn redact_errors(db: &mut Database, secrets: &Secrets) {
    let mut errors = vec![&mut db.error];
    if let Some(live) = &mut db.live {
        errors.extend([
            &mut live.settings_error,
            &mut live.hba_error,
            &mut live.passwords_error,
        ]);
        errors.extend(live.audit_chains.iter_mut().map(|c| &mut c.error));
        errors.extend(live.tenant_access.iter_mut().map(|a| &mut a.error));
    }
    for error in errors.into_iter().flatten() {
        *error = secrets.redact(error);
    }
}

/// Belt and braces: no secret of the DSN may survive into the facts, whatever a server or a
/// library put into a message. Secrets shorter than 6 characters are redacted in error
/// messages only (replacing them everywhere would mangle names).
fn scrub(mut db: Database, secrets: &Secrets) -> Database {
    redact_errors(&mut db, secrets);
    let Ok(json) = serde_json::to_string(&db) else {
        return db;
    };
    let cleaned = secrets.redact_json(&json);
    if cleaned == json {
        return db;
    }
    serde_json::from_str(&cleaned).unwrap_or_else(|_| Database {
        origin: Origin::Live,
        name: db.name.clone(),
        error: Some(
            "the collected facts contained a secret of the DSN and were discarded".to_owned(),
        ),
        ..Database::default()
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    use super::*;

    /// How far a hostile server goes before it stops answering (and keeps the socket open).
    #[derive(Clone, Copy)]
    enum Stall {
        BeforeAuthentication,
        AfterAuthentication,
        AfterSessionSetup,
    }

    /// One PostgreSQL protocol message from the client: (type byte, body). Startup messages
    /// have no type byte.
    fn read_message(s: &mut TcpStream, typed: bool) -> Option<(u8, Vec<u8>)> {
        let mut kind = [0u8; 1];
        if typed {
            s.read_exact(&mut kind).ok()?;
        }
        let mut len = [0u8; 4];
        s.read_exact(&mut len).ok()?;
        let mut body = vec![
            0u8;
            usize::try_from(u32::from_be_bytes(len))
                .ok()?
                .saturating_sub(4)
        ];
        s.read_exact(&mut body).ok()?;
        Some((kind[0], body))
    }

    fn hold_open(mut s: TcpStream) {
        let mut sink = [0u8; 1024];
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    }

    fn serve(mut s: TcpStream, stall: Stall) {
        if matches!(stall, Stall::BeforeAuthentication) {
            return hold_open(s);
        }
        // SSLRequest (code 80877103) first under sslmode=prefer: refuse TLS, then the startup.
        let Some((_, body)) = read_message(&mut s, false) else {
            return;
        };
        if body.starts_with(&80_877_103u32.to_be_bytes()) {
            let _ = s.write_all(b"N");
            let _ = read_message(&mut s, false);
        }
        // AuthenticationOk, ReadyForQuery(idle).
        let _ = s.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 0, b'Z', 0, 0, 0, 5, b'I']);
        if matches!(stall, Stall::AfterSessionSetup)
            && let Some((b'Q', _)) = read_message(&mut s, true)
        {
            // CommandComplete("SET"), ReadyForQuery(idle).
            let _ = s.write_all(&[
                b'C', 0, 0, 0, 8, b'S', b'E', b'T', 0, b'Z', 0, 0, 0, 5, b'I',
            ]);
        }
        hold_open(s);
    }

    fn hostile_server(stall: Stall) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                std::thread::spawn(move || serve(s, stall));
            }
        });
        port
    }

    fn audit_hostile(stall: Stall) -> (Duration, Collection, Database) {
        let port = hostile_server(stall);
        let target = PostgresTarget {
            name: "hostile".into(),
            dsn_env: "UNUSED".into(),
            connect_timeout: Some(2),
            statement_timeout: Some(1),
            ..Default::default()
        };
        let dsn = format!("postgres://auditor:Pw-4711-secret@127.0.0.1:{port}/app?sslmode=prefer");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let started = Instant::now();
        let (collection, db) = runtime.block_on(audit_with_dsn(
            &target,
            Some(dsn),
            &checks::Settings::default().resolve().unwrap(),
            "2026-01-01T00:00:00Z",
        ));
        (started.elapsed(), collection, db)
    }

    fn assert_bounded_error(stall: Stall, bound: Duration, expected: &str) {
        let (took, collection, db) = audit_hostile(stall);
        assert!(took < bound, "took {took:?}");
        let error = collection.error.unwrap();
        assert!(error.starts_with("target hostile: "), "{error}");
        assert!(error.contains(expected), "{error}");
        assert!(
            !error.contains('\n') && !error.contains("Pw-4711-secret"),
            "{error}"
        );
        assert!(db.error.is_some() && db.tables.is_empty());
    }

    #[test]
    fn a_server_that_never_answers_ends_at_the_connect_deadline() {
        assert_bounded_error(
            Stall::BeforeAuthentication,
            Duration::from_secs(10),
            "timed out after 2 s",
        );
    }

    #[test]
    fn a_server_that_stalls_after_authentication_ends_at_the_connect_deadline() {
        assert_bounded_error(
            Stall::AfterAuthentication,
            Duration::from_secs(10),
            "timed out after 2 s",
        );
    }

    #[test]
    fn a_server_that_stalls_on_the_first_read_ends_at_the_reply_deadline() {
        // statement_timeout 1 s + 5 s of grace; the later reads are not attempted at all.
        assert_bounded_error(
            Stall::AfterSessionSetup,
            Duration::from_secs(15),
            "no answer within 6 s",
        );
    }
}
