//! One module per check. Each holds the check's [`Meta`](crate::Meta) (with its docs) and its
//! logic, and nothing else; shared helpers live here.

pub mod artifact;
pub mod aws;
pub mod docker;
pub mod endpoint;
pub mod image;
pub mod kube;
pub mod postgres;
pub mod secrets;
pub mod supply_chain;
pub mod workflow;

use serde_json::json;

use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Location};
use crate::parse::image_ref::{ImageRef, ImageRefError};

/// Reports every unreadable file of the given kinds as an `error` finding (subject: its path):
/// a file the check could not read is never silently skipped.
pub(crate) fn unreadable_files(cx: &Context<'_>, kinds: &[FileKind], out: &mut Findings) {
    let Some(repo) = &cx.facts.repo else { return };
    for u in repo.unreadable.iter().filter(|u| kinds.contains(&u.kind)) {
        out.error(
            u.path.clone(),
            Location::file(u.path.clone(), 0),
            format!("{} could not be read: {}", u.path, u.cause),
            json!({ "path": u.path, "cause": u.cause }),
        );
    }
}

/// Every Kubernetes workload collected, from manifests and live clusters alike.
pub(crate) fn workloads<'a>(
    cx: &Context<'a>,
) -> impl Iterator<Item = &'a crate::facts::kube::Workload> + use<'a> {
    cx.facts.workloads()
}

/// Directory names whose Kubernetes manifests are test data (objects a test creates to
/// observe, fixtures for a controller's tests), not workloads anyone deploys.
const TEST_DATA_DIRS: &[&str] = &[
    "test",
    "tests",
    "testdata",
    "test-data",
    "testing",
    "e2e",
    "fixtures",
    "__fixtures__",
];

/// The workloads the pod-hardening checks judge: every live one, and every manifest except
/// those under a test-data directory (`tests/manifests/`, `internal/…/testdata/`).
pub(crate) fn deployed_workloads<'a>(
    cx: &Context<'a>,
) -> impl Iterator<Item = &'a crate::facts::kube::Workload> + use<'a> {
    // A kustomize patch file holds a partial object (only the fields it changes): the
    // workload it patches is judged, with the overlay, where its base is.
    let patch_files: Vec<&str> = (cx.facts.repo.iter())
        .flat_map(|r| &r.kustomizations)
        .flat_map(|k| k.patch_files.iter().map(String::as_str))
        .collect();
    workloads(cx).filter(move |w| match &w.location {
        Some(Location::File { path, .. }) => {
            !is_test_data_path(path) && !patch_files.contains(&path.as_str())
        }
        _ => true,
    })
}

/// Whether a repository path lies under a test-data directory.
pub(crate) fn is_test_data_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let mut dirs: Vec<&str> = lower.split('/').collect();
    dirs.pop();
    dirs.iter().any(|d| TEST_DATA_DIRS.contains(d))
}

/// Reports every live cluster that could not be read (subject `k8s://CONTEXT`) and every list
/// that failed (subject `k8s://CONTEXT/NAMESPACE/KIND`, `*` for all namespaces) as `error`
/// findings: workloads vouch could not see are never a silent pass.
pub(crate) fn kube_faults(cx: &Context<'_>, out: &mut Findings) {
    for cluster in &cx.facts.kube {
        let uri = cluster.uri();
        if let Some(cause) = &cluster.error {
            out.error(
                uri.clone(),
                Location::k8s(&cluster.context, ""),
                format!(
                    "Kubernetes target `{}` ({uri}) could not be read: {cause}",
                    cluster.target
                ),
                json!({ "target": cluster.target, "context": cluster.context,
                        "server": cluster.server, "cause": cause }),
            );
        }
        for fault in &cluster.faults {
            let namespace = if fault.namespace.is_empty() {
                "*"
            } else {
                fault.namespace.as_str()
            };
            let subject = format!("{uri}/{namespace}/{}", fault.kind);
            let scope = if fault.namespace.is_empty() {
                "in all namespaces".to_owned()
            } else {
                format!("in namespace {namespace}")
            };
            out.error(
                subject.clone(),
                Location::k8s(&cluster.context, &format!("{namespace}/{}", fault.kind)),
                format!(
                    "{}s {scope} of {uri} could not be listed: {}",
                    fault.kind, fault.cause
                ),
                json!({ "target": cluster.target, "context": cluster.context,
                        "kind": fault.kind, "namespace": fault.namespace, "cause": fault.cause }),
            );
        }
    }
}

/// `true` for a full 40-hex git commit SHA.
pub(crate) fn is_commit_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `true` when an image reference is well formed and carries a `@sha256:<64 lowercase hex>`
/// digest ([`ImageRef`]); never for a reference that still holds a variable.
pub(crate) fn is_digest_pinned(image: &str) -> bool {
    matches!(pinning(image), Pinning::Digest)
}

/// What an image reference proves about the image it names.
pub(crate) enum Pinning {
    /// Well formed, with a `@sha256:` digest: one image, whatever happens to tags.
    Digest,
    /// Well formed, by tag (or by nothing: `latest`): the tag can be moved.
    Movable,
    /// A variable or expression (`${{ matrix.image }}`, `$IMAGE`, `{{ .Values.image }}`): which
    /// image is used is unknown, so whether it is pinned cannot be proven.
    Unresolved,
    /// Not an image reference at all (`Node:20`, `<image>`): nothing can be proven of it; why.
    Malformed(ImageRefError),
}

pub(crate) fn pinning(image: &str) -> Pinning {
    match ImageRef::parse(image) {
        Ok(r) if r.is_digest_pinned() => Pinning::Digest,
        Ok(_) => Pinning::Movable,
        Err(ImageRefError::Unresolved(_)) => Pinning::Unresolved,
        Err(e) => Pinning::Malformed(e),
    }
}

/// Whether a workflow step (or job) runs, from the `if:` conditions in effect for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepRuns<'a> {
    /// No condition, or only status functions (`always()`, `success()`, `!cancelled()`).
    Always,
    /// A condition that is literally false (`if: false`, `${{ false }}`, `0`, `''`): never.
    Never,
    /// Any other condition: it runs only when this holds, which vouch does not evaluate.
    Only(&'a str),
}

/// How a step guarded by `when` (its job's and its own `if:`, as written) runs. The conditions
/// are joined with `&&`: one false part disables it, and it runs always only when every part
/// is a status function.
pub(crate) fn step_runs(when: Option<&str>) -> StepRuns<'_> {
    let Some(raw) = when else {
        return StepRuns::Always;
    };
    // An `if:` is one expression, optionally inside one `${{ }}`: without the markers, the
    // parts joined by `&&` (the job's and the step's, and within each) can be judged alone;
    // with an `||` outside quotes, no part decides alone.
    let bare = raw.replace("${{", " ").replace("}}", " ");
    let Some(parts) = conjuncts(&bare) else {
        return StepRuns::Only(raw);
    };
    let mut always = true;
    for part in parts {
        match unwrapped(part) {
            "false" | "0" | "''" | "\"\"" | "null" => return StepRuns::Never,
            "true" | "always()" | "success()" | "!cancelled()" => {}
            _ => always = false,
        }
    }
    if always {
        StepRuns::Always
    } else {
        StepRuns::Only(raw)
    }
}

/// The parts of `expression` joined by `&&` outside quoted strings; `None` when an `||` outside
/// quotes joins any of them.
fn conjuncts(expression: &str) -> Option<Vec<&str>> {
    let (mut parts, mut start, mut quoted) = (Vec::new(), 0, false);
    let bytes = expression.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'|' if !quoted && bytes.get(i + 1) == Some(&b'|') => return None,
            b'&' if !quoted && bytes.get(i + 1) == Some(&b'&') => {
                parts.push(&expression[start..i]);
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&expression[start..]);
    Some(parts)
}

/// An expression without the `${{ }}` and the parentheses around the whole of it.
fn unwrapped(expression: &str) -> &str {
    let mut e = expression.trim();
    loop {
        let before = e;
        if let Some(inner) = e.strip_prefix("${{").and_then(|x| x.strip_suffix("}}")) {
            e = inner.trim();
        }
        if let Some(inner) = e.strip_prefix('(').and_then(|x| x.strip_suffix(')'))
            && encloses(inner)
        {
            e = inner.trim();
        }
        if e == before {
            return e;
        }
    }
}

/// Whether `(inner)` is one group: no `)` in `inner` closes the outer `(` early.
fn encloses(inner: &str) -> bool {
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// A script a check read for evidence and the shell reader refused (longer than it reads,
/// nested deeper): what it runs cannot be seen.
#[derive(Debug, Clone)]
pub(crate) struct UnreadScript<'a> {
    /// `the run step` or `the RUN`.
    pub what: &'static str,
    pub file: &'a str,
    pub line: u32,
    pub cause: crate::parse::shell::ShellError,
}

impl std::fmt::Display for UnreadScript<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at {}:{} ({})",
            self.what, self.file, self.line, self.cause
        )
    }
}

/// Reads the scripts a check searches for evidence (through the judgement's memo,
/// [`Context::scripts`]) and keeps the first one the shell reader refused. A check that found
/// nothing asks [`ScriptSearch::unread`]: the search and the list of unreadable scripts then
/// cover exactly the same scripts (every workflow, reusable workflow, composite action and
/// Dockerfile `RUN` it looked into), so "nothing found" becomes `error`, not `fail`, whenever
/// one of them could hold what was sought.
pub(crate) struct ScriptSearch<'s, 'a> {
    scripts: &'s crate::parse::shell::Scripts<'a>,
    unread: std::cell::RefCell<Option<UnreadScript<'a>>>,
}

impl<'s, 'a> ScriptSearch<'s, 'a> {
    pub fn new(scripts: &'s crate::parse::shell::Scripts<'a>) -> Self {
        ScriptSearch {
            scripts,
            unread: std::cell::RefCell::new(None),
        }
    }

    /// The commands of a `run:` step (`file`, `line`); none when it cannot be read, which is
    /// remembered.
    pub fn run_step(
        &self,
        file: &'a str,
        run: &'a crate::facts::repo::Located,
    ) -> crate::parse::shell::Read {
        self.read("the run step", file, run.line, &run.value)
    }

    /// The commands of a script found at `file:line` (`what` names it in messages); none when
    /// it cannot be read, which is remembered.
    pub fn read(
        &self,
        what: &'static str,
        file: &'a str,
        line: u32,
        script: &'a str,
    ) -> crate::parse::shell::Read {
        let read = self.scripts.read(script);
        if let Err(cause) = read.as_ref() {
            self.unread
                .borrow_mut()
                .get_or_insert_with(|| UnreadScript {
                    what,
                    file,
                    line,
                    cause: cause.clone(),
                });
        }
        read
    }

    /// The first script searched that could not be read.
    pub fn unread(&self) -> Option<UnreadScript<'a>> {
        self.unread.borrow().clone()
    }
}

/// The commands of a script as read, or none when it could not be read.
pub(crate) fn commands_of(read: &crate::parse::shell::Read) -> &[crate::parse::shell::Command] {
    read.as_ref().as_deref().unwrap_or_default()
}

/// For the checks' tests: a repository whose one workflow (`path`, on `trigger`) runs a script
/// too long for the shell reader (over 256 KiB) at `line`, then `command`; `command` is
/// invisible to a check, which must say so rather than fail or pass.
#[cfg(test)]
pub(crate) fn repo_with_unreadable_script(
    path: &str,
    trigger: &str,
    line: u32,
    command: &str,
) -> crate::Facts {
    use crate::facts::repo::{Dockerfile, Located, RepoFacts, Workflow, WorkflowKind};
    crate::Facts {
        repo: Some(RepoFacts {
            dockerfiles: vec![Dockerfile::default()],
            workflows: vec![Workflow {
                path: path.to_owned(),
                kind: WorkflowKind::Workflow,
                triggers: vec![trigger.to_owned()],
                runs: vec![Located {
                    value: format!("echo {}\n{command}\n", "x".repeat(300 * 1024)),
                    line,
                    column: None,
                }],
                ..Workflow::default()
            }],
            ..RepoFacts::default()
        }),
        ..crate::Facts::default()
    }
}

/// For the checks' tests: a workflow step at `line` that `uses:` an action with the `with:`
/// inputs.
#[cfg(test)]
pub(crate) fn action_step(
    uses: &str,
    line: u32,
    with: &[(&str, &str)],
) -> crate::facts::repo::ActionInputs {
    crate::facts::repo::ActionInputs {
        uses: uses.to_owned(),
        line,
        with: with
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        column: None,
    }
}

/// For the checks' tests: the one finding of `check`, which must be an `error` whose message
/// names `expected`.
#[cfg(test)]
pub(crate) fn assert_one_error(check: &dyn crate::Check, facts: &crate::Facts, expected: &str) {
    let findings = crate::registry::run_on(check, facts);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f.status, crate::Status::Error, "{}", f.message);
    assert!(f.message.contains(expected), "{}", f.message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judgement_reads_each_script_once_and_remembers_the_unreadable() {
        let mut facts = repo_with_unreadable_script(
            ".github/workflows/ci.yml",
            "push",
            7,
            "npm ci && npm audit",
        );
        let repo = facts.repo.as_mut().unwrap();
        let again = repo.workflows[0].runs[0].clone();
        repo.workflows[0].runs.push(again);
        repo.workflows[0].runs.push(crate::facts::repo::Located {
            value: "npm ci".to_owned(),
            line: 9,
            column: None,
        });
        let options = facts.settings.resolve().unwrap();
        let cx = Context::new(&facts, &options);
        for check in crate::registry::ALL {
            crate::registry::run_one(*check, &cx);
        }
        // Two distinct scripts, however many checks and steps read them.
        assert_eq!(cx.scripts.len(), 2);
        let search = ScriptSearch::new(&cx.scripts);
        let wf = &facts.repo.as_ref().unwrap().workflows[0];
        assert!(commands_of(&search.run_step(&wf.path, &wf.runs[2])).len() == 1);
        assert!(search.unread().is_none());
        assert!(commands_of(&search.run_step(&wf.path, &wf.runs[0])).is_empty());
        let unread = search.unread().unwrap();
        assert_eq!((unread.file, unread.line), (".github/workflows/ci.yml", 7));
        assert!(
            unread
                .to_string()
                .starts_with("the run step at .github/workflows/ci.yml:7 (")
        );
    }

    #[test]
    fn pins() {
        assert!(is_commit_sha("1d0ff469b7ec7b3cb9d8673fde0c81c44821de2a"));
        assert!(!is_commit_sha("v4"));
        assert!(is_digest_pinned(&format!(
            "node:20@sha256:{}",
            "a".repeat(64)
        )));
        assert!(!is_digest_pinned("node:20@sha256:abc"));
        assert!(!is_digest_pinned("node:20"));
        // Counted as pinned before the references were parsed: uppercase hex (Docker rejects
        // it), a variable in front of the digest, a malformed name.
        assert!(!is_digest_pinned(&format!(
            "node:20@sha256:{}",
            "A".repeat(64)
        )));
        assert!(!is_digest_pinned(&format!(
            "${{IMAGE}}@sha256:{}",
            "a".repeat(64)
        )));
        assert!(!is_digest_pinned(&format!(
            "Node:20@sha256:{}",
            "a".repeat(64)
        )));
        assert!(is_digest_pinned(&format!(
            "localhost:5000/app@sha256:{}",
            "a".repeat(64)
        )));
    }

    #[test]
    fn test_data_manifests_are_told_from_deployed_ones() {
        for path in [
            "tests/manifests/job.yaml",
            "tests/e2e/testdata/pods.yaml",
            "internal/controller/testdata/file-transformer/deployment.yaml",
            "pkg/Fixtures/deploy.yaml",
        ] {
            assert!(is_test_data_path(path), "{path}");
        }
        for path in [
            "kubernetes-manifests/frontend.yaml",
            "examples/standard/deployment.yaml",
            "deploy/test-env.yaml",
            "testing.yaml",
        ] {
            assert!(!is_test_data_path(path), "{path}");
        }
    }

    #[test]
    fn step_conditions() {
        use StepRuns::*;
        assert_eq!(step_runs(None), Always);
        for never in [
            "false",
            "${{ false }}",
            "(github.ref == 'x') && (false)",
            "0",
            "''",
        ] {
            assert_eq!(step_runs(Some(never)), Never, "{never}");
        }
        for always in [
            "always()",
            "${{ !cancelled() }}",
            "(success()) && (always())",
            "true",
        ] {
            assert_eq!(step_runs(Some(always)), Always, "{always}");
        }
        for only in [
            "github.event_name == 'push'",
            "(always()) && (github.actor != 'bot')",
            "failure()",
            "(a) || (false)",
            "github.event_name == 'pull_request' || github.actor == 'x' && false",
            "github.ref == 'a&&false&&b'",
            "",
        ] {
            assert_eq!(step_runs(Some(only)), Only(only), "{only}");
        }
    }
}
