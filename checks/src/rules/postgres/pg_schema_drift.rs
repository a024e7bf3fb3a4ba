use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::pg_live_common::{live_databases, readable};
use crate::facts::pg::{Database, Origin, Role, Table};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct PgSchemaDrift;

impl Rule for PgSchemaDrift {
    const META: Meta = Meta {
        id: "pg-schema-drift",
        title: "The live database matches its migrations",
        severity: Severity::Medium,
        controls: &["CHG-01"],
        source: Source::Postgres,
        docs: r#"
## Why
Migrations are what was reviewed; the running database is what protects the data. A hotfix
typed into `psql` ("just disable RLS on this table for the import"), a role altered by hand or
a policy dropped in production leaves the reviewed baseline describing a database that no
longer exists. Auditors ask for exactly this gap.

## What is judged
When a scan has both a repository's migrations and a live target, every property the pg checks
judge is compared, for each table of a schema the migrations create tables in (subject:
`schema.table`) and each role the migrations create (subject: the role name):
- the table exists on both sides;
- RLS enabled, RLS forced;
- its policies (by name and command);
- its owner, when the migrations set one;
- role attributes (SUPERUSER, BYPASSRLS, CREATEROLE, CREATEDB, LOGIN) and memberships.

Each disagreement fails, pointing at the migration line that decided the property and, as a
related location, the live resource. A live target that could not be read is `error`.

## How to fix
Decide which side is right. If the live change was intended, write it as a migration so it is
reviewed; otherwise re-apply the migrations (or revert the manual change) in the database.

## Evidence
Each differing property with its value in the migrations and in the live database, the
migration file and line, and the live `postgres://…` URI.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let baselines: Vec<&Database> = cx
            .facts
            .postgres
            .iter()
            .filter(|db| db.origin == Origin::Migrations && db.error.is_none())
            .collect();
        if baselines.is_empty() {
            return;
        }
        for live in live_databases(cx) {
            if readable(live, out).is_none() {
                continue;
            }
            for baseline in &baselines {
                compare_tables(baseline, live, out);
                compare_roles(baseline, live, out);
            }
        }
    }
}

/// One property that differs, and where the migrations decided it.
struct Difference {
    property: String,
    migrations: Value,
    live: Value,
    decided_at: Location,
}

impl Difference {
    fn new(property: impl Into<String>, migrations: Value, live: Value, at: &Location) -> Self {
        Difference {
            property: property.into(),
            migrations,
            live,
            decided_at: at.clone(),
        }
    }
}

fn compare_tables(baseline: &Database, live: &Database, out: &mut Findings) {
    let live_tables: BTreeMap<String, &Table> = live
        .tables
        .iter()
        .map(|t| (t.qualified_name(), t))
        .collect();
    let schemas: BTreeSet<&str> = baseline.tables.iter().map(|t| t.schema.as_str()).collect();
    let mut seen = BTreeSet::new();
    for want in &baseline.tables {
        let name = want.qualified_name();
        seen.insert(name.clone());
        let Some(have) = live_tables.get(&name) else {
            let msg = format!(
                "{name} is created by the migrations but does not exist in {}",
                live.name
            );
            let evidence = json!({ "table": name, "live_target": live.name, "exists_live": false });
            out.fail(name, want.location.clone(), msg, evidence);
            continue;
        };
        let differences = table_differences(want, have);
        report(&name, live, &have.location, &differences, out);
    }
    for have in live
        .tables
        .iter()
        .filter(|t| schemas.contains(t.schema.as_str()))
    {
        let name = have.qualified_name();
        if !seen.contains(&name) {
            let msg = format!("{name} exists in {} but in no migration", live.name);
            let evidence =
                json!({ "table": name, "live_target": live.name, "exists_in_migrations": false });
            out.fail(name, have.location.clone(), msg, evidence);
        }
    }
}

fn table_differences(want: &Table, have: &Table) -> Vec<Difference> {
    let rls_at = want.rls_location.as_ref().unwrap_or(&want.location);
    let mut diffs = Vec::new();
    for (field, w, h) in [
        ("rls_enabled", want.rls_enabled, have.rls_enabled),
        ("rls_forced", want.rls_forced, have.rls_forced),
    ] {
        if w != h {
            diffs.push(Difference::new(field, json!(w), json!(h), rls_at));
        }
    }
    if let (Some(w), Some(h)) = (&want.owner, &have.owner)
        && w != h
    {
        diffs.push(Difference::new("owner", json!(w), json!(h), &want.location));
    }
    let live_policies: BTreeMap<&str, &str> = have
        .policies
        .iter()
        .map(|p| (p.name.as_str(), p.command.as_str()))
        .collect();
    for p in &want.policies {
        match live_policies.get(p.name.as_str()) {
            None => diffs.push(Difference::new(
                format!("policy {}", p.name),
                json!(p.command),
                Value::Null,
                &p.location,
            )),
            Some(cmd) if *cmd != p.command => {
                diffs.push(Difference::new(
                    format!("policy {} command", p.name),
                    json!(p.command),
                    json!(cmd),
                    &p.location,
                ));
            }
            Some(_) => {}
        }
    }
    let wanted: BTreeSet<&str> = want.policies.iter().map(|p| p.name.as_str()).collect();
    for p in have
        .policies
        .iter()
        .filter(|p| !wanted.contains(p.name.as_str()))
    {
        diffs.push(Difference::new(
            format!("policy {}", p.name),
            Value::Null,
            json!(p.command),
            &want.location,
        ));
    }
    diffs
}

fn compare_roles(baseline: &Database, live: &Database, out: &mut Findings) {
    let live_roles: BTreeMap<&str, &Role> =
        live.roles.iter().map(|r| (r.name.as_str(), r)).collect();
    for want in &baseline.roles {
        let Some(have) = live_roles.get(want.name.as_str()) else {
            let msg = format!(
                "role {} is created by the migrations but does not exist in {}",
                want.name, live.name
            );
            let evidence =
                json!({ "role": want.name, "live_target": live.name, "exists_live": false });
            out.fail(want.name.clone(), want.location.clone(), msg, evidence);
            continue;
        };
        let at = &want.location;
        let mut diffs = Vec::new();
        for (attr, w, h) in [
            ("superuser", want.superuser, have.superuser),
            ("bypassrls", want.bypassrls, have.bypassrls),
            ("createrole", want.createrole, have.createrole),
            ("createdb", want.createdb, have.createdb),
            ("login", want.login, have.login),
        ] {
            if w != h {
                diffs.push(Difference::new(attr, json!(w), json!(h), at));
            }
        }
        let w: BTreeSet<&String> = want.member_of.iter().collect();
        let h: BTreeSet<&String> = have.member_of.iter().collect();
        if w != h {
            diffs.push(Difference::new("member_of", json!(w), json!(h), at));
        }
        report(&want.name, live, &have.location, &diffs, out);
    }
}

/// One finding for the subject: a pass when nothing differs, otherwise a fail at the migration
/// line of the first difference with the live resource as a related location.
fn report(
    subject: &str,
    live: &Database,
    live_at: &Location,
    diffs: &[Difference],
    out: &mut Findings,
) {
    let Some(first) = diffs.first() else {
        let msg = format!("{subject} in {} matches the migrations", live.name);
        let evidence = json!({ "live_target": live.name, "live": live_at.to_string() });
        return out.pass(subject, live_at.clone(), msg, evidence);
    };
    let names: Vec<&str> = diffs.iter().map(|d| d.property.as_str()).collect();
    let msg = format!(
        "{subject} in {} differs from the migrations: {}",
        live.name,
        names.join(", ")
    );
    let evidence = json!({
        "live_target": live.name,
        "live": live_at.to_string(),
        "differences": diffs.iter().map(|d| json!({
            "property": d.property,
            "migrations": d.migrations,
            "live": d.live,
            "decided_at": d.decided_at.to_string(),
        })).collect::<Vec<_>>(),
    });
    let at = first.decided_at.clone();
    out.fail(subject, at, msg.clone(), evidence.clone());
    out.relate(subject, live_at.clone(), "the live resource that differs");
}
