use std::sync::LazyLock;

use regex::Regex;
use serde_json::json;

use crate::facts::repo::{FileKind, Guarded, RepoFacts, Workflow, WorkflowKind};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::parse::shell;
use crate::rules::docker::docker_build::{Built, built_by_script, built_by_step, stages_needed};
use crate::rules::{ScriptSearch, StepRuns, commands_of, step_runs, unreadable_files};

pub struct CiVulnScan;

const GATING_TRIGGERS: &[&str] = &["pull_request", "pull_request_target", "push", "merge_group"];

const SCANNER_ACTIONS: &[&str] = &[
    "aquasecurity/trivy-action",
    "anchore/scan-action",
    "google/osv-scanner-action",
    "snyk/actions",
    "actions/dependency-review-action",
    "golang/govulncheck-action",
    "rustsec/audit-check",
    "actions-rs/audit-check",
    "embarkstudios/cargo-deny-action",
    "pypa/gh-action-pip-audit",
    "docker/scout-action",
    "dependency-check/dependency-check_action",
    "anchore/grype-action",
];

/// Scanner commands, matched against the start of each command's words as the shell reads them
/// ([`shell`]), so mentions in `echo`ed prose, quoted text, heredocs or install steps
/// (`go install …/govulncheck@latest`) do not count.
static SCANNER_COMMANDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:npx\s+|pnpm\s+dlx\s+|uvx\s+|pipx\s+run\s+|bundle\s+exec\s+)?(?:",
        r"trivy\s+(?:fs|filesystem|image|repo|repository|rootfs|sbom)\b",
        r"|grype\b|osv-scanner\b|govulncheck\b",
        r"|cargo\s+audit\b",
        r"|cargo\s+deny\b.*\bcheck\b(?:\s+advisories\b|\s*(?:--.*)?$)",
        r"|(?:npm|pnpm|bun)\s+audit\b|yarn\s+(?:npm\s+)?audit\b",
        r"|pip-audit\b|safety\s+(?:check|scan)\b",
        r"|snyk\s+(?:container\s+)?test\b|docker\s+scout\s+cves\b",
        r"|bundle(?:-|\s+)audit\b|bundler-audit\b|composer\s+audit\b",
        // OWASP dependency-check: the CLI, the Maven and Gradle plugins, the Docker image.
        r"|(?:[\w.-]*/)*dependency-check(?:\.sh|\.bat)?\s+.*--(?:scan|project)\b",
        r"|(?:\./)?mvnw?\b.*\b(?:org\.owasp:)?dependency-check(?:-maven)?(?::[\w.-]+)?:(?:check|aggregate)\b",
        r"|(?:\./)?gradlew?\b.*\bdependencyCheck(?:Analyze|Aggregate)\b",
        r"|docker\s+run\b.*\s(?:owasp/dependency-check|aquasec/trivy|anchore/grype)(?::[\w.-]+)?\s",
        r")"
    ))
    .expect("scanner regex is valid")
});

impl Rule for CiVulnScan {
    const META: Meta = Meta {
        id: "ci-vuln-scan",
        title: "CI scans dependencies or images for known vulnerabilities",
        severity: Severity::Medium,
        controls: &["VUL-01"],
        source: Source::Repo,
        docs: r#"
## Why
Most exploited vulnerabilities are in dependencies and base images, and fixes are usually
published long before they are exploited. A scanner that runs on every pull request or push
catches a known-vulnerable component before it ships, instead of in the next audit.

## What is judged
The repository as a whole (subject `.`): at least one workflow triggered by `pull_request`,
`pull_request_target`, `push` or `merge_group` must run a dependency or image vulnerability
scanner, either as an action —
`aquasecurity/trivy-action`, `anchore/scan-action`, `google/osv-scanner-action`,
`snyk/actions`, `actions/dependency-review-action`, `golang/govulncheck-action`,
`rustsec/audit-check`, `actions-rs/audit-check`, `EmbarkStudios/cargo-deny-action`,
`pypa/gh-action-pip-audit`, `docker/scout-action`, `dependency-check/Dependency-Check_Action`
— or as a command in a `run:` step:
`trivy fs|image|repo|rootfs|sbom`, `grype`, `osv-scanner`, `govulncheck`, `cargo audit`,
`cargo deny check` (all checks, or `advisories`), `npm|pnpm|yarn|bun audit`, `yarn npm audit`,
`pip-audit`, `safety check|scan`, `snyk test`, `docker scout cves`, `bundle audit`,
`bundle-audit`/`bundler-audit`, `composer audit`, OWASP dependency-check (`dependency-check.sh
--scan`, the Maven plugin's `dependency-check:check|aggregate`, the Gradle plugin's
`dependencyCheckAnalyze|Aggregate`), and `docker run` of the `owasp/dependency-check`,
`aquasec/trivy` or `anchore/grype` images.

A scanner can also run inside a Docker build the workflow starts: a `docker/bake-action` step
(`targets:`, default `default`), `docker buildx bake TARGET`, `docker/build-push-action`
(`target:`) or `docker build [--target STAGE]`. The target is resolved as Docker does — through
the bake files the step reads (`files:`, else `docker-bake.json|hcl` and their `.override`
variants), their `group`s and `inherits`, to a Dockerfile (`dockerfile` relative to `context`,
default `Dockerfile`) and a stage (`target`, default the last) — and the scan counts when a
`RUN` of that stage, or of a stage it is built `FROM` or copies or mounts `--from`, runs one of
the commands above. A target that cannot be resolved (undefined, or set by a variable,
expression or inline Dockerfile) counts for nothing, whatever its name.

`github/codeql-action` does not count: CodeQL is static analysis of your own code (SAST), not
a check of dependencies against vulnerability databases (SCA). Neither do scheduled-only
workflows (they do not gate changes). Local composite actions (`uses: ./path/to/action`) and
local reusable workflows (`uses: ./.github/workflows/scan.yml`) called by a gating workflow are
followed, transitively; remote ones are judged by name only. A step or job behind `if: false`
(`${{ false }}`, `0`, `''`) never runs and does not count; the `fail` names it. A step behind
another `if:` (`github.actor != 'dependabot[bot]'`, an event filter) counts, preferring one
without a condition, and the message and the evidence (`only_when`) quote the condition:
vouch does not evaluate it. A scanner whose result is ignored (`|| true`,
`continue-on-error`) still counts: vouch cannot see that. If no scanner is found and a
workflow could not be read, or a script the search looked into is too long (over 256 KiB) or
too deeply nested for the shell reader — a `run:` step of a gating workflow, of a local
reusable workflow or composite action it calls, or a `RUN` of a Dockerfile stage it builds —
the result is an `error`: the scanner may be in that script.

## How to fix
Add a job to a pull-request workflow, for example
`uses: google/osv-scanner-action/.github/workflows/osv-scanner-reusable.yml@<sha>`,
`uses: actions/dependency-review-action@<sha>`, or a step such as `run: cargo deny check
advisories` or `run: npm audit --audit-level=high`.

## Evidence
The workflow, line and step that runs the scanner, and its triggers; or the workflows examined.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let Some(repo) = &cx.facts.repo else { return };
        let gating: Vec<&Workflow> = repo
            .workflows
            .iter()
            .filter(|w| w.kind == WorkflowKind::Workflow)
            .filter(|w| {
                w.triggers
                    .iter()
                    .any(|t| GATING_TRIGGERS.contains(&t.as_str()))
            })
            .collect();
        // Every script the search reads (the gating workflows', the local reusable workflows'
        // and composite actions' they call, the `RUN` lines of the stages they build) goes
        // through `search`, which keeps the first one that could not be read.
        let search = ScriptSearch::new(&cx.scripts);
        let reached: Vec<Reached<'_>> = (gating.iter())
            .filter_map(|wf| scanner_reached_from(wf, repo, &search))
            .collect();
        let found = (reached.into_iter()).min_by_key(|r| r.only.is_some());
        if let Some(Reached {
            path,
            line,
            how,
            inside,
            via,
            only,
        }) = found
        {
            let gating_wf = via.first().copied().unwrap_or(path);
            let triggers = gating
                .iter()
                .find(|w| w.path == gating_wf)
                .map(|w| w.triggers.clone())
                .unwrap_or_default();
            let mut evidence = json!({
                "workflow": gating_wf, "file": path, "line": line, "scanner": how,
                "called_through": via, "triggers": triggers,
            });
            if let Some(b) = &inside {
                evidence["built"] = b.evidence.clone();
            }
            let within = inside.map_or_else(String::new, |b| format!(" {}", b.text));
            // A step behind an `if:` vouch does not evaluate (`github.actor != 'dependabot[bot]'`,
            // an event filter) still counts: such conditions restrict when a scan runs far more
            // often than they disable it. The message and the evidence say so; an unconditional
            // scanner is preferred, and `if: false` never counts.
            let only = only.map_or_else(String::new, |when| {
                evidence["only_when"] = json!(when);
                format!(" (only when `{when}`)")
            });
            let message = if via.is_empty() {
                format!("`{how}`{within} runs on {}{only}", triggers.join(", "))
            } else {
                format!(
                    "`{how}`{within} ({path}, called from {gating_wf}) runs on {}{only}",
                    triggers.join(", ")
                )
            };
            out.pass(
                ".",
                Location::file(path.to_owned(), line),
                message,
                evidence,
            );
            return;
        }
        let broken = repo.unreadable.iter().any(|u| u.kind == FileKind::Workflow);
        let examined: Vec<&str> = gating.iter().map(|w| w.path.as_str()).collect();
        let evidence = json!({ "gating_workflows": examined });
        let location = Location::file(".github/workflows", 0);
        // A script the search read and the shell reader gave up on (too long, nested too deep)
        // may run a scanner: that is `error`, not `fail`.
        let unread_script = search.unread();
        if broken {
            unreadable_files(cx, &[FileKind::Workflow], out);
            let why = "no vulnerability scanner found in the readable workflows, and some \
                       workflows could not be read";
            out.error(".", location, why, evidence);
        } else if let Some(script) = unread_script {
            let why = format!(
                "no vulnerability scanner found in what could be read, and {script} could not \
                 be read"
            );
            let location = Location::file(script.file, script.line);
            let mut evidence = evidence;
            evidence["unreadable_script"] = json!({ "file": script.file, "line": script.line, "cause": script.cause.to_string() });
            out.error(".", location, why, evidence);
        } else {
            let disabled = disabled_scanners(&gating, repo, &search);
            let mut why = format!(
                "no workflow run on pull requests or pushes ({} found) runs a dependency or \
                 image vulnerability scanner",
                examined.len()
            );
            let mut evidence = evidence;
            if !disabled.is_empty() {
                why = format!(
                    "{why}; disabled by `if:` (never runs): {}",
                    disabled.join(", ")
                );
                evidence["disabled"] = json!(disabled);
            }
            out.fail(".", location, why, evidence);
        }
    }
}

/// A scanner found in `path` at `line`, reached from a gating workflow through the local
/// actions and reusable workflows in `via` (empty when the gating workflow runs it itself).
struct Reached<'a> {
    path: &'a str,
    line: u32,
    how: String,
    /// Set when the scanner runs inside a Dockerfile stage the step builds.
    inside: Option<InBuild>,
    via: Vec<&'a str>,
    /// The `if:` the scanner's step (or a call on the way) runs under, when not always.
    only: Option<String>,
}

/// Where in a build a scanner runs: a phrase for the message and the evidence.
struct InBuild {
    text: String,
    evidence: serde_json::Value,
}

/// A scanner a workflow runs directly.
struct Hit {
    line: u32,
    how: String,
    inside: Option<InBuild>,
    /// The step's `if:` when it does not always run.
    only: Option<String>,
}

/// The first scanner `wf` runs itself or through the local actions and reusable workflows it
/// calls (depth first, each file visited once, so cycles end).
fn scanner_reached_from<'a>(
    wf: &'a Workflow,
    repo: &'a RepoFacts,
    search: &ScriptSearch<'_, 'a>,
) -> Option<Reached<'a>> {
    let mut seen = vec![wf.path.as_str()];
    reach(wf, repo, search, &mut seen, &mut Vec::new())
}

/// The scanner `wf` reaches: one that runs unconditionally if any, else one behind an `if:`.
fn reach<'a>(
    wf: &'a Workflow,
    repo: &'a RepoFacts,
    search: &ScriptSearch<'_, 'a>,
    seen: &mut Vec<&'a str>,
    via: &mut Vec<&'a str>,
) -> Option<Reached<'a>> {
    let all = &repo.workflows;
    let mut conditional = None;
    if let Some(Hit {
        line,
        how,
        inside,
        only,
    }) = first_scanner(wf, repo, search)
    {
        let found = Reached {
            path: &wf.path,
            line,
            how,
            inside,
            via: via.clone(),
            only,
        };
        if found.only.is_none() {
            return Some(found);
        }
        conditional = Some(found);
    }
    for (index, call) in wf.uses.iter().enumerate() {
        let Some(callee) = local_callee(&call.value, all) else {
            continue;
        };
        let call_only = match step_runs(wf.condition_of(Guarded::Uses, index)) {
            StepRuns::Never => continue,
            StepRuns::Always => None,
            StepRuns::Only(when) => Some(when.to_owned()),
        };
        if seen.contains(&callee.path.as_str()) {
            continue;
        }
        seen.push(&callee.path);
        via.push(&wf.path);
        let found = reach(callee, repo, search, seen, via);
        via.pop();
        if let Some(mut found) = found {
            found.only = found.only.or(call_only);
            if found.only.is_none() {
                return Some(found);
            }
            conditional.get_or_insert(found);
        }
    }
    conditional
}

/// The repository file a local `uses: ./…` names: a reusable workflow file itself, or the
/// `action.yml`/`action.yaml` of a composite action directory.
fn local_callee<'a>(uses: &str, all: &'a [Workflow]) -> Option<&'a Workflow> {
    let rel = uses.strip_prefix("./")?.trim_end_matches('/');
    all.iter().find(|w| {
        w.path == rel
            || (w.kind == WorkflowKind::CompositeAction
                && w.path
                    .strip_prefix(rel)
                    .is_some_and(|rest| rest == "/action.yml" || rest == "/action.yaml"))
    })
}

/// The first scanner a workflow runs directly: (line, the `uses:` or command matched). A
/// step that builds a Dockerfile stage (a bake target, a `--target`, a plain build) runs the
/// scanners in the `RUN` lines of that stage and of the stages it needs.
fn first_scanner<'a>(
    wf: &'a Workflow,
    repo: &'a RepoFacts,
    search: &ScriptSearch<'_, 'a>,
) -> Option<Hit> {
    scanner_steps(wf, repo, search)
        .into_iter()
        .filter_map(|(hit, runs)| match runs {
            StepRuns::Never => None,
            StepRuns::Always => Some(hit),
            StepRuns::Only(when) => Some(Hit {
                only: Some(when.to_owned()),
                ..hit
            }),
        })
        .min_by_key(|hit| (hit.only.is_some(), hit.line))
}

/// Every step of `wf` that runs a scanner, with whether it runs (`if:`). Each script is read
/// once, through `search`: the scanner commands and the builds come from the same reading.
fn scanner_steps<'a>(
    wf: &'a Workflow,
    repo: &'a RepoFacts,
    search: &ScriptSearch<'_, 'a>,
) -> Vec<(Hit, StepRuns<'a>)> {
    let runs: Vec<(u32, shell::Read)> = (wf.runs.iter())
        .map(|r| (r.line, search.run_step(&wf.path, r)))
        .collect();
    // (line, what runs, where in a build, the `if:` of the entry: by its index in its list)
    let mut found: Vec<(u32, String, Option<InBuild>, Option<&'a str>)> = Vec::new();
    for (i, u) in wf.uses.iter().enumerate() {
        if is_scanner_action(&u.value) {
            let when = wf.condition_of(Guarded::Uses, i);
            found.push((u.line, u.value.clone(), None, when));
        }
    }
    for (i, (line, read)) in runs.iter().enumerate() {
        if let Some(how) = scanner_in(commands_of(read)) {
            found.push((*line, how, None, wf.condition_of(Guarded::Runs, i)));
        }
    }
    for (i, step) in wf.action_inputs.iter().enumerate() {
        let built = built_by_step(step, repo);
        if let Some((how, inside)) = built.iter().find_map(|b| scanner_in_build(b, search)) {
            let when = wf.condition_of(Guarded::ActionInputs, i);
            found.push((step.line, how, Some(inside), when));
        }
    }
    for (i, (line, read)) in runs.iter().enumerate() {
        let built = built_by_script(commands_of(read), repo);
        if let Some((how, inside)) = built.iter().find_map(|b| scanner_in_build(b, search)) {
            let when = wf.condition_of(Guarded::Runs, i);
            found.push((*line, how, Some(inside), when));
        }
    }
    (found.into_iter())
        .map(|(line, how, inside, when)| {
            let hit = Hit {
                line,
                how,
                inside,
                only: None,
            };
            (hit, step_runs(when))
        })
        .collect()
}

/// The scanner steps of `workflows` that never run (`if: false`), for the evidence of a `fail`:
/// `path:line` and what they would run.
fn disabled_scanners<'a>(
    workflows: &[&'a Workflow],
    repo: &'a RepoFacts,
    search: &ScriptSearch<'_, 'a>,
) -> Vec<String> {
    (workflows.iter())
        .flat_map(|wf| {
            scanner_steps(wf, repo, search)
                .into_iter()
                .filter(|(_, runs)| *runs == StepRuns::Never)
                .map(|(hit, _)| format!("`{}` at {}:{}", hit.how, wf.path, hit.line))
        })
        .collect()
}

/// The first scanner command of a script (its commands as read), as matched (`trivy fs .`). A
/// script too large or too deeply nested to read runs no scanner that can be seen.
fn scanner_in(commands: &[shell::Command]) -> Option<String> {
    commands.iter().find_map(|c| {
        let text = c.program().join(" ");
        let m = SCANNER_COMMANDS.find(&text)?;
        Some(m.as_str().trim().to_owned())
    })
}

/// The first scanner command in the `RUN` lines a build executes (the built stage and the
/// stages it needs), with where it runs.
fn scanner_in_build<'a>(b: &Built<'a>, search: &ScriptSearch<'_, 'a>) -> Option<(String, InBuild)> {
    let df = b.dockerfile;
    let name = |i: usize| df.stages[i].alias.clone().unwrap_or_else(|| i.to_string());
    stages_needed(df, b.stage).into_iter().find_map(|i| {
        df.stages[i].runs.iter().find_map(|run| {
            let read = search.read("the RUN", &df.path, run.line, &run.value);
            let command = scanner_in(commands_of(&read))?;
            let text = format!(
                "(a `RUN` at {}:{} in stage `{}`, built for stage `{}` by {})",
                df.path,
                run.line,
                name(i),
                name(b.stage),
                b.via
            );
            let evidence = json!({
                "dockerfile": df.path, "run_line": run.line, "stage": name(i),
                "target_stage": name(b.stage), "requested_by": b.via,
            });
            Some((command, InBuild { text, evidence }))
        })
    })
}

fn is_scanner_action(uses: &str) -> bool {
    let action = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
    SCANNER_ACTIONS
        .iter()
        .any(|s| action == *s || action.starts_with(&format!("{s}/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner_command(script: &str) -> Option<String> {
        scanner_in(&shell::commands(script).unwrap_or_default())
    }

    #[test]
    fn a_run_script_too_long_to_read_is_an_error_not_a_fail() {
        let facts = crate::rules::repo_with_unreadable_script(
            ".github/workflows/ci.yml",
            "pull_request",
            7,
            "trivy fs .",
        );
        crate::rules::assert_one_error(&CiVulnScan, &facts, "ci.yml:7");
    }

    #[test]
    fn scanner_commands() {
        for yes in [
            "cargo audit",
            "cargo deny check",
            "cargo deny --all-features check advisories",
            "npm ci\nnpm audit --audit-level=high",
            "pnpm audit --prod",
            "yarn npm audit",
            "trivy fs --exit-code 1 .",
            "grype dir:.",
            "go install golang.org/x/vuln/cmd/govulncheck@latest && govulncheck ./...",
            "pip install pip-audit && pip-audit -r requirements.txt",
            "snyk test",
            "npx osv-scanner -r .",
            "bundle exec bundler-audit check --update",
            "./dependency-check/bin/dependency-check.sh --project api --scan . --failOnCVSS 7",
            "mvn -B org.owasp:dependency-check-maven:12.1.0:check",
            "./mvnw dependency-check:aggregate",
            "./gradlew dependencyCheckAnalyze --info",
            "docker run --rm -v $PWD:/src owasp/dependency-check:latest --scan /src",
            "trivy image --exit-code 1 ghcr.io/acme/api:1",
            "sudo -E trivy fs .",
            "out=$(grype dir:. -o json)",
            "sh -c 'pip-audit'",
        ] {
            assert!(scanner_command(yes).is_some(), "{yes}");
        }
        for no in [
            "cargo deny check licenses",
            "echo remember to run npm audit",
            "go install golang.org/x/vuln/cmd/govulncheck@latest",
            "npm ci",
            "trivy --version",
            "./gradlew build",
            "mvn dependency:tree",
            "docker pull owasp/dependency-check:latest",
            "echo see dependency-check.sh --scan docs",
            // Quoted or written to a file, not run (the old whole-text match took these).
            "echo \"done; trivy fs .\"",
            "git commit -m 'x && npm audit'",
            "cat > ci.sh <<EOF\ngovulncheck ./...\nEOF",
        ] {
            assert!(scanner_command(no).is_none(), "{no}");
        }
    }

    #[test]
    fn scanner_actions() {
        assert!(is_scanner_action("aquasecurity/trivy-action@0.28.0"));
        assert!(is_scanner_action("snyk/actions/node@master"));
        assert!(is_scanner_action(
            "google/osv-scanner-action/.github/workflows/osv-scanner-reusable.yml@v2"
        ));
        assert!(is_scanner_action("EmbarkStudios/cargo-deny-action@v2"));
        assert!(is_scanner_action(
            "dependency-check/Dependency-Check_Action@main"
        ));
        assert!(!is_scanner_action("github/codeql-action/analyze@v3"));
        assert!(!is_scanner_action("aquasecurity/trivy-action-fork@v1"));
    }

    /// Runs the check on a repository made of (path, text) files, parsed as vouch reads them.
    fn verdict(files: &[(&str, &str)]) -> crate::Finding {
        let mut repo = RepoFacts::default();
        for (path, text) in files {
            let kind = crate::parse::classify(path);
            crate::parse::parse_into(kind, path, text.as_bytes(), &mut repo).unwrap();
        }
        let facts = crate::Facts {
            repo: Some(repo),
            ..crate::Facts::default()
        };
        let mut found = crate::registry::run_on(&CiVulnScan, &facts);
        assert_eq!(found.len(), 1);
        found.remove(0)
    }

    const BAKE_WORKFLOW: &str = "on:\n  push:\n  pull_request:\njobs:\n  govulncheck:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: docker/setup-buildx-action@v3\n      - name: Run\n        uses: docker/bake-action@v7\n        with:\n          targets: govulncheck\n";
    const BAKE: &str = "target \"_common\" {\n  args = { GO_VERSION = GO_VERSION }\n}\ntarget \"govulncheck\" {\n  inherits = [\"_common\"]\n  dockerfile = \"./hack/dockerfiles/govulncheck.Dockerfile\"\n  target = \"output\"\n}\n";
    /// docker/buildx's `hack/dockerfiles/govulncheck.Dockerfile`, trimmed.
    const GOVULNCHECK_DOCKERFILE: &str = "ARG GO_VERSION=1.26\nFROM golang:${GO_VERSION}-alpine AS base\nRUN --mount=type=cache,target=/go/pkg/mod \\\n    go install golang.org/x/vuln/cmd/govulncheck@v1.1.4\n\nFROM base AS run\nARG FORMAT\nRUN --mount=type=bind,target=. <<EOT\n  set -ex\n  mkdir /out\n  govulncheck -format ${FORMAT} ./... | tee /out/govulncheck.out\nEOT\n\nFROM scratch AS output\nCOPY --from=run /out /\n";

    #[test]
    fn a_bake_target_whose_stage_runs_govulncheck_is_a_scan() {
        let f = verdict(&[
            (".github/workflows/build.yml", BAKE_WORKFLOW),
            ("docker-bake.hcl", BAKE),
            (
                "hack/dockerfiles/govulncheck.Dockerfile",
                GOVULNCHECK_DOCKERFILE,
            ),
        ]);
        assert_eq!(f.status, crate::model::Status::Pass, "{}", f.message);
        assert!(
            f.message.starts_with("`govulncheck` (a `RUN`"),
            "{}",
            f.message
        );
        assert!(
            f.message
                .contains("hack/dockerfiles/govulncheck.Dockerfile:8")
                && f.message
                    .contains("bake target `govulncheck` (docker-bake.hcl:4)"),
            "{}",
            f.message
        );
        assert_eq!(f.evidence["built"]["stage"], "run");
        assert_eq!(f.evidence["built"]["target_stage"], "output");
    }

    #[test]
    fn a_bake_target_named_govulncheck_that_runs_no_scanner_is_not() {
        // The target's stage does not need the stage that runs govulncheck.
        let unrelated = GOVULNCHECK_DOCKERFILE.replace("COPY --from=run /out /", "COPY go.mod /");
        let f = verdict(&[
            (".github/workflows/build.yml", BAKE_WORKFLOW),
            ("docker-bake.hcl", BAKE),
            ("hack/dockerfiles/govulncheck.Dockerfile", &unrelated),
        ]);
        assert_eq!(f.status, crate::model::Status::Fail, "{}", f.message);
        // No bake file: the target is undefined and bake would fail, so nothing is credited.
        let f = verdict(&[
            (".github/workflows/build.yml", BAKE_WORKFLOW),
            (
                "hack/dockerfiles/govulncheck.Dockerfile",
                GOVULNCHECK_DOCKERFILE,
            ),
        ]);
        assert_eq!(f.status, crate::model::Status::Fail, "{}", f.message);
        // A computed Dockerfile path is not guessed.
        let computed = BAKE.replace(
            "./hack/dockerfiles/govulncheck.Dockerfile",
            "${DIR}/govulncheck.Dockerfile",
        );
        let f = verdict(&[
            (".github/workflows/build.yml", BAKE_WORKFLOW),
            ("docker-bake.hcl", &computed),
            (
                "hack/dockerfiles/govulncheck.Dockerfile",
                GOVULNCHECK_DOCKERFILE,
            ),
        ]);
        assert_eq!(f.status, crate::model::Status::Fail, "{}", f.message);
    }

    #[test]
    fn docker_build_target_and_build_push_action_target_are_followed() {
        let dockerfile = "FROM node:22 AS deps\nRUN npm ci\nFROM deps AS audit\nRUN npm audit --audit-level=high\nFROM deps AS app\nCMD [\"node\"]\n";
        let run = "on: [pull_request]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: docker build --target audit .\n";
        let f = verdict(&[
            (".github/workflows/ci.yml", run),
            ("Dockerfile", dockerfile),
        ]);
        assert_eq!(f.status, crate::model::Status::Pass, "{}", f.message);
        assert!(f.message.contains("npm audit"), "{}", f.message);
        // The app stage does not need the audit stage: no scan.
        let app = run.replace("--target audit", "--target app");
        let f = verdict(&[
            (".github/workflows/ci.yml", &app),
            ("Dockerfile", dockerfile),
        ]);
        assert_eq!(f.status, crate::model::Status::Fail, "{}", f.message);
        let action = "on: [push]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          target: audit\n";
        let f = verdict(&[
            (".github/workflows/ci.yml", action),
            ("Dockerfile", dockerfile),
        ]);
        assert_eq!(f.status, crate::model::Status::Pass, "{}", f.message);
    }
}
