//! Path helpers shared by the commands that write files.

use std::path::{Path, PathBuf};

/// Whether two paths name one file: the same canonical path when both exist (symlinks
/// resolved; on Unix also the same inode, for hard links), else the same absolute path with
/// `.` components dropped.
pub fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(ca), Ok(cb)) = (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        return ca == cb || same_inode(&ca, &cb);
    }
    lexical(a) == lexical(b)
}

#[cfg(unix)]
fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => (ma.dev(), ma.ino()) == (mb.dev(), mb.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_: &Path, _: &Path) -> bool {
    false
}

fn lexical(p: &Path) -> PathBuf {
    let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    absolute
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// Writes a file through a temporary sibling renamed over it, so the destination is either
/// the old file or the complete new one, never a half-written mix.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{name}.vouch-{}.tmp", std::process::id()));
    let written = write(&temp).and_then(|()| {
        std::fs::rename(&temp, path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_by_spelling_link_and_absence() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, "x").unwrap();
        assert!(same_file(&a, &dir.path().join("./a.csv")));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.csv");
            std::os::unix::fs::symlink(&a, &link).unwrap();
            assert!(same_file(&a, &link));
        }
        assert!(!same_file(&a, &dir.path().join("b.csv")));
        assert!(same_file(Path::new("new.csv"), Path::new("./new.csv")));
    }
}
