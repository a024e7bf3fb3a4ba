//! Helpers shared by the `docker-*` checks: following stage references and reading image
//! references. Judgements stay in the checks.

pub mod docker_base_pinned;
pub(crate) mod docker_build;
pub mod docker_minimal_base;
pub mod docker_no_secrets;
pub mod docker_non_root;
pub(crate) mod docker_role;

pub(crate) use crate::parse::image_ref::is_scratch;
pub(crate) use crate::parse::image_ref::is_template;
use crate::parse::image_ref::{ImageRef, Parts};

/// The repository name and tag of a reference (`gcr.io/distroless/static:nonroot` →
/// (`gcr.io/distroless/static`, `nonroot`)); the tag is empty when none is given. Lexical only
/// ([`Parts`]): the name of a reference whose tag is a build argument is still read.
pub(crate) fn name_and_tag(reference: &str) -> (&str, &str) {
    let parts = Parts::split(reference);
    (parts.name, parts.tag.unwrap_or_default())
}

pub(crate) fn is_distroless(reference: &str) -> bool {
    reference.starts_with("gcr.io/distroless/")
}

pub(crate) fn is_chainguard(reference: &str) -> bool {
    reference.starts_with("cgr.dev/chainguard/")
}

/// Chiseled images: Ubuntu images cut down with chisel to the runtime's own files (no shell,
/// no package manager). Microsoft's .NET images mark them by tag
/// (`mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled`, `runtime-deps:9.0-noble-chiseled-extra`),
/// Canonical's by repository (`ubuntu/dotnet-aspnet`, `ubuntu/python`… with `-chiseled` tags).
pub(crate) fn is_chiseled(reference: &str) -> bool {
    let (_, tag) = name_and_tag(reference);
    tag.split('-').any(|part| part == "chiseled")
}

/// Red Hat's UBI micro images: no package manager, no shell utilities beyond the minimum.
pub(crate) fn is_ubi_micro(reference: &str) -> bool {
    let (name, _) = name_and_tag(reference);
    name.starts_with("registry.access.redhat.com/")
        && name
            .rsplit('/')
            .next()
            .is_some_and(|n| n == "ubi-micro" || n.ends_with("-micro"))
}

/// Microsoft's distroless images: Azure Linux (and CBL-Mariner) `distroless/*` repositories,
/// and the .NET images built on them, marked by a `distroless` tag part
/// (`mcr.microsoft.com/dotnet/aspnet:10.0-azurelinux3.0-distroless`).
pub(crate) fn is_microsoft_distroless(reference: &str) -> bool {
    let (name, tag) = name_and_tag(reference);
    name.starts_with("mcr.microsoft.com/azurelinux/distroless/")
        || name.starts_with("mcr.microsoft.com/cbl-mariner/distroless/")
        || (name.starts_with("mcr.microsoft.com/dotnet/")
            && tag.split('-').any(|part| part == "distroless"))
}

/// The well-known minimal bases `docker-minimal-base` accepts without configuration.
pub(crate) fn is_known_minimal(reference: &str) -> bool {
    is_distroless(reference)
        || is_chainguard(reference)
        || is_chiseled(reference)
        || is_ubi_micro(reference)
        || is_microsoft_distroless(reference)
}

/// A minimal base known by its repository name alone, whatever the tag: lets a reference whose
/// tag is a build argument (`gcr.io/distroless/static:latest-${GOARCH}`) still be judged.
pub(crate) fn is_minimal_by_name(reference: &str) -> bool {
    let Ok(name) = ImageRef::parse_name_of(reference).map(|r| r.name_without_tag()) else {
        return false;
    };
    let name = name.as_str();
    is_distroless(name)
        || is_chainguard(name)
        || is_ubi_micro(name)
        || name.starts_with("mcr.microsoft.com/azurelinux/distroless/")
        || name.starts_with("mcr.microsoft.com/cbl-mariner/distroless/")
}

/// One Dockerfile judged as each build of the repository builds it
/// ([`docker_build::built_variants`]): the stage a workflow targets, with its `--build-arg`
/// overrides, or the Dockerfile's default build when no workflow builds it.
pub(crate) struct BuildVerdict {
    /// The worst verdict over the builds: a fail, else an error, else a pass.
    pub status: crate::model::Status,
    pub line: u32,
    pub message: String,
    /// The Dockerfile as the build behind the verdict builds it (`None` when it cannot be known).
    pub built: Option<crate::facts::repo::Dockerfile>,
    /// Every build judged: how it is built, its verdict and why; `Null` when no workflow
    /// builds the Dockerfile (its default build was judged).
    pub builds: serde_json::Value,
}

impl BuildVerdict {
    /// Records the verdict on the Dockerfile at `path`, at the line that decided it; the builds
    /// judged join `evidence` when there was more than the default build.
    pub(crate) fn record(
        self,
        path: &str,
        mut evidence: serde_json::Value,
        out: &mut crate::model::Findings,
    ) {
        if !self.builds.is_null() {
            evidence["builds"] = self.builds;
        }
        out.push(
            self.status,
            path.to_owned(),
            crate::model::Location::file(path, self.line),
            self.message,
            evidence,
        );
    }
}

pub(crate) fn judge_builds<'a>(
    df: &crate::facts::repo::Dockerfile,
    repo: &'a crate::facts::repo::RepoFacts,
    scripts: &crate::parse::shell::Scripts<'a>,
    judge: impl Fn(&crate::facts::repo::Dockerfile) -> (crate::model::Status, u32, String),
) -> BuildVerdict {
    use crate::model::Status;
    let search = crate::rules::ScriptSearch::new(scripts);
    let mut worst: Option<BuildVerdict> = None;
    let mut builds = Vec::new();
    // A build of a stage that only exports artefacts (`FROM scratch`, no command: `--target
    // binaries`) makes no image that runs; when every build is one, the default is judged.
    let mut variants: Vec<_> = docker_build::built_variants(df, repo, &search)
        .into_iter()
        .filter(|(build, built)| {
            build.is_none()
                || !built
                    .as_ref()
                    .is_ok_and(docker_role::exports_artefacts_only)
        })
        .collect();
    // Builds of what ships (a release workflow's, or pushed) decide when there are any: a CI
    // build of a `test` or `lint` stage is not the image that runs in production. Without one,
    // what ships is built somewhere the workflows do not show (a Makefile, a platform), most
    // likely by default: the default build is judged beside the CI builds.
    let shipping_found = (variants.iter()).any(|(b, _)| b.as_ref().is_some_and(|b| b.release));
    if shipping_found {
        variants.retain(|(b, _)| b.as_ref().is_some_and(|b| b.release));
    } else if variants.iter().all(|(b, _)| b.is_some()) {
        variants.push((None, Ok(df.clone())));
    }
    // The default build alone adds nothing to say.
    let default_only = variants.len() == 1 && variants[0].0.is_none();
    for (build, built) in variants {
        let (status, line, message, built) = match built {
            Ok(built) => {
                let (status, line, why) = judge(&built);
                let message = match &build {
                    Some(b) => format!("as built by {}: {why}", b.via),
                    None => why,
                };
                (status, line, message, Some(built))
            }
            Err(why) => (Status::Error, 0, why, None),
        };
        builds.push(serde_json::json!({
            "build": build.as_ref().map_or("the Dockerfile's default (no workflow builds it)", |b| b.via.as_str()),
            "status": status,
            "message": message,
        }));
        if worst.as_ref().is_none_or(|w| status > w.status) {
            worst = Some(BuildVerdict {
                status,
                line,
                message,
                built,
                builds: serde_json::Value::Null,
            });
        }
    }
    let mut verdict = worst.unwrap_or(BuildVerdict {
        status: Status::Error,
        line: 0,
        message: "no build of the Dockerfile to judge".to_owned(),
        built: None,
        builds: serde_json::Value::Null,
    });
    if !default_only {
        verdict.builds = serde_json::Value::Array(builds);
    }
    // Without a shipping build in sight, a script the shell reader gave up on may be the one
    // that builds what ships, another way (a target, build arguments): no pass stands then.
    if verdict.status == Status::Pass
        && !shipping_found
        && let Some(unread) = search.unread()
    {
        verdict.status = Status::Error;
        verdict.line = 0;
        verdict.message =
            format!("{unread} cannot be read: a build it runs may build this Dockerfile otherwise");
    }
    verdict
}

/// For the Dockerfile checks' tests: the subject and status of each finding of `check` on a
/// repository holding only the Dockerfile `text` at `path`.
#[cfg(test)]
pub(crate) fn findings_on_dockerfile(
    check: &dyn crate::Check,
    path: &str,
    text: &str,
) -> Vec<(String, crate::Status)> {
    let facts = crate::Facts {
        repo: Some(crate::facts::repo::RepoFacts {
            dockerfiles: vec![crate::parse::dockerfile::parse(path, text).unwrap()],
            ..Default::default()
        }),
        ..Default::default()
    };
    crate::registry::run_on(check, &facts)
        .into_iter()
        .map(|f| (f.subject, f.status))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_minimal_bases() {
        assert!(is_known_minimal(
            "mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled"
        ));
        assert!(is_known_minimal(
            "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled-extra@sha256:ab"
        ));
        assert!(is_known_minimal(
            "ubuntu/python:3.12-24.04_chiseled"
                .replace('_', "-")
                .as_str()
        ));
        assert!(is_known_minimal(
            "registry.access.redhat.com/ubi9/ubi-micro:9.4"
        ));
        assert!(is_known_minimal(
            "mcr.microsoft.com/dotnet/aspnet:10.0-azurelinux3.0-distroless"
        ));
        assert!(is_known_minimal(
            "mcr.microsoft.com/dotnet/runtime-deps:10.0-azurelinux3.0-distroless-extra"
        ));
        assert!(is_known_minimal(
            "mcr.microsoft.com/azurelinux/distroless/minimal:3.0"
        ));
        assert!(!is_known_minimal(
            "mcr.microsoft.com/dotnet/aspnet:10.0-azurelinux3.0"
        ));
        assert!(!is_known_minimal(
            "mcr.microsoft.com/azurelinux/base/core:3.0"
        ));
        assert!(!is_known_minimal(
            "example.com/dotnet/aspnet:10.0-distroless"
        ));
        assert!(is_minimal_by_name(
            "gcr.io/distroless/static-debian13:latest-${GOARCH}"
        ));
        assert!(!is_minimal_by_name("${REGISTRY}/distroless/static:x"));
        assert!(!is_minimal_by_name(
            "mcr.microsoft.com/dotnet/aspnet:${TAG}"
        ));
        assert!(!is_known_minimal("mcr.microsoft.com/dotnet/aspnet:8.0"));
        assert!(!is_known_minimal("registry.access.redhat.com/ubi9/ubi:9.4"));
        assert!(!is_known_minimal("example.com/chiseled/app:latest"));
    }

    #[test]
    fn builds_of_export_stages_are_not_runtime_images() {
        use crate::facts::repo::{Located, RepoFacts, Workflow};
        use crate::model::Status;
        let text = "FROM golang:1 AS build\nRUN go build -o /out/app\n\
                    FROM scratch AS binaries\nCOPY --from=build /out/app /app\n\
                    FROM node:20 AS release\nCMD [\"node\"]\n\
                    FROM gcr.io/distroless/static:nonroot\nCOPY --from=build /out/app /app\n";
        let repo = |script: &str| RepoFacts {
            dockerfiles: vec![crate::parse::dockerfile::parse("Dockerfile", text).unwrap()],
            workflows: vec![Workflow {
                path: ".github/workflows/ci.yml".to_owned(),
                runs: vec![Located {
                    value: script.to_owned(),
                    line: 5,
                    column: None,
                }],
                ..Workflow::default()
            }],
            ..RepoFacts::default()
        };
        let judge = |df: &crate::facts::repo::Dockerfile| {
            let root = df
                .final_chain()
                .last()
                .map(|s| s.base.clone())
                .unwrap_or_default();
            let status = if root.starts_with("gcr.io/distroless/") {
                Status::Pass
            } else {
                Status::Fail
            };
            (status, 0, root)
        };
        let verdict = |script: &str| {
            let repo = repo(script);
            let scripts = crate::parse::shell::Scripts::default();
            let v = judge_builds(&repo.dockerfiles[0], &repo, &scripts, judge);
            (v.status, v.builds.is_null())
        };
        // Only an export is built: the default (final stage) is judged, as with no build.
        assert_eq!(
            verdict("docker build --target binaries -o out ."),
            (Status::Pass, true)
        );
        // An export and a runtime stage: the runtime one counts, the worst verdict stands.
        assert_eq!(
            verdict("docker build --target binaries -o out .\ndocker build --target release ."),
            (Status::Fail, false)
        );
        assert_eq!(verdict("docker build -t app ."), (Status::Pass, false));
        // A pushed build ships: the CI build of another stage beside it is not judged.
        assert_eq!(
            verdict("docker build --target release .\ndocker build --push -t app ."),
            (Status::Pass, false)
        );
        let mut with_release = repo("docker build --target release .");
        with_release.workflows.push(Workflow {
            path: ".github/workflows/release.yml".to_owned(),
            runs: vec![Located {
                value: "docker build -t ghcr.io/acme/app:1 .".to_owned(),
                line: 7,
                column: None,
            }],
            ..Workflow::default()
        });
        let scripts = crate::parse::shell::Scripts::default();
        let v = judge_builds(&with_release.dockerfiles[0], &with_release, &scripts, judge);
        assert_eq!(v.status, Status::Pass, "{}", v.builds);
        assert_eq!(v.builds.as_array().map(Vec::len), Some(1), "{}", v.builds);
    }

    #[test]
    fn splits_references() {
        assert_eq!(name_and_tag("node:20"), ("node", "20"));
        assert_eq!(
            name_and_tag("localhost:5000/app"),
            ("localhost:5000/app", "")
        );
        assert_eq!(
            name_and_tag("gcr.io/distroless/static:nonroot@sha256:ab"),
            ("gcr.io/distroless/static", "nonroot")
        );
    }
}
