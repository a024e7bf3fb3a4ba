//! Dockerfile, CI-image, vulnerability-scan and committed-secret checks, end to end: the real
//! binary over `fixtures/repos/docker-*`, `fixtures/repos/secrets-*` and the demo.

use serde_json::Value;

use crate::harness::{
    assert_finding, finding, findings_of, fixture, message, scan_json, verdict, vouch,
};

fn subjects_of<'a>(report: &'a Value, check: &str) -> Vec<&'a str> {
    findings_of(report, check)
        .into_iter()
        .filter_map(|f| f["subject"].as_str())
        .collect()
}

#[test]
fn multistage_dockerfile_with_pinned_bases_passes_every_container_check() {
    let (code, report) = scan_json(&fixture("repos/docker-multistage"), &[]);
    assert_eq!(code, 0, "{report:#}");
    let builder = "rust:1.88-bookworm@sha256:3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
    let base = finding(&report, "docker-base-pinned", builder);
    assert_eq!(verdict(base), ("pass", "Dockerfile", 6));
    assert_eq!(base["evidence"]["written"], "${BUILDER}");
    // `FROM build AS test` names a stage, not an image: no finding for it.
    assert!(!subjects_of(&report, "docker-base-pinned").contains(&"build"));
    assert_finding(
        &report,
        "docker-non-root",
        "Dockerfile",
        ("pass", "Dockerfile", 24),
    );
    assert_finding(
        &report,
        "docker-minimal-base",
        "Dockerfile",
        ("pass", "Dockerfile", 20),
    );
    assert_eq!(
        finding(&report, "docker-no-secrets", "Dockerfile")["status"],
        "pass"
    );
    let scan = finding(&report, "ci-vuln-scan", ".");
    assert_eq!(verdict(scan), ("pass", ".github/workflows/ci.yml", 17));
    assert_eq!(scan["evidence"]["scanner"], "cargo deny check advisories");
    let db = "postgres:16@sha256:0d1c2b3a49586776a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e";
    assert_finding(
        &report,
        "gha-image-pinned",
        db,
        ("pass", ".github/workflows/ci.yml", 13),
    );
    assert_eq!(finding(&report, "secrets-committed", ".")["status"], "pass");
}

#[test]
fn tag_pinned_root_image_and_unpinned_service_fail_with_lines() {
    let (code, report) = scan_json(&fixture("repos/docker-root-unpinned"), &[]);
    assert_eq!(code, 1);
    assert_finding(
        &report,
        "docker-base-pinned",
        "python:3.12-slim",
        ("fail", "Dockerfile", 1),
    );
    assert_finding(
        &report,
        "docker-non-root",
        "Dockerfile",
        ("fail", "Dockerfile", 6),
    );
    assert_finding(
        &report,
        "docker-minimal-base",
        "Dockerfile",
        ("fail", "Dockerfile", 1),
    );
    assert_finding(
        &report,
        "gha-image-pinned",
        "postgres:16",
        ("fail", ".github/workflows/integration.yml", 8),
    );
    // CodeQL is SAST and an `echo` mentioning npm audit runs nothing: no scanner.
    assert_finding(
        &report,
        "ci-vuln-scan",
        ".",
        ("fail", ".github/workflows", 0),
    );
    // Only high (and lower) failures here: a critical threshold does not gate.
    let (code, _) = scan_json(
        &fixture("repos/docker-root-unpinned"),
        &["--fail-on", "critical"],
    );
    assert_eq!(code, 0);
}

#[test]
fn unresolvable_and_unparsable_dockerfiles_are_errors_not_passes() {
    let (code, report) = scan_json(&fixture("repos/docker-unresolvable"), &[]);
    assert_eq!(code, 1, "errors fail closed");
    assert_finding(
        &report,
        "docker-base-pinned",
        "${BASE}",
        ("error", "Dockerfile", 2),
    );
    assert_finding(
        &report,
        "docker-minimal-base",
        "Dockerfile",
        ("error", "Dockerfile", 2),
    );
    let broken = finding(&report, "docker-base-pinned", "broken/Dockerfile");
    assert_eq!(verdict(broken), ("error", "broken/Dockerfile", 0));
    assert!(
        message(broken).contains("heredoc `EOF` opened at line 2 is never closed"),
        "{broken:#}"
    );
    let notes = finding(&report, "docker-non-root", "notes/Dockerfile");
    assert!(message(notes).contains("no FROM"));
}

#[test]
fn secrets_baked_into_a_dockerfile_fail_without_showing_the_value() {
    let (code, report) = scan_json(&fixture("repos/docker-secrets"), &[]);
    assert_eq!(code, 1);
    let f = finding(&report, "docker-no-secrets", "Dockerfile");
    assert_eq!(verdict(f), ("fail", "Dockerfile", 2));
    assert_eq!(f["severity"], "critical");
    let lines: Vec<u64> = f["evidence"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["line"].as_u64())
        .collect();
    assert_eq!(lines, vec![2, 9, 13, 14], "{f:#}");
    let text = f["evidence"].to_string();
    assert!(text.contains("GITHUB_TOKEN holds a secret (github-token, redacted)"));
    assert!(text.contains("COPY/ADD of `.env`"));
    assert!(text.contains("COPY/ADD of `deploy/id_rsa`: an SSH private key"));
    // `ENV DB_PASSWORD=${DB_PASSWORD}` is a reference, and the committed .npmrc holds none.
    assert!(!text.contains("DB_PASSWORD"));
    assert!(!text.contains(".npmrc"));
    assert_finding(
        &report,
        "docker-non-root",
        "Dockerfile",
        ("pass", "Dockerfile", 15),
    );
}

#[test]
fn committed_secrets_are_found_per_file_with_lines_and_templates_are_not() {
    let (code, report) = scan_json(&fixture("repos/secrets-committed"), &[]);
    assert_eq!(code, 1);
    let expect = [
        (".env", 4, "dotenv-value"),
        (".github/workflows/deploy.yml", 10, "github-token"),
        ("app/settings.py", 9, "password-assignment"),
        ("config/aws.yml", 3, "aws-access-key-id"),
        ("deploy/id_rsa", 1, "private-key"),
        ("service-account.json", 5, "private-key-json"),
        ("web/billing.js", 2, "stripe-live-key"),
    ];
    for (path, line, kind) in expect {
        let f = finding(&report, "secrets-committed", path);
        assert_eq!(verdict(f), ("fail", path, line));
        assert_eq!(f["evidence"]["hits"][0]["kind"], kind, "{f:#}");
    }
    let billing = finding(&report, "secrets-committed", "web/billing.js");
    assert_eq!(billing["evidence"]["hits"][1]["kind"], "github-token");
    assert_eq!(billing["evidence"]["hits"][1]["preview"], "ghp_…(40 chars)");
    // The template, the documented AWS example key and the low-entropy password stay quiet.
    let mut subjects = subjects_of(&report, "secrets-committed");
    subjects.sort_unstable();
    let mut expected: Vec<&str> = expect.iter().map(|e| e.0).collect();
    expected.sort_unstable();
    assert_eq!(subjects, expected);

    let (code, clean) = scan_json(&fixture("repos/secrets-clean"), &["--fail-on", "critical"]);
    assert_eq!(code, 0);
    assert_finding(&clean, "secrets-committed", ".", ("pass", ".", 0));
}

/// The fake secrets planted in the fixtures; each must be in a fixture file (so this test
/// cannot pass vacuously) and in no output.
fn planted_secrets() -> Vec<String> {
    let fake = "FAKE".repeat(9);
    vec![
        format!("ghp_{fake}"),
        format!("npm_{fake}"),
        format!("sk_live_{}", &fake[..24]),
        format!("AKIA{}", &fake[..16]),
        "Vx9#qT4!mZ2@pL7w".to_owned(),
        "fixture-db-pass-8c1d".to_owned(),
        "fixture-session-4f9a2c".to_owned(),
        "b3BlbnNzaC1rZXktdjEAAAAA".to_owned(),
        "RklYVFVSRSBPTkxZIC0gTk9UIEEgUkVBTCBLRVk".to_owned(),
    ]
}

fn read_tree(dir: &std::path::Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).expect("fixture dir is readable") {
        let path = entry.expect("fixture entry is readable").path();
        if path.is_dir() {
            read_tree(&path, into);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            into.push_str(&text);
        }
    }
}

#[test]
fn no_secret_value_reaches_any_output_format_or_the_facts() {
    let scenarios = ["repos/secrets-committed", "repos/docker-secrets", "demo"];
    let mut planted_text = String::new();
    for s in scenarios {
        read_tree(&fixture(s), &mut planted_text);
    }
    let secrets = planted_secrets();
    for s in &secrets {
        assert!(planted_text.contains(s.as_str()), "fixture lacks {s}");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    for scenario in scenarios {
        let facts = dir.path().join("facts.json");
        let out = vouch()
            .arg("scan")
            .arg(fixture(scenario))
            .args(["--format", "json", "--dump-facts"])
            .arg(&facts)
            .output()
            .unwrap();
        let facts_text = std::fs::read_to_string(&facts).unwrap();
        assert!(facts_text.contains("<redacted") || facts_text.contains("…("));
        let mut outputs = vec![
            ("json", String::from_utf8_lossy(&out.stdout).into_owned()),
            ("stderr", String::from_utf8_lossy(&out.stderr).into_owned()),
            ("facts", facts_text),
        ];
        for format in ["text", "sarif", "markdown", "junit"] {
            let out = vouch()
                .arg("scan")
                .arg(fixture(scenario))
                .args(["--format", format])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if stderr.contains("not available in this build") {
                continue; // a renderer not merged into this build yet
            }
            outputs.push((format, String::from_utf8_lossy(&out.stdout).into_owned()));
            outputs.push(("stderr", stderr));
        }
        for (name, text) in &outputs {
            for s in &secrets {
                assert!(
                    !text.contains(s.as_str()),
                    "{scenario}: {name} output contains a planted secret"
                );
            }
            checked.push(*name);
        }
    }
    for must in ["json", "text", "facts"] {
        assert!(checked.contains(&must), "{must} was not checked");
    }
}

#[test]
fn demo_services_and_integration_workflow() {
    let (_, report) = scan_json(&fixture("demo"), &[]);
    assert_finding(
        &report,
        "docker-non-root",
        "services/api/Dockerfile",
        ("pass", "services/api/Dockerfile", 16),
    );
    assert_finding(
        &report,
        "docker-non-root",
        "services/worker/Dockerfile",
        ("fail", "services/worker/Dockerfile", 1),
    );
    assert_finding(
        &report,
        "docker-base-pinned",
        "python:3.12-slim",
        ("fail", "services/worker/Dockerfile", 1),
    );
    assert_finding(
        &report,
        "docker-no-secrets",
        "services/worker/Dockerfile",
        ("fail", "services/worker/Dockerfile", 7),
    );
    assert_finding(
        &report,
        "secrets-committed",
        "services/worker/Dockerfile",
        ("fail", "services/worker/Dockerfile", 7),
    );
    assert_finding(
        &report,
        "gha-image-pinned",
        "postgres:16",
        ("fail", ".github/workflows/integration.yml", 9),
    );
    assert_finding(
        &report,
        "ci-vuln-scan",
        ".",
        ("pass", ".github/workflows/integration.yml", 16),
    );
}
