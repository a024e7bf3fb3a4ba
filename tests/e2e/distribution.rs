//! Distribution: vouch scans its own repository clean at `high`, the release workflow passes
//! actionlint, and the scratch image built from the local binary runs a demo scan
//! (`scripts/image-smoke`). Helpers shared with the action and pre-commit tests live here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::{EPOCH, findings, git, in_ci, repo_root, venv_candidates, vouch};

/// A tool from the Python venv `scripts/test` makes (PY_NEEDS): actionlint, pre-commit.
pub fn venv_tool(name: &str) -> PathBuf {
    let venvs = venv_candidates();
    venvs
        .iter()
        .map(|v| v.join("bin").join(name))
        .find(|tool| tool.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed in any of {venvs:?}: run `scripts/test` (it installs \
                 PY_NEEDS into a venv and exports VOUCH_TEST_VENV), or set VOUCH_TEST_VENV"
            )
        })
}

/// The vouch binary the tests built.
pub fn vouch_binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("vouch")
}

/// A copy of the test binary without its debug info (a debug build carries ~700 MB of DWARF,
/// which every copy, checksum and image layer would otherwise pay for).
pub fn stripped_vouch(dest: &Path) {
    let stripped = Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(dest)
        .arg(vouch_binary())
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        std::fs::copy(vouch_binary(), dest).unwrap();
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// actionlint over the given workflow files, run inside DIR (a git work tree, so local actions
/// `uses: ./` resolve to DIR/action.yml).
pub fn actionlint(dir: &Path, files: &[&str]) -> Output {
    Command::new(venv_tool("actionlint"))
        .current_dir(dir)
        .args(["-no-color", "-oneline"])
        .args(files)
        .output()
        .unwrap()
}

/// A negative control: actionlint fails on `file` of DIR and names `word` in its findings, so
/// its passes are not a linter that accepts anything; `accepted` says what a pass would mean.
pub fn assert_actionlint_rejects(dir: &Path, file: &str, word: &str, accepted: &str) {
    let out = actionlint(dir, &[file]);
    assert!(!out.status.success(), "{accepted}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(word),
        "{}",
        text(&out)
    );
}

#[test]
fn self_scan_has_no_failures_at_high_or_above() {
    let out = vouch()
        .arg("scan")
        .arg(repo_root())
        .args(["--fail-on", "high", "--format", "text"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "vouch's own repository must scan clean at high (fix the finding, or waive it in \
         vouch.toml with a reason):\n{}",
        text(&out)
    );
    // The root vouch.toml was used: the fixtures (deliberately failing inputs) are out of scope,
    // and the release workflow and Dockerfile were judged.
    let (_, report) = crate::harness::scan_json(&repo_root(), &["--fail-on", "high"]);
    let judged = |path: &str, check: &str| {
        findings(&report)
            .iter()
            .any(|f| f["check"] == check && f["location"]["path"] == path && f["status"] == "pass")
    };
    assert!(
        judged("Dockerfile", "docker-base-pinned"),
        "the Dockerfile was not judged"
    );
    assert!(judged("Dockerfile", "docker-non-root"));
    assert!(judged("Dockerfile", "docker-minimal-base"));
    assert!(judged("Dockerfile", "docker-no-secrets"));
    assert!(judged(".github/workflows/release.yml", "gha-action-pinned"));
    assert!(
        judged("action.yml", "gha-action-pinned"),
        "action.yml was not judged"
    );
    assert!(
        !findings(&report).iter().any(|f| {
            f["location"]["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("fixtures/"))
        }),
        "fixtures/ should be excluded by the root vouch.toml"
    );
}

#[test]
fn release_workflow_passes_actionlint() {
    let root = repo_root();
    let out = actionlint(&root, &[".github/workflows/release.yml"]);
    assert!(out.status.success(), "actionlint:\n{}", text(&out));

    // Negative control: the same linter rejects a broken copy (an undefined matrix key), so the
    // pass above is not a linter that accepts anything.
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let release = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    assert!(release.contains("${{ matrix.target }}"));
    let broken = release.replacen("${{ matrix.target }}", "${{ matrix.targett }}", 1);
    std::fs::write(workflows.join("release.yml"), broken).unwrap();
    assert_actionlint_rejects(
        dir.path(),
        ".github/workflows/release.yml",
        "targett",
        "actionlint accepted a broken workflow",
    );
}

#[test]
fn release_workflow_pins_every_action_by_commit_sha() {
    // vouch's own check says so (gha-action-pinned), and so does a plain reading: no `uses:`
    // without a 40-hex ref.
    for file in [".github/workflows/release.yml", "action.yml"] {
        let yaml = std::fs::read_to_string(repo_root().join(file)).unwrap();
        let uses: Vec<&str> = yaml
            .lines()
            .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("uses: "))
            .collect();
        assert!(!uses.is_empty(), "{file} uses no action");
        for u in uses {
            let reference = u.split_once('@').map_or("", |(_, r)| r);
            let sha = reference.split_whitespace().next().unwrap_or("");
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{file}: `{u}` is not pinned by a full commit SHA"
            );
        }
    }
}

#[test]
fn image_smoke_builds_a_scratch_image_and_scans_the_demo_inside() {
    let out = Command::new(repo_root().join("scripts/image-smoke"))
        .arg(vouch_binary())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .unwrap();
    if out.status.code() == Some(77) {
        // The script says exactly what stopped it (no buildah, or buildah cannot run here).
        let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        // Under CI the image must be built: a skip there would pass without testing it.
        assert!(!in_ci(), "image_smoke cannot run under CI: {why}");
        eprintln!("SKIPPED image_smoke: {why}");
        return;
    }
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("vouch {}", env!("CARGO_PKG_VERSION"))),
        "{all}"
    );
    assert!(stdout.contains("ran with: "), "{all}");
    assert!(
        stdout.contains("libssl.so.3"),
        "ldd's libraries were not listed: {all}"
    );
    // The demo fails some checks by design: a report with failures came out of the image.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("demo scan in the image: "))
        .unwrap_or_else(|| panic!("no scan summary: {all}"));
    let failed: u32 = line
        .split(", ")
        .find_map(|p| p.strip_suffix(" failed"))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(failed > 0, "{line}");
    assert!(stdout.contains("demo scan exit code: 1"), "{all}");
}
