//! Shared by the fuzz targets that need files on disk.

/// A tmpfs directory when there is one: the targets that write files write one per input.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .expect("a scratch directory")
}
