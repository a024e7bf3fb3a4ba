//! Output is deterministic: two scans of the same tree give the same bytes, `generated_at`
//! aside (and that too when `SOURCE_DATE_EPOCH` pins the clock).

use std::path::Path;

use crate::harness::vouch;

/// A tree big enough for the parallel walk to finish in varying orders: many workflows with
/// pinned, unpinned and broken files (GitHub runs only those directly in
/// `.github/workflows/`), and Dockerfiles in nested directories.
fn busy_repo(dir: &Path) {
    let wf_dir = dir.join(".github/workflows");
    std::fs::create_dir_all(&wf_dir).expect("temp dir is writable");
    for i in 0..150 {
        let svc = dir.join(format!("svc{}/img{i}", i % 15));
        std::fs::create_dir_all(&svc).expect("temp dir is writable");
        let dockerfile = format!("FROM alpine:3.{}\nUSER 10001\nCMD [\"true\"]\n", i % 9);
        std::fs::write(svc.join("Dockerfile"), dockerfile).expect("temp dir is writable");
        let body = format!(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v{}\n      - uses: org{}/tool@11bd71901bbe5b1630ceea73d27597364c9af683\n",
            i % 7,
            i % 11
        );
        std::fs::write(wf_dir.join(format!("w{i}.yml")), body).expect("temp dir is writable");
    }
    std::fs::write(dir.join(".github/workflows/broken.yml"), "jobs: [\n")
        .expect("temp dir is writable");
}

fn scan(dir: &Path, format: &str, pinned_clock: bool) -> String {
    let mut cmd = vouch();
    if !pinned_clock {
        cmd.env_remove("SOURCE_DATE_EPOCH");
    }
    let out = cmd
        .arg("scan")
        .arg(dir)
        .args(["--format", format])
        .output()
        .expect("vouch runs");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

fn without_generated_at(json: &str) -> String {
    json.lines()
        .filter(|l| !l.starts_with("  \"generated_at\":"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn json_is_byte_identical_with_a_pinned_clock() {
    let dir = tempfile::tempdir().unwrap();
    busy_repo(dir.path());
    let a = scan(dir.path(), "json", true);
    assert!(a.contains("\"status\": \"fail\""), "the tree has failures");
    assert!(a.contains(".github/workflows/w149.yml"));
    assert!(a.contains("svc14/img149/Dockerfile"));
    assert_eq!(a, scan(dir.path(), "json", true));
}

#[test]
fn json_differs_only_in_generated_at_without_a_pinned_clock() {
    let dir = tempfile::tempdir().unwrap();
    busy_repo(dir.path());
    let a = scan(dir.path(), "json", false);
    let b = scan(dir.path(), "json", false);
    let report: serde_json::Value = serde_json::from_str(&a).unwrap();
    let generated = report["generated_at"].as_str().unwrap();
    assert_ne!(generated, "2026-01-01T00:00:00Z", "the real clock was used");
    assert_eq!(generated.len(), "2026-01-01T00:00:00Z".len());
    let (a, b) = (without_generated_at(&a), without_generated_at(&b));
    assert!(a.len() > 1000 && !a.contains("generated_at"));
    assert_eq!(a, b);
}

#[test]
fn sarif_junit_and_markdown_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    busy_repo(dir.path());
    for format in ["sarif", "junit", "markdown"] {
        let a = scan(dir.path(), format, true);
        assert!(a.contains("actions/checkout@v3"), "{format} has findings");
        assert_eq!(a, scan(dir.path(), format, true), "{format}");
    }
    // SARIF carries no timestamp: identical even on the real clock.
    assert_eq!(
        scan(dir.path(), "sarif", false),
        scan(dir.path(), "sarif", true)
    );
}
