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
//! A case that is a fixture repository with a few files changed says so in a `BASE` file, so a
//! 200-line schema dump is not committed once per check that reads it, and a reviewer sees
//! what the case changes. Its first line may name the repository's directory, relative to this
//! repository's root (e.g. `fixtures/repos/pg-dump`); each further line is one of:
//!
//! - `without PATH`: a file of that tree the case leaves out;
//! - `from DIR PATH`: the file or folder `PATH` of another fixture tree `DIR`, copied to the
//!   same `PATH` (a case made of pieces of two corpus trees; no first line is needed then);
//!   `from DIR PATH as DEST` copies it to `DEST` instead (a corpus manifest placed where the
//!   case's layout wants it);
//! - `patch PATH`: the case holds `PATH.diff`, a unified diff of that one file (as
//!   `diff -u --label a/PATH --label b/PATH base/PATH case/PATH` or `git diff --no-index` prints
//!   it), applied to the base's `PATH`.
//!
//! The base tree is copied first, less the files left out, then the `from` copies, then the
//! case's own files over them (less `BASE` and the `.diff` files), then each patch is applied:
//! one that does not apply fails the case. A base may be another case's directory, but not one
//! with a `BASE` of its own (bases do not chain). The layout test rejects a `patch` line without
//! its `.diff`, a `.diff` no `patch` line names, and a patch of a file the base does not hold.
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
    let mut trials = vec![
        Trial::test("layout::every_case_is_well_placed", || {
            layout_problems().map_or(Ok(()), |p| Err(p.into()))
        }),
        Trial::test("harness::patches_apply_or_say_why", harness_patches),
        Trial::test("harness::base_lines_are_checked", harness_base_lines),
    ];
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
                problems.extend(case_problems(&case));
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
        let base = base_of(&self.dir)?.unwrap_or_default();
        if let Some(dir) = &base.dir {
            copy_tree(dir, scratch.path()).map_err(|e| format!("copying {BASE}: {e}"))?;
            for left_out in &base.without {
                fs::remove_file(scratch.path().join(left_out))
                    .map_err(|e| format!("{BASE}: without {left_out}: {e}"))?;
            }
        }
        for copied in &base.from {
            let (from, to) = (&copied.source, scratch.path().join(&copied.to));
            let copied = if from.is_dir() {
                fs::create_dir_all(&to).and_then(|()| copy_tree(from, &to))
            } else {
                fs::create_dir_all(to.parent().unwrap())
                    .and_then(|()| fs::copy(from, &to).map(drop))
            };
            copied.map_err(|e| format!("{BASE}: from {}: {e}", from.display()))?;
        }
        copy_tree(&self.dir, scratch.path()).map_err(|e| format!("copying the case: {e}"))?;
        // The markers are the harness's, not part of the repository the check reads.
        let _ = fs::remove_file(scratch.path().join(BASE));
        for path in &base.patches {
            let _ = fs::remove_file(scratch.path().join(format!("{path}.diff")));
            let failed = |e: String| format!("{}: patch {path}: {e}", self.dir.display());
            let diff = fs::read_to_string(self.dir.join(format!("{path}.diff")))
                .map_err(|e| failed(e.to_string()))?;
            let target = scratch.path().join(path);
            let original = fs::read_to_string(&target).map_err(|e| failed(e.to_string()))?;
            let patched = apply_patch(&original, &diff).map_err(failed)?;
            fs::write(&target, patched).map_err(|e| failed(e.to_string()))?;
        }
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

/// What is wrong with one case's `BASE` and `.diff` files.
fn case_problems(case: &Path) -> Vec<String> {
    let patches = match base_of(case) {
        Ok(base) => base.map(|b| b.patches).unwrap_or_default(),
        Err(e) => return vec![format!("{}: {e}", case.display())],
    };
    files_under(case)
        .into_iter()
        .filter(|file| {
            file.strip_suffix(".diff")
                .is_some_and(|p| !patches.iter().any(|q| q == p))
        })
        .map(|file| {
            format!(
                "{}: {file} is named by no `patch` line of {BASE}",
                case.display()
            )
        })
        .collect()
}

/// The file naming a case's base tree.
const BASE: &str = "BASE";

/// What a case's `BASE` says it starts from.
#[derive(Default)]
struct Base {
    /// The fixture tree the case starts from (the first line, when it is not a keyword line).
    dir: Option<PathBuf>,
    /// Files of that tree the case leaves out (`without PATH`).
    without: Vec<String>,
    /// Files or folders copied from another fixture tree (`from DIR PATH [as DEST]`).
    from: Vec<Copied>,
    /// Files the case changes with the unified diff it holds as `PATH.diff` (`patch PATH`).
    patches: Vec<String>,
}

/// One `from DIR PATH [as DEST]` line: the file or folder `DIR/PATH`, copied to `DEST`.
#[derive(Debug)]
struct Copied {
    source: PathBuf,
    to: String,
}

impl Copied {
    /// The file of the source that lands at `path` of the scratch tree, if this copy covers it.
    fn source_of(&self, path: &str) -> Option<PathBuf> {
        if path == self.to {
            return Some(self.source.clone());
        }
        let rest = path.strip_prefix(&self.to)?.strip_prefix('/')?;
        Some(self.source.join(rest))
    }
}

impl Base {
    /// The fixture file the scratch tree holds at `path` before the case's own files are
    /// copied: the last `from` copy that covers it, else the base tree's unless left out.
    fn source_of(&self, path: &str) -> Option<PathBuf> {
        if let Some(source) = self.from.iter().rev().find_map(|c| c.source_of(path)) {
            return Some(source);
        }
        if self.without.iter().any(|w| w == path) {
            return None;
        }
        self.dir.as_ref().map(|dir| dir.join(path))
    }
}

/// `path` has no `..` and is relative.
fn inside(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path).is_relative()
        && !Path::new(path)
            .components()
            .any(|c| c == std::path::Component::ParentDir)
}

/// The fixture tree a `BASE` line names: a directory under `fixtures/` that is not itself a
/// case with a `BASE` (chains are not followed).
fn fixture_tree(named: &str) -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(named);
    if !(named.starts_with("fixtures/") && inside(named) && dir.is_dir()) {
        return Err(format!(
            "{BASE} names {named:?}, not a directory under fixtures/"
        ));
    }
    if dir.join(BASE).exists() {
        return Err(format!(
            "{BASE} names {named:?}, a case with its own {BASE}: bases do not chain"
        ));
    }
    Ok(dir)
}

/// The base a case's `BASE` names, if it has one: an error when a line names no directory
/// under `fixtures/` or no file of it, when it is none of the documented forms, or when a
/// `patch PATH` line's `PATH.diff` is missing, unreadable as a diff, of another file, or aimed
/// at a file that the base does not hold or the case holds itself.
fn base_of(case: &Path) -> Result<Option<Base>, String> {
    let Ok(text) = fs::read_to_string(case.join(BASE)) else {
        return Ok(None);
    };
    let mut base = Base::default();
    let lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    for (n, line) in lines.enumerate() {
        let not_a_path = || format!("{BASE}: {line:?} names no path inside the base");
        match line.split_once(' ') {
            Some(("without", path)) if base.dir.is_some() => {
                if !inside(path) {
                    return Err(not_a_path());
                }
                base.without.push(path.to_owned());
            }
            Some(("patch", path)) => {
                if !inside(path) {
                    return Err(not_a_path());
                }
                base.patches.push(path.to_owned());
            }
            Some(("from", rest)) => {
                let (dir, path) = rest.split_once(' ').unwrap_or((rest, ""));
                let (path, to) = path.split_once(" as ").unwrap_or((path, path));
                let dir = fixture_tree(dir)?;
                if !(inside(path) && dir.join(path).exists()) {
                    return Err(format!("{BASE}: {line:?} names nothing of that tree"));
                }
                if !inside(to) {
                    return Err(not_a_path());
                }
                let (source, to) = (dir.join(path), to.to_owned());
                base.from.push(Copied { source, to });
            }
            _ if n == 0 => base.dir = Some(fixture_tree(line)?),
            _ => {
                return Err(format!(
                    "{BASE}: {line:?} is not `without PATH` (after a base tree), \
                     `from DIR PATH` or `patch PATH`"
                ));
            }
        }
    }
    for path in &base.patches {
        let named = |e: String| format!("{BASE}: patch {path}: {e}");
        let diff = fs::read_to_string(case.join(format!("{path}.diff")))
            .map_err(|e| named(format!("{path}.diff: {e}")))?;
        if case.join(path).exists() {
            return Err(named(format!("the case holds both {path} and {path}.diff")));
        }
        if !base.source_of(path).is_some_and(|p| p.is_file()) {
            return Err(named("no such file in the base".into()));
        }
        let patch = diffy::Patch::from_str(&diff)
            .map_err(|e| named(format!("{path}.diff is no unified diff: {e}")))?;
        let names_it = |name: &str| name == path || name.ends_with(&format!("/{path}"));
        if let Some(other) = [patch.original(), patch.modified()]
            .into_iter()
            .flatten()
            .find(|name| !names_it(name))
        {
            return Err(named(format!("{path}.diff is a diff of {other}")));
        }
    }
    Ok(Some(base))
}

/// `original` with the unified diff `diff` applied, or why it cannot be.
fn apply_patch(original: &str, diff: &str) -> Result<String, String> {
    let patch = diffy::Patch::from_str(diff).map_err(|e| format!("no unified diff: {e}"))?;
    diffy::apply(original, &patch).map_err(|e| format!("does not apply: {e}"))
}

/// The paths of the files under `dir`, relative to it, with `/` between folders.
fn files_under(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            files.extend(
                files_under(&entry.path())
                    .into_iter()
                    .map(|f| format!("{name}/{f}")),
            );
        } else {
            files.push(name);
        }
    }
    files
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

/// `apply_patch` applies a diff (also with `git diff`'s preamble), and says which hunk does not apply or why a text is no diff.
fn harness_patches() -> Result<(), Failed> {
    let diff = "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n";
    let checks = [
        (apply_patch("a\nb\nc\n", diff), Ok("a\nB\nc\n")),
        // As `git diff --no-index` prints it: the preamble is skipped.
        (
            apply_patch(
                "a\nb\nc\n",
                &format!("diff --git a/f b/f\nindex de98044..7be73ce 100644\n{diff}"),
            ),
            Ok("a\nB\nc\n"),
        ),
        (
            apply_patch("a\nx\nc\n", diff),
            Err("does not apply: error applying hunk #1"),
        ),
        (
            apply_patch("a\n", "@@ -1 +1 @@\n-a\n"),
            Err("no unified diff"),
        ),
    ];
    for (got, want) in checks {
        let holds = match (&got, want) {
            (Ok(text), Ok(want)) => text == want,
            (Err(e), Err(want)) => e.starts_with(want),
            _ => false,
        };
        if !holds {
            return Err(format!("got {got:?}, want {want:?}").into());
        }
    }
    Ok(())
}

/// A scratch case with these files, and the problems the layout test finds in it.
fn problems_with(files: &[(&str, &str)]) -> Vec<String> {
    let case = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = case.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    case_problems(case.path())
}

/// The layout test rejects a `patch` line without its diff, a diff no line names, a patch of a
/// file the base does not hold or of another file, a base that has a base, and accepts a
/// well-formed patch.
fn harness_base_lines() -> Result<(), Failed> {
    let diff = "--- a/vouch.toml\n+++ b/vouch.toml\n@@ -1 +1 @@\n-x\n+y\n";
    let pg_dump = "fixtures/repos/pg-dump\n";
    let conf_diff = diff.replace("vouch.toml", "conf/vouch.toml");
    let checks: [(&[(&str, &str)], &str); 9] = [
        (
            &[("BASE", "fixtures/repos/pg-dump\npatch vouch.toml\n")],
            "vouch.toml.diff: ",
        ),
        (
            &[("BASE", pg_dump), ("vouch.toml.diff", diff)],
            "named by no `patch` line",
        ),
        (
            &[
                ("BASE", "fixtures/repos/pg-dump\npatch nope.toml\n"),
                ("nope.toml.diff", diff),
            ],
            "no such file in the base",
        ),
        (
            &[
                ("BASE", "fixtures/repos/pg-dump\npatch db/schema.sql\n"),
                ("db/schema.sql.diff", diff),
            ],
            "a diff of a/vouch.toml",
        ),
        (
            &[(
                "BASE",
                "fixtures/cases/pg-role-no-ddl/fail/public-create-and-truncate\n",
            )],
            "bases do not chain",
        ),
        (
            &[(
                "BASE",
                "fixtures/repos/pg-dump\nfrom fixtures/repos/pg-flyway nope\n",
            )],
            "names nothing",
        ),
        (
            &[(
                "BASE",
                "fixtures/repos/pg-dump\nfrom fixtures/repos/pg-flyway vouch.toml as ../vouch.toml\n",
            )],
            "names no path inside",
        ),
        (
            &[
                ("BASE", "fixtures/repos/pg-dump\npatch vouch.toml\n"),
                ("vouch.toml.diff", diff),
            ],
            "",
        ),
        // A patch of a file a `from … as DEST` line put there.
        (
            &[
                (
                    "BASE",
                    "from fixtures/repos/pg-dump vouch.toml as conf/vouch.toml\npatch conf/vouch.toml\n",
                ),
                ("conf/vouch.toml.diff", &conf_diff),
            ],
            "",
        ),
    ];
    for (files, want) in checks {
        let got = problems_with(files);
        let holds = match want {
            "" => got.is_empty(),
            want => got.len() == 1 && got[0].contains(want),
        };
        if !holds {
            return Err(format!("{files:?}: got {got:?}, want {want:?}").into());
        }
    }
    Ok(())
}
