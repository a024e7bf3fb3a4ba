//! Release artifacts (`[artifact]`, `[[target.artifact]]`): a local file or an `https://`
//! download, its SHA-256, and the sigstore bundle published beside it, verified offline for
//! that digest against the `[image]` trust with the registry images' verifier
//! (`image::bundle`): message signatures over the file's bytes (`cosign sign-blob`,
//! `sigstore sign`) and DSSE in-toto statements naming its digest (`cosign attest-blob`, GitHub
//! artifact attestations), SLSA provenance read from the latter.
//!
//! Artifacts are live targets, a local `path` included: a release binary is a build output, not
//! part of the repository (it is usually absent from a checkout and from a pre-commit run), so
//! it is read only when `--target NAME` or `--all-targets` asks for it, after the build. A URL
//! is fetched because it is configured and selected, and nothing else is requested: the
//! artifact, then the bundle names in order until one exists.
//!
//! Read-only and bounded: a file or download is read up to `[artifact] max_bytes` (a bundle up
//! to [`BUNDLE_MAX`]), each download within `[artifact] timeout_ms`, HTTPS only (redirects too).

#[cfg(feature = "artifact")]
mod collect;
#[cfg(feature = "artifact")]
mod fetch;
mod source;

use checks::facts::artifact::Artifact;
use checks::facts::image::Evidence;
use checks::settings::ArtifactTarget;

pub use source::Artifacts;

/// A sigstore bundle is a few kilobytes; more than this is not read.
pub const BUNDLE_MAX: u64 = 16 * 1024 * 1024;

/// `target` as an artifact that could not be read, because `error`.
pub fn unreadable(target: &ArtifactTarget, error: String) -> Artifact {
    Artifact {
        name: target.name.clone(),
        location: fetch_display(target.location()),
        error: Some(error),
        looked_for: (target.bundle_candidates().iter())
            .map(|b| fetch_display(b))
            .collect(),
        bundles: Evidence::default(),
        ..Artifact::default()
    }
}

/// A location as shown in facts and messages: a URL's query (which may hold a signed-URL
/// token) is replaced by `?…`.
pub fn fetch_display(location: &str) -> String {
    match location.split_once('?') {
        Some((base, _)) if location.contains("://") => format!("{base}?…"),
        _ => location.to_owned(),
    }
}
