//! Listing a plain directory: every file, no ignore file honoured, symlinks inside the tree
//! followed once (walkdir detects loops), symlinks leaving the tree refused and recorded.

use std::cell::RefCell;
use std::path::Path;

use checks::facts::repo::ExcludedReason;
use walkdir::{DirEntry, WalkDir};

use super::{Listed, Listing, SKIPPED_DIRS, join_rel};

/// Adds every file under `dir` (inside the tree whose canonical root is `root`) to `out`, its
/// path being `prefix` joined with its path below `dir`.
pub(super) fn walk_dir(root: &Path, dir: &Path, prefix: &str, out: &mut Listing) {
    let skipped = RefCell::new(Vec::new());
    let configured_out = out.configured_out.clone();
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !configured(&configured_out, dir, prefix, e, &mut skipped.borrow_mut())
                && keep(root, dir, prefix, e, &mut skipped.borrow_mut())
        });
    for entry in walker {
        match entry {
            Ok(e) => {
                let rel = rel_of(dir, prefix, e.path());
                if e.file_type().is_file() {
                    out.files.push(Listed {
                        rel,
                        abs: e.path().to_path_buf(),
                        indexed: None,
                    });
                } else if !e.file_type().is_dir() {
                    out.exclude(rel, ExcludedReason::NotARegularFile);
                }
            }
            Err(err) => walk_error(dir, prefix, &err, out),
        }
    }
    for (rel, reason) in skipped.into_inner() {
        out.exclude_or_refuse(rel, reason);
    }
}

/// Whether the walk enters `e`: never a vendored directory, never a symlink leaving the tree.
fn keep(
    root: &Path,
    dir: &Path,
    prefix: &str,
    e: &DirEntry,
    skipped: &mut Vec<(String, ExcludedReason)>,
) -> bool {
    if e.depth() == 0 {
        return true;
    }
    let name = e.file_name().to_string_lossy();
    if e.file_type().is_dir() && SKIPPED_DIRS.contains(&name.as_ref()) {
        if name != ".git" {
            skipped.push((rel_of(dir, prefix, e.path()), ExcludedReason::Vendored));
        }
        return false;
    }
    if e.path_is_symlink() && !inside(root, e.path()) {
        skipped.push((
            rel_of(dir, prefix, e.path()),
            ExcludedReason::SymlinkOutsideTree,
        ));
        return false;
    }
    true
}

/// Whether `[scan] exclude` takes `e` out (recorded; a directory is then not entered).
fn configured(
    configured_out: &globset::GlobSet,
    dir: &Path,
    prefix: &str,
    e: &DirEntry,
    skipped: &mut Vec<(String, ExcludedReason)>,
) -> bool {
    if e.depth() == 0 || configured_out.is_empty() {
        return false;
    }
    let rel = rel_of(dir, prefix, e.path());
    let excluded = configured_out.is_match(&rel);
    if excluded {
        skipped.push((rel, ExcludedReason::Configured));
    }
    excluded
}

/// Whether `path` resolves (through every symlink) to somewhere under the canonical `root`.
pub(super) fn inside(root: &Path, path: &Path) -> bool {
    std::fs::canonicalize(path).is_ok_and(|target| target.starts_with(root))
}

fn walk_error(dir: &Path, prefix: &str, err: &walkdir::Error, out: &mut Listing) {
    let Some(path) = err.path() else {
        out.refuse(prefix_or_dot(prefix), format!("cannot be walked: {err}"));
        return;
    };
    let rel = rel_of(dir, prefix, path);
    if err.loop_ancestor().is_some() {
        // The loop's target is being walked already: its files are judged once, there.
        out.exclude(rel, ExcludedReason::SymlinkLoop);
    } else if path.is_symlink() && std::fs::metadata(path).is_err() {
        out.exclude_or_refuse(rel, ExcludedReason::BrokenSymlink);
    } else {
        let cause = err
            .io_error()
            .map_or_else(|| err.to_string(), ToString::to_string);
        out.refuse(rel, format!("cannot be read: {cause}"));
    }
}

fn prefix_or_dot(prefix: &str) -> String {
    if prefix.is_empty() {
        ".".to_owned()
    } else {
        prefix.to_owned()
    }
}

/// `prefix` joined with the path of `path` below `dir`, forward slashes.
fn rel_of(dir: &Path, prefix: &str, path: &Path) -> String {
    let below = path.strip_prefix(dir).unwrap_or(path);
    let parts: Vec<String> = below
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    join_rel(prefix, &parts.join("/"))
}
