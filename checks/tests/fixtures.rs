//! Fixture cases: `fixtures/facts/<check>/{pass,fail,error}/*.json` are Facts fragments; the
//! folder states the expectation. Every check must have pass, fail and error cases, here or as
//! real inputs under `fixtures/cases/<check>/` (run by the root crate's `tests/cases.rs`), and an
//! empty result is never accepted. Each case's findings are also snapshotted.

use std::fs;
use std::path::{Path, PathBuf};

use checks::{ALL, Context, Facts, Status, registry::run_one};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/facts")
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Whether `fixtures/cases/<check>/<expect>/` holds a real-input case (a directory).
fn has_real_input_case(id: &str, expect: &str) -> bool {
    let dir = fixtures_root().join("../cases").join(id).join(expect);
    fs::read_dir(dir).is_ok_and(|entries| entries.filter_map(Result::ok).any(|e| e.path().is_dir()))
}

#[test]
fn every_check_has_passing_and_failing_fixtures_that_hold() {
    let mut problems = Vec::new();
    for check in ALL {
        let id = check.meta().id;
        for expect in ["pass", "fail", "error"] {
            let files = cases(&fixtures_root().join(id).join(expect));
            if files.is_empty() && !has_real_input_case(id, expect) {
                problems.push(format!("{id}: no {expect}/ fixture"));
            }
            for file in files {
                let text = fs::read_to_string(&file).unwrap();
                let facts: Facts = match serde_json::from_str(&text) {
                    Ok(f) => f,
                    Err(e) => {
                        problems.push(format!("{}: {e}", file.display()));
                        continue;
                    }
                };
                let options = match facts.settings.resolve() {
                    Ok(options) => options,
                    Err(errors) => {
                        problems.push(format!("{}: settings: {errors:?}", file.display()));
                        continue;
                    }
                };
                let findings = run_one(*check, &Context::new(&facts, &options));
                let case = file.file_stem().unwrap().to_string_lossy().to_string();
                let ok = match expect {
                    "pass" => {
                        !findings.is_empty() && findings.iter().all(|f| f.status == Status::Pass)
                    }
                    "fail" => findings.iter().any(|f| f.status == Status::Fail),
                    _ => findings.iter().any(|f| f.status == Status::Error),
                };
                if !ok {
                    problems.push(format!(
                        "{id}/{expect}/{case}: expected {expect}, got {:?}",
                        findings
                            .iter()
                            .map(|f| (&f.subject, f.status))
                            .collect::<Vec<_>>()
                    ));
                }
                insta::assert_json_snapshot!(format!("{id}__{expect}__{case}"), findings);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "fixture problems:\n{}",
        problems.join("\n")
    );
}

/// Fail closed by construction: every check, given facts in which its source could not be read
/// at all (`fixtures/facts/_unreadable/<source>.json`, or `<check-id>.json` for a check that
/// judges only what is configured), reports `error` and never `pass`.
#[test]
fn every_check_reports_error_never_pass_when_its_source_is_unreadable() {
    let mut problems = Vec::new();
    for check in ALL {
        let m = check.meta();
        // A check that judges only what is configured (an evidence bucket, a rate-limit claim)
        // has its own unreadable input, named by its id; the rest share their source's.
        let unreadable = fixtures_root().join("_unreadable");
        let own = unreadable.join(format!("{}.json", m.id));
        let file = if own.exists() {
            own
        } else {
            unreadable.join(format!("{}.json", m.source.as_str()))
        };
        let text = fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (one per source)", file.display()));
        let facts: Facts = serde_json::from_str(&text).unwrap();
        let options = facts
            .settings
            .resolve()
            .unwrap_or_else(|e| panic!("{}: settings: {e:?}", file.display()));
        let findings = run_one(*check, &Context::new(&facts, &options));
        let passed: Vec<&str> = findings
            .iter()
            .filter(|f| f.status == Status::Pass)
            .map(|f| f.subject.as_str())
            .collect();
        if !passed.is_empty() {
            problems.push(format!("{}: pass on unreadable input: {passed:?}", m.id));
        }
        if !findings.iter().any(|f| f.status == Status::Error) {
            problems.push(format!("{}: no error for unreadable input", m.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whether a fixture holds what only a running service produces: a live database, AWS
/// accounts, endpoints, a Kubernetes API server's workloads, registry images or artifacts.
fn is_live(facts: &Facts) -> bool {
    facts
        .postgres
        .iter()
        .any(|d| d.origin == checks::facts::pg::Origin::Live)
        || !facts.aws.is_empty()
        || !facts.endpoints.is_empty()
        || !facts.kube.is_empty()
        || !facts.images.is_empty()
        || !facts.artifacts.is_empty()
}

/// `fixtures/facts/ORIGINS.toml` accounts for every fixture of a live source: regenerated by an
/// e2e test from the real service (`[regenerated]`, checked there) or made by hand for a reason
/// no real service can reproduce (`[handmade]`). A fixture in neither, in both, or an entry
/// whose file is gone fails: a new live fixture comes from the e2e test of its service.
#[test]
fn every_live_fixture_names_its_origin() {
    let path = fixtures_root().join("ORIGINS.toml");
    let manifest: toml::Table = fs::read_to_string(&path)
        .unwrap()
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lists = ["regenerated", "handmade"];
    let mut problems = Vec::new();
    for key in manifest.keys() {
        if !lists.contains(&key.as_str()) {
            problems.push(format!("ORIGINS.toml: unknown table [{key}]"));
        }
    }
    let entries = |list: &str| -> Vec<(String, String)> {
        manifest
            .get(list)
            .and_then(toml::Value::as_table)
            .map(|t| {
                t.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut live = std::collections::BTreeSet::new();
    for check in ALL {
        let m = check.meta();
        if m.source == checks::Source::Repo {
            continue;
        }
        for expect in ["pass", "fail", "error"] {
            for file in cases(&fixtures_root().join(m.id).join(expect)) {
                let facts: Facts =
                    serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
                if is_live(&facts) {
                    let case = file.file_stem().unwrap().to_string_lossy();
                    live.insert(format!("{}/{expect}/{case}", m.id));
                }
            }
        }
    }
    let mut listed = std::collections::BTreeMap::<String, &str>::new();
    for list in lists {
        for (case, why) in entries(list) {
            if why.trim().is_empty() {
                problems.push(format!("[{list}] \"{case}\": says nothing"));
            }
            if let Some(other) = listed.insert(case.clone(), list) {
                problems.push(format!("\"{case}\" is in [{other}] and [{list}]"));
            }
            if !live.contains(&case) {
                problems.push(format!(
                    "[{list}] \"{case}\": no such live fixture (fixtures/facts/{case}.json)"
                ));
            }
        }
    }
    for case in &live {
        if !listed.contains_key(case) {
            problems.push(format!(
                "fixtures/facts/{case}.json: a live fixture in no list of ORIGINS.toml"
            ));
        }
    }
    let count = |list: &str| listed.values().filter(|l| **l == list).count();
    eprintln!(
        "live fixtures: {} regenerated, {} handmade",
        count("regenerated"),
        count("handmade")
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
