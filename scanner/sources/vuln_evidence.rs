//! `[[evidence.vulnerabilities]]`: vulnerability scanner outputs produced by CI (Trivy, Grype,
//! osv-scanner JSON or SARIF), read and parsed. No judgement here, and no vulnerability
//! database: the checks judge what the scanner reported.

use std::path::Path;

use checks::facts::vuln::VulnReport;
use checks::settings::Settings;

use crate::bounded;

/// Reads every configured file; a relative path is relative to the scanned root. A file that
/// cannot be read or parsed yields a report carrying the cause (an `error` verdict), never an
/// empty one.
pub fn collect(root: &Path, settings: &Settings, read_at: &str) -> Vec<VulnReport> {
    settings
        .evidence
        .vulnerabilities
        .iter()
        .map(|e| {
            let mut report = VulnReport {
                path: e.path.clone(),
                collected_at: read_at.to_owned(),
                max_age_days: e.max_age_days,
                ..VulnReport::default()
            };
            let outcome = bounded::read_text(&root.join(&e.path), bounded::REPORT_MAX)
                .map_err(|err| format!("it {err}"))
                .and_then(|text| checks::parse::vuln::parse(&text, &mut report));
            if let Err(cause) = outcome {
                report.findings.clear();
                report.error = Some(cause);
            }
            report
        })
        .collect()
}
