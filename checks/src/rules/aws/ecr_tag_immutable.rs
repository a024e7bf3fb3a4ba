use serde_json::json;

use super::aws_edge_shared::ecr_repositories;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct EcrTagImmutable;

impl Rule for EcrTagImmutable {
    const META: Meta = Meta {
        id: "ecr-tag-immutable",
        title: "ECR repositories make image tags immutable",
        severity: Severity::Medium,
        controls: &["SUP-06"],
        source: Source::Aws,
        docs: r#"
## Why
With mutable tags anyone who can push can replace `api:1.4.2` with another image; every
deployment, scan result and signature that names the tag then describes something else.

## What is judged
Every ECR repository's `imageTagMutability` is `IMMUTABLE`. `IMMUTABLE_WITH_EXCLUSION` passes
with the note that some tags stay mutable; `MUTABLE` and `MUTABLE_WITH_EXCLUSION` fail. A
listing that failed is an `error`.

## How to fix
`aws ecr put-image-tag-mutability --repository-name R --image-tag-mutability IMMUTABLE`
(Terraform: `image_tag_mutability = "IMMUTABLE"`); deploy by digest as well.

## Evidence
The repository, its tag mutability and encryption, and the `DescribeRepositories` call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (repo, _) in ecr_repositories(cx, out) {
            let at = Location::arn(repo.arn.clone());
            let evidence = json!({ "repository": repo });
            let m = &repo.tag_mutability;
            match m.as_str() {
                "IMMUTABLE" => out.pass(repo.name.clone(), at, format!("repository {}: tags are immutable", repo.name), evidence),
                "IMMUTABLE_WITH_EXCLUSION" => out.pass(
                    repo.name.clone(),
                    at,
                    format!("repository {}: tags are immutable except the excluded ones (note: those can be overwritten)", repo.name),
                    evidence,
                ),
                _ => out.fail(repo.name.clone(), at, format!("repository {}: image tag mutability is {m}: a push can replace a tag", repo.name), evidence),
            }
        }
    }
}
