//! Vulnerability scanner results the team's CI produced (`[[evidence.vulnerabilities]]`):
//! Trivy JSON, Grype JSON, osv-scanner JSON, or SARIF from any of them. vouch has no
//! vulnerability database of its own: it judges what the scanner reported.

use serde::{Deserialize, Serialize};

/// One scanner output file, as read.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VulnReport {
    /// The configured path (relative to the scanned root, or as configured).
    pub path: String,
    /// `trivy`, `grype`, `osv-scanner`, or `sarif:<tool>`.
    pub format: String,
    /// When vouch read it (the real clock, RFC 3339): what ages are measured against.
    pub collected_at: String,
    /// When the scanner ran, if the output says (RFC 3339).
    pub generated_at: Option<String>,
    /// The commit the scanner scanned, if the output says.
    pub scanned_commit: Option<String>,
    /// `[[evidence.vulnerabilities]] max_age_days`.
    pub max_age_days: u32,
    pub findings: Vec<VulnFinding>,
    /// Why the file could not be read or parsed; the findings are then empty and meaningless.
    pub error: Option<String>,
}

/// One vulnerability in one package, as the scanner reported it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VulnFinding {
    /// `CVE-2024-3094`, `GHSA-…`, `GO-…`.
    pub id: String,
    pub package: String,
    pub installed_version: String,
    /// `critical`, `high`, `medium`, `low`, `unknown`.
    pub severity: String,
    /// The version(s) that fix it; empty when no fix is available.
    pub fixed_version: String,
    /// The day the fix became available, when the format carries it (Grype's
    /// `fix.available[].date`).
    pub fix_date: Option<String>,
    /// The day the vulnerability was published (Trivy's `PublishedDate`, OSV's `published`).
    pub published: Option<String>,
}

impl VulnFinding {
    pub fn has_fix(&self) -> bool {
        !self.fixed_version.trim().is_empty()
    }

    /// The subject of a finding about it: waivers name `ID:package` (globs allowed).
    pub fn subject(&self) -> String {
        format!("{}:{}", self.id, self.package)
    }
}

/// Whole days from `from` to `to`, each an RFC 3339 time or a `YYYY-MM-DD` day (only the day
/// counts). `None` when either is not a date.
pub fn days_between(from: &str, to: &str) -> Option<i64> {
    Some((day(to)? - day(from)?).whole_days())
}

fn day(text: &str) -> Option<time::Date> {
    let ymd = text.get(..10)?;
    let mut parts = ymd.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let dom: u8 = parts.next()?.parse().ok()?;
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, dom).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_between_times_and_days() {
        assert_eq!(days_between("2024-01-01", "2024-03-01T10:00:00Z"), Some(60));
        assert_eq!(
            days_between("2024-03-01T23:59:59Z", "2024-03-01T00:00:00Z"),
            Some(0)
        );
        assert_eq!(days_between("soon", "2024-03-01"), None);
        assert_eq!(days_between("", "2024-03-01"), None);
    }
}
