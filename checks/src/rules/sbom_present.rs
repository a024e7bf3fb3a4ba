use serde_json::json;

use super::supply_chain::script_line;
use super::unreadable_files;
use crate::facts::repo::{FileKind, RepoFacts, Workflow};
use crate::model::{Check, Context, Findings, Location, Meta, Severity, Source};

pub struct SbomPresent;

static META: Meta = Meta {
    id: "sbom-present",
    title: "An SBOM is committed or produced by a release workflow",
    severity: Severity::Medium,
    controls: &["SUP-02"],
    source: Source::Repo,
    docs: r#"
## Why
When the next Log4Shell is announced, the question is "do we ship it, and where?". A software
bill of materials (CycloneDX or SPDX) answers it in minutes instead of days, and customers and
regulations (US EO 14028, the EU Cyber Resilience Act) increasingly ask for one per release.

## What is judged
The repository as a whole (subject `.`): it passes when it commits an SBOM (`*.cdx.json`,
`*.spdx.json`, `bom.json`, `sbom*.json` that parse as CycloneDX or SPDX JSON) or when a
workflow that runs on a release, a push, a schedule, by hand or as a reusable workflow (not
only on pull requests) produces one: `syft`, `anchore/sbom-action`, `cyclonedx-*` tools
(`cyclonedx-npm`, `cyclonedx-py`, `cyclonedx-gomod`…), `cargo cyclonedx`/`cargo-cyclonedx`,
`cdxgen`, `trivy sbom` or `trivy … --format cyclonedx|spdx|spdx-json`, `docker sbom`,
`microsoft/sbom-tool`, `CycloneDX/gh-*-generate-sbom` actions. The finding points at the first
committed SBOM, else at the workflow line that produces one, else at `.` (line 0). A repository
with no manifest, lockfile or Dockerfile ships nothing to describe and gets no finding.
Whether the SBOM is then published (attached to the release, attested) is not seen.

## How to fix
Generate the SBOM in the release workflow, e.g. `anchore/sbom-action` pinned by SHA, or
`syft . -o cyclonedx-json=sbom.cdx.json`, and attach it to the release; or commit one per
deliverable (`sbom/web.cdx.json`) and keep it current with `sbom-valid`.

## Evidence
The committed SBOMs and every producing workflow step with its line and triggers.
"#,
};

/// Text in a `run:` script that produces an SBOM.
const SBOM_COMMANDS: [&str; 9] = [
    "syft ",
    "cyclonedx-",
    "cyclonedx ",
    "cargo cyclonedx",
    "cdxgen",
    "trivy sbom",
    "docker sbom",
    "sbom-tool",
    "spdx-sbom-generator",
];

/// `uses:` prefixes of actions that produce an SBOM.
const SBOM_ACTIONS: [&str; 4] = [
    "anchore/sbom-action",
    "cyclonedx/gh-",
    "advanced-security/sbom-generator-action",
    "microsoft/sbom-tool",
];

/// Triggers that mean the workflow runs on what is shipped, not only on proposed changes.
const RELEASE_TRIGGERS: [&str; 6] = [
    "release",
    "push",
    "workflow_dispatch",
    "schedule",
    "workflow_call",
    "create",
];

impl Check for SbomPresent {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Sbom, FileKind::Workflow], out);
        let Some(repo) = &cx.facts.repo else { return };
        let ships_something = !(repo.manifests.is_empty()
            && repo.lockfiles.is_empty()
            && repo.dockerfiles.is_empty());
        if !ships_something {
            return;
        }
        let committed: Vec<&str> = repo.sboms.iter().map(|s| s.path.as_str()).collect();
        let producers = producing_steps(repo);
        let evidence = json!({
            "committed": committed,
            "produced_by": producers.iter().map(|(wf, line, what)| json!({
                "workflow": wf.path, "line": line, "step": what, "triggers": wf.triggers,
            })).collect::<Vec<_>>(),
        });
        if let Some(first) = committed.first() {
            out.pass(
                ".",
                Location::file(*first, 0),
                format!("{} SBOM(s) committed, first {first}", committed.len()),
                evidence,
            );
        } else if let Some((wf, line, what)) = producers.first() {
            out.pass(
                ".",
                Location::file(wf.path.clone(), *line),
                format!("{} produces an SBOM (`{what}`)", wf.path),
                evidence,
            );
        } else if let Some(u) = repo
            .unreadable
            .iter()
            .find(|u| matches!(u.kind, FileKind::Sbom | FileKind::Workflow))
        {
            // The unreadable file may be the SBOM or the workflow that produces it.
            out.error(
                ".",
                Location::file(u.path.clone(), 0),
                format!(
                    "no readable SBOM or SBOM-producing workflow, and {} could not be read",
                    u.path
                ),
                evidence,
            );
        } else {
            out.fail(
                ".",
                Location::file(".", 0),
                "no SBOM is committed and no release workflow produces one",
                evidence,
            );
        }
    }
}

/// (workflow, line, step) for each step of a release-type workflow that produces an SBOM.
fn producing_steps(repo: &RepoFacts) -> Vec<(&Workflow, u32, String)> {
    let mut out = Vec::new();
    for wf in repo.workflows.iter().filter(|w| runs_on_release(w)) {
        for used in &wf.uses {
            let lower = used.value.to_ascii_lowercase();
            if SBOM_ACTIONS.iter().any(|a| lower.starts_with(a)) {
                out.push((wf, used.line, used.value.clone()));
            }
        }
        for run in &wf.runs {
            if let Some((offset, text)) = sbom_command(&run.value) {
                let line = script_line(run.line, run.value.contains('\n'), offset);
                out.push((wf, line, text.trim().to_owned()));
            }
        }
    }
    out
}

fn runs_on_release(wf: &Workflow) -> bool {
    wf.triggers.is_empty()
        || wf
            .triggers
            .iter()
            .any(|t| RELEASE_TRIGGERS.contains(&t.as_str()))
}

/// The script line that produces an SBOM, if any: (index in the script, text).
fn sbom_command(script: &str) -> Option<(usize, &str)> {
    script.lines().enumerate().find(|(_, line)| {
        let l = format!("{} ", line.trim().to_ascii_lowercase());
        if l.starts_with('#') {
            return false;
        }
        let trivy_format = l.contains("trivy ")
            && ["cyclonedx", "spdx"].iter().any(|f| {
                l.contains(&format!("--format {f}"))
                    || l.contains(&format!("--format={f}"))
                    || l.contains(&format!("-f {f}"))
            });
        trivy_format
            || SBOM_COMMANDS.iter().any(|c| {
                l.starts_with(c) || l.contains(&format!(" {c}")) || l.contains(&format!("/{c}"))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_generators() {
        assert!(sbom_command("syft . -o cyclonedx-json=sbom.cdx.json").is_some());
        assert!(sbom_command("npx @cyclonedx/cyclonedx-npm --output-file bom.json").is_some());
        assert!(sbom_command("cargo cyclonedx --format json").is_some());
        assert!(sbom_command("trivy fs --format cyclonedx -o bom.json .").is_some());
        assert!(sbom_command("trivy fs --severity HIGH .").is_none());
        assert!(sbom_command("echo done\n# syft later").is_none());
    }

    #[test]
    fn pull_request_only_workflows_do_not_count() {
        let wf = Workflow {
            triggers: vec!["pull_request".to_owned()],
            ..Workflow::default()
        };
        assert!(!runs_on_release(&wf));
        let wf = Workflow {
            triggers: vec!["pull_request".to_owned(), "release".to_owned()],
            ..Workflow::default()
        };
        assert!(runs_on_release(&wf));
    }
}
