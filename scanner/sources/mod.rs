//! Sources: all I/O. Each reads one kind of target into [`checks::Facts`] and judges nothing.

pub mod aws;
pub mod endpoint;
pub mod image;
pub mod kube;
pub mod migrations;
pub mod postgres;
pub mod repo;
pub mod vuln_evidence;
