use std::sync::LazyLock;

use regex::Regex;
use serde_json::json;

use super::unreadable_files;
use crate::facts::repo::{FileKind, Workflow, WorkflowKind};
use crate::model::{Check, Context, Findings, Location, Meta, Severity, Source};

pub struct CiVulnScan;

static META: Meta = Meta {
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

`github/codeql-action` does not count: CodeQL is static analysis of your own code (SAST), not
a check of dependencies against vulnerability databases (SCA). Neither do scheduled-only
workflows (they do not gate changes). Local composite actions (`uses: ./path/to/action`) and
local reusable workflows (`uses: ./.github/workflows/scan.yml`) called by a gating workflow are
followed, transitively; remote ones are judged by name only. A scanner whose result is ignored (`|| true`,
`continue-on-error`) still counts: vouch cannot see that. If no scanner is found and a
workflow could not be read, the result is an `error`.

## How to fix
Add a job to a pull-request workflow, for example
`uses: google/osv-scanner-action/.github/workflows/osv-scanner-reusable.yml@<sha>`,
`uses: actions/dependency-review-action@<sha>`, or a step such as `run: cargo deny check
advisories` or `run: npm audit --audit-level=high`.

## Evidence
The workflow, line and step that runs the scanner, and its triggers; or the workflows examined.
"#,
};

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

/// Scanner command lines; each starts at a command boundary so mentions in `echo`ed prose or
/// install steps (`go install …/govulncheck@latest`) do not count.
static SCANNER_COMMANDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?m)(?:^|[;&|(`]|\$\()\s*(?:sudo\s+)?(?:npx\s+|pnpm\s+dlx\s+|uvx\s+|pipx\s+run\s+|bundle\s+exec\s+)?(?:",
        r"trivy\s+(?:fs|filesystem|image|repo|repository|rootfs|sbom)\b",
        r"|grype\b|osv-scanner\b|govulncheck\b",
        r"|cargo\s+audit\b",
        r"|cargo\s+deny\b[^\n;&|]*\bcheck\b(?:\s+advisories\b|\s*(?:--[^\n;&|]*)?$|\s*[;&|])",
        r"|(?:npm|pnpm|bun)\s+audit\b|yarn\s+(?:npm\s+)?audit\b",
        r"|pip-audit\b|safety\s+(?:check|scan)\b",
        r"|snyk\s+(?:container\s+)?test\b|docker\s+scout\s+cves\b",
        r"|bundle(?:-|\s+)audit\b|bundler-audit\b|composer\s+audit\b",
        // OWASP dependency-check: the CLI, the Maven and Gradle plugins, the Docker image.
        r"|(?:[\w.-]*/)*dependency-check(?:\.sh|\.bat)?\s+[^\n;&|]*--(?:scan|project)\b",
        r"|(?:\./)?mvnw?\b[^\n;&|]*\b(?:org\.owasp:)?dependency-check(?:-maven)?(?::[\w.-]+)?:(?:check|aggregate)\b",
        r"|(?:\./)?gradlew?\b[^\n;&|]*\bdependencyCheck(?:Analyze|Aggregate)\b",
        r"|docker\s+run\b[^\n;&|]*\s(?:owasp/dependency-check|aquasec/trivy|anchore/grype)(?::[\w.-]+)?\s",
        r")"
    ))
    .expect("scanner regex is valid")
});

impl Check for CiVulnScan {
    fn meta(&self) -> &'static Meta {
        &META
    }

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
        let found = gating
            .iter()
            .find_map(|wf| scanner_reached_from(wf, &repo.workflows));
        if let Some(Reached {
            path,
            line,
            how,
            via,
        }) = found
        {
            let gating_wf = via.first().copied().unwrap_or(path);
            let triggers = gating
                .iter()
                .find(|w| w.path == gating_wf)
                .map(|w| w.triggers.clone())
                .unwrap_or_default();
            let evidence = json!({
                "workflow": gating_wf, "file": path, "line": line, "scanner": how,
                "called_through": via, "triggers": triggers,
            });
            let message = if via.is_empty() {
                format!("`{how}` runs on {}", triggers.join(", "))
            } else {
                format!(
                    "`{how}` ({path}, called from {gating_wf}) runs on {}",
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
        if broken {
            unreadable_files(cx, &[FileKind::Workflow], out);
            let why = "no vulnerability scanner found in the readable workflows, and some \
                       workflows could not be read";
            out.error(".", location, why, evidence);
        } else {
            let why = format!(
                "no workflow run on pull requests or pushes ({} found) runs a dependency or \
                 image vulnerability scanner",
                examined.len()
            );
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
    via: Vec<&'a str>,
}

/// The first scanner `wf` runs itself or through the local actions and reusable workflows it
/// calls (depth first, each file visited once, so cycles end).
fn scanner_reached_from<'a>(wf: &'a Workflow, all: &'a [Workflow]) -> Option<Reached<'a>> {
    let mut seen = vec![wf.path.as_str()];
    reach(wf, all, &mut seen, &mut Vec::new())
}

fn reach<'a>(
    wf: &'a Workflow,
    all: &'a [Workflow],
    seen: &mut Vec<&'a str>,
    via: &mut Vec<&'a str>,
) -> Option<Reached<'a>> {
    if let Some((line, how)) = first_scanner(wf) {
        return Some(Reached {
            path: &wf.path,
            line,
            how,
            via: via.clone(),
        });
    }
    for callee in wf.uses.iter().filter_map(|u| local_callee(&u.value, all)) {
        if seen.contains(&callee.path.as_str()) {
            continue;
        }
        seen.push(&callee.path);
        via.push(&wf.path);
        let found = reach(callee, all, seen, via);
        via.pop();
        if found.is_some() {
            return found;
        }
    }
    None
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

/// The first scanner a workflow runs directly: (line, the `uses:` or command matched).
fn first_scanner(wf: &Workflow) -> Option<(u32, String)> {
    let by_action = wf.uses.iter().find(|u| is_scanner_action(&u.value));
    let by_command = wf.runs.iter().find_map(|r| {
        SCANNER_COMMANDS
            .find(&r.value)
            .map(|m| (r.line, m.as_str()))
    });
    let action = by_action.map(|u| (u.line, u.value.clone()));
    let command = by_command.map(|(line, m)| {
        (
            line,
            m.trim_start_matches([';', '&', '|', '(', '`', '$'])
                .trim()
                .to_owned(),
        )
    });
    [action, command]
        .into_iter()
        .flatten()
        .min_by_key(|(line, _)| *line)
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
        ] {
            assert!(SCANNER_COMMANDS.is_match(yes), "{yes}");
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
        ] {
            assert!(!SCANNER_COMMANDS.is_match(no), "{no}");
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
}
