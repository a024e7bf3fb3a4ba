//! Release artifacts: signatures and provenance of files and downloads.

pub(crate) mod artifact_evidence;
pub mod artifact_provenance;
pub mod artifact_signed;
