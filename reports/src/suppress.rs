//! Inline suppressions (`vouch:ignore[check] reason` comments).
//!
//! A valid suppression waives the failing findings of the checks it names whose location is
//! its own line or the line below, in the same file. Each waived finding records the reason
//! and where the comment is. A suppression without a reason, naming an unknown check, or found
//! while `[waivers] inline = false` waives nothing and is reported as `invalid` with why; a valid
//! one that waived nothing is `unused`, like a stale waiver.

use checks::Location;
use checks::suppress::InlineSuppression;
use serde::{Deserialize, Serialize};

use crate::model::{AppliedWaiver, FindingStatus, Report, ReportFinding};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionState {
    /// Waived at least one failing finding.
    Applied,
    /// Valid, but no failing finding of its checks is on its line or the next.
    Unused,
    /// Waives nothing: see `problem`.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuppressionResult {
    pub path: String,
    pub line: u32,
    pub checks: Vec<String>,
    pub reason: String,
    pub state: SuppressionState,
    /// How many findings it waived.
    pub matched: usize,
    /// Why it is invalid.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub problem: String,
}

/// Why a suppression cannot apply, or `None` when it can.
fn problem_of(s: &InlineSuppression, allowed: bool) -> Option<String> {
    if !allowed {
        return Some("inline suppressions are disabled by `[waivers] inline = false`".to_owned());
    }
    if s.checks.is_empty() {
        return Some("names no check between the brackets".to_owned());
    }
    if let Some(unknown) = s.checks.iter().find(|c| checks::find(c).is_none()) {
        return Some(format!("names {}", checks::unknown_check(unknown)));
    }
    if s.reason.trim().is_empty() {
        return Some("gives no reason after the brackets (a reason is required)".to_owned());
    }
    None
}

fn covers(s: &InlineSuppression, f: &ReportFinding) -> bool {
    let Location::File { path, line, .. } = &f.location else {
        return false;
    };
    f.status == FindingStatus::Fail
        && f.waiver.is_none()
        && *path == s.path
        && (*line == s.line || *line == s.line.saturating_add(1))
        && s.checks.contains(&f.check)
}

impl Report {
    /// Applies the inline suppressions collected from the scanned files (`allowed` is
    /// `[waivers] inline`), then recounts the summary and the control states. Runs right after
    /// [`Report::build`], before attestations.
    pub fn apply_inline_suppressions(
        &mut self,
        found: &[InlineSuppression],
        allowed: bool,
        catalog: &checks::catalog::Catalog,
    ) {
        for s in found {
            let problem = problem_of(s, allowed);
            let mut matched = 0;
            if problem.is_none() {
                for f in self.findings.iter_mut().filter(|f| covers(s, f)) {
                    f.status = FindingStatus::Waived;
                    f.waiver = Some(AppliedWaiver {
                        reason: s.reason.clone(),
                        approved_by: String::new(),
                        expires: String::new(),
                        ticket: String::new(),
                        inline: Some(Location::file(s.path.clone(), s.line)),
                    });
                    matched += 1;
                }
            }
            let state = match (&problem, matched) {
                (Some(_), _) => SuppressionState::Invalid,
                (None, 0) => SuppressionState::Unused,
                (None, _) => SuppressionState::Applied,
            };
            self.suppressions.push(SuppressionResult {
                path: s.path.clone(),
                line: s.line,
                checks: s.checks.clone(),
                reason: s.reason.clone(),
                state,
                matched,
                problem: problem.unwrap_or_default(),
            });
        }
        if self.suppressions.iter().any(|s| s.matched > 0) {
            self.recount(catalog);
        }
    }
}

#[cfg(test)]
mod tests {
    use checks::{Finding, Severity, Status};

    use super::*;
    use crate::testing::report_of;

    fn report() -> Report {
        let unpinned = |path: &str, line: u32| Finding {
            message: "not pinned".into(),
            ..crate::testing::finding(
                "docker-base-pinned",
                Status::Fail,
                Severity::High,
                &format!("node:20 in {path}"),
                Location::file(path, line),
            )
        };
        report_of(
            vec![unpinned("Dockerfile", 3), unpinned("Dockerfile", 9)],
            "0",
            "2026-11-22",
        )
    }

    /// The report after `comments`, with inline suppressions `allowed` by the configuration.
    fn suppressed(comments: &[InlineSuppression], allowed: bool) -> Report {
        let mut r = report();
        r.apply_inline_suppressions(comments, allowed, checks::catalog::catalog());
        r
    }

    fn comment(line: u32, checks: &[&str], reason: &str) -> InlineSuppression {
        InlineSuppression {
            path: "Dockerfile".into(),
            line,
            checks: checks.iter().map(|c| (*c).to_owned()).collect(),
            reason: reason.into(),
        }
    }

    #[test]
    fn a_comment_waives_its_line_or_the_next_and_names_itself() {
        let r = suppressed(
            &[
                comment(2, &["docker-base-pinned"], "builder stage only"),
                comment(20, &["docker-base-pinned"], "stale"),
            ],
            true,
        );
        let line3 = r
            .findings
            .iter()
            .find(|f| f.location == Location::file("Dockerfile", 3));
        let line3 = line3.unwrap();
        assert_eq!(line3.status, FindingStatus::Waived);
        let w = line3.waiver.as_ref().unwrap();
        assert_eq!(w.reason, "builder stage only");
        assert_eq!(w.inline, Some(Location::file("Dockerfile", 2)));
        assert_eq!((r.summary.fail, r.summary.waived), (1, 1));
        assert_eq!(r.suppressions[0].state, SuppressionState::Applied);
        assert_eq!(r.suppressions[1].state, SuppressionState::Unused);
        assert_eq!(r.gating(Severity::High).count(), 1);
    }

    #[test]
    fn invalid_comments_waive_nothing_and_say_why() {
        let r = suppressed(
            &[
                comment(3, &["docker-base-pinned"], ""),
                comment(3, &["docker-base-pined"], "typo"),
                comment(9, &[], "nothing named"),
            ],
            true,
        );
        assert_eq!(r.summary.waived, 0);
        let problems: Vec<_> = r
            .suppressions
            .iter()
            .map(|s| (s.state, s.problem.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    SuppressionState::Invalid,
                    "gives no reason after the brackets (a reason is required)"
                ),
                (
                    SuppressionState::Invalid,
                    "names unknown check `docker-base-pined` (did you mean `docker-base-pinned`?)"
                ),
                (
                    SuppressionState::Invalid,
                    "names no check between the brackets"
                ),
            ]
        );
    }

    #[test]
    fn disabled_inline_suppressions_are_invalid() {
        let r = suppressed(&[comment(3, &["docker-base-pinned"], "ok")], false);
        assert_eq!(r.summary.fail, 2);
        assert_eq!(r.suppressions[0].state, SuppressionState::Invalid);
        assert!(r.suppressions[0].problem.contains("inline = false"));
    }
}
