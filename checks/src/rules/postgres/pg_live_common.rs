//! Helpers shared by the live-only PostgreSQL checks.

use serde_json::json;

use crate::facts::pg::{Database, Origin};
use crate::facts::pg_live::LiveState;
use crate::model::{Context, Findings, Location, Source};

/// The databases read from a running server.
pub(crate) fn live_databases<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = &'a Database> {
    cx.facts
        .postgres
        .iter()
        .filter(|db| db.origin == Origin::Live)
}

/// Where a whole target's finding points: its `postgres://HOST:PORT/DB` URI, or, when the DSN
/// could not even be read, the target's name in the configuration.
pub(crate) fn target_location(db: &Database) -> Location {
    match &db.live {
        Some(live) if !live.uri.is_empty() => Location::postgres(&live.uri, None),
        _ => Location::target(Source::Postgres, &db.name),
    }
}

/// The live state of a database that could be read, or `None` after recording an `error`
/// finding (subject: the target's name) for one that could not.
pub(crate) fn readable<'a>(db: &'a Database, out: &mut Findings) -> Option<&'a LiveState> {
    let cause = match (&db.error, &db.live) {
        (Some(cause), _) => cause.clone(),
        (None, None) => "no live state was collected".to_owned(),
        (None, Some(live)) => return Some(live),
    };
    out.error(
        db.name.clone(),
        target_location(db),
        format!("target {} could not be audited: {cause}", db.name),
        json!({ "target": db.name, "cause": cause }),
    );
    None
}
