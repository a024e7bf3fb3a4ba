//! report/v1: the JSON contract other tools and tests read. Fields may be added; renaming or
//! removing one requires report/v2.

use std::collections::BTreeMap;

use checks::{Location, Severity};
use serde::{Deserialize, Serialize};

pub const REPORT_SCHEMA: &str = "vouch.report/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub generated_at: String,
    pub summary: Summary,
    pub controls: Vec<ControlResult>,
    pub findings: Vec<ReportFinding>,
    /// Every configured waiver and what became of it (active, expired, unused).
    #[serde(default)]
    pub waivers: Vec<WaiverResult>,
    /// Every human attestation and what became of it.
    #[serde(default)]
    pub attestations: Vec<AttestationResult>,
    /// How this scan compares to a baseline (`--baseline`, `--since`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::baseline::BaselineResult>,
    /// Every `vouch:ignore[...]` comment found and what became of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<crate::suppress::SuppressionResult>,
    /// What the configuration left out of the scan (`[scan] exclude`, `[checks] disable`).
    #[serde(default, skip_serializing_if = "crate::suppress::Scope::is_empty")]
    pub scope: crate::suppress::Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub waived: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Pass,
    Fail,
    Error,
    /// A check serves it, but nothing it judges was found or scanned.
    NotTested,
    /// Verified by people, not by vouch.
    Manual,
    /// Human-attested (statement, by whom, until when).
    Attested,
    /// No check yet.
    Planned,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Pass => "pass",
            ControlStatus::Fail => "fail",
            ControlStatus::Error => "error",
            ControlStatus::NotTested => "not_tested",
            ControlStatus::Manual => "manual",
            ControlStatus::Attested => "attested",
            ControlStatus::Planned => "planned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    /// Framework key (`ccm-4.0`) → reference ids.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// The checks serving this control.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Findings per status among this control's findings.
    #[serde(default)]
    pub counts: Summary,
    /// The human attestation that made this control `attested`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<checks::facts::attestation::Attestation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Pass,
    Fail,
    Error,
    Waived,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Pass => "pass",
            FindingStatus::Fail => "fail",
            FindingStatus::Error => "error",
            FindingStatus::Waived => "waived",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFinding {
    /// Stable across runs and line moves: sha256 of check, subject and file path or URI.
    pub fingerprint: String,
    pub check: String,
    pub status: FindingStatus,
    pub severity: Severity,
    pub controls: Vec<String>,
    pub subject: String,
    pub message: String,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
    pub evidence: serde_json::Value,
    pub waiver: Option<AppliedWaiver>,
    /// With a baseline: `new`, `unchanged` or `updated` (SARIF's `baselineState`); passes have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<crate::baseline::BaselineState>,
}

/// The waiver that turned a failure into `waived`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ticket: String,
    /// For a `vouch:ignore[...]` comment: where it is (then `approved_by` and `expires` are empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverState {
    /// In force and waiving at least one failure.
    Active,
    /// Past its `expires` date: it no longer applies.
    Expired,
    /// In force but matched no failing finding; probably stale.
    Unused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverResult {
    pub check: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    pub reason: String,
    pub expires: String,
    pub approved_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ticket: String,
    pub state: WaiverState,
    /// How many findings it waived (or would have, when expired).
    pub matched: usize,
}

impl Report {
    /// Findings that gate at this threshold: failed or could not be evaluated (fail closed),
    /// not waived, at or above the threshold. `info` never gates.
    pub fn gating(&self, threshold: Severity) -> impl Iterator<Item = &ReportFinding> {
        self.findings.iter().filter(move |f| {
            matches!(f.status, FindingStatus::Fail | FindingStatus::Error)
                && f.severity != Severity::Info
                && f.severity >= threshold
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationState {
    /// In force: the control is reported as attested.
    Applied,
    /// Past its `expires` date: counts as missing.
    Expired,
    /// The control is judged by checks (pass, fail or error); a statement cannot override
    /// evidence, so the attestation is recorded but not applied.
    Superseded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationResult {
    pub control: String,
    pub attested_by: String,
    pub date: String,
    pub expires: String,
    pub state: AttestationState,
}
