//! Answering questionnaire rows from a report: Yes only when every mapped control holds, No when
//! any mapped control failed, otherwise left for a human with the reason.
//!
//! CAIQ question ids map through the catalog's CCM v4.0 references (`CEK-03.1` → `CEK-03` →
//! controls); any other questionnaire maps through a user file of question id → control ids.

use serde::Serialize;

use crate::model::{ControlStatus, Report};
use crate::view::{ControlView, EvidenceRef};

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

/// The verdict on one question and what it cites.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub answer: Option<Answer>,
    /// Why a human must answer (set exactly when `answer` is `None`).
    pub review: Option<String>,
    pub controls: Vec<ControlView>,
}

/// Controls whose CCM v4.0 references include the CAIQ question's control (`IVS-06.1` →
/// `IVS-06`; `A&A-02.3` → `A&A-02`).
pub fn caiq_controls(question_id: &str) -> Vec<String> {
    let id = question_id
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    let ccm = match id.rsplit_once('.') {
        Some((control, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => control,
        _ => id.as_str(),
    };
    checks::catalog::catalog()
        .controls
        .iter()
        .filter(|c| {
            c.frameworks
                .get("ccm-4.0")
                .is_some_and(|ids| ids.iter().any(|i| i == ccm))
        })
        .map(|c| c.id.clone())
        .collect()
}

pub fn decide(controls: &[String], report: &Report) -> Decision {
    let views: Vec<ControlView> = controls
        .iter()
        .filter_map(|id| ControlView::of(id, report))
        .collect();
    if views.is_empty() {
        return Decision {
            answer: None,
            review: Some("the question maps to no vouch control".to_owned()),
            controls: views,
        };
    }
    if views.iter().any(|v| v.status == ControlStatus::Fail) {
        return Decision {
            answer: Some(Answer::No),
            review: None,
            controls: views,
        };
    }
    // A mapped control the report does not carry (an older report) is not evidence.
    let missing: Vec<&str> = controls
        .iter()
        .filter(|id| !views.iter().any(|v| &v.id == *id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Decision {
            answer: None,
            review: Some(format!("{} not in the report", missing.join(", "))),
            controls: views,
        };
    }
    if views.iter().all(ControlView::holds) {
        return Decision {
            answer: Some(Answer::Yes),
            review: None,
            controls: views,
        };
    }
    let reasons: Vec<String> = views
        .iter()
        .filter(|v| !v.holds())
        .map(|v| format!("{} {}", v.id, unproven_reason(v.status)))
        .collect();
    Decision {
        answer: None,
        review: Some(reasons.join("; ")),
        controls: views,
    }
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

/// The data the description template sees.
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
        let only_present = decide(&["TEN-01".to_owned()], &report);
        assert_eq!(only_present.answer, Some(Answer::Yes));
        let with_missing = decide(&["TEN-01".to_owned(), "SUP-01".to_owned()], &report);
        assert_eq!(with_missing.answer, None);
        assert!(
            with_missing
                .review
                .unwrap()
                .contains("SUP-01 not in the report")
        );
    }
}
