use serde_json::json;

use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::rules::{Pinning, pinning, unreadable_files};

pub struct GhaImagePinned;

impl Rule for GhaImagePinned {
    const META: Meta = Meta {
        id: "gha-image-pinned",
        title: "CI job and service images are pinned by digest",
        severity: Severity::High,
        controls: &["SUP-05"],
        source: Source::Repo,
        docs: r#"
## Why
A workflow's `container:` image runs every step of the job, with the job's secrets and token;
`services:` images run beside it on the same network. A tag (`node:20`, `postgres:16`) can be
moved to another image by whoever controls it; a `@sha256:` digest cannot.

## What is judged
Every `container:` image and `services.<name>.image` of every job in
`.github/workflows/*.yml`. An image given by an expression (`${{ matrix.image }}`) cannot be
proven pinned and is an `error`, as is an unreadable workflow.

## How to fix
`container: node:20@sha256:<digest>` and `image: postgres:16@sha256:<digest>`; get the digest
with `docker buildx imagetools inspect postgres:16`. Dependabot and Renovate update digests in
workflows.

## Evidence
The image reference (the subject), the workflow and line, and other workflows using it.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Workflow], out);
        let Some(repo) = &cx.facts.repo else { return };
        out.relate_as("the same image, also used here");
        for wf in &repo.workflows {
            for image in &wf.images {
                let reference = image.value.clone();
                let location = Location::file_at(wf.path.clone(), image.line, image.column);
                let evidence =
                    json!({ "image": reference, "workflow": wf.path, "line": image.line });
                match pinning(&reference) {
                    Pinning::Digest => {
                        out.pass(reference, location, "pinned by @sha256 digest", evidence);
                    }
                    Pinning::Movable => {
                        let why = format!(
                            "`{reference}` is not pinned by @sha256 digest: the tag can be moved"
                        );
                        out.fail(reference, location, why, evidence);
                    }
                    Pinning::Unresolved => {
                        let why = format!(
                            "`{reference}` is chosen by an expression: it cannot be proven pinned"
                        );
                        out.error(reference, location, why, evidence);
                    }
                    Pinning::Malformed(e) => {
                        let why = format!("{e}: `{reference}` cannot be proven pinned");
                        out.error(reference, location, why, evidence);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::repo::{Located, RepoFacts, Workflow};
    use crate::registry::run_on;
    use crate::{Facts, Status};

    #[test]
    fn judges_each_image() {
        let pinned = format!("postgres:16@sha256:{}", "c".repeat(64));
        let image = |v: &str, line| Located {
            value: v.to_owned(),
            line,
            column: None,
        };
        let facts = Facts {
            repo: Some(RepoFacts {
                workflows: vec![Workflow {
                    path: ".github/workflows/ci.yml".to_owned(),
                    images: vec![
                        image("node:20", 9),
                        image(&pinned, 12),
                        image("${{ matrix.image }}", 15),
                        // A shell variable, a template, a malformed name: nothing proven, and
                        // not "pinned by tag" either.
                        image("$IMAGE", 18),
                        image("{{ .image }}:1", 21),
                        image("Node:20", 24),
                    ],
                    ..Workflow::default()
                }],
                ..RepoFacts::default()
            }),
            ..Facts::default()
        };
        let got: Vec<_> = run_on(&GhaImagePinned, &facts)
            .into_iter()
            .map(|f| (f.subject, f.status))
            .collect();
        assert_eq!(
            got,
            vec![
                ("$IMAGE".to_owned(), Status::Error),
                ("${{ matrix.image }}".to_owned(), Status::Error),
                ("Node:20".to_owned(), Status::Error),
                ("node:20".to_owned(), Status::Fail),
                (pinned, Status::Pass),
                ("{{ .image }}:1".to_owned(), Status::Error),
            ]
        );
    }
}
