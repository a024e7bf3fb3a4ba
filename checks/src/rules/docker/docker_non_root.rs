use serde_json::json;

use super::docker_role::shipped_dockerfiles;
use super::{is_chainguard, is_chiseled, is_distroless, is_template, judge_builds, name_and_tag};
use crate::facts::repo::{Dockerfile, FileKind};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source, Status};
use crate::rules::unreadable_files;

pub struct DockerNonRoot;

impl Rule for DockerNonRoot {
    const META: Meta = Meta {
        id: "docker-non-root",
        title: "Containers run as a non-root user",
        severity: Severity::High,
        controls: &["CNT-01"],
        source: Source::Repo,
        docs: r#"
## Why
A process running as root inside a container is root on the container's filesystem and one
kernel or runtime bug away from root on the node. Running as an unprivileged user is the
cheapest container hardening there is, and Kubernetes' `runAsNonRoot` refuses images that
do not declare one.

## What is judged
The final stage of each Dockerfile that builds a shipped image — as the repository builds it.
When a workflow builds the Dockerfile (`docker build`/`docker buildx build` in a `run:` step,
`docker/build-push-action`, a bake target), each such build is judged: the stage it targets
(`--target release`, `target:`; the final stage when it names none), with its `--build-arg`
(`build-args:`) values in place of the `ARG` defaults in `FROM` and `USER`, and the worst
verdict stands; the evidence lists every build. When some of them are in a release, deploy or
publish workflow or push (`--push`, `push: true`, or a computed `push:` such as
`${{ github.event_name != 'pull_request' }}`), only those are judged: a CI build of a `test`
stage is not the image that ships. When none is, the Dockerfile's default build (its final
stage) is judged beside them: what ships is then built where the workflows do not show. A
`run:` step with a `working-directory` (its own or a `defaults.run` one), and the commands after a
`cd`, build from a directory not followed, so their builds are attributed to no Dockerfile. A target that is computed or names no stage, a
build argument whose value cannot be read (`${{ … }}`, a shell variable) used by a `FROM` or
`USER`, or build arguments that cannot be listed are an `error` naming the build; so is a bake
target's `args` entry (or `--set …args…`) for an argument a `FROM` or `USER` uses: bake argument
values are not read. A build of a stage that only exports artefacts (`FROM scratch` with no
command, as `--target binaries -o out` builds) makes no image that runs and is left out. With no
workflow building it (or only such exports), the Dockerfile's own default (its final stage) is
judged.

Which Dockerfiles ship: when `[docker] shipped = ["deploy/**"]` (globs over Dockerfile paths)
is set, exactly those. Otherwise a Dockerfile named in a `run:` step (`-f PATH`) or built by
`docker/build-push-action` (`file:`, else `context:`/Dockerfile) in a release, deploy or publish
workflow ships; so does one whose image a production Kubernetes manifest runs (a container
`image:` equal, tag aside, to a literal tag a workflow gives it: `docker build -t`,
`build-push-action`'s `tags:`), and one that a production Compose file builds (`build:`), unless
its own name marks it as a development or test image (a Compose file building `Dockerfile.dev`
is a development one). Manifests and Compose files under test-data or tooling directories, or
named like `compose.dev.yaml`, `docker-compose.test.yml`, `docker-compose.override.yml`, are not
production. One whose path marks it as tooling (under `.devcontainer/`,
`test/`, `tests/`, `e2e/`, `fuzz/`, `docs/`, `examples/`, `ci/`, `hack/`, `bench/`, `codegen/`…, or
named like `Dockerfile.dev`, `Dockerfile.test`, `e2e.Dockerfile`, `Dockerfile-ci`) does not; nor
does a final stage `FROM scratch` with no `CMD`/`ENTRYPOINT` (or one naming a package such as
`/app.apk`), which only exports build artefacts;
every other Dockerfile is judged as shipped. The finding's evidence says which rule decided.
When a `run:` script read to decide this (a release workflow's, or any workflow's when a
production manifest runs an image) is too long or too deeply nested to read, a Dockerfile that
would be tooling is an `error` (the script may build it) until `[docker] shipped` decides.
Tooling Dockerfiles are still judged on pinning (`docker-base-pinned`) and baked secrets
(`docker-no-secrets`).

 Its last `USER` decides; a stage
built `FROM` an earlier stage inherits that stage's `USER`. `root`, `0`, and `root`/`0` with
any group (`0:0`, `root:root`) fail, as does Windows' `ContainerAdministrator`. The `USER`
operand is read as BuildKit reads it: one shell word, quotes removed and build arguments
expanded (`USER "root"`, `USER ${UID}` after `ARG UID=0`), and a uid is a number (`00` is 0).
With no `USER` anywhere in the chain, the base image's default user applies, which vouch can
only know for images that document it: distroless `:nonroot` / `-nonroot` tags, and Chainguard
images (`cgr.dev/chainguard/*`), which run as the `nonroot` user (65532) by default — except
`wolfi-base` and `-dev` variants, which are not assumed — and Microsoft's chiseled .NET images
(`mcr.microsoft.com/dotnet/*:*-chiseled*`), which run as the `app` user (1654) by default, and
Nano Server images (`mcr.microsoft.com/windows/nanoserver`, .NET `*-nanoserver-*` tags), which
run as `ContainerUser`. Any other base without a `USER` fails: most images (`node`, `python`,
`debian`…) default to root. A `USER $VAR` with no default is an `error`, except
`USER $APP_UID` on Microsoft's .NET images, which define `APP_UID=1654` (their `app` user).

## How to fix
Add a user and switch to it at the end of the final stage:
`RUN adduser -D -u 10001 app` then `USER 10001` (a numeric id lets Kubernetes verify
`runAsNonRoot`), or build on `gcr.io/distroless/<runtime>:nonroot`.

## Evidence
The Dockerfile (the subject), the `USER` value and line or the final `FROM` line, and the
stages followed.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Dockerfile], out);
        let Some(repo) = &cx.facts.repo else { return };
        for (df, role) in shipped_dockerfiles(repo, &cx.options.docker.shipped, &cx.scripts, out) {
            let verdict = judge_builds(df, repo, &cx.scripts, judge);
            let built = verdict.built.as_ref();
            let chain: Vec<&str> = built
                .map(|b| b.final_chain().iter().map(|s| s.base.as_str()).collect())
                .unwrap_or_default();
            let user = built.and_then(|b| b.final_chain().iter().find_map(|s| s.user.clone()));
            let evidence = json!({
                "dockerfile": df.path,
                "user": user,
                "stages_followed": chain,
                "shipped": role.evidence(),
            });
            verdict.record(&df.path, evidence, out);
        }
    }
}

/// The verdict on the final stage, the line that decided it, and why.
fn judge(df: &Dockerfile) -> (Status, u32, String) {
    let chain = df.final_chain();
    let Some(last) = chain.first() else {
        return (Status::Error, 0, "no stages".to_owned());
    };
    if let Some(user) = chain.iter().find_map(|s| s.user.as_ref()) {
        let name = user.value.split(':').next().unwrap_or_default().trim();
        let root = chain.last().unwrap_or(last);
        if let Some(uid) = base_image_user_variable(name, &root.base) {
            let why = format!("runs as `USER {}`: {uid}", user.value);
            return (Status::Pass, user.line, why);
        }
        return if is_template(&user.value) {
            let why = format!(
                "`USER {}` uses a build argument with no default",
                user.value
            );
            (Status::Error, user.line, why)
        } else if is_root(name) {
            let why = format!("the final stage runs as root (`USER {}`)", user.value);
            (Status::Fail, user.line, why)
        } else {
            (
                Status::Pass,
                user.line,
                format!("runs as `USER {}`", user.value),
            )
        };
    }
    let root = chain.last().unwrap_or(last);
    if is_template(&root.base) {
        let why = format!("no USER, and the base `{}` cannot be resolved", root.base);
        return (Status::Error, root.line, why);
    }
    if nonroot_by_default(&root.base) {
        let why = format!("no USER, but `{}` runs as nonroot by default", root.base);
        return (Status::Pass, root.line, why);
    }
    let why = format!(
        "the final stage sets no USER: it runs as the default user of `{}`, root for most \
         images",
        root.base
    );
    (Status::Fail, last.line, why)
}

/// A `USER $VAR` whose variable the base image itself defines as a non-root user: Microsoft's
/// .NET images (8.0 and later) set `ENV APP_UID=1654`, the uid of their `app` user, so
/// `USER $APP_UID` (the form their samples use) is that user. Returns the explanation.
fn base_image_user_variable(user: &str, base: &str) -> Option<&'static str> {
    let var = user
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}');
    let (name, _) = name_and_tag(base);
    (user.starts_with('$') && var == "APP_UID" && name.starts_with("mcr.microsoft.com/dotnet/"))
        .then_some("Microsoft's .NET images define APP_UID=1654, their non-root `app` user")
}

/// `root`, uid 0 however written (`0`, `00`), or Windows' `ContainerAdministrator`.
fn is_root(user: &str) -> bool {
    let numeric = user.strip_prefix('+').unwrap_or(user);
    user.is_empty()
        || user == "root"
        || (!numeric.is_empty() && numeric.bytes().all(|b| b == b'0'))
        || user.eq_ignore_ascii_case("ContainerAdministrator")
}

/// Images documented to run as a non-root user by default.
fn nonroot_by_default(reference: &str) -> bool {
    let (name, tag) = name_and_tag(reference);
    if is_distroless(reference) {
        return tag == "nonroot" || tag.ends_with("-nonroot") || tag.starts_with("nonroot-");
    }
    if name.starts_with("mcr.microsoft.com/dotnet/") && is_chiseled(reference) {
        return true;
    }
    // Nano Server images run as `ContainerUser`, not `ContainerAdministrator`, by default.
    if name == "mcr.microsoft.com/windows/nanoserver"
        || (name.starts_with("mcr.microsoft.com/dotnet/")
            && tag.split('-').any(|part| part == "nanoserver"))
    {
        return true;
    }
    is_chainguard(reference) && !name.ends_with("/wolfi-base") && !tag.contains("dev")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::docker::findings_on_dockerfile;

    fn verdict(text: &str) -> (Status, u32) {
        let df = crate::parse::dockerfile::parse("Dockerfile", text).unwrap();
        let (status, line, _) = judge(&df);
        (status, line)
    }

    /// Each Dockerfile's verdict and the line that decided it.
    fn assert_verdicts(cases: &[(&str, (Status, u32))]) {
        for (text, expected) in cases {
            assert_eq!(verdict(text), *expected, "{text}");
        }
    }

    #[test]
    fn users() {
        assert_eq!(verdict("FROM a\nUSER app\n"), (Status::Pass, 2));
        assert_eq!(verdict("FROM a\nUSER app\nUSER 0:0\n"), (Status::Fail, 3));
        assert_eq!(verdict("FROM a\nUSER root:app\n"), (Status::Fail, 2));
        assert_eq!(
            verdict("FROM a\nUSER ContainerAdministrator\n"),
            (Status::Fail, 2)
        );
        assert_eq!(verdict("FROM a\n"), (Status::Fail, 1));
        assert_eq!(verdict("FROM scratch\n"), (Status::Fail, 1));
        assert_eq!(verdict("FROM a\nUSER $U\n"), (Status::Error, 2));
        // Quotes are removed and a uid is a number: all of these are root.
        for root in [
            "\"root\"",
            "'0'",
            "00",
            "\"root:root\"",
            "000:0",
            "+0",
            "${UID}",
            "\"${UID}\":${UID}",
        ] {
            let text = format!("FROM a\nARG UID=0\nUSER {root}\n");
            assert_eq!(verdict(&text), (Status::Fail, 3), "{root}");
        }
        assert_eq!(verdict("FROM a\nUSER 10\n"), (Status::Pass, 2));
        assert_eq!(verdict("FROM a\nUSER \"app\"\n"), (Status::Pass, 2));
    }

    #[test]
    fn dotnet_app_uid_and_nano_server_are_non_root() {
        let sample = "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build\nRUN dotnet publish\n\
                      FROM mcr.microsoft.com/dotnet/aspnet:10.0\nCOPY --from=build /app .\n\
                      USER $APP_UID\nENTRYPOINT [\"./app\"]\n";
        assert_verdicts(&[
            (sample, (Status::Pass, 5)),
            (
                "FROM mcr.microsoft.com/dotnet/runtime:10.0\nUSER ${APP_UID}\n",
                (Status::Pass, 2),
            ),
            // Only Microsoft's .NET images define APP_UID; elsewhere it is an unknown variable.
            ("FROM node:22\nUSER $APP_UID\n", (Status::Error, 2)),
            (
                "FROM mcr.microsoft.com/dotnet/aspnet:10.0\nUSER $UID\n",
                (Status::Error, 2),
            ),
            (
                "FROM mcr.microsoft.com/dotnet/aspnet:10.0-nanoserver-ltsc2022\n",
                (Status::Pass, 1),
            ),
            (
                "FROM mcr.microsoft.com/dotnet/aspnet:10.0-windowsservercore-ltsc2022\n",
                (Status::Fail, 1),
            ),
        ]);
    }

    #[test]
    fn inherits_through_stages_and_trusts_documented_bases() {
        assert_verdicts(&[
            (
                "FROM a AS b\nUSER 10001\nFROM b\nRUN x\n",
                (Status::Pass, 2),
            ),
            ("FROM a AS b\nUSER app\nFROM alpine\n", (Status::Fail, 3)),
            (
                "FROM node AS b\nFROM gcr.io/distroless/nodejs20-debian12:nonroot\n",
                (Status::Pass, 2),
            ),
        ]);
        for (base, status) in [
            ("gcr.io/distroless/static:debug-nonroot", Status::Pass),
            ("gcr.io/distroless/static:latest", Status::Fail),
            ("cgr.dev/chainguard/node:latest", Status::Pass),
            ("cgr.dev/chainguard/node:latest-dev", Status::Fail),
            ("cgr.dev/chainguard/wolfi-base", Status::Fail),
            (
                "mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled",
                Status::Pass,
            ),
        ] {
            assert_eq!(verdict(&format!("FROM {base}\n")), (status, 1), "{base}");
        }
    }

    fn run(path: &str, text: &str) -> Vec<(String, Status)> {
        findings_on_dockerfile(&DockerNonRoot, path, text)
    }

    #[test]
    fn only_shipped_dockerfiles_are_judged() {
        assert_eq!(
            run("Dockerfile", "FROM node:20\nCMD [\"node\"]\n"),
            vec![("Dockerfile".to_owned(), Status::Fail)]
        );
        assert!(run(".devcontainer/Dockerfile", "FROM node:20\n").is_empty());
        assert!(run("Dockerfile.test", "FROM node:20\n").is_empty());
        // An artefact-export stage runs nothing, so it has no user to judge.
        let export = "FROM golang AS b\nRUN go build\nFROM scratch\nCOPY --from=b /a /a\n";
        assert!(run("Dockerfile", export).is_empty());
    }
}
