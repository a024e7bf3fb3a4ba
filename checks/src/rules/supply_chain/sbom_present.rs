use std::sync::OnceLock;

use regex::Regex;
use serde_json::json;

use super::script_line;
use crate::facts::repo::{ActionInputs, FileKind, Guarded, RepoFacts, Workflow};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::parse::shell;
use crate::rules::{ScriptSearch, StepRuns, commands_of, step_runs, unreadable_files};

pub struct SbomPresent;

/// Commands in a `run:` script that write a CycloneDX or SPDX document, one pattern per
/// generator (matched case-insensitively on a command's words, joined by spaces). Commands
/// that only read an SBOM (`trivy sbom`, `grype sbom:`, `cyclonedx validate`) are not here.
const SBOM_COMMANDS: [(&str, &str); 14] = [
    // Syft's default output is a table: only an SPDX or CycloneDX output format is an SBOM.
    ("syft", r"(?:^|[\s/])syft\s.*\b(?:cyclonedx|spdx)"),
    (
        "trivy",
        r"(?:^|[\s/])trivy\s.*(?:--format|-f)[=\s]+(?:cyclonedx|spdx|spdx-json)\b",
    ),
    ("cdxgen", r"(?:^|[\s/@])cdxgen\b"),
    (
        "a CycloneDX generator",
        r"(?:^|[\s/])cyclonedx-(?:npm|py|gomod|bom|node|php|dotnet|conan|cocoapods)\b",
    ),
    ("cargo-cyclonedx", r"\bcargo[\s-]cyclonedx\b"),
    (
        "dotnet CycloneDX",
        r"\bdotnet\s+(?:tool\s+run\s+)?cyclonedx\b",
    ),
    ("composer CycloneDX", r"\bcomposer\s+cyclonedx:make-sbom\b"),
    // CycloneDX Gradle plugin tasks: cyclonedxBom (all versions), cyclonedxDirectBom (3.x).
    (
        "CycloneDX Gradle plugin",
        r"\bgradlew?(?:\.bat)?\s.*\bcyclonedx(?:direct)?bom\b",
    ),
    (
        "CycloneDX Maven plugin",
        r"\bmvnw?\s.*\bcyclonedx(?:-maven-plugin)?(?::[\w.-]+)*:make(?:aggregate|package)?bom\b",
    ),
    (
        "docker buildx --sbom",
        r"\bdocker\s+(?:buildx\s+)?(?:build|bake)\s.*(?:--sbom(?:=true|=1|\s+true)?(?:\s|$)|--attest[=\s]+type=sbom)",
    ),
    ("docker sbom", r"\bdocker\s+sbom\s"),
    ("sbom-tool", r"(?:^|[\s/])sbom-tool(?:\.exe)?\s+generate\b"),
    ("spdx-sbom-generator", r"(?:^|[\s/])spdx-sbom-generator\b"),
    // Kubernetes' `bom` (kubernetes-sigs/bom) writes SPDX.
    ("bom generate", r"(?:^|[\s/])bom\s+generate\b"),
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

impl Rule for SbomPresent {
    const META: Meta = Meta {
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
`*.spdx.json`, `bom.json`, `sbom*.json` that declare themselves CycloneDX or SPDX JSON) or when a
workflow that runs on a release, a push, a schedule, by hand or as a reusable workflow (not
only on pull requests) produces one: `syft` with an SPDX or CycloneDX output format,
`trivy fs|image|…` with `--format cyclonedx|spdx|spdx-json`, `cdxgen`, the CycloneDX generators
(`cyclonedx-npm`, `cyclonedx-py`, `cyclonedx-gomod`, `cargo cyclonedx`, `dotnet CycloneDX`,
`composer CycloneDX:make-sbom`), the CycloneDX Gradle plugin's `cyclonedxBom`/`cyclonedxDirectBom`
task, the CycloneDX Maven plugin's `makeBom`/`makeAggregateBom`/`makePackageBom` goals,
`docker buildx build --sbom=true` or `--attest type=sbom`, `docker sbom`, `sbom-tool generate`,
`spdx-sbom-generator`, Kubernetes' `bom generate`, and the `anchore/sbom-action`,
`CycloneDX/gh-*-generate-sbom` and
`advanced-security/sbom-generator-action` actions, and `docker/build-push-action` or
`docker/bake-action` (or Docker's reusable `docker/github-builder` build and bake workflows)
with the input `sbom: true` (or `attests: type=sbom`; `provenance` alone
attests how the image was built, not what it contains, and does not count). Commands that only
read an SBOM (`trivy sbom`, `grype sbom:`, `cyclonedx validate`) do not count, nor does Syft's
default table output. A step or job behind `if: false` never runs and does not count; one
behind another `if:` (a tag filter) counts, and the message and the evidence (`only_when`)
quote the condition.
The finding points at the first
committed SBOM, else at the workflow line that produces one, else at `.` (line 0). A repository
with no manifest, lockfile or Dockerfile ships nothing to describe and gets no finding.
Whether the SBOM is then published (attached to the release, attested) is not seen. With no
SBOM found, a `run:` script searched (of a release-type workflow, a reusable workflow or a
composite action) that is too long (over 256 KiB) or too deeply nested for the shell reader
makes the result an `error` (the script may produce one), not a `fail`.

## How to fix
Generate the SBOM in the release workflow, e.g. `anchore/sbom-action` pinned by SHA, or
`syft . -o cyclonedx-json=sbom.cdx.json`, and attach it to the release; or commit one per
deliverable (`sbom/web.cdx.json`) and keep it current with `sbom-valid`.

## Evidence
The committed SBOMs and every producing workflow step with its line and triggers.
"#,
    };

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
        // Every script searched (the `run:` steps of every release-type workflow, reusable
        // workflow and composite action) is read through `search`, which keeps the first one
        // that could not be read.
        let search = ScriptSearch::new(&cx.scripts);
        let producers = producing_steps(repo, &search);
        let evidence = json!({
            "committed": committed,
            "produced_by": producers.iter().map(|p| {
                let mut step = json!({
                    "workflow": p.wf.path, "line": p.line, "step": p.what,
                    "triggers": p.wf.triggers,
                });
                if let Some(when) = &p.only {
                    step["only_when"] = json!(when);
                }
                step
            }).collect::<Vec<_>>(),
        });
        if let Some(first) = committed.first() {
            out.pass(
                ".",
                Location::file(*first, 0),
                format!("{} SBOM(s) committed, first {first}", committed.len()),
                evidence,
            );
        } else if let Some(p) = producers.first() {
            let location = Location::file(p.wf.path.clone(), p.line);
            let (path, what) = (&p.wf.path, &p.what);
            // Behind an `if:` vouch does not evaluate (a tag filter, most often) it still
            // counts, said in the message; `if: false` never counts.
            let only = (p.only.as_ref()).map_or_else(String::new, |w| format!(" only when `{w}`"));
            out.pass(
                ".",
                location,
                format!("{path} produces an SBOM (`{what}`){only}"),
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
        } else if let Some(script) = search.unread() {
            // A script the shell reader gave up on (too long, nested too deep) may produce one.
            let mut evidence = evidence;
            evidence["unreadable_script"] = json!({
                "file": script.file, "line": script.line, "cause": script.cause.to_string(),
            });
            out.error(
                ".",
                Location::file(script.file, script.line),
                format!(
                    "no SBOM is committed and none is seen produced, and {script} could not be \
                     read"
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

/// A step of a release-type workflow that produces an SBOM.
struct Producer<'a> {
    wf: &'a Workflow,
    line: u32,
    what: String,
    /// The step's `if:` when it does not always run.
    only: Option<String>,
}

/// Every step of a release-type workflow that produces an SBOM and can run (a step behind
/// `if: false` never does), those that always run first.
fn producing_steps<'a>(repo: &'a RepoFacts, search: &ScriptSearch<'_, 'a>) -> Vec<Producer<'a>> {
    let mut out = Vec::new();
    for wf in repo.workflows.iter().filter(|w| runs_on_release(w)) {
        // (the `if:` of the entry, by its index in its list; line of the producing step; what)
        let mut found: Vec<(Option<&str>, u32, String)> = Vec::new();
        for (i, used) in wf.uses.iter().enumerate() {
            let lower = used.value.to_ascii_lowercase();
            if SBOM_ACTIONS.iter().any(|a| lower.starts_with(a)) {
                let when = wf.condition_of(Guarded::Uses, i);
                found.push((when, used.line, used.value.clone()));
            }
        }
        for (i, step) in wf.action_inputs.iter().enumerate() {
            if let Some(what) = sbom_attesting_build(step) {
                found.push((wf.condition_of(Guarded::ActionInputs, i), step.line, what));
            }
        }
        for (i, run) in wf.runs.iter().enumerate() {
            let read = search.run_step(&wf.path, run);
            if let Some((offset, text)) = sbom_command(commands_of(&read)) {
                let line = script_line(run.line, run.value.contains('\n'), offset);
                found.push((wf.condition_of(Guarded::Runs, i), line, text));
            }
        }
        for (when, line, what) in found {
            let only = match step_runs(when) {
                StepRuns::Never => continue,
                StepRuns::Always => None,
                StepRuns::Only(when) => Some(when.to_owned()),
            };
            out.push(Producer {
                wf,
                line,
                what,
                only,
            });
        }
    }
    out.sort_by_key(|p| p.only.is_some());
    out
}

/// A Docker build action asked to attach an SBOM attestation to the image it builds.
fn sbom_attesting_build(step: &ActionInputs) -> Option<String> {
    let action = [
        "docker/build-push-action",
        "docker/bake-action",
        // Docker's reusable build workflows take the same `sbom` input.
        "docker/github-builder/.github/workflows/build.yml",
        "docker/github-builder/.github/workflows/bake.yml",
    ]
    .into_iter()
    .find(|a| step.uses_action(a))?;
    let sbom_on = step
        .input("sbom")
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1"));
    let attests_sbom = step
        .input("attests")
        .is_some_and(|v| v.contains("type=sbom"));
    (sbom_on || attests_sbom).then(|| format!("{action} with sbom: true"))
}

fn runs_on_release(wf: &Workflow) -> bool {
    wf.triggers.is_empty()
        || wf
            .triggers
            .iter()
            .any(|t| RELEASE_TRIGGERS.contains(&t.as_str()))
}

/// The command that produces an SBOM, if any: (line index in the script, its words). Commands
/// are read as the shell reads them ([`shell`]): comments, quoted text and heredoc bodies are
/// not commands; a script too large or too deeply nested to read produces none that can be seen.
fn sbom_command(commands: &[shell::Command]) -> Option<(usize, String)> {
    static PATTERNS: OnceLock<Vec<Regex>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        SBOM_COMMANDS
            .iter()
            .map(|(_, p)| Regex::new(&format!("(?is){p}")).expect("valid pattern"))
            .collect()
    });
    commands.iter().find_map(|c| {
        // A word with blanks in it is quoted text (`echo "then syft -o spdx"`), never a
        // program or an option of one: the patterns do not look inside it.
        let masked: Vec<&str> = c
            .program()
            .iter()
            .map(|w| {
                if w.contains(char::is_whitespace) {
                    "_"
                } else {
                    w
                }
            })
            .collect();
        let masked = masked.join(" ");
        let produces =
            !masked.contains("--sbom=false") && patterns.iter().any(|p| p.is_match(&masked));
        produces.then(|| (c.line, c.program().join(" ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sbom_command(script: &str) -> Option<(usize, String)> {
        super::sbom_command(&shell::commands(script).unwrap_or_default())
    }

    #[test]
    fn recognises_generators() {
        let producers = [
            "syft . -o cyclonedx-json=sbom.cdx.json",
            "syft scan dir:. \\\n  --output spdx-json=sbom.spdx.json",
            "npx @cyclonedx/cyclonedx-npm --output-file bom.json",
            "cyclonedx-py environment -o bom.json",
            "cargo cyclonedx --format json",
            "trivy fs --format cyclonedx -o bom.json .",
            "trivy image -f spdx-json ghcr.io/acme/api:1",
            "npx @cyclonedx/cdxgen -o bom.json",
            "./gradlew cyclonedxBom --no-daemon",
            "./gradlew build cyclonedxDirectBom",
            "mvn -B org.cyclonedx:cyclonedx-maven-plugin:2.9.1:makeAggregateBom",
            "./mvnw package cyclonedx:makeBom",
            "docker buildx build --sbom=true -t acme/api .",
            "docker buildx build --attest type=sbom --push .",
            "sbom-tool generate -b out -bc . -pn api -pv 1.0 -ps acme",
            "bom generate \\\n  --dirs=. \\\n  --output=$OUTPUT",
        ];
        for script in producers {
            assert!(sbom_command(script).is_some(), "{script}");
        }
    }

    #[test]
    fn near_misses_are_not_producers() {
        let readers = [
            "trivy fs --severity HIGH .",
            "trivy sbom bom.json",
            "syft . -o table",
            "grype sbom:./bom.json",
            "cyclonedx validate --input-file bom.json",
            "./gradlew build",
            "docker buildx build --sbom=false -t acme/api .",
            "docker buildx build -t acme/api .",
            "echo done\n# syft . -o spdx-json later",
            "bom validate -e sbom.spdx",
            "npm run bom",
            // Quoted or written to a file, not run (the old line match took these).
            "echo 'next: syft . -o spdx-json'",
            "git commit -m \"a; bom generate --dirs=.\"",
            "cat > gen.sh <<'EOF'\nsyft . -o spdx-json\nEOF",
        ];
        for script in readers {
            assert!(sbom_command(script).is_none(), "{script}");
        }
    }

    #[test]
    fn continuation_lines_point_at_the_command_start() {
        let script = "echo hi\nsyft dir:. \\\n  -o cyclonedx-json=bom.json\n";
        assert_eq!(sbom_command(script).map(|(i, _)| i), Some(1));
    }

    #[test]
    fn a_release_script_too_long_to_read_is_an_error_not_a_fail() {
        let facts = crate::rules::repo_with_unreadable_script(
            ".github/workflows/release.yml",
            "release",
            12,
            "syft . -o spdx-json",
        );
        crate::rules::assert_one_error(&SbomPresent, &facts, "release.yml:12");
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

    /// A step of the tests' workflow, at line 7.
    fn step(uses: &str, with: &[(&str, &str)]) -> ActionInputs {
        crate::rules::action_step(uses, 7, with)
    }

    #[test]
    fn build_push_action_with_sbom_produces_one_and_provenance_alone_does_not() {
        let build = "docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83";
        for with in [
            &[("sbom", "true"), ("provenance", "mode=max")][..],
            &[("sbom", "True")][..],
            &[(
                "attests",
                "type=sbom,generator=docker/buildkit-syft-scanner",
            )][..],
        ] {
            assert!(
                sbom_attesting_build(&step(build, with)).is_some(),
                "{with:?}"
            );
        }
        assert!(
            sbom_attesting_build(&step("docker/bake-action@v6", &[("sbom", "true")])).is_some()
        );
        let reusable = "docker/github-builder/.github/workflows/bake.yml@a492c6d04fd3315f67230809b44d60cc0acd50b3";
        assert!(sbom_attesting_build(&step(reusable, &[("sbom", "true")])).is_some());
        for with in [
            &[("provenance", "mode=max")][..],
            &[("sbom", "false"), ("provenance", "true")][..],
            &[("push", "true")][..],
        ] {
            assert!(
                sbom_attesting_build(&step(build, with)).is_none(),
                "{with:?}"
            );
        }
        assert!(
            sbom_attesting_build(&step("acme/build-push-action@v1", &[("sbom", "true")])).is_none()
        );

        let repo = RepoFacts {
            workflows: vec![Workflow {
                path: ".github/workflows/release.yml".to_owned(),
                triggers: vec!["release".to_owned()],
                action_inputs: vec![step(build, &[("sbom", "true"), ("provenance", "mode=max")])],
                ..Workflow::default()
            }],
            ..RepoFacts::default()
        };
        let found = producing_steps(&repo, &ScriptSearch::new(&shell::Scripts::default()));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 7);
        assert_eq!(found[0].what, "docker/build-push-action with sbom: true");
    }
}
