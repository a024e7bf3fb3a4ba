//! The real-world regression corpus (`fixtures/corpus/<name>/`, written for vouch, and
//! `fixtures/third_party/<name>/`, trimmed copies of other projects; see docs/precision.md): each
//! case holds an `expected.toml` of verdicts written by reading the files, and vouch must agree.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::harness::{find_finding, fixture, scan_json};

#[derive(Deserialize)]
struct Expected {
    expect: Vec<Expectation>,
}

#[derive(Deserialize)]
struct Expectation {
    check: String,
    subject: String,
    /// `pass`, `fail`, `error`, or `absent` (no finding for that subject).
    status: String,
    severity: Option<String>,
}

/// The case copied to a temporary directory without its `expected.toml` and `ORIGIN.md`, so
/// it is scanned as a repository of its own (not as part of vouch's git work tree).
pub(crate) fn staged(case: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(case, dir.path(), true);
    dir
}

fn copy_tree(from: &Path, to: &Path, top: bool) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if top && (name == "expected.toml" || name == "ORIGIN.md") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target, false);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The cases: the trees written for vouch (`corpus/`) and the trimmed copies of other
/// projects (`third_party/`, under their own licences).
fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ["corpus", "third_party"]
        .into_iter()
        .flat_map(|root| std::fs::read_dir(fixture(root)).unwrap())
        .map(|e| e.unwrap().path())
        // `third_party/migrations/` holds the PostgreSQL migration sets, judged by `pg_corpus`.
        .filter(|p| p.is_dir() && !p.ends_with("migrations"))
        .collect();
    out.sort();
    out
}

#[test]
fn vouch_agrees_with_the_verdicts_written_for_the_corpus() {
    let cases = cases();
    assert!(
        cases.len() >= 5,
        "the corpus is in fixtures/corpus and fixtures/third_party"
    );
    let mut disagreements = Vec::new();
    let mut compared = 0;
    // Per check: (reported fail/error findings the corpus lists, of which the verdict says
    // fail/error too): precision on the corpus, printed with `-- --nocapture`.
    let mut precision = std::collections::BTreeMap::<String, (usize, usize)>::default();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        assert!(case.join("ORIGIN.md").is_file(), "{name}: ORIGIN.md");
        let text = std::fs::read_to_string(case.join("expected.toml")).unwrap();
        let expected: Expected = toml::from_str(&text).unwrap();
        let dir = staged(&case);
        let (_, report) = scan_json(dir.path(), &[]);
        for e in &expected.expect {
            compared += 1;
            let got = find_finding(&report, &e.check, &e.subject);
            let (status, severity) = got.map_or(("absent", None), |f| {
                (f["status"].as_str().unwrap(), f["severity"].as_str())
            });
            let reported = matches!(status, "fail" | "error");
            let counted = precision.entry(e.check.clone()).or_default();
            counted.0 += usize::from(reported);
            counted.1 += usize::from(reported && matches!(e.status.as_str(), "fail" | "error"));
            let severity_ok = e.severity.is_none() || e.severity.as_deref() == severity;
            if status != e.status || !severity_ok {
                disagreements.push(format!(
                    "{name}: {} {} expected {} {:?}, got {status} {severity:?}: {}",
                    e.check,
                    e.subject,
                    e.status,
                    e.severity,
                    got.map_or(String::new(), |f| f["message"].to_string())
                ));
            }
        }
    }
    println!("| check | reported on the corpus | true | precision |\n|---|---|---|---|");
    for (check, (reported, true_ones)) in &precision {
        let pct = (*reported > 0).then(|| format!("{}%", true_ones * 100 / reported));
        println!(
            "| `{check}` | {reported} | {true_ones} | {} |",
            pct.as_deref().unwrap_or("n/a")
        );
    }
    assert!(compared >= 20, "only {compared} verdicts compared");
    assert!(
        disagreements.is_empty(),
        "vouch disagrees with the corpus:\n{}",
        disagreements.join("\n")
    );
}
