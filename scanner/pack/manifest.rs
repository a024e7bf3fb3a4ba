//! MANIFEST.json: what a pack holds, hashed, and where it came from.

use std::path::Path;

use anyhow::{Context, Result};
use checks::facts::Collection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST_SCHEMA: &str = "vouch.manifest/v1";
pub const MANIFEST: &str = "MANIFEST.json";
pub const SIGNATURE: &str = "MANIFEST.json.sig";

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: String,
    pub tool: reports::Tool,
    pub scan: ScanTimes,
    /// Who collected what, from where (the facts' collections: no secrets).
    pub targets: Vec<Collection>,
    /// What the pack is about: organisation, system, repository, commit, live targets (the
    /// report's provenance; `vouch verify` checks they agree).
    #[serde(default)]
    pub provenance: Option<reports::Provenance>,
    /// What was judged and what was left out (the report's scope).
    #[serde(default, skip_serializing_if = "reports::Scope::is_empty")]
    pub scope: reports::Scope,
    /// sha256 of the previous pack's MANIFEST.json: packs over time form a hash chain.
    #[serde(default)]
    pub previous_manifest_sha256: Option<String>,
    /// Every file in the pack except the manifest and its signature, sorted by path.
    pub files: Vec<FileEntry>,
}

/// RFC 3339 instants from the injected clock (`SOURCE_DATE_EPOCH` pins them all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanTimes {
    pub started: String,
    pub finished: String,
    /// The clock the report was built with: `vouch verify` re-judges with it, so the rebuilt
    /// report must equal report.json byte for byte.
    pub judged_at: String,
    /// The real date verdicts were judged on (waiver and attestation expiry): `judged_at` is
    /// pinned by `SOURCE_DATE_EPOCH`, this never is. Absent in older packs (then the date of
    /// `judged_at`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub judged_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative to the pack, forward slashes.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl FileEntry {
    pub fn of(path: &str, bytes: &[u8]) -> FileEntry {
        FileEntry {
            path: path.to_owned(),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Manifest {
    /// Pretty JSON with a trailing newline: the exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = serde_json::to_string_pretty(self).expect("a manifest always serializes");
        s.push('\n');
        s.into_bytes()
    }
}

/// The sha256 of `DIR/MANIFEST.json`, for the chain link.
pub fn previous_manifest_sha256(previous: &Path) -> Result<String> {
    let path = previous.join(MANIFEST);
    let bytes = crate::bounded::read_regular(&path, crate::bounded::PACK_MANIFEST_MAX)
        .with_context(|| format!("previous pack {}", path.display()))?;
    Ok(sha256_hex(&bytes))
}
