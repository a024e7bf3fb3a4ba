//! Fixture cases: `fixtures/facts/<check>/{pass,fail,error}/*.json` are Facts fragments; the
//! folder states the expectation. Every check must have pass and fail cases, and an empty result
//! is never accepted. Each case's findings are also snapshotted.

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

#[test]
fn every_check_has_passing_and_failing_fixtures_that_hold() {
    let mut problems = Vec::new();
    for check in ALL {
        let id = check.meta().id;
        for expect in ["pass", "fail", "error"] {
            let files = cases(&fixtures_root().join(id).join(expect));
            if files.is_empty() && expect != "error" {
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
                let findings = run_one(*check, &Context::new(&facts));
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
