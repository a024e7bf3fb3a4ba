//! Sources: all I/O. Each reads one kind of target into [`checks::Facts`] and judges nothing.
//!
//! [`ALL`] is the one list of sources the engine runs ([`crate::engine`]); their facts go into
//! `Facts` in this order (the repository's folded migrations before live databases).

pub mod artifact;
pub mod aws;
pub mod endpoint;
pub mod image;
pub mod kube;
pub mod migrations;
pub mod postgres;
pub mod repo;
pub mod vuln_evidence;

use crate::engine::Source;

/// Every source, one line each.
pub static ALL: &[&dyn Source] = &[
    &repo::Repository,
    &vuln_evidence::ScannerOutputs,
    &endpoint::Endpoints,
    &aws::Accounts,
    &postgres::Databases,
    &kube::Clusters,
    &image::Images,
    &artifact::Artifacts,
];
