use serde_json::json;

use crate::facts::vuln::{VulnReport, days_between};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct VulnScanFresh;

impl Rule for VulnScanFresh {
    const META: Meta = Meta {
        id: "vuln-scan-fresh",
        title: "Vulnerability scan results are of the scanned commit or recent",
        severity: Severity::Medium,
        controls: &["VUL-03"],
        source: Source::Repo,
        docs: r#"
## Why
A clean scanner report from last quarter proves nothing about today's code: new
vulnerabilities are published daily against unchanged dependencies. Evidence must be current.

## What is judged
Each scanner output named in `[[evidence.vulnerabilities]]`. When it names the commit it
scanned (SARIF `versionControlProvenance[].revisionId`, Trivy's `Metadata.Commit` for repository
scans) and the scanned repository has a HEAD, the two must be the same commit (a short id
matches its prefix). Otherwise the scan time it carries (Trivy `CreatedAt`, Grype
`descriptor.timestamp`, SARIF `invocations[].endTimeUtc`) must be at most `max_age_days` (default
7) before vouch read the file. A file with neither (osv-scanner's JSON carries no time) is an
`error`: its freshness cannot be shown. So is a file that cannot be read or parsed.

## How to fix
Run the scanner in the same CI job that runs vouch, on the same checkout, or schedule it at least
as often as `max_age_days`.

## Evidence
The file, its format, the commit or time it carries, and what it was compared with.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let head = cx
            .facts
            .repo
            .as_ref()
            .and_then(|r| r.scope.git.as_ref())
            .and_then(|g| g.commit.as_deref());
        for report in &cx.facts.vulnerabilities {
            judge(report, head, out);
        }
    }
}

fn judge(report: &VulnReport, head: Option<&str>, out: &mut Findings) {
    let subject = report.path.clone();
    let location = Location::file(report.path.clone(), 0);
    let evidence = json!({
        "path": report.path, "format": report.format, "scanned_commit": report.scanned_commit,
        "repository_commit": head, "generated_at": report.generated_at,
        "read_at": report.collected_at, "max_age_days": report.max_age_days,
    });
    if let Some(cause) = &report.error {
        let message = format!(
            "{} could not be read as vulnerability evidence: {cause}",
            report.path
        );
        out.error(subject, location, message, evidence);
        return;
    }
    if let (Some(scanned), Some(head)) = (report.scanned_commit.as_deref(), head) {
        let same = !scanned.is_empty() && (head.starts_with(scanned) || scanned.starts_with(head));
        let message = if same {
            format!(
                "{} scanned commit {scanned}, the repository's HEAD",
                report.path
            )
        } else {
            format!(
                "{} scanned commit {scanned}, but the repository is at {head}",
                report.path
            )
        };
        if same {
            out.pass(subject, location, message, evidence);
        } else {
            out.fail(subject, location, message, evidence);
        }
        return;
    }
    let Some(generated) = report.generated_at.as_deref() else {
        let message = format!(
            "{} ({}) carries neither the scanned commit nor a scan time: its freshness cannot be shown",
            report.path, report.format
        );
        out.error(subject, location, message, evidence);
        return;
    };
    let Some(age) = days_between(generated, &report.collected_at) else {
        let message = format!("{}: the scan time is not a date", report.path);
        out.error(subject, location, message, evidence);
        return;
    };
    let max = i64::from(report.max_age_days);
    let message = format!(
        "{} was produced {age} day(s) before it was read (at most {max} allowed)",
        report.path
    );
    if age <= max {
        out.pass(subject, location, message, evidence);
    } else {
        out.fail(subject, location, message, evidence);
    }
}
