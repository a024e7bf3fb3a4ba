//! Parsers of vulnerability scanner output, written from each tool's documented JSON:
//! - Trivy `--format json` (SchemaVersion 2: `Results[].Vulnerabilities[]` with
//!   `VulnerabilityID`, `PkgName`, `InstalledVersion`, `FixedVersion`, `Severity`,
//!   `PublishedDate`; `CreatedAt`; `Metadata.Commit` for repository scans);
//! - Grype `-o json` (`matches[].vulnerability.{id,severity,fix.versions,fix.available[].date}`,
//!   `matches[].artifact.{name,version}`, `descriptor.timestamp`);
//! - osv-scanner `--format json` (`results[].packages[].{package,vulnerabilities,groups}`, the
//!   OSV schema's `published` and `affected[].ranges[].events[].fixed`);
//! - SARIF 2.1.0 from any of them (`runs[].results[]`, the rule's `security-severity`,
//!   `versionControlProvenance[].revisionId`, `invocations[].endTimeUtc`). SARIF carries no
//!   publication date: an overdue critical cannot be told from a new one there.
//!
//! Unknown or malformed input is an error naming what is missing, never an empty report.

use serde_json::Value;

use crate::facts::vuln::{VulnFinding, VulnReport};

/// Parses one scanner output into `report` (format, timestamps, findings), or says why not.
pub fn parse(text: &str, report: &mut VulnReport) -> Result<(), String> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {})", e.line(), e.column()))?;
    if doc.get("SchemaVersion").is_some() && doc.get("ArtifactName").is_some() {
        trivy(&doc, report);
        Ok(())
    } else if doc.get("matches").is_some() && doc.get("descriptor").is_some() {
        grype(&doc, report)
    } else if doc.get("runs").is_some() && doc.get("version").is_some() {
        sarif(&doc, report)
    } else if doc.get("results").is_some_and(Value::is_array) {
        osv(&doc, report)
    } else {
        Err("not a Trivy, Grype, osv-scanner or SARIF JSON document".to_owned())
    }
}

fn s(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn opt(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
}

fn array<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn trivy(doc: &Value, report: &mut VulnReport) {
    "trivy".clone_into(&mut report.format);
    report.generated_at = opt(doc, "CreatedAt");
    report.scanned_commit = doc.get("Metadata").and_then(|m| opt(m, "Commit"));
    for result in array(doc, "Results") {
        for v in array(result, "Vulnerabilities") {
            report.findings.push(VulnFinding {
                id: s(v, "VulnerabilityID"),
                package: s(v, "PkgName"),
                installed_version: s(v, "InstalledVersion"),
                severity: s(v, "Severity").to_ascii_lowercase(),
                fixed_version: s(v, "FixedVersion"),
                fix_date: None,
                published: opt(v, "PublishedDate"),
            });
        }
    }
}

fn grype(doc: &Value, report: &mut VulnReport) -> Result<(), String> {
    "grype".clone_into(&mut report.format);
    report.generated_at = doc.get("descriptor").and_then(|d| opt(d, "timestamp"));
    for m in array(doc, "matches") {
        let vuln = m
            .get("vulnerability")
            .ok_or("a match has no `vulnerability`")?;
        let artifact = m.get("artifact").ok_or("a match has no `artifact`")?;
        let fix = vuln.get("fix").cloned().unwrap_or_default();
        let fixed: Vec<&str> = array(&fix, "versions").filter_map(Value::as_str).collect();
        let fix_date = array(&fix, "available")
            .filter_map(|a| opt(a, "date"))
            .min();
        report.findings.push(VulnFinding {
            id: s(vuln, "id"),
            package: s(artifact, "name"),
            installed_version: s(artifact, "version"),
            severity: s(vuln, "severity").to_ascii_lowercase(),
            fixed_version: if s(&fix, "state") == "fixed" {
                fixed.join(", ")
            } else {
                String::new()
            },
            fix_date,
            published: None,
        });
    }
    Ok(())
}

fn osv(doc: &Value, report: &mut VulnReport) -> Result<(), String> {
    "osv-scanner".clone_into(&mut report.format);
    for result in array(doc, "results") {
        for pkg in array(result, "packages") {
            let package = pkg
                .get("package")
                .ok_or("a package entry has no `package`")?;
            for v in array(pkg, "vulnerabilities") {
                let id = s(v, "id");
                report.findings.push(VulnFinding {
                    severity: osv_severity(pkg, v, &id),
                    fixed_version: osv_fixed(v).join(", "),
                    published: opt(v, "published"),
                    id,
                    package: s(package, "name"),
                    installed_version: s(package, "version"),
                    fix_date: None,
                });
            }
        }
    }
    Ok(())
}

/// The group's `max_severity` (a CVSS base score) for the id, else the advisory database's own
/// word (`database_specific.severity`, as GitHub advisories carry it).
fn osv_severity(pkg: &Value, vuln: &Value, id: &str) -> String {
    let from_group = array(pkg, "groups")
        .find(|g| array(g, "ids").any(|i| i.as_str() == Some(id)))
        .and_then(|g| g.get("max_severity"))
        .and_then(|x| {
            x.as_str()
                .and_then(|t| t.parse::<f64>().ok())
                .or(x.as_f64())
        });
    if let Some(score) = from_group {
        return cvss_band(score).to_owned();
    }
    vuln.get("database_specific")
        .and_then(|d| opt(d, "severity"))
        .map_or_else(|| "unknown".to_owned(), |w| normalise_word(&w))
}

fn osv_fixed(vuln: &Value) -> Vec<String> {
    let mut fixed: Vec<String> = array(vuln, "affected")
        .flat_map(|a| array(a, "ranges"))
        .flat_map(|r| array(r, "events"))
        .filter_map(|e| opt(e, "fixed"))
        .collect();
    fixed.sort();
    fixed.dedup();
    fixed
}

/// CVSS v3 qualitative bands (FIRST, CVSS v3.1 specification §5).
fn cvss_band(score: f64) -> &'static str {
    match score {
        s if s >= 9.0 => "critical",
        s if s >= 7.0 => "high",
        s if s >= 4.0 => "medium",
        s if s > 0.0 => "low",
        _ => "unknown",
    }
}

fn normalise_word(word: &str) -> String {
    match word.to_ascii_lowercase().as_str() {
        "critical" => "critical",
        "high" => "high",
        "moderate" | "medium" => "medium",
        "low" => "low",
        _ => "unknown",
    }
    .to_owned()
}

fn sarif(doc: &Value, report: &mut VulnReport) -> Result<(), String> {
    let runs: Vec<&Value> = array(doc, "runs").collect();
    let run = runs.first().ok_or("a SARIF log with no run")?;
    let driver = run
        .get("tool")
        .and_then(|t| t.get("driver"))
        .ok_or("a SARIF run with no tool.driver")?;
    report.format = format!("sarif:{}", s(driver, "name").to_ascii_lowercase());
    report.scanned_commit =
        array(run, "versionControlProvenance").find_map(|p| opt(p, "revisionId"));
    report.generated_at = array(run, "invocations").find_map(|i| opt(i, "endTimeUtc"));
    let rules: Vec<&Value> = array(driver, "rules").collect();
    for result in array(run, "results") {
        let id = s(result, "ruleId");
        let rule = rules.iter().find(|r| s(r, "id") == id);
        let text = result
            .get("message")
            .map(|m| s(m, "text"))
            .unwrap_or_default();
        report.findings.push(VulnFinding {
            severity: sarif_severity(rule.copied(), result),
            package: field(&text, "Package").unwrap_or_default(),
            installed_version: field(&text, "Installed Version").unwrap_or_default(),
            fixed_version: field(&text, "Fixed Version").unwrap_or_default(),
            id,
            fix_date: None,
            published: None,
        });
    }
    Ok(())
}

/// The rule's `security-severity` score (GitHub code scanning's convention, which Trivy and
/// Grype emit), else the result's level.
fn sarif_severity(rule: Option<&Value>, result: &Value) -> String {
    let score = rule
        .and_then(|r| r.get("properties"))
        .and_then(|p| p.get("security-severity"))
        .and_then(|x| {
            x.as_str()
                .and_then(|t| t.parse::<f64>().ok())
                .or(x.as_f64())
        });
    match (score, s(result, "level").as_str()) {
        (Some(score), _) => cvss_band(score).to_owned(),
        (None, "error") => "high".to_owned(),
        (None, "warning") => "medium".to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// `Name: value` on its own line of a result message (Trivy's and Grype's SARIF messages).
fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<VulnReport, String> {
        let mut r = VulnReport::default();
        parse(text, &mut r).map(|()| r)
    }

    #[test]
    fn malformed_and_unknown_documents_are_errors() {
        assert!(parsed("{").unwrap_err().contains("not JSON"));
        assert!(parsed("{\"a\": 1}").unwrap_err().contains("not a Trivy"));
        assert!(parsed("[]").is_err());
    }

    #[test]
    fn osv_groups_give_the_severity_and_ranges_the_fix() {
        let doc = r#"{"results":[{"source":{"path":"/src/go.mod","type":"lockfile"},"packages":[{"package":{"name":"golang.org/x/net","version":"0.7.0","ecosystem":"Go"},"vulnerabilities":[{"id":"GO-2023-1988","published":"2023-08-02T00:00:00Z","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.13.0"}]}]}]}],"groups":[{"ids":["GO-2023-1988"],"max_severity":"9.8"}]}]}]}"#;
        let r = parsed(doc).unwrap();
        assert_eq!(r.format, "osv-scanner");
        let f = &r.findings[0];
        assert_eq!(
            (f.severity.as_str(), f.fixed_version.as_str()),
            ("critical", "0.13.0")
        );
        assert_eq!(f.subject(), "GO-2023-1988:golang.org/x/net");
    }

    #[test]
    fn grype_fix_state_and_dates() {
        let doc = r#"{"matches":[{"vulnerability":{"id":"CVE-2024-1","severity":"High","fix":{"versions":["1.2"],"state":"fixed","available":[{"version":"1.2","date":"2024-03-01"}]}},"artifact":{"name":"zlib","version":"1.1"}},{"vulnerability":{"id":"CVE-2024-2","severity":"Critical","fix":{"versions":[],"state":"not-fixed"}},"artifact":{"name":"bash","version":"5"}}],"descriptor":{"name":"grype","timestamp":"2024-04-01T10:00:00Z"}}"#;
        let r = parsed(doc).unwrap();
        assert_eq!(r.generated_at.as_deref(), Some("2024-04-01T10:00:00Z"));
        assert_eq!(r.findings[0].fix_date.as_deref(), Some("2024-03-01"));
        assert!(r.findings[0].has_fix());
        assert!(!r.findings[1].has_fix());
    }

    #[test]
    fn sarif_messages_and_scores() {
        let doc = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Trivy","rules":[{"id":"CVE-2024-9","properties":{"security-severity":"9.1"}}]}},"versionControlProvenance":[{"repositoryUri":"x","revisionId":"abc123"}],"results":[{"ruleId":"CVE-2024-9","level":"error","message":{"text":"Package: openssl\nInstalled Version: 3.0.1\nVulnerability CVE-2024-9\nSeverity: CRITICAL\nFixed Version: 3.0.9\n"}}]}]}"#;
        let r = parsed(doc).unwrap();
        assert_eq!(r.format, "sarif:trivy");
        assert_eq!(r.scanned_commit.as_deref(), Some("abc123"));
        let f = &r.findings[0];
        assert_eq!(
            (
                f.package.as_str(),
                f.fixed_version.as_str(),
                f.severity.as_str()
            ),
            ("openssl", "3.0.9", "critical")
        );
        assert_eq!(f.published, None);
    }
}
