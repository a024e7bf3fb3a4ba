//! Shared helpers: running the binary with a pinned clock, fixture paths.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// 2026-01-01T00:00:00Z: every test run gets the same `generated_at`.
pub const EPOCH: &str = "1767225600";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

/// `vouch` with a pinned clock and no colour.
pub fn vouch() -> Command {
    let mut cmd = Command::cargo_bin("vouch").expect("the vouch binary is built");
    cmd.env("SOURCE_DATE_EPOCH", EPOCH).env("NO_COLOR", "1");
    cmd
}

/// Runs `vouch scan PATH --format json` and returns (exit code, report JSON).
pub fn scan_json(path: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = vouch()
        .arg("scan")
        .arg(path)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("vouch runs");
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}
