//! report/v1: the JSON contract other tools and tests read. Fields may be added; renaming or
//! removing one requires report/v2.

use std::collections::BTreeMap;

use checks::{Location, Related, Severity};
use serde::{Deserialize, Serialize};

pub const REPORT_SCHEMA: &str = "vouch.report/v1";

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    #[serde(default)]
    pub baseline: Option<crate::baseline::BaselineResult>,
    /// Every `vouch:ignore[...]` comment found and what became of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<crate::suppress::SuppressionResult>,
    /// Where the evidence came from: who it is for, the repository and commit, the live
    /// targets read. Absent when the report was built without facts.
    #[serde(default)]
    pub provenance: Option<Provenance>,
    /// What the scan covered and what it left out, and settings that changed verdicts.
    #[serde(default, skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Provenance {
    /// `[report] organisation`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organisation: String,
    /// `[report] system`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub system: String,
    /// The scanned repository: how its files were listed and its git state.
    #[serde(default)]
    pub repository: Option<RepositoryProvenance>,
    /// The live targets audited (databases, clusters, accounts, endpoints, registries).
    #[serde(default)]
    pub targets: Vec<AuditedTarget>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RepositoryProvenance {
    pub listing: checks::facts::repo::Listing,
    #[serde(default)]
    pub git: Option<checks::facts::repo::GitState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditedTarget {
    /// `postgres`, `aws`, `endpoint`, `image`, `kube`.
    pub source: String,
    pub target: String,
    /// Where it was read from, without secrets.
    pub origin: String,
    /// Whether the source could not be read (its checks say `error`).
    #[serde(default)]
    pub failed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scope {
    /// One sentence: how the judged files were chosen.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub statement: String,
    /// Paths not judged, with the reason.
    #[serde(default)]
    pub excluded: Vec<checks::facts::repo::Excluded>,
    /// `[severity]` settings: the check's own severity and the configured one.
    #[serde(default)]
    pub severity_overrides: Vec<SeverityOverride>,
    /// Settings that take things out of judgement, and what they took out.
    #[serde(default)]
    pub narrowed: Vec<Narrowing>,
    /// `[scan] exclude` globs: paths never read (each path they left out is in `excluded`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_paths: Vec<String>,
    /// `[checks] disable`: checks not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_checks: Vec<String>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.statement.is_empty()
            && self.excluded.is_empty()
            && self.severity_overrides.is_empty()
            && self.narrowed.is_empty()
            && self.excluded_paths.is_empty()
            && self.disabled_checks.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeverityOverride {
    pub check: String,
    /// The check's own severity.
    pub default: Severity,
    /// The severity `[severity]` gives it.
    pub configured: Severity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Narrowing {
    /// `[postgres] exclude_tables`.
    pub setting: String,
    pub value: Vec<String>,
    /// What it took out, in one sentence (`every table (3 of 3) is excluded from ...`).
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub waived: usize,
}

checks::keyword_enum! {
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
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    /// Framework key (`ccm-4.0`) → reference ids.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// The checks serving this control.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Findings per status among the findings that decide this control (severity above
    /// `info`).
    #[serde(default)]
    pub counts: Summary,
    /// Informational findings (`info`): shown as notes, they never change the state.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub notes: usize,
    /// The human attestation that made this control `attested`.
    #[serde(default)]
    pub attestation: Option<checks::facts::attestation::Attestation>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

checks::keyword_enum! {
    pub enum FindingStatus {
        Pass,
        Fail,
        Error,
        Waived,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Other places the finding points at, each with a `note` saying why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    pub evidence: serde_json::Value,
    pub waiver: Option<AppliedWaiver>,
    /// The check's own severity when `[severity]` replaced it (`severity` is the configured
    /// one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_overridden_from: Option<Severity>,
    /// With a baseline: `new`, `unchanged` or `updated` (SARIF's `baselineState`); passes have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<crate::baseline::BaselineState>,
}

/// The waiver that turned a failure into `waived`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppliedWaiver {
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ticket: String,
    /// For a `vouch:ignore[...]` comment: where it is (then `approved_by` and `expires` are empty).
    #[serde(default)]
    pub inline: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaiverState {
    /// In force and waiving at least one failure.
    Active,
    /// Past its `expires` date: it no longer applies.
    Expired,
    /// In force but matched no failing finding; probably stale.
    Unused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttestationResult {
    pub control: String,
    pub attested_by: String,
    pub date: String,
    pub expires: String,
    pub state: AttestationState,
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn enum_names_are_their_serde_names() {
        for v in ControlStatus::VARIANTS {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        for v in FindingStatus::VARIANTS {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        for v in crate::baseline::BaselineState::VARIANTS {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
    }
}
