//! Registry images: digests, signatures, SBOM attestations, provenance.

pub mod image_digest_pinned;
pub(crate) mod image_evidence;
pub mod image_provenance;
pub mod image_sbom_attested;
pub mod image_signed;
