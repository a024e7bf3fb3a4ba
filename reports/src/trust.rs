//! The trust page: a company's public claims, each bound to controls, judged against a report.
//!
//! A claim is `failing` when any of its controls failed or could not be verified, `verified`
//! when every control passed, `attested` when every control passed or is attested by a person,
//! `partly_verified` when some are backed and others are not tested, and `unverified` when none
//! is backed. `vouch gate` fails on failing claims so a page cannot claim what the
//! infrastructure contradicts.

use serde::{Deserialize, Serialize};

use crate::model::Report;
use crate::view::{ControlView, EvidenceRef};

/// `claims.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsFile {
    /// Page title, e.g. "Acme security".
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub claim: Vec<Claim>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// The claim in the company's own words.
    pub text: String,
    pub controls: Vec<String>,
    /// Optional heading to group claims under ("Tenant isolation").
    #[serde(default)]
    pub section: String,
}

impl ClaimsFile {
    /// Problems serde cannot see, one sentence each naming the claim.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.claim {
            if !seen.insert(c.id.as_str()) {
                problems.push(format!("claim `{}` is defined twice", c.id));
            }
            if c.controls.is_empty() {
                problems.push(format!("claim `{}` is bound to no control", c.id));
            }
            for id in &c.controls {
                if checks::catalog::catalog().control(id).is_none() {
                    problems.push(format!("claim `{}` names unknown control `{id}`", c.id));
                }
            }
        }
        problems
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    Verified,
    Attested,
    PartlyVerified,
    Unverified,
    Failing,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    pub id: String,
    pub text: String,
    pub section: String,
    pub state: ClaimState,
    pub controls: Vec<ControlView>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClaimCounts {
    pub verified: usize,
    pub attested: usize,
    pub partly_verified: usize,
    pub unverified: usize,
    pub failing: usize,
}

/// Everything the trust templates see.
#[derive(Debug, Clone, Serialize)]
pub struct TrustPage {
    pub title: String,
    pub company: String,
    pub generated_at: String,
    pub tool_version: String,
    pub evidence: EvidenceRef,
    pub counts: ClaimCounts,
    pub claims: Vec<ClaimResult>,
}

pub fn evaluate(claims: &ClaimsFile, report: &Report, evidence: EvidenceRef) -> TrustPage {
    let results: Vec<ClaimResult> = claims.claim.iter().map(|c| judge(c, report)).collect();
    let mut counts = ClaimCounts::default();
    for r in &results {
        *match r.state {
            ClaimState::Verified => &mut counts.verified,
            ClaimState::Attested => &mut counts.attested,
            ClaimState::PartlyVerified => &mut counts.partly_verified,
            ClaimState::Unverified => &mut counts.unverified,
            ClaimState::Failing => &mut counts.failing,
        } += 1;
    }
    TrustPage {
        title: if claims.title.is_empty() {
            "Security".to_owned()
        } else {
            claims.title.clone()
        },
        company: claims.company.clone(),
        generated_at: report.generated_at.clone(),
        tool_version: report.tool.version.clone(),
        evidence,
        counts,
        claims: results,
    }
}

fn judge(claim: &Claim, report: &Report) -> ClaimResult {
    let controls: Vec<ControlView> = claim
        .controls
        .iter()
        .filter_map(|id| ControlView::of(id, report))
        .collect();
    // A control the report does not carry (an older report) backs nothing: `backed` is
    // compared with the claim's own list, so it can never read as verified.
    let backed = controls.iter().filter(|v| v.holds()).count();
    let state = if controls.is_empty() {
        ClaimState::Unverified
    } else if controls.iter().any(ControlView::contradicted) {
        ClaimState::Failing
    } else if backed == claim.controls.len() {
        if controls
            .iter()
            .all(|v| v.status == crate::ControlStatus::Pass)
        {
            ClaimState::Verified
        } else {
            ClaimState::Attested
        }
    } else if backed > 0 {
        ClaimState::PartlyVerified
    } else {
        ClaimState::Unverified
    };
    ClaimResult {
        id: claim.id.clone(),
        text: claim.text.clone(),
        section: claim.section.clone(),
        state,
        controls,
    }
}
