//! Shared helpers: running the binary with a pinned clock, fixture paths.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

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

/// `vouch scan --static-only --fail-on none`: the repository alone, never gating; the caller
/// adds the format, the path and any other argument.
pub fn static_scan() -> Command {
    let mut cmd = vouch();
    cmd.args(["scan", "--static-only", "--fail-on", "none"]);
    cmd
}

/// Whether this run is CI (`CI` set, and not `0` or `false`): a test that cannot run its
/// service fails there instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// The venvs where `scripts/test` may have installed its Python tools (PY_NEEDS), in the order
/// they are tried: `VOUCH_TEST_VENV`, `$VOUCH_TEST_CACHE/venv`, `~/.cache/vouch/venv`.
pub fn venv_candidates() -> Vec<PathBuf> {
    [
        std::env::var_os("VOUCH_TEST_VENV").map(PathBuf::from),
        std::env::var_os("VOUCH_TEST_CACHE").map(|c| PathBuf::from(c).join("venv")),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/vouch/venv")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `vouch scan PATH ARGS…` is refused: exit 2, and standard error contains `says`.
pub fn scan_refused(path: &Path, args: &[&str], says: &str) -> assert_cmd::assert::Assert {
    vouch()
        .arg("scan")
        .arg(path)
        .args(args)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(says))
}

/// `vouch check --facts FACTS --format FORMAT`: the report of saved facts.
pub fn check_facts(facts: &Path, format: &str) -> std::process::Output {
    vouch()
        .args(["check", "--facts"])
        .arg(facts)
        .args(["--format", format])
        .output()
        .expect("vouch runs")
}

/// What a process printed: its standard output, then its standard error.
pub fn printed(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `cmd` (a tool the tests use, named `what`); panics with the command and what it printed
/// unless it succeeded.
pub fn run(cmd: &mut std::process::Command, what: &str) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({cmd:?}): {}",
        printed(&out)
    );
    out
}

/// Runs `vouch scan PATH --format json` and returns (exit code, report JSON).
pub fn scan_json(path: &Path, extra: &[&str]) -> (i32, Value) {
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

/// Scans an empty repository under DIR with `config` as its configuration, every configured
/// target selected and the facts dumped; returns (report JSON, the facts file).
#[cfg(feature = "endpoint")]
pub fn scan_targets(dir: &Path, config: &str) -> (Value, PathBuf) {
    let repo = dir.join("repo");
    std::fs::create_dir(&repo).expect("repo dir");
    let config_file = dir.join("vouch.toml");
    std::fs::write(&config_file, config).expect("write config");
    let facts_file = dir.join("facts.json");
    let (_, report) = scan_json(
        &repo,
        &[
            "--config",
            config_file.to_str().expect("utf-8 path"),
            // Configured live targets are read only when selected.
            "--all-targets",
            "--dump-facts",
            facts_file.to_str().expect("utf-8 path"),
        ],
    );
    (report, facts_file)
}

/// (check, subject) → the finding.
#[cfg(any(feature = "aws", feature = "endpoint", feature = "kube"))]
pub type Findings = std::collections::BTreeMap<(String, String), Value>;

/// A report's findings by (check, subject).
#[cfg(any(feature = "aws", feature = "endpoint", feature = "kube"))]
pub fn findings_by_key(report: &Value) -> Findings {
    findings(report)
        .iter()
        .map(|f| (text_pair(f, "check", "subject"), f.clone()))
        .collect()
}

/// The finding of `check` about `subject` in `findings`; panics naming them when there is none.
#[cfg(any(feature = "aws", feature = "endpoint", feature = "kube"))]
pub fn keyed<'a>(findings: &'a Findings, check: &str, subject: &str) -> &'a Value {
    findings
        .get(&(check.to_owned(), subject.to_owned()))
        .unwrap_or_else(|| {
            panic!(
                "no {check} finding for {subject}; have {:?}",
                findings.keys()
            )
        })
}

/// `git ARGS` in DIR with a fixed identity and no user or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(dir)
        .args([
            "-c",
            "user.name=vouch test",
            "-c",
            "user.email=test@vouch.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    let out = run(&mut cmd, &format!("git {args:?}"));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Copies a directory tree (regular files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The demo repository as a fresh git repository with one commit; returns its HEAD.
pub fn demo_git_repo(dir: &Path) -> String {
    copy_tree(&fixture("demo"), dir);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "demo"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A plain copy of the demo repository at INTO/demo, for a test to change.
pub fn demo_copy(into: &Path) -> PathBuf {
    let copy = into.join("demo");
    copy_tree(&fixture("demo"), &copy);
    copy
}

/// The array `value[key]`; panics naming `key` when it is missing or not an array.
pub fn array<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` array"))
}

/// The element of the array `value[key]` whose `field` is `want`; panics naming them when there
/// is none.
pub fn element<'a>(value: &'a Value, key: &str, field: &str, want: &str) -> &'a Value {
    array(value, key)
        .iter()
        .find(|e| e[field] == want)
        .unwrap_or_else(|| panic!("no `{key}` element with {field} = {want:?} in {value}"))
}

/// `value[key][…][field]`: the string `field` of every element of the array `value[key]`;
/// panics when the array is missing or an element has no string `field`.
pub fn strings<'a>(value: &'a Value, key: &str, field: &str) -> Vec<&'a str> {
    array(value, key).iter().map(|v| text(v, field)).collect()
}

/// The string `value[key]`; panics naming `key` when it is missing or not a string.
pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {value}"))
}

/// The strings `value[a]` and `value[b]`, owned; panics naming the one that is missing.
pub fn text_pair(value: &Value, a: &str, b: &str) -> (String, String) {
    (text(value, a).to_owned(), text(value, b).to_owned())
}

/// A finding's `message`; panics when it has none.
pub fn message(finding: &Value) -> &str {
    text(finding, "message")
}

/// A report's findings; panics when the report has no `findings` array.
pub fn findings(report: &Value) -> &Vec<Value> {
    array(report, "findings")
}

/// The findings of `check`, in the report's order.
pub fn findings_of<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The first finding of `check`; panics when there is none.
pub fn finding_of<'a>(report: &'a Value, check: &str) -> &'a Value {
    findings(report)
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} finding"))
}

/// The first finding about `subject`, of any check; panics when there is none.
pub fn finding_about<'a>(report: &'a Value, subject: &str) -> &'a Value {
    findings(report)
        .iter()
        .find(|f| f["subject"] == subject)
        .unwrap_or_else(|| panic!("no finding about {subject}"))
}

/// The first finding of `check` about `subject`, if there is one.
pub fn find_finding<'a>(report: &'a Value, check: &str, subject: &str) -> Option<&'a Value> {
    findings(report)
        .iter()
        .find(|f| f["check"] == check && f["subject"] == subject)
}

/// The one finding of `check` about `subject`; panics with the report's findings otherwise.
pub fn finding<'a>(report: &'a Value, check: &str, subject: &str) -> &'a Value {
    find_finding(report, check, subject).unwrap_or_else(|| {
        let seen: Vec<String> = findings(report)
            .iter()
            .map(|f| format!("{} {} {}", f["check"], f["subject"], f["status"]))
            .collect();
        panic!(
            "no {check} finding for {subject}; have:\n{}",
            seen.join("\n")
        )
    })
}

/// (status, location path, location line) of a finding; `""`, `""` and `u64::MAX` where absent.
pub fn verdict(finding: &Value) -> (&str, &str, u64) {
    (
        finding["status"].as_str().unwrap_or_default(),
        finding["location"]["path"].as_str().unwrap_or_default(),
        finding["location"]["line"].as_u64().unwrap_or(u64::MAX),
    )
}

/// Asserts the (status, location path, location line) of the finding of `check` about `subject`.
pub fn assert_finding(report: &Value, check: &str, subject: &str, want: (&str, &str, u64)) {
    let f = finding(report, check, subject);
    assert_eq!(verdict(f), want, "{check} {subject}: {}", f["message"]);
}

/// A scanned "repository" with a vouch.toml holding `toml`.
pub fn repo_with_config(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("vouch.toml"), toml).expect("write vouch.toml");
    dir
}

/// A server process a test started: killed, and waited for, when dropped.
#[cfg(any(feature = "aws", feature = "endpoint", feature = "image"))]
pub struct KillOnDrop(pub std::process::Child);

#[cfg(any(feature = "aws", feature = "endpoint", feature = "image"))]
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port of 127.0.0.1 free when asked (a server started on it later may find it taken; the
/// PostgreSQL harness retries that case).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `N` distinct free ports: all held while they are chosen, so none is chosen twice.
#[cfg(feature = "endpoint")]
pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("a free port").port())
}
