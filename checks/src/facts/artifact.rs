//! Release artifacts (`[[target.artifact]]`): a file or a download, its SHA-256, and the sigstore
//! bundles published beside it, each already verified (or not) by the collector against the
//! `[image]` trust. Checks only judge.

use serde::{Deserialize, Serialize};

use super::image::Evidence;

/// One configured artifact as read.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Artifact {
    /// The `[[target.artifact]]` name.
    pub name: String,
    /// Where it was read: the file's path or the URL as configured.
    pub location: String,
    /// Lower-case hex SHA-256 of the bytes read; `None` when they could not be read.
    pub sha256: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// The artifact could not be read (missing file, HTTP error, over `[artifact] max_bytes`,
    /// timeout): every artifact check reports `error`.
    pub error: Option<String>,
    /// The bundle locations looked for, in order (the configured one, or the default names).
    pub looked_for: Vec<String>,
    /// The bundles found, each verified for this artifact's digest (an entry's `digest` is the
    /// bundle's location). `checked` with no entries and no error: no bundle was found; an
    /// `error`: a bundle exists but could not be read.
    pub bundles: Evidence,
}
