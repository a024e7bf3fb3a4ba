use serde_json::json;

use crate::facts::vuln::{VulnFinding, VulnReport, days_between};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct VulnCriticalSla;

impl Rule for VulnCriticalSla {
    const META: Meta = Meta {
        id: "vuln-critical-sla",
        title: "No fixable critical or high vulnerability is older than the remediation SLA",
        severity: Severity::High,
        controls: &["VUL-03"],
        source: Source::Repo,
        docs: r#"
## Why
Security pages promise "critical vulnerabilities are patched within N days". That promise is
kept or broken in the scanner results CI already produces: a critical with a fix available,
reported week after week, is a broken promise whatever the policy says.

## What is judged
Each scanner output named in `[[evidence.vulnerabilities]]` (Trivy JSON, Grype JSON,
osv-scanner JSON, or SARIF from any of them; vouch has no vulnerability database of its own).
For every reported vulnerability whose severity has a window in `[vulnerabilities] sla_days`
(default: critical 15 days, high 30 days, CISA BOD 19-02's windows) and for which a fix is
available, its age is measured from the day the fix became available when the output says
(Grype's `fix.available[].date`), else from the day it was published (Trivy's `PublishedDate`,
OSV's `published`), to the day vouch read the file. Older than the window: `fail`. No date to
measure from (SARIF carries none): `error`, never `pass`. A vulnerability with no fix available
is listed in the evidence, not judged. A file that cannot be read or is not one of those formats
is an `error` naming the file.

The subject of a finding is `ID:package` (`CVE-2024-3094:xz-utils`), so a waiver names one
vulnerability in one package: `[[waiver]] check = "vuln-critical-sla"`,
`subject = "CVE-2024-3094:xz-utils"` (globs allowed: `"GHSA-*:lodash"`). Measuring from the
publication date when the fix came later can only make a vulnerability look older, never newer.

## How to fix
Upgrade the package to the fixed version the scanner names, rebuild and rescan; or, when the
vulnerable code is not reachable, record a waiver with its reason and an expiry.

## Evidence
Per overdue vulnerability: the package, installed and fixed versions, severity, the date
measured from and the age; per file: the counts judged, within the window, and without a fix.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for report in &cx.facts.vulnerabilities {
            judge_report(report, cx, out);
        }
    }
}

fn judge_report(report: &VulnReport, cx: &Context<'_>, out: &mut Findings) {
    let location = Location::file(report.path.clone(), 0);
    if let Some(cause) = &report.error {
        out.error(
            report.path.clone(),
            location,
            format!(
                "{} could not be read as vulnerability evidence: {cause}",
                report.path
            ),
            json!({ "path": report.path, "cause": cause }),
        );
        return;
    }
    let sla = &cx.options.sla_days;
    let (mut within, mut no_fix, mut broken) = (0, Vec::new(), 0);
    for f in &report.findings {
        let severity = Severity::ALL.into_iter().find(|s| s.as_str() == f.severity);
        let Some(&days) = severity.and_then(|s| sla.get(&s)) else {
            continue;
        };
        if !f.has_fix() {
            no_fix.push(f.subject());
            continue;
        }
        match age(f, &report.collected_at) {
            Some((since, what, age)) if age > i64::from(days) => {
                broken += 1;
                overdue(report, f, (since, what, age), days, out);
            }
            Some(_) => within += 1,
            None => {
                broken += 1;
                undetermined(report, f, out);
            }
        }
    }
    if broken == 0 {
        let sla_days: std::collections::BTreeMap<&str, u32> =
            sla.iter().map(|(s, days)| (s.as_str(), *days)).collect();
        out.pass(
            report.path.clone(),
            location,
            format!(
                "{}: {within} fixable vulnerability(ies) within the SLA, {} without a fix, none overdue ({} finding(s) reported by {})",
                report.path,
                no_fix.len(),
                report.findings.len(),
                report.format
            ),
            json!({ "path": report.path, "format": report.format, "sla_days": sla_days, "within_sla": within, "without_fix": no_fix }),
        );
    }
}

/// The date a finding's age is measured from, what that date is, and the age in days.
fn age<'a>(f: &'a VulnFinding, now: &str) -> Option<(&'a str, &'static str, i64)> {
    let (since, what) = match (&f.fix_date, &f.published) {
        (Some(d), _) => (d.as_str(), "fix available since"),
        (None, Some(d)) => (d.as_str(), "published"),
        (None, None) => return None,
    };
    Some((since, what, days_between(since, now)?))
}

fn evidence(report: &VulnReport, f: &VulnFinding) -> serde_json::Value {
    json!({
        "path": report.path, "format": report.format, "id": f.id, "package": f.package,
        "installed_version": f.installed_version, "fixed_version": f.fixed_version,
        "severity": f.severity, "published": f.published, "fix_date": f.fix_date,
        "read_at": report.collected_at,
    })
}

fn overdue(
    report: &VulnReport,
    f: &VulnFinding,
    (since, what, age): (&str, &str, i64),
    days: u32,
    out: &mut Findings,
) {
    out.fail(
        f.subject(),
        Location::file(report.path.clone(), 0),
        format!(
            "{} in {} {} ({}, fixed in {}) is {age} days old ({what} {}), over the {days}-day SLA ({})",
            f.id,
            f.package,
            f.installed_version,
            f.severity,
            f.fixed_version,
            since.get(..10).unwrap_or(since),
            report.path
        ),
        evidence(report, f),
    );
}

fn undetermined(report: &VulnReport, f: &VulnFinding, out: &mut Findings) {
    out.error(
        f.subject(),
        Location::file(report.path.clone(), 0),
        format!(
            "{} in {} ({}, fix available) has no publication or fix date in {} ({}): its age against the SLA cannot be determined",
            f.id, f.package, f.severity, report.path, report.format
        ),
        evidence(report, f),
    );
}
