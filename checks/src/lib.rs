//! The pure core of vouch.
//!
//! Sources (in the `vouch` binary) collect [`Facts`]; this crate judges them. Nothing in here
//! performs I/O, reads a clock or the environment, or spawns threads: every function is a pure
//! transformation, which is what lets `vouch check --facts` re-judge saved facts offline and
//! produce byte-identical findings.
//!
//! Layout:
//! - [`facts`]: the one state model every source fills (static and live alike);
//! - [`parse`]: repository-file parsers that turn file text into facts;
//! - [`catalog`]: our control catalog (`catalog.toml`) and its framework references;
//! - [`model`]: findings, statuses, severities, locations and the [`Check`] trait;
//! - [`registry`]: the one explicit list of checks;
//! - `rules`: one module per check, with its documentation beside its code.

pub mod catalog;
pub mod facts;
pub mod model;
pub mod parse;
pub mod rate_limit;
pub mod redact;
pub mod registry;
pub mod resolve;
mod rules;
pub mod secret_context;
pub mod secret_jwt;
pub mod secrets;
pub mod settings;
pub mod suppress;

pub use facts::Facts;
pub use model::{
    Check, Context, Finding, Findings, Location, Meta, Related, Rule, Severity, Source, Status,
};
pub use registry::{ALL, did_you_mean, find, judge, unknown_check};
pub use settings::Settings;
