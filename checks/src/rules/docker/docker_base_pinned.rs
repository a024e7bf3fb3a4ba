use serde_json::json;

use super::docker_build::{Build, as_built, builds_of};
use super::is_scratch;
use crate::facts::repo::{Dockerfile, FileKind, RepoFacts, Stage};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::rules::{Pinning, pinning, unreadable_files};

pub struct DockerBasePinned;

impl Rule for DockerBasePinned {
    const META: Meta = Meta {
        id: "docker-base-pinned",
        title: "Dockerfile base images are pinned by digest",
        severity: Severity::High,
        controls: &["SUP-04"],
        source: Source::Repo,
        docs: r#"
## Why
`FROM node:20-alpine` names a tag, and a tag is a pointer the registry (or whoever takes over
the publisher's account) can move: the next build silently ships a different base image, with
different packages and possibly a backdoor. A `@sha256:` digest names the exact image bytes, so
a build is reproducible and a compromised tag cannot reach you.

## What is judged
Every `FROM` of every Dockerfile, after `ARG` defaults are substituted: `ARG BASE=node:20` then
`FROM ${BASE}` is judged as `node:20` (only global `ARG`s, those before the first `FROM`, are
visible to `FROM`, as in BuildKit). `FROM scratch` passes (there is nothing to pin) and a
`FROM` naming an earlier stage (`FROM build`, `FROM 0`) is not an image and is not judged. A
`FROM` whose variable has no default (`ARG BASE` then `FROM $BASE`) is an `error`: the image is
chosen at build time and cannot be proven pinned. An unreadable Dockerfile is an `error`.

A workflow that builds the Dockerfile with other values (`docker build --build-arg
BASE=node:20`, `docker/build-push-action`'s `build-args:`) pulls other images: each `FROM` it
changes is judged again as that build resolves it, the build named in the evidence. A build
argument whose value vouch cannot read (`${{ … }}`, a shell variable) that a `FROM` uses,
directly or through another `ARG`'s default, is an `error`, as are build arguments that cannot
be listed.

Images pulled without a `FROM` are judged the same way: `COPY --from=busybox:1.36 …` and
`RUN --mount=type=bind,from=ghcr.io/acme/tools:v1,…` copy or mount files from an image, which
reach the build's output just as a base does. A `--from` naming an earlier stage (by alias or
index) is not an image and is not judged.

## How to fix
Pin the digest and keep the tag for readers and update tools:
`FROM node:20-alpine@sha256:<digest>`. Get the digest with
`docker buildx imagetools inspect node:20-alpine` (the top-level, multi-platform digest).
Dependabot (`package-ecosystem: docker`) and Renovate keep digests up to date.

## Evidence
The image reference as resolved (the subject), the `FROM` operand as written, the Dockerfile,
line and stage alias; other Dockerfiles using the same image are listed as related locations.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Dockerfile], out);
        let Some(repo) = &cx.facts.repo else { return };
        out.relate_as("the same image, also pulled here");
        let search = crate::rules::ScriptSearch::new(&cx.scripts);
        for df in &repo.dockerfiles {
            for (index, stage) in df.stages.iter().enumerate() {
                if df.earlier_stage(index).is_none() {
                    judge_base(df, stage, None, out);
                }
                for from in &stage.from_refs {
                    if df.names_earlier_stage(index, &from.value) {
                        continue;
                    }
                    let evidence = json!({
                        "dockerfile": df.path,
                        "line": from.line,
                        "image": from.value,
                        "used_by": "COPY --from / RUN --mount from",
                        "stage": stage.alias,
                    });
                    let location = Location::file(df.path.clone(), from.line);
                    let instruction = format!("--from={}", from.value);
                    judge_reference(&from.value, &instruction, "", location, evidence, out);
                }
            }
            overridden_bases(df, repo, &search, out);
        }
    }
}

/// The `FROM` images a workflow's build picks with `--build-arg` (`build-args:`) instead of the
/// defaults judged above: `ARG RUNTIME=…@sha256:…` then `FROM ${RUNTIME}` built with
/// `--build-arg RUNTIME=node:20` pulls `node:20`. A build whose arguments cannot be read is an
/// `error`.
fn overridden_bases<'a>(
    df: &Dockerfile,
    repo: &'a RepoFacts,
    search: &crate::rules::ScriptSearch<'_, 'a>,
    out: &mut Findings,
) {
    let last = df.stages.len().saturating_sub(1);
    for build in builds_of(df, repo, search) {
        if build.args.is_empty() && !build.args_unknown {
            continue;
        }
        // Every stage, as the default judgement covers every stage.
        let every = Build {
            stage: Some(last),
            ..build.clone()
        };
        let built = match as_built(df, &every) {
            Ok(built) => built,
            Err(why) => {
                let evidence = json!({ "dockerfile": df.path, "build": build.via });
                out.error(
                    df.path.clone(),
                    Location::file(df.path.clone(), 0),
                    why,
                    evidence,
                );
                continue;
            }
        };
        for (index, (stage, default)) in built.stages.iter().zip(&df.stages).enumerate() {
            if stage.base == default.base || built.earlier_stage(index).is_some() {
                continue;
            }
            judge_base(df, stage, Some(&build), out);
        }
    }
    // A `FROM` that takes a build argument pulls what an unreadable script may pass.
    if df.stages.iter().any(|stage| stage.base_written.is_some())
        && let Some(unread) = search.unread()
    {
        let evidence = json!({ "dockerfile": df.path });
        let why = format!(
            "{unread} cannot be read: a build it runs may set the build arguments this Dockerfile's FROM lines use"
        );
        out.error(
            df.path.clone(),
            Location::file(df.path.clone(), 0),
            why,
            evidence,
        );
    }
}

/// The base a stage's `FROM` pulls, as `build` builds it (`None`: as the Dockerfile writes it).
fn judge_base(df: &Dockerfile, stage: &Stage, build: Option<&Build>, out: &mut Findings) {
    let written = stage.base_written.as_deref().unwrap_or(&stage.base);
    let mut evidence = json!({
        "dockerfile": df.path,
        "line": stage.line,
        "base": stage.base,
        "written": written,
        "stage": stage.alias,
    });
    let by = build.map_or_else(String::new, |build| {
        evidence["build"] = json!(build.via);
        format!("as built by {}: ", build.via)
    });
    let location = Location::file(df.path.clone(), stage.line);
    judge_reference(
        &stage.base,
        &format!("FROM {written}"),
        &by,
        location,
        evidence,
        out,
    );
}

/// One image the build pulls: a `FROM` base, or the image of a `COPY --from=` or a
/// `RUN --mount=…,from=`, which reach the build's output just as a base does.
fn judge_reference(
    image: &str,
    written: &str,
    by: &str,
    location: Location,
    evidence: serde_json::Value,
    out: &mut Findings,
) {
    let subject = image.to_owned();
    if is_scratch(image) {
        let how = format!("{by}scratch is empty: nothing to pin");
        out.pass(subject, location, how, evidence);
    } else {
        match pinning(image) {
            Pinning::Digest => {
                let how = format!("{by}pinned by @sha256 digest");
                out.pass(subject, location, how, evidence);
            }
            Pinning::Movable => {
                let why = format!(
                    "{by}`{image}` is not pinned by @sha256 digest: the tag can be moved to \
                     another image"
                );
                out.fail(subject, location, why, evidence);
            }
            Pinning::Unresolved => {
                let why = format!(
                    "{by}`{written}` uses a build argument with no default: which image is built \
                     cannot be proven, let alone that it is pinned"
                );
                out.error(subject, location, why, evidence);
            }
            Pinning::Malformed(e) => {
                let why = format!("{by}`{written}`: {e}: which image is built cannot be proven");
                out.error(subject, location, why, evidence);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::rules::docker::findings_on_dockerfile;

    fn judge(text: &str) -> Vec<(String, Status)> {
        findings_on_dockerfile(&DockerBasePinned, "Dockerfile", text)
    }

    #[test]
    fn judges_each_real_base_once() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let got = judge(&format!(
            "ARG BASE=node:20\nFROM ${{BASE}} AS build\nFROM build AS test\nFROM alpine@{digest}\nFROM scratch\n"
        ));
        assert_eq!(
            got,
            vec![
                (format!("alpine@{digest}"), Status::Pass),
                ("node:20".to_owned(), Status::Fail),
                ("scratch".to_owned(), Status::Pass),
            ]
        );
    }

    #[test]
    fn images_copied_or_mounted_from_are_judged_but_stages_are_not() {
        let digest = format!("sha256:{}", "b".repeat(64));
        let got = judge(&format!(
            "FROM golang@{digest} AS build\nRUN go build\nFROM scratch\n\
             COPY --from=build /app /app\nCOPY --from=0 /x /x\n\
             COPY --link --from=busybox:1.36 /bin/sh /bin/sh\n\
             RUN --mount=type=bind,from=ghcr.io/acme/tools:v1,target=/t true\n\
             COPY --from=nginx@{digest} /etc/nginx /etc/nginx\n"
        ));
        assert_eq!(
            got,
            vec![
                ("busybox:1.36".to_owned(), Status::Fail),
                ("ghcr.io/acme/tools:v1".to_owned(), Status::Fail),
                (format!("golang@{digest}"), Status::Pass),
                (format!("nginx@{digest}"), Status::Pass),
                ("scratch".to_owned(), Status::Pass),
            ]
        );
    }

    #[test]
    fn unresolvable_argument_is_an_error() {
        assert_eq!(
            judge("ARG BASE\nFROM $BASE\n"),
            vec![("$BASE".to_owned(), Status::Error)]
        );
    }

    #[test]
    fn a_malformed_base_is_an_error_not_a_tag() {
        assert_eq!(
            judge("FROM Node:20\n"),
            vec![("Node:20".to_owned(), Status::Error)]
        );
    }
}
