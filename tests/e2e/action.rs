//! The GitHub Action (`action.yml`), run here the way a runner runs a composite action: each
//! step's `run:` in bash with the step's `env:` (its `${{ }}` expressions evaluated), the runner's
//! files (GITHUB_OUTPUT per step, GITHUB_PATH, GITHUB_STEP_SUMMARY), `if:` conditions, and steps
//! skipped after a failure. The release download is a local directory (VOUCH_RELEASE_BASE=file://)
//! holding the test binary and a SHA256SUMS, so the checksum check runs for real. A `uses:` step
//! (the SARIF upload) cannot run offline: the test checks the file it would upload.
//!
//! The inputs come from the README's workflow, so the five lines users copy are what is tested.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_norway::Value;
use sha2::{Digest, Sha256};

use crate::distribution::{actionlint, assert_actionlint_rejects, stripped_vouch, text};
use crate::harness::{EPOCH, demo_git_repo, findings, git, repo_root};

fn action_yml() -> Value {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// The README's workflow (the ```yaml block that starts with `on: pull_request`).
fn readme_workflow() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("```yaml\non: pull_request\n")
        .expect("README shows the workflow")
        + "```yaml\n".len();
    let len = readme[start..].find("```").unwrap();
    readme[start..start + len].to_owned()
}

/// The `with:` of the README workflow's vouch step, as written (expressions unevaluated).
fn readme_inputs() -> BTreeMap<String, String> {
    let workflow: Value = serde_norway::from_str(&readme_workflow()).unwrap();
    let steps = workflow["jobs"]["vouch"]["steps"].as_sequence().unwrap();
    let step = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("vouch-dev/vouch@"))
        })
        .expect("the README workflow uses the vouch action");
    step["with"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), scalar(v)))
        .collect()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// A simulated runner: its directories and the release the install step downloads from.
struct Runner {
    dir: tempfile::TempDir,
    /// `github.*` context values the workflow's expressions may read.
    github: BTreeMap<String, String>,
    os: String,
}

struct Run {
    /// (step name, exit code) of every step that ran, in order.
    steps: Vec<(String, i32)>,
    /// stdout + stderr of all steps (annotations are stdout lines).
    log: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    /// The action's own outputs (`outputs:` of action.yml).
    action_outputs: BTreeMap<String, String>,
    /// `uses:` steps whose condition held: (uses, evaluated `with`).
    uses: Vec<(String, BTreeMap<String, String>)>,
}

impl Runner {
    /// A runner whose release directory serves the test binary for this machine's architecture.
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["workspace", "temp", "release", "files"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let asset = format!("vouch-{}-unknown-linux-musl", std::env::consts::ARCH);
        let binary = dir.path().join("release").join(&asset);
        stripped_vouch(&binary);
        let digest = hex(&Sha256::digest(std::fs::read(&binary).unwrap()));
        std::fs::write(
            dir.path().join("release/SHA256SUMS"),
            format!("{digest}  {asset}\n{}  vouch.cdx.json\n", "0".repeat(64)),
        )
        .unwrap();
        Runner {
            dir,
            github: BTreeMap::from([("github.action_repository".into(), String::new())]),
            os: "Linux".into(),
        }
    }

    fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Runs the action's steps with INPUTS (the rest take action.yml's defaults).
    fn run(&self, inputs: &BTreeMap<String, String>) -> Run {
        let action = action_yml();
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for (name, spec) in action["inputs"].as_mapping().unwrap() {
            let name = name.as_str().unwrap();
            let default = spec.get("default").map(scalar).unwrap_or_default();
            values.insert(format!("inputs.{name}"), default);
        }
        for (name, value) in inputs {
            let key = format!("inputs.{name}");
            assert!(
                values.contains_key(&key),
                "action.yml has no input `{name}`"
            );
            values.insert(key, self.evaluate(value, &values));
        }
        values.extend(self.github.clone());

        let mut run = Run {
            steps: Vec::new(),
            log: String::new(),
            outputs: BTreeMap::new(),
            summary: String::new(),
            action_outputs: BTreeMap::new(),
            uses: Vec::new(),
        };
        let path_file = self.dir.path().join("files/path");
        let summary_file = self.dir.path().join("files/summary.md");
        std::fs::write(&path_file, "").unwrap();
        std::fs::write(&summary_file, "").unwrap();
        let mut failed = false;
        let steps = action["runs"]["steps"].as_sequence().unwrap();
        for (n, step) in steps.iter().enumerate() {
            let name = step["name"].as_str().unwrap_or("step").to_owned();
            let should_run = match step.get("if") {
                Some(cond) => !failed && Runner::condition(cond.as_str().unwrap(), &values),
                None => !failed,
            };
            if !should_run {
                continue;
            }
            if let Some(uses) = step.get("uses") {
                let with = step["with"]
                    .as_mapping()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| {
                        let v = self.evaluate(&scalar(v), &values);
                        (k.as_str().unwrap().to_owned(), v)
                    })
                    .collect();
                run.uses.push((uses.as_str().unwrap().to_owned(), with));
                continue;
            }
            let output_file = self.dir.path().join(format!("files/output-{n}"));
            std::fs::write(&output_file, "").unwrap();
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
                .arg(step["run"].as_str().unwrap())
                .env_clear()
                .env("PATH", Runner::path(&path_file))
                .env("HOME", self.dir.path())
                .env("GITHUB_ACTION_PATH", repo_root())
                .env("GITHUB_WORKSPACE", self.workspace())
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_PATH", &path_file)
                .env("GITHUB_STEP_SUMMARY", &summary_file)
                .env("RUNNER_TEMP", self.dir.path().join("temp"))
                .env("RUNNER_OS", &self.os)
                .env("RUNNER_ARCH", runner_arch())
                .env(
                    "VOUCH_RELEASE_BASE",
                    format!("file://{}", self.dir.path().join("release").display()),
                )
                .env("SOURCE_DATE_EPOCH", EPOCH)
                .env("NO_COLOR", "1");
            if let Some(env) = step.get("env").and_then(Value::as_mapping) {
                for (k, v) in env {
                    cmd.env(k.as_str().unwrap(), self.evaluate(&scalar(v), &values));
                }
            }
            let out = cmd.output().unwrap();
            let code = out.status.code().unwrap_or(-1);
            run.log.push_str(&String::from_utf8_lossy(&out.stdout));
            run.log.push_str(&String::from_utf8_lossy(&out.stderr));
            run.steps.push((name, code));
            let id = step.get("id").and_then(Value::as_str);
            for line in std::fs::read_to_string(&output_file).unwrap().lines() {
                let (k, v) = line
                    .split_once('=')
                    .expect("GITHUB_OUTPUT lines are key=value");
                if let Some(id) = id {
                    values.insert(format!("steps.{id}.outputs.{k}"), v.to_owned());
                }
                run.outputs.insert(k.to_owned(), v.to_owned());
            }
            failed |= code != 0;
        }
        run.summary = std::fs::read_to_string(&summary_file).unwrap();
        for (name, spec) in action["outputs"].as_mapping().unwrap() {
            let value = self.evaluate(spec["value"].as_str().unwrap(), &values);
            run.action_outputs
                .insert(name.as_str().unwrap().to_owned(), value);
        }
        run
    }

    /// PATH for a step: what earlier steps added to GITHUB_PATH, then the system's (never the
    /// cargo build directory: vouch must come from the install step).
    fn path(path_file: &Path) -> String {
        let mut dirs: Vec<String> = std::fs::read_to_string(path_file)
            .unwrap()
            .lines()
            .rev()
            .map(str::to_owned)
            .collect();
        dirs.push("/usr/local/bin:/usr/bin:/bin".into());
        dirs.join(":")
    }

    /// Substitutes `${{ name }}` for the known context values; any other expression is a test
    /// failure (the simulation would otherwise silently diverge from a runner).
    fn evaluate(&self, text: &str, values: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("unclosed ${{") + start;
            let name = rest[start + 3..end].trim();
            let value = match values.get(name).or_else(|| self.github.get(name)) {
                Some(value) => value.as_str(),
                // A runner evaluates the output of a step that did not run (or did not set it)
                // to the empty string.
                None if name.starts_with("steps.") => "",
                None => panic!("the simulated runner has no value for `{name}`"),
            };
            out.push_str(value);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// `A == 'x' && B != ''`: the only condition shapes action.yml uses.
    fn condition(cond: &str, values: &BTreeMap<String, String>) -> bool {
        cond.split("&&").all(|part| {
            let (lhs, rhs, equal) = if let Some((l, r)) = part.split_once("==") {
                (l, r, true)
            } else if let Some((l, r)) = part.split_once("!=") {
                (l, r, false)
            } else {
                panic!("unsupported condition `{part}`")
            };
            let lhs = values.get(lhs.trim()).cloned().unwrap_or_default();
            let rhs = rhs.trim().trim_matches('\'');
            (lhs == rhs) == equal
        })
    }
}

fn runner_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "X64",
        "aarch64" => "ARM64",
        other => other,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The issue's done-criterion: the demo as a git repository, a pull request that adds one
/// unpinned action, and the README's workflow inputs (`since:` the base commit).
#[test]
fn readme_workflow_gates_only_the_action_the_pull_request_adds() {
    let mut runner = Runner::new();
    let ws = runner.workspace();
    let base = demo_git_repo(&ws);
    std::fs::write(
        ws.join(".github/workflows/lint.yml"),
        "on: pull_request\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      \
         - uses: actions/cache@v4\n",
    )
    .unwrap();
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "add a lint workflow"]);
    runner
        .github
        .insert("github.event.pull_request.base.sha".into(), base);

    let inputs = readme_inputs();
    assert!(
        inputs.contains_key("since"),
        "the README workflow gates on `since`"
    );
    let run = runner.run(&inputs);
    let log = &run.log;

    let names: Vec<&str> = run.steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Install vouch", "Scan", "Gate"], "{log}");
    assert_eq!(run.steps[0].1, 0, "install: {log}");
    assert!(log.contains("installed from file://"), "{log}");
    assert_eq!(run.steps[1].1, 0, "scan step ran the scan: {log}");
    assert_eq!(run.steps[2].1, 1, "the gate fails the job: {log}");
    assert_eq!(run.action_outputs["failed"], "true");

    // Annotations: exactly the one new problem, on the file the pull request added.
    let annotations: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("::error file="))
        .collect();
    assert_eq!(annotations.len(), 1, "{log}");
    assert!(
        annotations[0].contains("file=.github/workflows/lint.yml"),
        "{log}"
    );
    assert!(annotations[0].contains("gha-action-pinned"), "{log}");

    // The report: that finding is new, the demo's own failures are not.
    let report_path = &run.action_outputs["report"];
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_path).unwrap()).unwrap();
    let problems: Vec<&serde_json::Value> = findings(&report)
        .iter()
        .filter(|f| f["status"] == "fail" || f["status"] == "error")
        .collect();
    let new: Vec<_> = problems
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0]["check"], "gha-action-pinned");
    assert!(
        problems.len() > 1,
        "the demo's existing failures are reported too (as existing)"
    );

    // Job summary and SARIF (what the upload step would send).
    assert!(run.summary.contains("gha-action-pinned"), "{}", run.summary);
    assert!(run.summary.contains("lint.yml"), "{}", run.summary);
    assert_eq!(run.uses.len(), 1, "the SARIF upload step runs");
    let (uses, with) = &run.uses[0];
    assert!(uses.starts_with("github/codeql-action/upload-sarif@"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&with["sarif_file"]).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn fail_on_none_reports_without_failing_and_upload_sarif_false_skips_the_upload() {
    let runner = Runner::new();
    demo_git_repo(&runner.workspace());
    let inputs = BTreeMap::from([
        ("fail-on".to_owned(), "none".to_owned()),
        ("upload-sarif".to_owned(), "false".to_owned()),
    ]);
    let run = runner.run(&inputs);
    let log = &run.log;
    assert_eq!(
        run.steps.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        [0, 0, 0],
        "{log}"
    );
    assert_eq!(run.action_outputs["failed"], "false", "{log}");
    assert!(run.uses.is_empty(), "upload-sarif: false skips the upload");
    // The demo's failures are still reported: annotations and the summary.
    assert!(log.lines().any(|l| l.starts_with("::error ")), "{log}");
    assert!(run.summary.contains("pg-rls-forced"), "{}", run.summary);
    assert!(Path::new(&run.action_outputs["report"]).is_file());
}

#[test]
fn install_refuses_a_binary_that_does_not_match_sha256sums() {
    let runner = Runner::new();
    demo_git_repo(&runner.workspace());
    let sums = runner.dir.path().join("release/SHA256SUMS");
    let listed = std::fs::read_to_string(&sums).unwrap();
    // Another digest for the binary: its first hex digit changed.
    let first = if listed.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{first}{}", &listed[1..]);
    std::fs::write(&sums, tampered).unwrap();
    let run = runner.run(&BTreeMap::new());
    assert_eq!(
        run.steps.len(),
        1,
        "nothing runs after a failed install: {}",
        run.log
    );
    assert_eq!(run.steps[0].1, 2);
    assert!(run.log.contains("does not match SHA256SUMS"), "{}", run.log);
    assert!(run.log.contains("not installed"), "{}", run.log);
}

#[test]
fn install_refuses_a_runner_without_a_released_binary() {
    let mut runner = Runner::new();
    runner.os = "macOS".into();
    demo_git_repo(&runner.workspace());
    let run = runner.run(&BTreeMap::new());
    assert_eq!(run.steps, [("Install vouch".to_owned(), 2)], "{}", run.log);
    assert!(
        run.log.contains("no released vouch binary for macOS"),
        "{}",
        run.log
    );
}

/// actionlint checks the README workflow, and — through `uses: ./` — the inputs it passes
/// against action.yml's own declaration (a misspelt input fails).
#[test]
fn readme_workflow_and_action_pass_actionlint() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::copy(
        repo_root().join("action.yml"),
        dir.path().join("action.yml"),
    )
    .unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let workflow = readme_workflow();
    let local = regex_free_replace_uses(&workflow, "./");
    std::fs::write(workflows.join("readme.yml"), &workflow).unwrap();
    std::fs::write(workflows.join("local.yml"), &local).unwrap();
    let out = actionlint(
        dir.path(),
        &[
            ".github/workflows/readme.yml",
            ".github/workflows/local.yml",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    let misspelt = local.replace("since:", "sinse:");
    std::fs::write(workflows.join("local.yml"), misspelt).unwrap();
    assert_actionlint_rejects(
        dir.path(),
        ".github/workflows/local.yml",
        "sinse",
        "actionlint did not read action.yml's inputs",
    );
}

/// The workflow with its `vouch-dev/vouch@REF` replaced by another action reference.
fn regex_free_replace_uses(workflow: &str, with: &str) -> String {
    workflow
        .lines()
        .map(|l| match l.find("uses: vouch-dev/vouch@") {
            Some(at) => format!("{}uses: {with}", &l[..at]),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
