//! Every `--format` through the real binary on the demo, and `--format`/`--output` pairing.

use std::path::Path;

use serde_json::Value;

use crate::harness::{array, find_finding, findings, fixture, scan_refused, vouch};

/// Runs `vouch scan fixtures/demo` with these arguments in `dir`; returns (exit code, stdout).
fn scan_demo(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = vouch()
        .current_dir(dir)
        .arg("scan")
        .arg(fixture("demo"))
        .args(args)
        .output()
        .expect("vouch runs");
    assert!(
        out.stderr.is_empty(),
        "unexpected stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
    )
}

pub fn sarif_schema() -> Value {
    let path = crate::harness::repo_root().join("tests/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(path).expect("the SARIF schema is in the repository");
    serde_json::from_str(&text).expect("the SARIF schema is JSON")
}

pub fn assert_valid_sarif(doc: &Value) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&sarif_schema())
        .expect("the SARIF schema compiles offline");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

#[test]
fn text_is_the_default_and_groups_by_control() {
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = scan_demo(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(text.contains("FAIL SUP-05"), "{text}");
    assert!(text.contains(
        "gha-action-pinned  actions/setup-node@v4\n         .github/workflows/ci.yml:11:9  "
    ));
    assert!(text.contains("waived until 2099-12-31 by security@acme.example"));
    assert!(
        !text.contains('\x1b'),
        "no colour when NO_COLOR is set and stdout is a pipe"
    );
}

#[test]
fn sarif_of_the_demo_validates_and_points_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = scan_demo(dir.path(), &["--format", "sarif"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid_sarif(&doc);
    let run = &doc["runs"][0];
    let rules = array(&run["tool"]["driver"], "rules");
    assert_eq!(rules.len(), checks::ALL.len());
    let results = array(run, "results");
    let setup_node = results
        .iter()
        .find(|r| r["properties"]["subject"] == "actions/setup-node@v4")
        .expect("a result for the unpinned action");
    assert_eq!(setup_node["kind"], "fail");
    assert_eq!(setup_node["level"], "error");
    let physical = &setup_node["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        ".github/workflows/ci.yml"
    );
    assert_eq!(physical["region"]["startLine"], 11);
    assert_eq!(
        physical["region"]["startColumn"], 9,
        "the column of `uses:`"
    );
    let rule = &rules[usize::try_from(setup_node["ruleIndex"].as_u64().unwrap()).unwrap()];
    assert_eq!(rule["id"], "gha-action-pinned");
    assert!(
        results.iter().all(|r| r["kind"] == "fail"),
        "passes are left out by default"
    );
    let (_, with_passes) = scan_demo(dir.path(), &["--format", "sarif", "--sarif-passes"]);
    let with_passes: Value = serde_json::from_str(&with_passes).unwrap();
    assert!(
        array(&with_passes["runs"][0], "results")
            .iter()
            .any(|r| r["kind"] == "pass"),
        "--sarif-passes keeps them"
    );
    assert!(results.iter().any(|r| {
        r["suppressions"][0]["justification"]
            .as_str()
            .is_some_and(|j| j.contains("SEC-142"))
    }));
}

#[test]
fn markdown_lists_the_failures_and_the_waiver() {
    let dir = tempfile::tempdir().unwrap();
    let (_, md) = scan_demo(dir.path(), &["--format", "markdown"]);
    assert!(md.starts_with("## ❌ vouch: "), "{md}");
    assert!(md.contains("| high | ❌ fail | `gha-action-pinned` | actions/setup-node@v4 | .github/workflows/ci.yml:11:9 |"));
    assert!(md.contains("💤 waived"));
    assert!(md.contains("### Waivers"));
    assert!(md.contains("<details><summary>Controls: ") && md.contains("| SUP-05 | ❌ fail |"));
}

#[test]
fn junit_has_a_suite_per_check_and_a_case_per_finding() {
    let dir = tempfile::tempdir().unwrap();
    let (_, xml) = scan_demo(dir.path(), &["--format", "junit"]);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains("<testsuite name=\"gha-action-pinned\""));
    assert!(
        xml.contains("<testcase name=\"actions/setup-node@v4\" classname=\"gha-action-pinned\">")
    );
    assert!(xml.contains("<failure message="));
    assert!(xml.contains("<skipped message=\"waived until 2099-12-31"));
}

#[test]
fn each_output_takes_the_format_before_it_and_the_rest_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout) = scan_demo(
        dir.path(),
        &[
            "--format", "text", "--output", "r.txt", "--format", "json", "--output", "r.json",
            "--format", "markdown", "--format", "sarif", "--output", "r.sarif", "--format",
            "junit", "--output", "r.xml",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("## "),
        "markdown, the unpaired format, on stdout"
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert!(read("r.txt").contains("SUP-05"));
    let json: Value = serde_json::from_str(&read("r.json")).unwrap();
    assert_eq!(json["schema"], "vouch.report/v1");
    assert_valid_sarif(&serde_json::from_str(&read("r.sarif")).unwrap());
    assert!(read("r.xml").contains("<testsuites"));
}

#[test]
fn text_on_stdout_and_json_in_the_file_that_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout) = scan_demo(
        dir.path(),
        &["--format", "text", "--format", "json", "--output", "r.json"],
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("FAIL SUP-05"), "text on stdout: {stdout}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "vouch.report/v1");
    assert!(!findings(&json).is_empty());
}

#[test]
fn a_lone_output_takes_the_default_text() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stdout) = scan_demo(dir.path(), &["--output", "r.txt"]);
    assert!(stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("r.txt")).unwrap();
    assert!(text.contains("SUP-05"));
}

#[test]
fn an_output_before_any_format_is_a_usage_error() {
    scan_refused(
        &fixture("demo"),
        &["--output", "r.json", "--format", "json"],
        "--output r.json must follow the --format it receives",
    );
}

#[test]
fn two_formats_without_outputs_is_a_usage_error() {
    scan_refused(
        &fixture("demo"),
        &["--format", "json", "--format", "sarif"],
        "only one format can go to stdout",
    );
}

/// A flow-style workflow (one line for a whole job) is located by line and column, in the JSON
/// and the SARIF alike, and the second use of the same action is a related location saying why.
#[test]
fn flow_style_yaml_is_located_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::write(
        workflows.join("ci.yml"),
        "on: push\njobs: {build: {runs-on: x, steps: [{uses: actions/checkout@v4}]},\n  test: {runs-on: x, steps: [{run: make}, {uses: actions/checkout@v4}]}}\n",
    )
    .unwrap();
    let (_, report) = crate::harness::scan_json(dir.path(), &[]);
    let finding = find_finding(&report, "gha-action-pinned", "actions/checkout@v4")
        .expect("a finding for the unpinned action");
    assert_eq!(
        finding["location"],
        serde_json::json!({"path": ".github/workflows/ci.yml", "line": 2, "column": 37})
    );
    assert_eq!(
        finding["related"],
        serde_json::json!([{
            "path": ".github/workflows/ci.yml", "line": 3, "column": 44,
            "note": "the same action, also used here"
        }])
    );
    let out = crate::harness::vouch()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&doc);
    let result = array(&doc["runs"][0], "results")
        .iter()
        .find(|r| r["ruleId"] == "gha-action-pinned")
        .expect("a SARIF result for the unpinned action");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(2), Some(37))
    );
    let related = &result["relatedLocations"][0];
    assert_eq!(
        related["message"]["text"],
        "the same action, also used here"
    );
    assert_eq!(related["physicalLocation"]["region"]["startColumn"], 44);
}
