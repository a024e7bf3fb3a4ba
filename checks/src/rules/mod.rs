//! One module per check. Each holds the check's [`Meta`](crate::Meta) (with its docs) and its
//! logic, and nothing else; shared helpers live here.

pub mod gha_action_pinned;

mod aws_shared;
pub mod rds_backup_retention;
pub mod rds_deletion_protection;
pub mod rds_force_ssl;
pub mod rds_iam_auth;
pub mod rds_not_public;
pub mod rds_snapshot_encrypted;
pub mod rds_snapshot_not_public;
pub mod rds_storage_encrypted;
pub mod s3_default_encryption;
pub mod s3_not_public;
pub mod s3_object_lock;
pub mod s3_public_access_block;
pub mod s3_secure_transport;
pub mod s3_versioning;

use serde_json::json;

use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Location};

/// Reports every unreadable file of the given kinds as an `error` finding (subject: its path):
/// a file the check could not read is never silently skipped.
pub(crate) fn unreadable_files(cx: &Context<'_>, kinds: &[FileKind], out: &mut Findings) {
    let Some(repo) = &cx.facts.repo else { return };
    for u in repo.unreadable.iter().filter(|u| kinds.contains(&u.kind)) {
        out.error(
            u.path.clone(),
            Location::file(u.path.clone(), 0),
            format!("{} could not be read: {}", u.path, u.cause),
            json!({ "path": u.path, "cause": u.cause }),
        );
    }
}

/// `true` for a full 40-hex git commit SHA.
pub(crate) fn is_commit_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `true` when an image reference carries a `@sha256:<64 hex>` digest.
pub(crate) fn is_digest_pinned(image: &str) -> bool {
    image
        .rsplit_once("@sha256:")
        .is_some_and(|(_, hex)| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        assert!(is_commit_sha("1d0ff469b7ec7b3cb9d8673fde0c81c44821de2a"));
        assert!(!is_commit_sha("v4"));
        assert!(is_digest_pinned(&format!(
            "node:20@sha256:{}",
            "a".repeat(64)
        )));
        assert!(!is_digest_pinned("node:20@sha256:abc"));
        assert!(!is_digest_pinned("node:20"));
    }
}
