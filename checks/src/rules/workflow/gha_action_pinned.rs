use serde_json::json;

use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::rules::{is_commit_sha, is_digest_pinned, unreadable_files};

pub struct GhaActionPinned;

impl Rule for GhaActionPinned {
    const META: Meta = Meta {
        id: "gha-action-pinned",
        title: "GitHub Actions are pinned to a full commit SHA",
        severity: Severity::High,
        controls: &["SUP-05"],
        source: Source::Repo,
        docs: r#"
## Why
A tag such as `actions/checkout@v4` is a moving pointer: whoever controls the action's
repository (or steals a maintainer's token) can move it to new code, which then runs in your CI
with your secrets. A full 40-character commit SHA cannot be moved. This is how the tj-actions
compromise of 2025 reached thousands of pipelines.

## What is judged
Every remote `uses:` in `.github/workflows/*.yml` and in composite actions (`action.yml`),
including reusable workflows (`owner/repo/.github/workflows/x.yml@ref`). Local actions
(`./path`) pass: their code is versioned with the repository, and their own `action.yml` is
judged in turn — its composite steps' `uses:`, and the image of a Docker container action
(`runs: {using: docker, image: docker://…}`), which runs wherever the action is used, exactly
as a `uses: docker://…` step would (an `image:` naming a Dockerfile is built from the
repository). `docker://` actions must be pinned by `@sha256:` digest.

## How to fix
Replace the tag with the commit it points to and keep the tag as a comment so update tools can
follow it: `uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2`.
Dependabot and Renovate both update SHA pins.

## Evidence
The `uses:` value, its ref, and every workflow and line where it appears.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Workflow], out);
        let Some(repo) = &cx.facts.repo else { return };
        out.relate_as("the same action, also used here");
        for wf in &repo.workflows {
            for used in &wf.uses {
                let location = Location::file_at(wf.path.clone(), used.line, used.column);
                let evidence =
                    json!({ "uses": used.value, "workflow": wf.path, "line": used.line });
                match judge(&used.value) {
                    Ok(how) => out.pass(used.value.clone(), location, how, evidence),
                    Err(why) => out.fail(used.value.clone(), location, why, evidence),
                }
            }
        }
    }
}

/// `Ok(how it is pinned)` or `Err(why it is not)`.
fn judge(uses: &str) -> Result<String, String> {
    if uses.starts_with("./") {
        return Ok("local action, versioned with the repository".to_owned());
    }
    if let Some(image) = uses.strip_prefix("docker://") {
        return if is_digest_pinned(image) {
            Ok("docker action pinned by digest".to_owned())
        } else {
            Err(format!(
                "docker action `{image}` is not pinned by @sha256 digest"
            ))
        };
    }
    match uses.rsplit_once('@') {
        None => Err(format!(
            "`{uses}` has no ref: it follows the default branch"
        )),
        Some((_, r)) if is_commit_sha(r) => Ok(format!("pinned to commit {r}")),
        Some((action, r)) => Err(format!(
            "`{action}` is pinned to `{r}`, a movable ref, not a full commit SHA"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::judge;

    #[test]
    fn judges_refs() {
        assert!(judge("./.github/actions/setup").is_ok());
        assert!(judge("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683").is_ok());
        assert!(judge("actions/checkout@v4").is_err());
        assert!(judge("actions/checkout").is_err());
        assert!(judge("org/repo/.github/workflows/ci.yml@main").is_err());
        assert!(judge("docker://alpine:3.20").is_err());
        assert!(judge(&format!("docker://alpine@sha256:{}", "b".repeat(64))).is_ok());
    }
}
