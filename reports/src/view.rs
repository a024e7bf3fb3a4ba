//! What a claim or a questionnaire answer cites about a control: its state, the checks behind it
//! and the subjects they judged. Built from the report only.

use serde::Serialize;

use crate::model::{ControlStatus, FindingStatus, Report};

/// How many subjects a citation lists before summarising the rest.
const SUBJECTS_SHOWN: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    pub checks: Vec<CheckView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<checks::facts::attestation::Attestation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub id: String,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub waived: usize,
    /// Subjects that passed, at most a few, then "and N more".
    pub passing: String,
    /// Subjects that failed or errored, at most a few.
    pub failing: String,
}

impl ControlView {
    /// The view of `id`, or `None` when the report has no such control.
    pub fn of(id: &str, report: &Report) -> Option<ControlView> {
        let control = report.controls.iter().find(|c| c.id == id)?;
        let checks = control
            .checks
            .iter()
            .map(|check| {
                let of_check: Vec<_> = report
                    .findings
                    .iter()
                    .filter(|f| &f.check == check)
                    .collect();
                let subjects = |want: &[FindingStatus]| {
                    summarise(
                        of_check
                            .iter()
                            .filter(|f| want.contains(&f.status))
                            .map(|f| f.subject.as_str()),
                    )
                };
                let count = |s: FindingStatus| of_check.iter().filter(|f| f.status == s).count();
                CheckView {
                    id: check.clone(),
                    passed: count(FindingStatus::Pass),
                    failed: count(FindingStatus::Fail),
                    errored: count(FindingStatus::Error),
                    waived: count(FindingStatus::Waived),
                    passing: subjects(&[FindingStatus::Pass]),
                    failing: subjects(&[FindingStatus::Fail, FindingStatus::Error]),
                }
            })
            .filter(|c| c.passed + c.failed + c.errored + c.waived > 0)
            .collect();
        Some(ControlView {
            id: control.id.clone(),
            title: control.title.clone(),
            status: control.status,
            checks,
            attestation: control.attestation.clone(),
        })
    }

    /// Judged by checks, or attested: something backs it.
    pub fn holds(&self) -> bool {
        matches!(self.status, ControlStatus::Pass | ControlStatus::Attested)
    }

    pub fn contradicted(&self) -> bool {
        matches!(self.status, ControlStatus::Fail | ControlStatus::Error)
    }
}

fn summarise<'a>(subjects: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = subjects.collect();
    let shown = all
        .iter()
        .take(SUBJECTS_SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    match all.len().saturating_sub(SUBJECTS_SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// The report file the citations point to, with its hash, so a reader can check it.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceRef {
    /// As given (`pack/report.json`).
    pub file: String,
    pub sha256: String,
}
