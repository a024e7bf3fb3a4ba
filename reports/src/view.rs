//! What a claim or a questionnaire answer cites about a control: its state, the checks behind it
//! and the subjects they judged. Built from the report only.

use serde::Serialize;

use crate::build::{decides, judge_findings};
use crate::model::{ControlStatus, FindingStatus, Report, ReportFinding};

/// How many subjects a citation lists before summarising the rest.
const SUBJECTS_SHOWN: usize = 5;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    pub id: String,
    pub title: String,
    /// The state on the checks in scope (the control's own state when every check is).
    pub status: ControlStatus,
    pub checks: Vec<CheckView>,
    /// Judged on these checks only (a claim bound to checks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// Judged without these checks (a claim bound to a control minus named checks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<String>,
    pub attestation: Option<checks::facts::attestation::Attestation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub id: String,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub waived: usize,
    /// Informational findings: notes that change no state.
    pub notes: usize,
    /// Subjects that passed, at most a few, then "and N more".
    pub passing: String,
    /// Subjects that failed or errored, at most a few.
    pub failing: String,
    /// Subjects with an informational note, at most a few.
    pub noted: String,
}

/// Which of a control's checks a claim or answer is judged on.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    All,
    /// These checks only.
    Only(&'a [String]),
    /// Every check but these.
    Except(&'a [String]),
}

impl Scope<'_> {
    fn includes(&self, check: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(list) => list.iter().any(|c| c == check),
            Scope::Except(list) => !list.iter().any(|c| c == check),
        }
    }
}

impl ControlView {
    /// The view of `id`, or `None` when the report has no such control.
    pub fn of(id: &str, report: &Report) -> Option<ControlView> {
        Self::scoped(id, report, Scope::All)
    }

    /// The view of `id` judged on the checks in `scope` only: its state is derived from their
    /// findings exactly as the report derives a control's state. A control no check judged
    /// (manual, planned, attested) keeps its state.
    pub fn scoped(id: &str, report: &Report, scope: Scope<'_>) -> Option<ControlView> {
        let control = report.controls.iter().find(|c| c.id == id)?;
        let in_scope = |f: &&ReportFinding| {
            control.checks.contains(&f.check)
                && scope.includes(&f.check)
                && f.controls.contains(&control.id)
        };
        let status = match (scope, control.status) {
            (Scope::All, status)
            | (
                _,
                status @ (ControlStatus::Manual | ControlStatus::Planned | ControlStatus::Attested),
            ) => status,
            _ => judge_findings(report.findings.iter().filter(in_scope)),
        };
        let checks = control
            .checks
            .iter()
            .filter(|check| scope.includes(check))
            .map(|check| check_view(check, report))
            .filter(|c| c.passed + c.failed + c.errored + c.waived + c.notes > 0)
            .collect();
        let (only, excluded) = match scope {
            Scope::All => (Vec::new(), Vec::new()),
            Scope::Only(list) => (list.to_vec(), Vec::new()),
            Scope::Except(list) => (Vec::new(), list.to_vec()),
        };
        Some(ControlView {
            id: control.id.clone(),
            title: control.title.clone(),
            status,
            checks,
            only,
            excluded,
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

/// What one check found: deciding findings by status, informational ones as notes.
fn check_view(check: &str, report: &Report) -> CheckView {
    let of_check: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| f.check == check)
        .collect();
    let (deciding, notes): (Vec<&ReportFinding>, Vec<&ReportFinding>) =
        of_check.into_iter().partition(|f| decides(f));
    let subjects = |want: &[FindingStatus]| {
        summarise(
            deciding
                .iter()
                .filter(|f| want.contains(&f.status))
                .map(|f| f.subject.as_str()),
        )
    };
    let count = |s: FindingStatus| deciding.iter().filter(|f| f.status == s).count();
    CheckView {
        id: check.to_owned(),
        passed: count(FindingStatus::Pass),
        failed: count(FindingStatus::Fail),
        errored: count(FindingStatus::Error),
        waived: count(FindingStatus::Waived),
        notes: notes.len(),
        passing: subjects(&[FindingStatus::Pass]),
        failing: subjects(&[FindingStatus::Fail, FindingStatus::Error]),
        noted: summarise(notes.iter().map(|f| f.subject.as_str())),
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
