//! Listing a git work tree from its index (gix, no `git` binary): what is committed is judged,
//! whatever `.gitignore` says; what is only in the working tree is listed as untracked.
//!
//! The content judged is the working tree's (what CI checks out, plus local edits): a tracked
//! file whose working-tree bytes differ from the index, or an index that differs from HEAD,
//! makes the state `dirty` and is named in `modified`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use checks::facts::repo::{ExcludedReason, GitState};
use gix::index::entry::Mode;

use super::{Listed, Listing, SKIPPED_DIRS, fs, join_rel};

/// One tracked path under the scanned root: its mode and blob id in the index.
struct Tracked {
    mode: Mode,
    id: gix::ObjectId,
}

/// The listing from git's index, or `None` when `root` is not inside a git work tree that
/// tracks anything under it (a plain directory inside a dotfiles home, say): the caller then
/// lists the directory.
pub(super) fn list(
    root: &Path,
    canonical_root: &Path,
    exclude: &globset::GlobSet,
) -> Option<Listing> {
    let repo = gix::discover(root).ok()?;
    let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
    let prefix = slash_path(canonical_root.strip_prefix(&workdir).ok()?);
    let index = repo.index_or_empty().ok()?;
    let tracked = tracked_under(&index, &prefix);
    if tracked.is_empty() {
        return None;
    }
    let mut out = Listing::with_exclusions(exclude);
    let mut modified = BTreeSet::new();
    for (rel, entry) in &tracked {
        list_tracked(root, canonical_root, rel, entry, &mut out, &mut modified);
    }
    list_untracked(root, &tracked, &mut out);
    modified.extend(staged_changes(&repo, &index, &prefix));
    out.scope.git = Some(GitState {
        remote: remote_url(&repo),
        commit: repo.head_id().ok().map(|id| id.to_string()),
        branch: repo
            .head_name()
            .ok()
            .flatten()
            .map(|name| name.shorten().to_string()),
        dirty: !modified.is_empty(),
        modified: modified.into_iter().collect(),
    });
    Some(out)
}

/// Index entries under `prefix` (every stage of a conflicted path counts once), keyed by the
/// path relative to the scanned root.
fn tracked_under(index: &gix::index::State, prefix: &str) -> BTreeMap<String, Tracked> {
    let mut tracked = BTreeMap::new();
    for entry in index.entries() {
        let path = entry.path(index).to_string();
        let rel = if prefix.is_empty() {
            path
        } else {
            match path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) {
                Some(rest) => rest.to_owned(),
                None => continue,
            }
        };
        tracked.entry(rel).or_insert(Tracked {
            mode: entry.mode,
            id: entry.id,
        });
    }
    tracked
}

fn list_tracked(
    root: &Path,
    canonical_root: &Path,
    rel: &str,
    entry: &Tracked,
    out: &mut Listing,
    modified: &mut BTreeSet<String>,
) {
    if let Some(dir) = vendored_dir(rel) {
        out.exclude(dir, ExcludedReason::Vendored);
        return;
    }
    if let Some(part) = out.configured_exclusion(rel) {
        out.exclude(part, ExcludedReason::Configured);
        return;
    }
    if entry.mode.is_submodule() {
        out.exclude(rel.to_owned(), ExcludedReason::Submodule);
        return;
    }
    if entry.mode.is_sparse() {
        out.exclude(rel.to_owned(), ExcludedReason::MissingFromWorkTree);
        return;
    }
    let abs = root.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&abs) else {
        out.exclude(rel.to_owned(), ExcludedReason::MissingFromWorkTree);
        modified.insert(rel.to_owned());
        return;
    };
    if meta.is_symlink() {
        if link_changed(&abs, entry) {
            modified.insert(rel.to_owned());
        }
        follow_link(canonical_root, &abs, rel, out);
    } else if meta.is_file() {
        out.files.push(Listed {
            rel: rel.to_owned(),
            abs,
            indexed: Some(entry.id),
        });
    } else {
        // A tracked file replaced by a directory, FIFO or socket.
        out.exclude(rel.to_owned(), ExcludedReason::NotARegularFile);
        modified.insert(rel.to_owned());
    }
}

/// A tracked symlink: followed once if it stays inside the tree, refused otherwise.
fn follow_link(canonical_root: &Path, abs: &Path, rel: &str, out: &mut Listing) {
    let Ok(target) = std::fs::canonicalize(abs) else {
        out.exclude_or_refuse(rel.to_owned(), ExcludedReason::BrokenSymlink);
        return;
    };
    if !target.starts_with(canonical_root) {
        out.exclude_or_refuse(rel.to_owned(), ExcludedReason::SymlinkOutsideTree);
    } else if target.is_dir() {
        fs::walk_dir(canonical_root, &target, rel, out);
    } else if target.is_file() {
        out.files.push(Listed {
            rel: rel.to_owned(),
            abs: abs.to_path_buf(),
            indexed: None,
        });
    } else {
        out.exclude(rel.to_owned(), ExcludedReason::NotARegularFile);
    }
}

/// Whether a tracked symlink now points somewhere else than the index says (git stores the
/// link's target text as the blob).
fn link_changed(abs: &Path, entry: &Tracked) -> bool {
    if entry.mode != Mode::SYMLINK {
        return true;
    }
    let Ok(target) = std::fs::read_link(abs) else {
        return true;
    };
    blob_id(entry.id.kind(), &link_text(&target)).is_none_or(|id| id != entry.id)
}

/// The link's target as git stores it: the bytes `readlink` returns (an absolute target keeps
/// its single leading `/`; joining components would double it).
#[cfg(unix)]
fn link_text(target: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    target.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn link_text(target: &Path) -> Vec<u8> {
    slash_path(target).into_bytes()
}

/// Files and directories in the working tree that git does not track. A directory holding no
/// tracked file is listed once, not file by file.
fn list_untracked(root: &Path, tracked: &BTreeMap<String, Tracked>, out: &mut Listing) {
    let mut tracked_dirs = BTreeSet::new();
    for rel in tracked.keys() {
        let mut dir = rel.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            tracked_dirs.insert(parent.to_owned());
            dir = parent;
        }
    }
    let mut walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let Ok(e) = entry else { continue };
        if e.depth() == 0 {
            continue;
        }
        let rel = slash_path(e.path().strip_prefix(root).unwrap_or(e.path()));
        if out.configured_out.is_match(&rel) {
            out.exclude(rel, ExcludedReason::Configured);
            if e.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if e.file_type().is_dir() {
            if e.file_name() == ".git" || tracked.contains_key(&rel) {
                // Git's own data, or a submodule (listed as such, scanned on its own).
                walker.skip_current_dir();
            } else if !tracked_dirs.contains(&rel) {
                out.exclude(rel + "/", ExcludedReason::Untracked);
                walker.skip_current_dir();
            }
        } else if !tracked.contains_key(&rel) && vendored_dir(&rel).is_none() {
            out.exclude(rel, ExcludedReason::Untracked);
        }
    }
}

/// Paths under `prefix` whose index entry differs from HEAD's tree (staged, added, removed).
/// Without a commit, everything tracked is staged.
fn staged_changes(repo: &gix::Repository, index: &gix::index::State, prefix: &str) -> Vec<String> {
    let head = match repo.head_tree_id() {
        Ok(tree) => match repo.index_from_tree(&tree) {
            Ok(file) => tracked_under(&file, prefix),
            Err(_) => return vec![".".to_owned()],
        },
        Err(_) => BTreeMap::new(),
    };
    let now = tracked_under(index, prefix);
    let mut changed: Vec<String> = now
        .iter()
        .filter(|(rel, e)| {
            head.get(*rel)
                .is_none_or(|h| h.id != e.id || h.mode != e.mode)
        })
        .map(|(rel, _)| rel.clone())
        .collect();
    changed.extend(head.keys().filter(|rel| !now.contains_key(*rel)).cloned());
    changed
}

/// The default remote's fetch URL without credentials.
fn remote_url(repo: &gix::Repository) -> Option<String> {
    let remote = repo
        .find_default_remote(gix::remote::Direction::Fetch)?
        .ok()?;
    let url = remote.url(gix::remote::Direction::Fetch)?;
    Some(without_credentials(&url.to_bstring().to_string()))
}

/// A URL without userinfo, query or fragment: `https://user:token@host/x?t=1` -> `https://host/x`,
/// `git@host:org/repo.git` -> `host:org/repo.git`.
pub(super) fn without_credentials(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority_end = if scheme.is_none() {
        // scp-like `user@host:path`: the user ends before the first `:`.
        rest.find(':')
            .map_or(authority_end, |c| c.min(authority_end))
    } else {
        authority_end
    };
    let host_start = rest[..authority_end].rfind('@').map_or(0, |at| at + 1);
    let rest = &rest[host_start..];
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest.to_owned(),
    }
}

/// The git blob id of `bytes`.
pub(super) fn blob_id(kind: gix::hash::Kind, bytes: &[u8]) -> Option<gix::ObjectId> {
    gix::objs::compute_hash(kind, gix::objs::Kind::Blob, bytes).ok()
}

/// The first vendored directory on `rel`'s path (`web/node_modules`), if any.
fn vendored_dir(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let dirs = parts.len().saturating_sub(1);
    let at = parts[..dirs]
        .iter()
        .position(|p| SKIPPED_DIRS.contains(p))?;
    Some(join_rel("", &parts[..=at].join("/")))
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_lose_every_credential() {
        assert_eq!(
            without_credentials("https://x-access-token:ghp_SECRET@github.com/acme/api.git"),
            "https://github.com/acme/api.git"
        );
        assert_eq!(
            without_credentials("https://github.com/acme/api.git?token=abc#frag"),
            "https://github.com/acme/api.git"
        );
        assert_eq!(
            without_credentials("git@github.com:acme/api.git"),
            "github.com:acme/api.git"
        );
        assert_eq!(
            without_credentials("ssh://git@host:22/acme/api"),
            "ssh://host:22/acme/api"
        );
        assert_eq!(
            without_credentials("https://u:p@ss@host/x"),
            "https://host/x"
        );
    }
}
