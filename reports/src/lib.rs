//! The report/v1 model and its renderers.
//!
//! [`Report::build`] is the only place waivers are applied and control states are derived;
//! every renderer reads the finished [`Report`] and nothing else.

mod baseline;
mod build;
mod model;
pub mod questionnaire;
pub mod render;
mod suppress;
pub mod trust;
pub mod view;

pub use baseline::{BASELINE_SCHEMA, Baseline, BaselineResult, BaselineState, KnownFinding};
pub use build::Clock;
pub use model::{
    AppliedWaiver, AttestationResult, AttestationState, ControlResult, ControlStatus,
    FindingStatus, REPORT_SCHEMA, Report, ReportFinding, Summary, Tool, WaiverResult, WaiverState,
};
pub use suppress::{Scope, SuppressionResult, SuppressionState};
