//! `vouch scan --since REF`: the repository as it was at a git revision, read from git objects
//! (gix, no `git` process), written to a temporary directory and judged by the same sources and
//! checks as the working tree. Its problems become the baseline, so only what changed since REF
//! gates: the pull-request mode that needs no stored artifact.
//!
//! Only tracked regular files are written: symbolic links and submodules are left out (the
//! repository walk does not follow links either), and a tree entry whose name could escape the
//! directory (`..`, `/`, `.git`) is refused as a corrupt tree.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use gix::bstr::ByteSlice;
use gix::object::tree::EntryKind;

/// The repository's files at one revision, in a temporary directory removed on drop.
pub struct Snapshot {
    pub dir: tempfile::TempDir,
    /// `git REF (abbreviated commit id)`, for the report's baseline source.
    pub label: String,
    /// How many files were written.
    pub files: usize,
}

/// Reads `rev` of the git repository containing `root` and writes the part of its tree under
/// `root` to a temporary directory. Errors name the revision and the cause in one sentence.
pub fn checkout(root: &Path, rev: &str) -> Result<Snapshot> {
    let repo = gix::discover(root).with_context(|| {
        format!(
            "--since {rev}: {} is not in a git repository",
            root.display()
        )
    })?;
    let commit = repo
        .rev_parse_single(rev)
        .with_context(|| format!("--since {rev}: no such revision"))?
        .object()
        .with_context(|| format!("--since {rev}: cannot read the object"))?
        .peel_to_commit()
        .with_context(|| format!("--since {rev}: does not name a commit"))?;
    let label = format!("git {rev} ({})", commit.id().shorten_or_id());
    let mut tree = commit
        .tree()
        .with_context(|| format!("--since {rev}: cannot read the commit's tree"))?;
    let prefix = prefix_in_repo(&repo, root)?;
    if !prefix.as_os_str().is_empty() {
        let entry = tree
            .lookup_entry_by_path(&prefix)
            .with_context(|| format!("--since {rev}: cannot read the tree"))?;
        tree = match entry {
            Some(e) if e.mode().is_tree() => e
                .object()
                .with_context(|| format!("--since {rev}: cannot read {}", prefix.display()))?
                .into_tree(),
            _ => bail!("--since {rev}: {} did not exist at {rev}", prefix.display()),
        };
    }
    let entries = tree
        .traverse()
        .breadthfirst
        .files()
        .with_context(|| format!("--since {rev}: cannot walk the tree"))?;
    let dir = tempfile::Builder::new()
        .prefix("vouch-since-")
        .tempdir()
        .context("--since: cannot create a temporary directory")?;
    let mut files = 0;
    for entry in entries {
        if !matches!(
            entry.mode.kind(),
            EntryKind::Blob | EntryKind::BlobExecutable
        ) {
            continue;
        }
        let rel = safe_relative(entry.filepath.as_bstr())
            .with_context(|| format!("--since {rev}: corrupt tree"))?;
        let blob = repo
            .find_object(entry.oid)
            .with_context(|| format!("--since {rev}: cannot read {}", rel.display()))?;
        let path = dir.path().join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("--since: cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &blob.data)
            .with_context(|| format!("--since: cannot write {}", path.display()))?;
        files += 1;
    }
    Ok(Snapshot { dir, label, files })
}

/// Where `root` sits inside the repository's work tree (empty at its top).
fn prefix_in_repo(repo: &gix::Repository, root: &Path) -> Result<PathBuf> {
    let Some(workdir) = repo.workdir() else {
        bail!("--since needs a repository with a work tree (not a bare repository)");
    };
    let canonical = |p: &Path| {
        p.canonicalize()
            .with_context(|| format!("cannot resolve {}", p.display()))
    };
    let (root, workdir) = (canonical(root)?, canonical(workdir)?);
    Ok(root
        .strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .unwrap_or_default())
}

/// A tree path as a relative path that stays inside the directory it is joined to.
fn safe_relative(path: &gix::bstr::BStr) -> Result<PathBuf> {
    let text = path
        .to_str()
        .map_err(|_| anyhow::anyhow!("a path is not UTF-8"))?;
    let rel = PathBuf::from(text);
    let safe = !text.is_empty()
        && !text.contains('\\')
        && rel.components().all(|c| match c {
            Component::Normal(name) => !name.eq_ignore_ascii_case(".git"),
            _ => false,
        });
    if !safe {
        bail!("the path {text:?} would leave the checkout");
    }
    Ok(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_paths_cannot_escape() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            ".git/config",
            "a/.GIT/hooks",
            "a\\b",
            "",
        ] {
            assert!(safe_relative(bad.into()).is_err(), "{bad}");
        }
        assert_eq!(
            safe_relative("web/.github/ci.yml".into()).unwrap(),
            PathBuf::from("web/.github/ci.yml")
        );
    }
}
