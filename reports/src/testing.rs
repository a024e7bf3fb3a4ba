//! Shared by the unit tests: findings as the checks emit them, and reports built from them.

use checks::{Finding, Location, Severity, Status};

use crate::{Clock, Report};

/// The clock at midnight UTC of `today` (`YYYY-MM-DD`).
pub fn clock(today: &str) -> Clock {
    Clock {
        now: format!("{today}T00:00:00Z"),
        today: today.to_owned(),
    }
}

/// `findings` judged against the catalog without waivers, by vouch `version`, on `today`.
pub fn report_of(findings: Vec<Finding>, version: &str, today: &str) -> Report {
    Report::build(
        findings,
        checks::catalog::catalog(),
        &[],
        version,
        &clock(today),
    )
}

/// A finding of `check` on `subject` at `location`, with the message `m` and no evidence.
pub fn finding(
    check: &str,
    status: Status,
    severity: Severity,
    subject: &str,
    location: Location,
) -> Finding {
    Finding {
        check: check.to_owned(),
        status,
        severity,
        subject: subject.to_owned(),
        message: "m".to_owned(),
        location,
        related: vec![],
        evidence: serde_json::Value::Null,
    }
}
