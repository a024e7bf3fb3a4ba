use serde_json::json;

use super::docker_role::shipped_dockerfiles;
use super::{is_known_minimal, is_minimal_by_name, is_scratch, is_template, judge_builds};
use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source, Status};
use crate::parse::image_ref::ImageRef;
use crate::resolve::Globs;
use crate::rules::unreadable_files;

pub struct DockerMinimalBase;

impl Rule for DockerMinimalBase {
    const META: Meta = Meta {
        id: "docker-minimal-base",
        title: "The shipped image builds on a minimal base",
        severity: Severity::Low,
        controls: &["SUP-04"],
        source: Source::Repo,
        docs: r#"
## Why
Every package in an image is attack surface and scanner noise: a shell, a package manager and
hundreds of libraries the application never calls. Minimal bases (distroless, Chainguard,
`scratch`) ship only the runtime, so there is less to exploit and fewer CVEs to triage.

## What is judged
The base of the final stage of each Dockerfile that builds a shipped image (see
`docker-non-root` for how vouch tells shipped images from development, test and docs ones),
following `FROM <earlier stage>` links to the image the chain really starts from. A Dockerfile a
workflow builds is judged as each such build builds it: the stage it targets and its
`--build-arg` values, as `docker-non-root` describes, the worst verdict standing. Minimal:
`scratch`, `gcr.io/distroless/*`, `cgr.dev/chainguard/*`, chiseled images (a tag with a
`chiseled` part, such as `mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled` or Canonical's
`ubuntu/*:*-chiseled`), Microsoft's distroless images (`mcr.microsoft.com/azurelinux/distroless/*`
and .NET tags with a `distroless` part, such as `aspnet:10.0-azurelinux3.0-distroless`), Red Hat
UBI micro (`registry.access.redhat.com/*/ubi-micro`), and any glob listed in `vouch.toml`:

```toml
[docker]
minimal_bases = ["docker.io/library/alpine:*", "registry.example.com/base/*"]
```

A glob is matched against the reference without its digest (`alpine:3.20`) and against the
name without tag (`alpine`); `*` also matches `/`. An unresolvable base (`FROM $BASE` with no
default) or an invalid glob is an `error`, except a repository minimal whatever its tag
(`gcr.io/distroless/static:latest-${GOARCH}`).

## How to fix
Build in a full image and copy the result into a minimal one:
`FROM golang:1.23 AS build` … then `FROM gcr.io/distroless/static:nonroot` and
`COPY --from=build /out/app /app`. If your organisation maintains its own slim bases, list
them in `[docker] minimal_bases`.

## Evidence
The Dockerfile (the subject), the final stage's real base and its `FROM` line, and the stages
followed.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Dockerfile], out);
        let Some(repo) = &cx.facts.repo else { return };
        let allowed = &cx.options.docker.minimal_bases;
        for (df, role) in shipped_dockerfiles(repo, &cx.options.docker.shipped, &cx.scripts, out) {
            if df.final_chain().last().is_none() {
                continue;
            }
            let verdict = judge_builds(df, repo, &cx.scripts, |built| {
                let chain = built.final_chain();
                let Some(root) = chain.last() else {
                    return (Status::Error, 0, "no stages".to_owned());
                };
                let (status, message) = judge(&root.base, allowed);
                (status, root.line, message)
            });
            let chain = verdict
                .built
                .as_ref()
                .map(|b| b.final_chain())
                .unwrap_or_default();
            let root = chain.last();
            let followed: Vec<&str> = chain.iter().map(|s| s.base.as_str()).collect();
            let evidence = json!({
                "dockerfile": df.path,
                "base": root.map(|r| &r.base),
                "line": root.map(|r| r.line),
                "stages_followed": followed,
                "minimal_bases": allowed,
                "shipped": role.evidence(),
            });
            verdict.record(&df.path, evidence, out);
        }
    }
}

fn judge(base: &str, allowed: &Globs) -> (Status, String) {
    if is_scratch(base) {
        return (
            Status::Pass,
            "the final stage is built FROM scratch".to_owned(),
        );
    }
    if is_template(base) && is_minimal_by_name(base) {
        let why = format!("`{base}` is a minimal base image whatever its tag");
        return (Status::Pass, why);
    }
    if is_template(base) {
        let why = format!("the final stage's base `{base}` cannot be resolved");
        return (Status::Error, why);
    }
    let image = match ImageRef::parse(base) {
        Ok(image) => image,
        Err(e) => {
            let why = format!("the final stage's base `{base}` is not an image reference: {e}");
            return (Status::Error, why);
        }
    };
    if is_known_minimal(base) {
        return (Status::Pass, format!("`{base}` is a minimal base image"));
    }
    if allowed.is_match(image.without_digest()) || allowed.is_match(image.name_without_tag()) {
        let how = format!("`{base}` is listed in [docker] minimal_bases");
        return (Status::Pass, how);
    }
    let why = format!(
        "the final stage builds on `{base}`, not a minimal base (distroless, Chainguard, chiseled, \
         UBI micro, scratch or [docker] minimal_bases)"
    );
    (Status::Fail, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    /// `[docker] minimal_bases`, resolved.
    fn allow_list(globs: &[String]) -> Globs {
        let mut settings = Settings::default();
        settings.docker.minimal_bases = globs.to_vec();
        crate::resolve::resolve(&settings)
            .unwrap()
            .docker
            .minimal_bases
    }

    #[test]
    fn bases() {
        let none = allow_list(&[]);
        assert_eq!(judge("scratch", &none).0, Status::Pass);
        assert_eq!(
            judge("gcr.io/distroless/static:nonroot", &none).0,
            Status::Pass
        );
        assert_eq!(judge("cgr.dev/chainguard/python", &none).0, Status::Pass);
        assert_eq!(
            judge(
                "mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled",
                &none
            )
            .0,
            Status::Pass
        );
        assert_eq!(judge("node:20", &none).0, Status::Fail);
        assert_eq!(judge("${BASE}", &none).0, Status::Error);
        let mine = allow_list(&[
            "alpine:*".to_owned(),
            "registry.example.com/base/*".to_owned(),
        ]);
        assert_eq!(judge("alpine:3.20", &mine).0, Status::Pass);
        let pinned = format!("registry.example.com/base/py/3:1@sha256:{}", "a".repeat(64));
        assert_eq!(judge(&pinned, &mine).0, Status::Pass);
        // A malformed reference (a short digest) names no pullable image: it passed before on
        // its name alone, it is an error now.
        assert_eq!(
            judge("registry.example.com/base/py/3:1@sha256:ab", &mine).0,
            Status::Error
        );
        assert_eq!(judge("Alpine:3.20", &mine).0, Status::Error);
        assert_eq!(
            judge("gcr.io/distroless/static:nonroot@sha256:ab", &none).0,
            Status::Error
        );
        assert_eq!(judge("ubuntu:24.04", &mine).0, Status::Fail);
    }
}
