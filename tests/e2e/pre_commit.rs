//! The pre-commit hook (`.pre-commit-hooks.yaml`), run by the real `pre-commit` tool (PyPI) on a
//! temporary repository: a staged Dockerfile with an unpinned base fails the commit, a pinned
//! one is committed.

use std::path::Path;
use std::process::{Command, Output};

use crate::distribution::{text, venv_tool, vouch_binary};
use crate::harness::{EPOCH, git, repo_root};

/// A git repository holding only this repository's `.pre-commit-hooks.yaml`: pre-commit clones
/// hook repositories at a commit, and this one is exactly the hook definition being tested.
fn hook_repo(dir: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(
        repo_root().join(".pre-commit-hooks.yaml"),
        dir.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "hooks"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// `git commit` in REPO with pre-commit's hook installed and vouch on PATH.
fn commit(repo: &Path, home: &Path) -> Output {
    let bin_dir = vouch_binary().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("git")
        .current_dir(repo)
        .args([
            "-c",
            "user.name=vouch test",
            "-c",
            "user.email=test@vouch.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", "change"])
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn pre_commit_hook_blocks_an_unpinned_base_image_and_lets_a_pinned_one_through() {
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("hooks");
    let rev = hook_repo(&hooks);
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: file://{}\n    rev: {rev}\n    hooks:\n      - id: vouch\n",
            hooks.display()
        ),
    )
    .unwrap();
    git(&repo, &["add", ".pre-commit-config.yaml"]);
    let install = Command::new(venv_tool("pre-commit"))
        .current_dir(&repo)
        .arg("install")
        .env("PRE_COMMIT_HOME", tmp.path().join("cache"))
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", text(&install));

    // An unpinned base: the hook fails and nothing is committed.
    std::fs::write(repo.join("Dockerfile"), "FROM node:20\nUSER node\n").unwrap();
    git(&repo, &["add", "Dockerfile"]);
    let out = commit(&repo, &tmp.path().join("cache"));
    let all = text(&out);
    assert!(!out.status.success(), "the commit went through: {all}");
    assert!(all.contains("docker-base-pinned"), "{all}");
    assert!(all.contains("node:20"), "{all}");
    let head = Command::new("git")
        .current_dir(&repo)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .output()
        .unwrap();
    assert!(!head.status.success(), "a commit was made: {all}");

    // Pinned by digest, non-root: the same commit passes the hook.
    std::fs::write(
        repo.join("Dockerfile"),
        "FROM node:20@sha256:0000000000000000000000000000000000000000000000000000000000000000\n\
         USER node\n",
    )
    .unwrap();
    git(&repo, &["add", "Dockerfile"]);
    let out = commit(&repo, &tmp.path().join("cache"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Passed"), "{}", text(&out));
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "1");
}
