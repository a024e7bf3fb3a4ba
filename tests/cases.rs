//! Real-input cases: `fixtures/cases/<check-id>/<pass|fail|error>/<case>/` is a small repository
//! (a Dockerfile, a workflow, a lockfile, a migration set…, with a `vouch.toml` when the case
//! needs settings), and `<case>.snap` beside it is the snapshot of what the check says about it.
//!
//! Each case is one test, `<check-id>::<expect>::<case>`: the tree is copied to a scratch
//! directory outside any git work tree (so neither this repository's index nor its
//! `.gitignore` applies), read by the same engine as `vouch scan --static-only`, and judged by
//! the one check. The folder states the expectation, as for the facts fixtures
//! (`checks/tests/fixtures.rs`): `pass` needs at least one finding and all of them passing,
//! `fail` a failing finding, `error` an `error` finding.
//!
//! A case that is a fixture repository with a few files changed says so in a `BASE` file: its
//! first line is the repository's directory, relative to this repository's root (e.g.
//! `fixtures/repos/pg-dump`), and each further line `without PATH` names a file of it the case
//! leaves out. That tree is copied first, less those files, and the case's own files over it,
//! so a 200-line schema dump is not committed once per check that reads it.
//!
//! Run one family: `cargo test --test cases -- docker-`; accept new snapshots with
//! `INSTA_UPDATE=always` (then review `git diff fixtures/cases`).

#![allow(clippy::unwrap_used)] // a harness: a fixture tree it cannot list stops it loudly

use std::fs;
use std::path::{Path, PathBuf};

use checks::{Finding, Status};
use libtest_mimic::{Arguments, Failed, Trial};

/// The instant every case is collected at: printed times in snapshots stay fixed.
const PRINTED_AT: &str = "2026-06-01T00:00:00Z";

/// The instant live evidence (scanner outputs named in `[[evidence.vulnerabilities]]`) is read
/// and judged at, instead of the real time the binary uses: its freshness and SLA verdicts,
/// day counts and `read_at` stay fixed whatever the calendar says.
const JUDGED_AT: &str = PRINTED_AT;

fn main() {
    let args = Arguments::from_args();
    libtest_mimic::run(&args, trials()).exit();
}

/// One case directory and the check and expectation its place names.
struct Case {
    check: String,
    expect: String,
    name: String,
    dir: PathBuf,
}

fn cases_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases")
}

fn trials() -> Vec<Trial> {
    let mut trials = vec![Trial::test("layout::every_case_is_well_placed", || {
        layout_problems().map_or(Ok(()), |p| Err(p.into()))
    })];
    for case in discover() {
        let name = format!("{}::{}::{}", case.check, case.expect, case.name);
        trials.push(Trial::test(name, move || case.run()));
    }
    trials
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn discover() -> Vec<Case> {
    let mut cases = Vec::new();
    for check_dir in sorted_dirs(&cases_root()) {
        for expect_dir in sorted_dirs(&check_dir) {
            for dir in sorted_dirs(&expect_dir) {
                cases.push(Case {
                    check: file_name(&check_dir),
                    expect: file_name(&expect_dir),
                    name: file_name(&dir),
                    dir,
                });
            }
        }
    }
    cases
}

/// A misplaced case would never run: an unknown check, an expectation other than the three, a
/// snapshot without its case, a `BASE` naming no fixture tree.
fn layout_problems() -> Option<String> {
    let mut problems = Vec::new();
    if discover().is_empty() {
        // A moved or unreadable folder would otherwise leave nothing to run, and pass.
        problems.push(format!("{}: no case found", cases_root().display()));
    }
    for check_dir in sorted_dirs(&cases_root()) {
        let check = file_name(&check_dir);
        if checks::registry::find(&check).is_none() {
            problems.push(format!("fixtures/cases/{check}: no such check"));
        }
        for expect_dir in sorted_dirs(&check_dir) {
            let expect = file_name(&expect_dir);
            if !["pass", "fail", "error"].contains(&expect.as_str()) {
                problems.push(format!(
                    "fixtures/cases/{check}/{expect}: not pass, fail or error"
                ));
            }
            for case in sorted_dirs(&expect_dir) {
                if let Err(e) = base_of(&case) {
                    problems.push(format!("{}: {e}", case.display()));
                }
            }
            for entry in fs::read_dir(&expect_dir).unwrap().filter_map(Result::ok) {
                let path = entry.path();
                if path.extension().is_some_and(|x| x == "snap")
                    && !path.with_extension("").is_dir()
                {
                    problems.push(format!("{}: a snapshot without its case", path.display()));
                }
            }
        }
    }
    (!problems.is_empty()).then(|| problems.join("\n"))
}

impl Case {
    fn run(&self) -> Result<(), Failed> {
        let check = checks::registry::find(&self.check)
            .ok_or_else(|| format!("no check `{}`", self.check))?;
        let findings = self.judge(check)?;
        let holds = match self.expect.as_str() {
            "pass" => !findings.is_empty() && findings.iter().all(|f| f.status == Status::Pass),
            "fail" => findings.iter().any(|f| f.status == Status::Fail),
            _ => findings.iter().any(|f| f.status == Status::Error),
        };
        if !holds {
            let got: Vec<_> = findings
                .iter()
                .map(|f| format!("{:?} {}: {}", f.status, f.subject, f.message))
                .collect();
            return Err(format!("expected {}, got:\n  {}", self.expect, got.join("\n  ")).into());
        }
        self.assert_snapshot(&findings);
        Ok(())
    }

    /// Reads a scratch copy of the case as `vouch scan --static-only` would, and runs the check.
    fn judge(&self, check: &dyn checks::Check) -> Result<Vec<Finding>, Failed> {
        let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
        if let Some(base) = base_of(&self.dir)? {
            copy_tree(&base.dir, scratch.path()).map_err(|e| format!("copying {BASE}: {e}"))?;
            for left_out in &base.without {
                fs::remove_file(scratch.path().join(left_out))
                    .map_err(|e| format!("{BASE}: without {left_out}: {e}"))?;
            }
        }
        copy_tree(&self.dir, scratch.path()).map_err(|e| format!("copying the case: {e}"))?;
        // The marker is the harness's, not part of the repository the check reads.
        let _ = fs::remove_file(scratch.path().join(BASE));
        let config = scratch.path().join("vouch.toml");
        let loaded = vouch::config::load(&config, false).map_err(|e| format!("{e:#}"))?;
        let selection = vouch::engine::Selection {
            static_only: true,
            ..Default::default()
        };
        let runtime = vouch::engine::runtime().map_err(|e| e.to_string())?;
        let facts = runtime
            .block_on(vouch::engine::collect_judged_at(
                vouch::sources::ALL,
                scratch.path(),
                loaded.settings,
                &loaded.options,
                &selection,
                PRINTED_AT,
                JUDGED_AT,
            ))
            .map_err(|e| format!("{e:#}"))?;
        let cx = checks::Context::new(&facts, &loaded.options);
        let mut findings = checks::registry::run_one(check, &cx);
        // Nothing of the scratch directory's name may reach the snapshot.
        let root = scratch.path().display().to_string();
        for f in &mut findings {
            if f.message.contains(&root) || f.evidence.to_string().contains(&root) {
                f.message = f.message.replace(&root, "<case>");
                let evidence = f.evidence.to_string().replace(&root, "<case>");
                f.evidence = serde_json::from_str(&evidence).map_err(|e| e.to_string())?;
            }
        }
        Ok(findings)
    }

    fn assert_snapshot(&self, findings: &[Finding]) {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(self.dir.parent().unwrap());
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_input_file(&self.dir);
        settings.bind(|| insta::assert_json_snapshot!(self.name.as_str(), findings));
    }
}

/// The file naming a case's base tree.
const BASE: &str = "BASE";

/// A case's base tree: the fixture repository it starts from, less the files it leaves out.
struct Base {
    dir: PathBuf,
    without: Vec<String>,
}

/// The base a case's `BASE` names, if it has one; an error when it names no directory under
/// `fixtures/` or holds a line that is not `without PATH`.
fn base_of(case: &Path) -> Result<Option<Base>, String> {
    let Ok(text) = fs::read_to_string(case.join(BASE)) else {
        return Ok(None);
    };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let named = lines.next().unwrap_or_default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(named);
    let climbs = |path: &str| {
        Path::new(path)
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    };
    if !(named.starts_with("fixtures/") && !climbs(named) && dir.is_dir()) {
        return Err(format!(
            "{BASE} names {named:?}, not a directory under fixtures/"
        ));
    }
    let without = lines
        .map(|line| {
            line.strip_prefix("without ")
                .filter(|path| !climbs(path) && Path::new(path).is_relative())
                .map(str::to_owned)
                .ok_or_else(|| format!("{BASE}: {line:?} is not `without PATH` inside the base"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(Base { dir, without }))
}

/// Copies a case's files (no symlinks or special files are committed in cases).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
