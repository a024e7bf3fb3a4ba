//! The `vouch` binary: CLI, configuration, sources (all I/O) and output.
//!
//! The flow is: sources collect [`checks::Facts`] → [`checks::judge`] → [`reports::Report::build`]
//! → renderers. Nothing in this crate makes a compliance judgement; an `if` about compliance
//! belongs in a check.

pub mod answer;
pub mod bounded;
pub mod cli;
pub mod clock;
pub mod config;
pub mod engine;
pub mod evidence;
pub mod explain;
pub mod init;
pub mod notes;
pub mod output;
pub mod pack;
pub mod paths;
pub mod reference;
pub mod since;
pub mod sources;
pub mod templates;
pub mod trust_page;
