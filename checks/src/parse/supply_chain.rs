//! Dispatch for the supply-chain file kinds (manifests, lockfiles, SBOMs, update configs).
//!
//! Kept apart from [`super::parse_into`] so that binary `bun.lockb` is recorded before the
//! UTF-8 decode that would reject it.

use super::{lockfile, manifest, sbom, update_config};
use crate::facts::repo::{FileKind, RepoFacts};

/// `None` when `kind` is not a supply-chain kind; otherwise the parse outcome.
pub fn parse_into(
    kind: FileKind,
    path: &str,
    bytes: &[u8],
    facts: &mut RepoFacts,
) -> Option<Result<(), String>> {
    if !matches!(
        kind,
        FileKind::Manifest | FileKind::Lockfile | FileKind::Sbom | FileKind::UpdateConfig
    ) {
        return None;
    }
    if kind == FileKind::Lockfile && lockfile::is_opaque(path) {
        facts.lockfiles.push(lockfile::binary(path));
        return Some(Ok(()));
    }
    Some(parse_text(kind, path, bytes, facts))
}

fn parse_text(
    kind: FileKind,
    path: &str,
    bytes: &[u8],
    facts: &mut RepoFacts,
) -> Result<(), String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (at byte {})", e.valid_up_to()))?;
    match kind {
        FileKind::Manifest => facts.manifests.push(manifest::parse(path, text)?),
        FileKind::Lockfile => facts.lockfiles.push(lockfile::parse(path, text)?),
        FileKind::Sbom => facts.sboms.push(sbom::parse(path, text)?),
        FileKind::UpdateConfig => facts.update_configs.push(update_config::parse(path, text)?),
        FileKind::Dockerfile | FileKind::Workflow | FileKind::Text => {}
    }
    Ok(())
}
