//! The report/v1 model and its renderers.
//!
//! [`Report::build`] is the only place waivers are applied and control states are derived;
//! every renderer reads the finished [`Report`] and nothing else.

mod build;
mod model;
pub mod render;

pub use build::Clock;
pub use model::{
    AppliedWaiver, ControlResult, ControlStatus, FindingStatus, REPORT_SCHEMA, Report,
    ReportFinding, Summary, Tool, WaiverResult, WaiverState,
};
