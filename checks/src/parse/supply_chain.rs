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
        FileKind::Manifest => {
            facts.manifests.push(manifest::parse(path, text)?);
            if let Some(config) = update_config::renovate_in_package_json(path, text) {
                facts.update_configs.push(config);
            }
        }
        FileKind::Lockfile => facts.lockfiles.push(lockfile::parse(path, text)?),
        FileKind::Sbom => facts.sboms.extend(sbom::parse(path, text)?),
        FileKind::UpdateConfig => facts.update_configs.push(update_config::parse(path, text)?),
        FileKind::Dockerfile
        | FileKind::Workflow
        | FileKind::Bake
        | FileKind::Compose
        | FileKind::Yaml
        | FileKind::Text => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_bun_lockfile_is_recorded_not_rejected() {
        let mut facts = RepoFacts::default();
        let bytes = b"#!/usr/bin/env bun\nbun-lockfile-format-v0\n\x02\x00\xff\xfe";
        let outcome = parse_into(FileKind::Lockfile, "web/bun.lockb", bytes, &mut facts);
        assert_eq!(outcome, Some(Ok(())));
        assert_eq!(facts.lockfiles[0].path, "web/bun.lockb");
        let other = parse_into(FileKind::Lockfile, "web/yarn.lock", b"\xff", &mut facts);
        assert!(matches!(other, Some(Err(e)) if e.contains("UTF-8")));
        assert!(parse_into(FileKind::Workflow, "a.yml", b"", &mut facts).is_none());
    }
}
