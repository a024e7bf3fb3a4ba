//! The report/v1 model and its renderers.
//!
//! [`Report::build`] is the only place waivers are applied and control states are derived;
//! every renderer reads the finished [`Report`] and nothing else.

mod baseline;
mod build;
pub mod classification;
pub mod coverage;
mod model;
pub mod questionnaire;
pub mod render;
pub mod scope;
mod suppress;
#[cfg(test)]
mod testing;
pub mod trust;
pub mod view;

pub use baseline::{BASELINE_SCHEMA, Baseline, BaselineResult, BaselineState, KnownFinding};
pub use build::{CONTROL_GATING_SEVERITY, Clock, decides, judge_findings};
pub use model::{
    AppliedWaiver, AttestationResult, AttestationState, AuditedTarget, ControlResult,
    ControlStatus, FindingStatus, Narrowing, Provenance, REPORT_SCHEMA, Report, ReportFinding,
    RepositoryProvenance, Scope, SeverityOverride, Summary, Tool, WaiverResult, WaiverState,
};
pub use suppress::{SuppressionResult, SuppressionState};
