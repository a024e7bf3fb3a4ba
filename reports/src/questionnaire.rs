//! Answering questionnaire rows from a report, safely enough to send.
//!
//! A question is answered `Yes` automatically only when it is not about policies or procedures,
//! at least one mapped control `verifies` it, and every mapped control holds (each of its
//! deciding checks passed, or it is attested). Anything else is left for a person: the answer
//! cell stays empty and the question goes to the review list with a drafted answer and the
//! evidence behind it. vouch never writes an automatic `No`: a failing check is a reason to
//! look, and the person who answers decides what the company says.
//!
//! CAIQ question ids map through the catalog's CCM v4.0 references (`CEK-03.1` → `CEK-03` →
//! controls, with the strength the catalog gives each reference); any other questionnaire maps
//! through a user file of question id → control ids.

use serde::Serialize;

use checks::catalog::Strength;

use crate::model::{ControlStatus, Report};
use crate::view::{ControlView, EvidenceRef, Scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Answer {
    Yes,
    No,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "Yes",
            Answer::No => "No",
        }
    }
}

/// One control a question maps to, and how strongly it backs the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub control: String,
    pub strength: Strength,
    /// Judged on these checks of the control only (empty: all of them)…
    pub only: Vec<String>,
    /// …or on all but these.
    pub except: Vec<String>,
}

impl Mapping {
    pub fn new(control: impl Into<String>, strength: Strength) -> Self {
        Mapping {
            control: control.into(),
            strength,
            only: Vec::new(),
            except: Vec::new(),
        }
    }

    fn scope(&self) -> Scope<'_> {
        if !self.only.is_empty() {
            Scope::Only(&self.only)
        } else if !self.except.is_empty() {
            Scope::Except(&self.except)
        } else {
            Scope::All
        }
    }
}

/// What a question rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionMap {
    pub mappings: Vec<Mapping>,
    /// The question asks about policies or procedures: never answered from technical findings.
    pub policy: bool,
}

/// The verdict on one question and what it cites.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// `Some(Yes)` when answered automatically; `None` when a person must answer.
    pub answer: Option<Answer>,
    /// Why a person must answer (set exactly when `answer` is `None`). Names controls and
    /// states only, never a subject.
    pub review: Option<String>,
    /// The answer vouch would suggest to the reviewer, when the evidence suggests one.
    pub draft: Option<Answer>,
    pub controls: Vec<ControlView>,
    /// Internal evidence for the reviewer: each failing or erroring check with its subjects
    /// (`gha-action-pinned failed for actions/checkout@v4`). Never written to a customer cell.
    pub failing: Vec<String>,
}

/// The CCM control a CAIQ question belongs to (`IVS-06.1` → `IVS-06`; `A&A-02.3` → `A&A-02`).
fn ccm_of(question_id: &str) -> String {
    let id = question_id
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    match id.rsplit_once('.') {
        Some((control, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            control.to_owned()
        }
        _ => id,
    }
}

/// Controls whose CCM v4.0 references include the CAIQ question's control.
pub fn caiq_controls(question_id: &str) -> Vec<String> {
    caiq_map(question_id)
        .mappings
        .into_iter()
        .map(|m| m.control)
        .collect()
}

/// The CAIQ question's mappings with their strengths. In CCM v4 the first control of every
/// domain (`IAM-01`, `LOG-01`…) is that domain's "Policy and Procedures": those questions ask
/// whether a policy exists and is reviewed, which no technical finding answers.
pub fn caiq_map(question_id: &str) -> QuestionMap {
    let ccm = ccm_of(question_id);
    let mappings = checks::catalog::catalog()
        .controls
        .iter()
        .filter_map(|c| {
            c.strength("ccm-4.0", &ccm)
                .map(|strength| Mapping::new(c.id.clone(), strength))
        })
        .collect();
    QuestionMap {
        mappings,
        policy: ccm.ends_with("-01"),
    }
}

fn needs_review(reason: String, draft: Option<Answer>, views: Vec<ControlView>) -> Decision {
    let failing = failing_evidence(&views);
    Decision {
        answer: None,
        review: Some(reason),
        draft,
        controls: views,
        failing,
    }
}

pub fn decide(question: &QuestionMap, report: &Report) -> Decision {
    let views: Vec<ControlView> = question
        .mappings
        .iter()
        .filter_map(|m| ControlView::scoped(&m.control, report, m.scope()))
        .collect();
    if views.is_empty() {
        return needs_review(
            "the question maps to no vouch control".to_owned(),
            None,
            views,
        );
    }
    // A mapped control the report does not carry (an older report) is not evidence.
    let missing: Vec<&str> = question
        .mappings
        .iter()
        .map(|m| m.control.as_str())
        .filter(|id| !views.iter().any(|v| v.id == *id))
        .collect();
    if !missing.is_empty() {
        let reason = format!("{} not in the report", missing.join(", "));
        return needs_review(reason, None, views);
    }
    let failed: Vec<&str> = views
        .iter()
        .filter(|v| v.status == ControlStatus::Fail)
        .map(|v| v.id.as_str())
        .collect();
    if !failed.is_empty() {
        let reason = format!("{} failed a check", failed.join(", "));
        return needs_review(reason, Some(Answer::No), views);
    }
    if !views.iter().all(ControlView::holds) {
        let reasons: Vec<String> = views
            .iter()
            .filter(|v| !v.holds())
            .map(|v| format!("{} {}", v.id, unproven_reason(v.status)))
            .collect();
        return needs_review(reasons.join("; "), None, views);
    }
    if question.policy {
        let reason = "the question asks about policies or procedures, which no check verifies";
        return needs_review(reason.to_owned(), Some(Answer::Yes), views);
    }
    if !question
        .mappings
        .iter()
        .any(|m| m.strength == Strength::Verifies)
    {
        let reason = "the mapped controls hold but only support the question";
        return needs_review(reason.to_owned(), Some(Answer::Yes), views);
    }
    Decision {
        answer: Some(Answer::Yes),
        review: None,
        draft: Some(Answer::Yes),
        controls: views,
        failing: Vec::new(),
    }
}

/// `check failed for subjects` for every check of the views with failures or errors.
fn failing_evidence(views: &[ControlView]) -> Vec<String> {
    views
        .iter()
        .flat_map(|v| v.checks.iter().map(move |c| (v, c)))
        .filter(|(_, c)| c.failed + c.errored > 0)
        .map(|(v, c)| {
            format!(
                "{} {}: {} failed or errored for {}",
                v.id,
                c.id,
                c.failed + c.errored,
                c.failing
            )
        })
        .collect()
}

fn unproven_reason(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Error => "could not be verified (a check errored)",
        ControlStatus::NotTested => "was not tested by this scan",
        ControlStatus::Manual => "is manual and has no current attestation",
        ControlStatus::Planned => "has no check yet",
        ControlStatus::Pass | ControlStatus::Attested | ControlStatus::Fail => "",
    }
}

/// The data the description templates see.
#[derive(Debug, Clone, Serialize)]
pub struct DescriptionData<'a> {
    pub question_id: &'a str,
    pub decision: &'a Decision,
    pub evidence: &'a EvidenceRef,
    pub generated_at: &'a str,
    pub tool_version: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(list: &[(&str, Strength)]) -> QuestionMap {
        QuestionMap {
            mappings: list.iter().map(|(c, s)| Mapping::new(*c, *s)).collect(),
            policy: false,
        }
    }

    #[test]
    fn caiq_ids_map_through_ccm_references() {
        let ivs = caiq_controls("IVS-06.1");
        assert!(ivs.contains(&"TEN-01".to_owned()), "{ivs:?}");
        assert_eq!(caiq_controls("  ivs-06.1 "), ivs);
        assert!(caiq_controls("GRC-01.1").is_empty());
    }

    #[test]
    fn a_mapped_control_missing_from_the_report_is_never_a_yes() {
        let report: Report = serde_json::from_value(serde_json::json!({
            "schema": "report/v1", "tool": {"name": "vouch", "version": "0"},
            "generated_at": "2026-01-01T00:00:00Z",
            "summary": {"pass": 1, "fail": 0, "error": 0, "waived": 0},
            "controls": [{"id": "TEN-01", "title": "t", "status": "pass", "frameworks": {}}],
            "findings": [], "waivers": [], "attestations": []
        }))
        .unwrap();
        let only_present = decide(&map(&[("TEN-01", Strength::Verifies)]), &report);
        assert_eq!(only_present.answer, Some(Answer::Yes));
        let with_missing = decide(
            &map(&[
                ("TEN-01", Strength::Verifies),
                ("SUP-01", Strength::Supports),
            ]),
            &report,
        );
        assert_eq!(with_missing.answer, None);
        assert!(
            with_missing
                .review
                .unwrap()
                .contains("SUP-01 not in the report")
        );
    }

    fn built(findings: Vec<checks::Finding>) -> Report {
        crate::testing::report_of(findings, "0", "2026-01-01")
    }

    fn finding(check: &str, status: checks::Status, severity: checks::Severity) -> checks::Finding {
        let location = checks::Location::resource("https://app.example.com/");
        crate::testing::finding(check, status, severity, "app.example.com:443", location)
    }

    /// The secret scan passing: SEC-01 verified.
    fn no_secrets() -> checks::Finding {
        finding(
            "secrets-committed",
            checks::Status::Pass,
            checks::Severity::Critical,
        )
    }

    #[test]
    fn a_failing_control_is_a_draft_for_review_never_an_automatic_no() {
        use checks::{Severity, Status};
        let report = built(vec![
            finding("http-hsts", Status::Pass, Severity::Medium),
            finding("http-security-headers", Status::Fail, Severity::Medium),
        ]);
        let d = decide(&map(&[("APP-01", Strength::Verifies)]), &report);
        assert_eq!(d.answer, None);
        assert_eq!(d.draft, Some(Answer::No));
        assert_eq!(d.review.as_deref(), Some("APP-01 failed a check"));
        assert_eq!(
            d.failing,
            ["APP-01 http-security-headers: 1 failed or errored for app.example.com:443"]
        );
        // Bound to the HSTS check only, the unrelated header check changes nothing.
        let mut hsts = map(&[("APP-01", Strength::Verifies)]);
        hsts.mappings[0].only = vec!["http-hsts".to_owned()];
        assert_eq!(decide(&hsts, &report).answer, Some(Answer::Yes));
    }

    #[test]
    fn an_info_finding_changes_no_answer() {
        use checks::{Severity, Status};
        let clean = built(vec![no_secrets()]);
        let noted = built(vec![
            no_secrets(),
            finding("k8s-secrets-not-in-env", Status::Fail, Severity::Info),
        ]);
        let q = map(&[("SEC-01", Strength::Verifies)]);
        assert_eq!(decide(&q, &clean).answer, Some(Answer::Yes));
        assert_eq!(decide(&q, &noted).answer, Some(Answer::Yes));
    }

    #[test]
    fn policy_questions_and_supporting_mappings_are_drafts() {
        let report = built(vec![no_secrets()]);
        let supports = decide(&map(&[("SEC-01", Strength::Supports)]), &report);
        assert_eq!((supports.answer, supports.draft), (None, Some(Answer::Yes)));
        let mut policy = map(&[("SEC-01", Strength::Verifies)]);
        policy.policy = true;
        let d = decide(&policy, &report);
        assert_eq!((d.answer, d.draft), (None, Some(Answer::Yes)));
        assert!(d.review.unwrap().contains("policies or procedures"));
        assert!(caiq_map("IAM-01.1").policy);
        assert!(!caiq_map("IVS-06.1").policy);
        let ivs = caiq_map("IVS-06.1");
        let ten = ivs.mappings.iter().find(|m| m.control == "TEN-01").unwrap();
        assert_eq!(ten.strength, Strength::Verifies);
    }
}
