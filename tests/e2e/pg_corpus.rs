//! The real-world PostgreSQL migration corpus (`fixtures/third_party/migrations/<set>/`, see
//! docs/precision.md): trimmed copies of public repositories' migration sets, each with its
//! `ORIGIN.md`, the `vouch.toml` an honest user would write, and an `expected.toml` of verdicts
//! per table and per check written by reading the SQL. vouch must agree, except where a verdict
//! names a known defect (`known`, with what vouch reports today in `vouch`). The test prints each
//! set's parse coverage and the per-check precision it measured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::corpus::staged;
use crate::harness::{array, findings, fixture, text, text_pair, vouch};

/// The static PostgreSQL checks this corpus judges. Findings of other checks (added later) are
/// printed, not compared.
const JUDGED: &[&str] = &[
    "pg-rls-enabled",
    "pg-rls-forced",
    "pg-rls-policy",
    "pg-rls-policy-tenant",
    "pg-role-no-bypass",
    "pg-role-not-owner",
    "pg-role-no-ddl",
    "pg-audit-append-only",
    "pg-audit-hash-chained",
    "pg-security-definer-search-path",
    "pg-table-classified",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetExpected {
    /// The migration tool or dump style (`supabase`, `prisma`, `goose`, `pg_dump`…).
    style: String,
    /// The set protects its tenant tables with row-level security and policies.
    rls: bool,
    #[serde(default)]
    table: Vec<TableClass>,
    expect: Vec<Verdict>,
}

/// How the reader classified a table (documentation of the verdicts; printed).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TableClass {
    name: String,
    class: String,
    why: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verdict {
    check: String,
    subject: String,
    /// The right verdict: `pass`, `fail`, `error`, or `absent` (no finding).
    status: String,
    /// Why the verdict is what it is, when not obvious.
    #[allow(dead_code)]
    why: Option<String>,
    /// A known vouch defect or coverage gap making vouch disagree today.
    known: Option<String>,
    /// What vouch reports today for a `known` verdict.
    vouch: Option<String>,
    /// Only repeats a missing ENABLE ROW LEVEL SECURITY: any verdict but pass/error is accepted.
    #[serde(default)]
    dependent: bool,
}

/// Counts per check, over the whole corpus.
#[derive(Default)]
struct Tally {
    reported: u32,
    true_reports: u32,
    /// Reports that only repeat a missing ENABLE ROW LEVEL SECURITY (`dependent` verdicts:
    /// the informational "not applicable" notes).
    dependent_reports: u32,
    false_reports: Vec<String>,
    false_negatives: Vec<String>,
}

fn sets() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixture("third_party/migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// `vouch scan` of the staged set: the report and the dumped facts.
fn scan_with_facts(dir: &Path) -> (Value, Value) {
    let facts = dir.join("facts.json");
    let out = vouch()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json", "--dump-facts"])
        .arg(&facts)
        .output()
        .expect("vouch runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let facts = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    (report, facts)
}

/// One line of parse coverage per folded database, and the unparsed statements that may
/// decide a judged property (those a later statement did not decide again are marked open).
fn coverage(name: &str, style: &str, facts: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for db in array(facts, "postgres") {
        let s = &db["parse_stats"];
        let n = |k: &str| s[k].as_u64().unwrap_or(0);
        let unparsed = db["unparsed"].as_array().cloned().unwrap_or_default();
        lines.push(format!(
            "| {name} | {style} | {} | {} | {} | {} | {} | {} |",
            n("files"),
            n("statements"),
            n("parsed") + n("skipped"),
            n("parsed"),
            n("unparsed"),
            unparsed.len()
        ));
        for u in &unparsed {
            lines.push(format!(
                "|   unparsed | {}:{} | topics {} | decided again later: {} | `{}` |",
                u["location"]["path"].as_str().unwrap_or("?"),
                u["location"]["line"],
                u.get("topics")
                    .map_or("all".to_owned(), ToString::to_string),
                u.get("decided_later")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len),
                u["excerpt"].as_str().unwrap_or("")
            ));
        }
        // A set that cannot be read is judged by its verdicts (every check `error`); shown here.
        if let Some(cause) = db["error"].as_str() {
            lines.push(format!("|   not readable | {cause} |"));
        }
    }
    assert!(
        !lines.is_empty(),
        "{name}: no PostgreSQL migration set found"
    );
    lines
}

/// The status of every `pg-*` finding, by (check, subject).
fn pg_statuses(report: &Value) -> BTreeMap<(String, String), String> {
    findings(report)
        .iter()
        .filter(|f| text(f, "check").starts_with("pg-"))
        .map(|f| {
            (
                text_pair(f, "check", "subject"),
                text(f, "status").to_owned(),
            )
        })
        .collect()
}

fn is_reported(status: &str) -> bool {
    status == "fail" || status == "error"
}

/// Compares one verdict; `Err` is a disagreement to report, `Ok(Some)` a note.
fn compare(v: &Verdict, got: &str) -> Result<Option<String>, String> {
    let what = format!("{} {}", v.check, v.subject);
    if let Some(known) = &v.known {
        let recorded = v.vouch.as_deref().unwrap_or("?");
        return if got == v.status {
            Ok(Some(format!(
                "{what}: now agrees ({got}); the known defect is fixed, drop `known`"
            )))
        } else if got == recorded {
            Ok(None)
        } else {
            Err(format!(
                "{what}: expected {} (known: {known}), vouch recorded as {recorded}, got {got}",
                v.status
            ))
        };
    }
    let agrees = if v.dependent {
        got != "pass" && got != "error"
    } else {
        got == v.status
    };
    if agrees {
        Ok(None)
    } else {
        Err(format!("{what}: expected {}, got {got}", v.status))
    }
}

fn tally(t: &mut Tally, set: &str, v: &Verdict, got: &str) {
    let what = format!("{set}: {}", v.subject);
    let right = is_reported(&v.status) && (got == v.status || v.dependent);
    if is_reported(got) {
        t.reported += 1;
        if v.dependent {
            t.dependent_reports += 1;
        }
        if right {
            t.true_reports += 1;
        } else {
            t.false_reports.push(what.clone());
        }
    }
    if is_reported(&v.status) && !is_reported(got) {
        t.false_negatives.push(what);
    }
}

#[test]
fn vouch_agrees_with_the_verdicts_written_for_the_migration_corpus() {
    let sets = sets();
    let mut disagreements = Vec::new();
    let mut notes = Vec::new();
    let mut table = vec![
        "| set | style | files | statements | understood | parsed | unparsed | kept as unparsed |"
            .to_owned(),
    ];
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let (mut with_rls, mut without_rls, mut compared) = (0, 0, 0);
    for set in &sets {
        let name = set.file_name().unwrap().to_string_lossy().into_owned();
        assert!(set.join("ORIGIN.md").is_file(), "{name}: ORIGIN.md");
        assert!(set.join("vouch.toml").is_file(), "{name}: vouch.toml");
        let text = std::fs::read_to_string(set.join("expected.toml")).unwrap();
        let expected: SetExpected =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/expected.toml: {e}"));
        if expected.rls {
            with_rls += 1;
        } else {
            without_rls += 1;
        }
        let dir = staged(set);
        let (report, facts) = scan_with_facts(dir.path());
        table.extend(coverage(&name, &expected.style, &facts));
        let mut got = pg_statuses(&report);
        for v in &expected.expect {
            compared += 1;
            let status = got
                .remove(&(v.check.clone(), v.subject.clone()))
                .unwrap_or_else(|| "absent".to_owned());
            match compare(v, &status) {
                Ok(Some(note)) => notes.push(format!("{name}: {note}")),
                Ok(None) => {}
                Err(e) => disagreements.push(format!("{name}: {e}")),
            }
            tally(
                tallies.entry(v.check.clone()).or_default(),
                &name,
                v,
                &status,
            );
        }
        for ((check, subject), status) in got {
            if JUDGED.contains(&check.as_str()) {
                disagreements.push(format!(
                    "{name}: {check} {subject}: no verdict written, vouch says {status}"
                ));
            } else {
                notes.push(format!(
                    "{name}: {check} {subject} {status} (not judged here)"
                ));
            }
        }
        println!(
            "{name}: {} table(s) classified by reading",
            expected.table.len()
        );
    }
    println!(
        "\nParse coverage (understood = parsed + skipped as irrelevant):\n{}",
        table.join("\n")
    );
    println!(
        "\n| check | reported | true | precision | false negatives | of the reported: not-applicable notes |"
    );
    for (check, t) in &tallies {
        let precision = if t.reported == 0 {
            "n/a".to_owned()
        } else {
            format!(
                "{:.0}%",
                100.0 * f64::from(t.true_reports) / f64::from(t.reported)
            )
        };
        println!(
            "| {check} | {} | {} | {precision} | {} | {} |",
            t.reported,
            t.true_reports,
            t.false_negatives.len(),
            t.dependent_reports
        );
        for fp in &t.false_reports {
            println!("|   false report | {fp} |");
        }
        for fneg in &t.false_negatives {
            println!("|   false negative | {fneg} |");
        }
    }
    for note in &notes {
        println!("note: {note}");
    }
    assert!(sets.len() >= 10, "only {} migration sets", sets.len());
    assert!(
        with_rls >= 3 && without_rls >= 3,
        "{with_rls} sets with RLS, {without_rls} without"
    );
    assert!(compared >= 200, "only {compared} verdicts compared");
    assert!(
        disagreements.is_empty(),
        "vouch disagrees with the migration corpus:\n{}",
        disagreements.join("\n")
    );
}

/// The corpus sets PostgreSQL can apply with at most a small platform prelude (Supabase's `auth`
/// schema and API roles, in `pg_fold_vs_server`): the static fold must match the server's
/// catalogs. Not here: the larger Supabase set (which needs the platform's storage, pg_net and
/// vector schemas) and plain-aws-rls (written for its own splitter, not psql).
#[test]
fn fold_matches_postgres_on_the_migration_corpus() {
    for set in [
        "sqlx-svix",
        "rails-zync",
        "flyway-kestra",
        "golang-migrate-openmeter",
        "goose-hatchet",
        "diesel-hyperswitch",
        "prisma-rls",
        "dbmate-radler",
        "supabase-basejump",
        "pgdump-graphile-starter",
    ] {
        crate::pg_fold_vs_server::compare_repo_at(&format!("third_party/migrations/{set}"));
    }
}
