//! Vulnerability scanner outputs as evidence (`fixtures/repos/vuln-evidence`): Trivy, Grype,
//! osv-scanner JSON and Trivy SARIF, written by hand in each tool's documented schema.

use serde_json::Value;

use crate::harness::{finding, findings_of, fixture, message, scan_json, text};

fn status<'a>(report: &'a Value, check: &str, subject: &str) -> (&'a str, &'a str) {
    let f = finding(report, check, subject);
    (text(f, "status"), message(f))
}

#[test]
fn overdue_fixable_criticals_fail_a_waived_one_does_not_and_unknown_ages_are_errors() {
    let (code, report) = scan_json(&fixture("repos/vuln-evidence"), &[]);
    assert_eq!(code, 1, "an overdue critical gates");
    let sla = "vuln-critical-sla";
    // Trivy: published 2024-06-27 with a fix, critical, far over 15 days.
    let (s, m) = status(&report, sla, "CVE-2024-5535:libssl3");
    assert_eq!(s, "fail", "{m}");
    assert!(
        m.contains("over the 15-day SLA") && m.contains("reports/trivy.json"),
        "{m}"
    );
    // Grype: just as overdue, but waived per vulnerability id and package.
    assert_eq!(status(&report, sla, "CVE-2024-45491:libexpat1").0, "waived");
    // osv-scanner: the group's CVSS 9.1 makes it critical; the range gives the fix.
    let (s, m) = status(&report, sla, "GO-2024-3321:golang.org/x/crypto");
    assert_eq!(s, "fail", "{m}");
    assert!(m.contains("fixed in 0.31.0"), "{m}");
    // SARIF carries no date: the age cannot be determined, which is never a pass.
    let (s, m) = status(&report, sla, "CVE-2024-6119:openssl");
    assert_eq!(s, "error", "{m}");
    // A high without a fix is not judged; a medium is outside the SLA table.
    let subjects: Vec<&str> = findings_of(&report, sla)
        .into_iter()
        .map(|f| text(f, "subject"))
        .collect();
    assert!(
        !subjects.contains(&"CVE-2023-50495:libtinfo6"),
        "{subjects:?}"
    );
    assert!(!subjects.contains(&"CVE-2024-4068:braces"), "{subjects:?}");
    // Unreadable and malformed files are errors naming the file.
    let (s, m) = status(&report, sla, "reports/truncated.json");
    assert_eq!(s, "error");
    assert!(
        m.starts_with("reports/truncated.json could not be read") && m.contains("not JSON"),
        "{m}"
    );
    let (s, m) = status(&report, sla, "reports/missing.json");
    assert_eq!(s, "error");
    assert!(m.contains("does not exist"), "{m}");
}

#[test]
fn scan_freshness_needs_the_commit_or_a_recent_time() {
    let (_, report) = scan_json(&fixture("repos/vuln-evidence"), &[]);
    let fresh = "vuln-scan-fresh";
    let (s, m) = status(&report, fresh, "reports/trivy.json");
    assert_eq!(s, "fail", "{m}");
    assert!(m.contains("at most 7 allowed"), "{m}");
    assert_eq!(status(&report, fresh, "reports/grype.json").0, "fail");
    let (s, m) = status(&report, fresh, "reports/osv-scanner.json");
    assert_eq!(s, "error", "{m}");
    assert!(
        m.contains("neither the scanned commit nor a scan time"),
        "{m}"
    );
    assert_eq!(status(&report, fresh, "reports/truncated.json").0, "error");
}
