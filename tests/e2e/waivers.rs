//! Waivers end to end: a waived finding stays visible with its reason in every format and does
//! not gate; an expired waiver no longer applies and is reported, as is an unused one.

use std::path::Path;

use serde_json::Value;

use crate::formats::assert_valid_sarif;
use crate::harness::{array, finding_about, text, vouch};

const PINNED: &str = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683";

/// A repository whose workflow uses these actions, with three waivers: active (`vendor/*`),
/// expired (`legacy/*`) and unused (`nothing/*`).
fn repo(dir: &Path, uses: &[&str]) {
    let steps: String = uses.iter().fold(String::new(), |mut s, u| {
        s.push_str("      - uses: ");
        s.push_str(u);
        s.push('\n');
        s
    });
    let workflow = format!(
        "name: ci\non: [push, pull_request]\npermissions: {{}}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    );
    std::fs::create_dir_all(dir.join(".github/workflows")).expect("temp dir is writable");
    std::fs::write(dir.join(".github/workflows/ci.yml"), workflow).expect("temp dir is writable");
    std::fs::write(
        dir.join("vouch.toml"),
        r#"
[[waiver]]
check = "gha-action-pinned"
subject = "vendor/*"
reason = "vendor action reviewed line by line"
expires = "2099-12-31"
approved_by = "security@acme.example"
ticket = "SEC-7"

[[waiver]]
check = "gha-action-pinned"
subject = "legacy/*"
reason = "legacy pipeline, to be removed"
expires = "2020-01-01"
approved_by = "security@acme.example"

[[waiver]]
check = "gha-action-pinned"
subject = "nothing/*"
reason = "kept from an old migration"
expires = "2099-12-31"
approved_by = "security@acme.example"
"#,
    )
    .expect("temp dir is writable");
}

/// Scans `dir` with one format on stdout; returns (exit code, stdout).
fn scan(dir: &Path, format: &str) -> (i32, String) {
    let out = vouch()
        .arg("scan")
        .arg(dir)
        .args(["--format", format, "--fail-on", "high"])
        .output()
        .expect("vouch runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
    )
}

#[test]
fn a_waived_failure_does_not_gate() {
    let dir = tempfile::tempdir().unwrap();
    repo(dir.path(), &[PINNED, "vendor/tool@v1"]);
    let (code, out) = scan(dir.path(), "json");
    let report: Value = serde_json::from_str(&out).unwrap();
    let waived = finding_about(&report, "vendor/tool@v1");
    assert_eq!(waived["status"], "waived");
    assert_eq!(code, 0, "the only high failure is waived");
}

#[test]
fn an_expired_waiver_no_longer_applies_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    repo(dir.path(), &[PINNED, "vendor/tool@v1", "legacy/old@v2"]);
    let (code, out) = scan(dir.path(), "json");
    assert_eq!(code, 1, "legacy/old@v2 fails: its waiver expired");
    let report: Value = serde_json::from_str(&out).unwrap();
    let vendor = finding_about(&report, "vendor/tool@v1");
    assert_eq!(vendor["status"], "waived");
    assert_eq!(
        vendor["waiver"]["reason"],
        "vendor action reviewed line by line"
    );
    let legacy = finding_about(&report, "legacy/old@v2");
    assert_eq!(legacy["status"], "fail");
    assert!(legacy["waiver"].is_null());
    let states: Vec<(&str, &str, u64)> = array(&report, "waivers")
        .iter()
        .map(|w| {
            (
                text(w, "subject"),
                text(w, "state"),
                w["matched"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("vendor/*", "active", 1),
            ("legacy/*", "expired", 1),
            ("nothing/*", "unused", 0)
        ]
    );
}

#[test]
fn every_format_shows_the_waived_finding_and_the_stale_waivers() {
    let dir = tempfile::tempdir().unwrap();
    repo(dir.path(), &[PINNED, "vendor/tool@v1", "legacy/old@v2"]);
    let reason = "vendor action reviewed line by line";

    let (_, text) = scan(dir.path(), "text");
    assert!(text.contains("WAIVED"), "{text}");
    assert!(text.contains(reason));
    assert!(text.contains("waiver for gha-action-pinned `legacy/*` expired on 2020-01-01"));
    assert!(text.contains("waiver for gha-action-pinned `nothing/*` matched no failing finding"));

    let (_, md) = scan(dir.path(), "markdown");
    assert!(
        md.contains("💤 waived | `gha-action-pinned` | vendor/tool@v1"),
        "{md}"
    );
    assert!(md.contains(reason));
    // Markdown escapes the glob's `*` (it renders as `*`).
    assert!(md.contains("⚠️ **expired**: no longer applies | `gha-action-pinned` | legacy/\\*"));
    assert!(md.contains("unused: matched no failure | `gha-action-pinned` | nothing/\\*"));

    let (_, xml) = scan(dir.path(), "junit");
    assert!(xml.contains(&format!(
        "<skipped message=\"waived until 2099-12-31 by security@acme.example: {reason}\""
    )));

    let (_, sarif) = scan(dir.path(), "sarif");
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    assert_valid_sarif(&doc);
    let run = &doc["runs"][0];
    let waived = array(run, "results")
        .iter()
        .find(|r| r["properties"]["subject"] == "vendor/tool@v1")
        .unwrap();
    assert_eq!(waived["suppressions"][0]["kind"], "external");
    assert!(
        waived["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with(reason)
    );
    let notes: Vec<&str> = array(&run["invocations"][0], "toolConfigurationNotifications")
        .iter()
        .map(|n| n["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("`legacy/*` expired on 2020-01-01"));
    assert!(notes[1].contains("`nothing/*` matched no failing finding"));
}
