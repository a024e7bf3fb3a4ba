//! Which Dockerfiles build an image that ships.
//!
//! A repository holds Dockerfiles for many purposes: the service image, but also devcontainers,
//! test and e2e runners, fuzzers, code generators, docs builders, load tests. Judging them all
//! as production images makes `docker-non-root` and `docker-minimal-base` noisy, and noise hides
//! the findings that matter. Every Dockerfile is still judged on pinning (`docker-base-pinned`)
//! and baked secrets (`docker-no-secrets`), whatever its role.
//!
//! The rule, in order (the first that applies decides):
//! 1. `[docker] shipped = [globs]` is set: exactly the Dockerfiles it matches ship.
//! 2. A release, deploy or publish workflow names the Dockerfile in a `run:` step: it ships.
//!    So does one that a production Kubernetes manifest runs (its container image is an image
//!    a workflow builds from this Dockerfile and tags), or that a production Compose file
//!    builds (`build:`), unless the Dockerfile's own name says it is a development or test
//!    image. Manifests and Compose files whose path or name marks them as tooling (`e2e/`,
//!    `testdata/`, `compose.dev.yaml`, `docker-compose.override.yml`…) are not production.
//! 3. Its path marks it as tooling (a `.devcontainer/`, `test/`, `e2e/`, `fuzz/`, `docs/`…
//!    directory, or a `Dockerfile.dev` / `test.Dockerfile` style name): it does not ship.
//! 4. A final stage `FROM scratch` with no `CMD` or `ENTRYPOINT`, or one naming a package or
//!    archive (`ENTRYPOINT ["/app.apk"]`), starts no process: it only exports build artefacts
//!    (`docker build --output`), so it is not a runtime image.
//! 5. Otherwise it ships: when in doubt, a Dockerfile is judged as the image it may well be.
//!
//! "Does not ship" (3, 4) is decided only when every script rule 2 read could be read (the
//! release workflows' `run:` steps, and every workflow's when a production manifest runs an
//! image): a script the shell reader refused may build this Dockerfile, so its role is an
//! `error` until `[docker] shipped` decides it.

use serde_json::{Value, json};

use super::docker_build::{image_name, tagged_images};
use super::is_scratch;
use crate::facts::repo::{ActionInputs, Dockerfile, RepoFacts};
use crate::model::{Findings, Location};
use crate::parse::shell::{self, Scripts};
use crate::resolve::Globs;
use crate::rules::{ScriptSearch, commands_of, is_test_data_path};

/// The Dockerfiles that build shipped images, with the reason for each. A Dockerfile whose role
/// cannot be decided (a tooling-looking Dockerfile while a script read to decide it could not be
/// read) is an `error` finding, never skipped.
pub(crate) fn shipped_dockerfiles<'a>(
    repo: &'a RepoFacts,
    globs: &Globs,
    scripts: &Scripts<'a>,
    out: &mut Findings,
) -> Vec<(&'a Dockerfile, Role)> {
    let mut shipped = Vec::new();
    for df in &repo.dockerfiles {
        match classify(df, repo, globs, scripts) {
            Ok(role) if role.shipped => shipped.push((df, role)),
            Ok(_) => {}
            Err(why) => out.error(
                df.path.clone(),
                Location::file(df.path.clone(), 0),
                why,
                json!({ "dockerfile": df.path }),
            ),
        }
    }
    shipped
}

/// Directory names whose Dockerfiles build tooling, not the product.
const TOOLING_DIRS: &[&str] = &[
    ".devcontainer",
    "devcontainer",
    ".github",
    ".gitlab",
    ".circleci",
    "ci",
    "test",
    "tests",
    "testing",
    "testdata",
    "e2e",
    "integration-tests",
    "fuzz",
    "fuzzing",
    "docs",
    "doc",
    "examples",
    "example",
    "loadtest",
    "load-test",
    "load-tests",
    "benchmarks",
    "bench",
    "codegen",
    // protobuf code generators (`src/checkout/genproto/Dockerfile`)
    "genproto",
    "hack",
];

/// Words in a Dockerfile's name (`Dockerfile.dev`, `e2e.Dockerfile`, `Dockerfile-test`) that
/// mark it as tooling.
const TOOLING_WORDS: &[&str] = &[
    "dev",
    "develop",
    "development",
    "devcontainer",
    "local",
    "debug",
    "test",
    "tests",
    "testing",
    "e2e",
    "ci",
    "fuzz",
    "docs",
    "doc",
    "codegen",
    "genproto",
    // browser end-to-end test runners (`Dockerfile.cypress`)
    "cypress",
    "playwright",
    "lint",
    "bench",
    "loadtest",
];

/// Workflow file-name words that say the workflow releases or deploys.
const RELEASE_WORDS: &[&str] = &["release", "deploy", "publish", "cd", "docker", "image"];

/// A Dockerfile's role and the reason for it, shown in the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Role {
    pub shipped: bool,
    pub why: String,
}

impl Role {
    pub fn evidence(&self) -> Value {
        json!({ "shipped": self.shipped, "why": self.why })
    }
}

/// Classifies one Dockerfile; `Err` when it would not ship but a script the decision read could not be read (the checks then report `error`,
/// never silently narrow what they judge).
pub(crate) fn classify<'a>(
    df: &Dockerfile,
    repo: &'a RepoFacts,
    shipped: &Globs,
    scripts: &Scripts<'a>,
) -> Result<Role, String> {
    if !shipped.is_empty() {
        return Ok(if shipped.is_match(&df.path) {
            role(true, "listed in [docker] shipped")
        } else {
            role(false, "not listed in [docker] shipped")
        });
    }
    // Every script the decision reads (the release workflows' `run:` steps; every workflow's
    // when a production manifest may run an image it tags) goes through `search`.
    let search = ScriptSearch::new(scripts);
    if let Some(workflow) = release_workflow_building(df, repo, &search) {
        return Ok(role(
            true,
            &format!("built by the release workflow {workflow}"),
        ));
    }
    if let Some(why) = run_in_production(df, repo, &search) {
        return Ok(role(true, &why));
    }
    let tooling = tooling_path(&df.path);
    if tooling.is_some() || exports_artefacts_only(df) {
        // Not shipped is decided only when every script read for the decision could be read:
        // a script the shell reader gave up on may build this Dockerfile.
        if let Some(unread) = search.unread() {
            return Err(format!(
                "{}: whether it ships cannot be decided: {unread} cannot be read; list shipped \
                 Dockerfiles in [docker] shipped to decide",
                df.path
            ));
        }
    }
    if let Some(why) = tooling {
        return Ok(role(false, &why));
    }
    if exports_artefacts_only(df) {
        return Ok(role(
            false,
            "its final stage is FROM scratch with no CMD or ENTRYPOINT: it exports build \
             artefacts and runs no process",
        ));
    }
    Ok(role(
        true,
        "judged as shipped by default (no [docker] shipped setting, and nothing marks it as \
         tooling)",
    ))
}

fn role(shipped: bool, why: &str) -> Role {
    Role {
        shipped,
        why: why.to_owned(),
    }
}

/// Why a production Kubernetes manifest or Compose file runs this Dockerfile's image, if one
/// does.
fn run_in_production<'a>(
    df: &Dockerfile,
    repo: &'a RepoFacts,
    search: &ScriptSearch<'_, 'a>,
) -> Option<String> {
    let production = |path: &str| tooling_path(path).is_none() && !is_test_data_path(path);
    // The images workflows tag matter only when a production manifest may run one.
    let manifests = repo
        .workloads
        .iter()
        .any(|w| matches!(&w.location, Some(Location::File { path, .. }) if production(path)));
    let tagged = if manifests {
        tagged_images(repo, search)
    } else {
        Vec::new()
    };
    for image in tagged.into_iter().filter(|t| t.dockerfile == df.path) {
        for w in &repo.workloads {
            let Some(Location::File { path, .. }) = &w.location else {
                continue;
            };
            if !production(path) {
                continue;
            }
            if let Some(c) = w
                .containers
                .iter()
                .find(|c| image_name(&c.image).as_deref() == Some(image.name.as_str()))
            {
                return Some(format!(
                    "the Kubernetes manifest {path} runs it: {} container `{}` has image `{}`, \
                     which {} builds from this Dockerfile (`{}`)",
                    w.subject(),
                    c.name,
                    c.image,
                    image.workflow,
                    image.tag
                ));
            }
        }
    }
    // A Compose file that builds a Dockerfile named as a development or test image is a
    // development Compose file, whatever its own name.
    if tooling_name(&df.path).is_some() {
        return None;
    }
    repo.compose_files
        .iter()
        .filter(|f| production(&f.path) && !f.path.to_ascii_lowercase().contains("override"))
        .find_map(|f| {
            let s = f
                .services
                .iter()
                .find(|s| s.dockerfile.as_deref() == Some(df.path.as_str()))?;
            Some(format!(
                "the Compose file {} builds it for service `{}` (line {}: build: {})",
                f.path, s.name, s.line, s.build
            ))
        })
}

/// A release/deploy workflow whose `run:` steps name this Dockerfile (`-f path`, `--file path`).
fn release_workflow_building<'a>(
    df: &Dockerfile,
    repo: &'a RepoFacts,
    search: &ScriptSearch<'_, 'a>,
) -> Option<String> {
    repo.workflows
        .iter()
        .filter(|w| is_release_workflow(&w.path, &w.triggers))
        .find(|w| {
            w.runs
                .iter()
                .any(|run| names_dockerfile(commands_of(&search.run_step(&w.path, run)), &df.path))
                || w.action_inputs
                    .iter()
                    .any(|step| builds_dockerfile(step, &df.path))
        })
        .map(|w| w.path.clone())
}

/// `docker/build-push-action` (or `bake-action` with a plain Dockerfile) building this path:
/// its `file:` input, else `<context>/Dockerfile` (the action's default file).
fn builds_dockerfile(step: &ActionInputs, path: &str) -> bool {
    if !step.uses_action("docker/build-push-action") {
        return false;
    }
    let normal = |p: &str| {
        let p = p.trim().trim_matches(['"', '\'']);
        let p = p.trim_start_matches("./");
        p.trim_end_matches('/').to_owned()
    };
    let file = match (step.input("file"), step.input("context")) {
        (Some(file), _) => normal(file),
        (None, Some(context)) if !normal(context).is_empty() && normal(context) != "." => {
            format!("{}/Dockerfile", normal(context))
        }
        (None, _) => "Dockerfile".to_owned(),
    };
    file == path
}

pub(crate) fn is_release_workflow(path: &str, triggers: &[String]) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let stem = name.split('.').next().unwrap_or(&name);
    triggers.iter().any(|t| t == "release")
        || stem
            .split(['-', '_'])
            .any(|word| RELEASE_WORDS.contains(&word))
}

/// `docker build -f deploy/Dockerfile .` or `--file=deploy/Dockerfile` in a command of the
/// script names it (commands as the shell reads them: [`shell`]).
fn names_dockerfile(commands: &[shell::Command], path: &str) -> bool {
    commands.iter().any(|c| {
        let words = c.program();
        words.iter().enumerate().any(|(i, word)| {
            let operand = word
                .strip_prefix("--file=")
                .or_else(|| word.strip_prefix("-f="))
                .or_else(|| {
                    let prev = i.checked_sub(1).and_then(|p| words.get(p));
                    matches!(prev.map(String::as_str), Some("-f" | "--file")).then_some(word)
                });
            operand.is_some_and(|o| o.trim_start_matches("./") == path)
        })
    })
}

/// Why the path marks a tooling Dockerfile (or manifest, or Compose file), if it does.
fn tooling_path(path: &str) -> Option<String> {
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').collect();
    parts.pop();
    if let Some(dir) = parts.iter().find(|d| TOOLING_DIRS.contains(d)) {
        return Some(format!(
            "it lives under a `{dir}/` directory: a development, test, CI or docs image"
        ));
    }
    tooling_name(path)
}

/// Why the file name alone (`Dockerfile.dev`, `compose.test.yaml`) marks tooling, if it does.
fn tooling_name(path: &str) -> Option<String> {
    let lower = path.to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or_default();
    let words: Vec<&str> = file
        .split(['.', '-', '_'])
        .filter(|w| !matches!(*w, "dockerfile" | "containerfile"))
        .collect();
    words
        .iter()
        .find(|w| TOOLING_WORDS.contains(w))
        .map(|w| format!("its name says `{w}`: a development, test, CI or docs image"))
}

/// Package and archive files: a `FROM scratch` image whose `ENTRYPOINT` is one of these
/// (`["/reactnativeapp.apk"]`) holds a build artefact and can start no process.
const ARTEFACT_EXTENSIONS: &[&str] = &[
    ".apk", ".aab", ".ipa", ".zip", ".tar", ".tgz", ".gz", ".deb", ".rpm", ".msi", ".dmg",
];

pub(crate) fn exports_artefacts_only(df: &Dockerfile) -> bool {
    let chain = df.final_chain();
    let command = chain.iter().find_map(|s| s.command.as_ref());
    chain.last().is_some_and(|root| is_scratch(&root.base))
        && command.is_none_or(|c| runs_an_artefact(&c.value))
}

/// `ENTRYPOINT ["/app.apk"]`: the program named is a package or archive, not an executable.
fn runs_an_artefact(command: &str) -> bool {
    let args = command
        .trim_start()
        .split_once(char::is_whitespace)
        .map_or("", |(_, args)| args);
    let program = args
        .trim()
        .trim_start_matches('[')
        .split([',', ' ', ']'])
        .map(|w| w.trim().trim_matches(['"', '\'']))
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_ascii_lowercase();
    ARTEFACT_EXTENSIONS.iter().any(|ext| program.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::repo::{Located, Workflow};
    use crate::settings::Settings;

    /// `[docker] shipped` of these settings, resolved.
    fn shipped_of(settings: &Settings) -> Globs {
        crate::resolve::resolve(settings).unwrap().docker.shipped
    }

    fn classify_text(path: &str, text: &str, repo: &RepoFacts, settings: &Settings) -> Role {
        let df = crate::parse::dockerfile::parse(path, text).unwrap();
        classify(&df, repo, &shipped_of(settings), &Scripts::default()).unwrap()
    }

    #[test]
    fn tooling_paths_and_names_do_not_ship() {
        let repo = RepoFacts::default();
        let none = Settings::default();
        for path in [
            ".devcontainer/Dockerfile",
            "src/checkout/genproto/Dockerfile",
            "src/frontend/Dockerfile.cypress",
            "test/e2e/Dockerfile",
            "Dockerfile.dev",
            "docker/Dockerfile-test",
            "fuzz.Dockerfile",
            "docs/Dockerfile",
            "tools/codegen.dockerfile",
        ] {
            let r = classify_text(path, "FROM node:20\nCMD [\"x\"]\n", &repo, &none);
            assert!(!r.shipped, "{path} should be tooling: {}", r.why);
        }
        for path in [
            "Dockerfile",
            "services/api/Dockerfile",
            "Dockerfile.prod",
            "deploy/Containerfile",
        ] {
            let r = classify_text(path, "FROM node:20\nCMD [\"x\"]\n", &repo, &none);
            assert!(r.shipped, "{path} should ship: {}", r.why);
        }
    }

    #[test]
    fn a_release_workflow_building_it_wins_over_the_path() {
        let repo = RepoFacts {
            workflows: vec![Workflow {
                path: ".github/workflows/release.yml".to_owned(),
                runs: vec![Located {
                    value: "docker build -f test/Dockerfile -t x .".to_owned(),
                    line: 9,
                    column: None,
                }],
                ..Workflow::default()
            }],
            ..RepoFacts::default()
        };
        let r = classify_text("test/Dockerfile", "FROM a\n", &repo, &Settings::default());
        assert!(r.shipped, "{}", r.why);
        assert!(r.why.contains("release.yml"));
        // A CI workflow that is not a release does not make it shipped.
        let mut ci = repo.clone();
        ci.workflows[0].path = ".github/workflows/ci.yml".to_owned();
        let r = classify_text("test/Dockerfile", "FROM a\n", &ci, &Settings::default());
        assert!(!r.shipped);
    }

    #[test]
    fn an_unreadable_release_script_leaves_a_tooling_path_undecided() {
        // Over the shell reader's 256 KiB: what it builds cannot be seen, so a Dockerfile
        // whose path says tooling is not quietly left unjudged.
        let script = format!(
            "echo {}\ndocker build -f test/Dockerfile .\n",
            "x".repeat(300 * 1024)
        );
        let repo = RepoFacts {
            workflows: vec![Workflow {
                path: ".github/workflows/release.yml".to_owned(),
                runs: vec![Located {
                    value: script,
                    line: 9,
                    column: None,
                }],
                ..Workflow::default()
            }],
            ..RepoFacts::default()
        };
        let df = crate::parse::dockerfile::parse("test/Dockerfile", "FROM a\n").unwrap();
        let globs = shipped_of(&Settings::default());
        let why = classify(&df, &repo, &globs, &Scripts::default()).unwrap_err();
        assert!(
            why.contains("release.yml:9") && why.contains("cannot be decided"),
            "{why}"
        );
        // A path that ships by default is decided without the script; so is a configured list.
        assert!(classify_text("Dockerfile", "FROM a\n", &repo, &Settings::default()).shipped);
        let mut listed = Settings::default();
        listed.docker.shipped = vec!["test/Dockerfile".to_owned()];
        assert!(classify_text("test/Dockerfile", "FROM a\n", &repo, &listed).shipped);
    }

    #[test]
    fn a_release_workflow_building_it_with_build_push_action_ships_it() {
        use crate::facts::repo::ActionInputs;
        let step = |with: &[(&str, &str)]| {
            crate::rules::action_step("docker/build-push-action@v6", 12, with)
        };
        let repo = |inputs: Vec<ActionInputs>| RepoFacts {
            workflows: vec![Workflow {
                path: ".github/workflows/publish.yml".to_owned(),
                triggers: vec!["push".to_owned()],
                action_inputs: inputs,
                ..Workflow::default()
            }],
            ..RepoFacts::default()
        };
        let none = Settings::default();
        let by_file = repo(vec![step(&[
            ("file", "./e2e/Dockerfile"),
            ("push", "true"),
        ])]);
        let r = classify_text("e2e/Dockerfile", "FROM a\n", &by_file, &none);
        assert!(r.shipped && r.why.contains("publish.yml"), "{}", r.why);
        let by_context = repo(vec![step(&[("context", "./docs")])]);
        assert!(classify_text("docs/Dockerfile", "FROM a\n", &by_context, &none).shipped);
        // A matrix expression names no file: the path decides.
        let matrix = repo(vec![step(&[("file", "${{ matrix.file }}")])]);
        assert!(!classify_text("e2e/Dockerfile", "FROM a\n", &matrix, &none).shipped);
        // Another file built by the workflow does not make this one shipped.
        assert!(!classify_text("e2e/Dockerfile", "FROM a\n", &by_context, &none).shipped);
    }

    #[test]
    fn a_scratch_image_whose_entrypoint_is_a_package_exports_an_artefact() {
        let repo = RepoFacts::default();
        let none = Settings::default();
        let apk = "FROM node:22 AS builder\nRUN ./gradlew assembleRelease\nFROM scratch\n\
                   COPY --from=builder /app.apk /reactnativeapp.apk\n\
                   ENTRYPOINT [\"/reactnativeapp.apk\"]\n";
        let r = classify_text("src/app/android.Dockerfile", apk, &repo, &none);
        assert!(!r.shipped, "{}", r.why);
        // A static binary in scratch is a runtime image (traefik/whoami's form).
        let binary = "FROM golang:1 AS b\nRUN go build -o /whoami\nFROM scratch\n\
                      COPY --from=b /whoami /whoami\nENTRYPOINT [\"/whoami\"]\n";
        assert!(classify_text("Dockerfile", binary, &repo, &none).shipped);
        assert!(
            classify_text(
                "Dockerfile",
                "FROM scratch\nCOPY a /a\nCMD /a --zip\n",
                &repo,
                &none
            )
            .shipped
        );
    }

    #[test]
    fn configured_globs_decide_alone() {
        let mut settings = Settings::default();
        settings.docker.shipped = vec!["deploy/**".to_owned()];
        let repo = RepoFacts::default();
        assert!(classify_text("deploy/api/Dockerfile.dev", "FROM a\n", &repo, &settings).shipped);
        assert!(!classify_text("Dockerfile", "FROM a\n", &repo, &settings).shipped);
        // An invalid glob is a configuration error, never a list that matches nothing.
        settings.docker.shipped = vec!["a[".to_owned()];
        let errors = crate::resolve::resolve(&settings).unwrap_err();
        assert_eq!(errors[0].at.to_string(), "docker.shipped[0]", "{errors:?}");
    }

    #[test]
    fn scratch_without_a_command_only_exports_artefacts() {
        let repo = RepoFacts::default();
        let none = Settings::default();
        let export = "FROM golang AS b\nRUN go build\nFROM scratch\nCOPY --from=b /app /app\n";
        assert!(!classify_text("Dockerfile", export, &repo, &none).shipped);
        let runtime = format!("{export}ENTRYPOINT [\"/app\"]\n");
        assert!(classify_text("Dockerfile", &runtime, &repo, &none).shipped);
    }

    /// A repository made of (path, text) files, parsed as vouch reads them.
    fn repo_of(files: &[(&str, &str)]) -> RepoFacts {
        let mut repo = RepoFacts::default();
        for (path, text) in files {
            let kind = crate::parse::classify(path);
            crate::parse::parse_into(kind, path, text.as_bytes(), &mut repo).unwrap();
        }
        repo
    }

    fn role_in(repo: &RepoFacts, path: &str) -> Role {
        let df = repo.dockerfiles.iter().find(|d| d.path == path).unwrap();
        classify(
            df,
            repo,
            &shipped_of(&Settings::default()),
            &Scripts::default(),
        )
        .unwrap()
    }

    const APP: &str = "FROM node:22\nCMD [\"node\", \"server.js\"]\n";

    #[test]
    fn a_production_compose_file_building_it_ships_it() {
        let compose = "services:\n  web:\n    build:\n      context: .\n      dockerfile: docker/web/Dockerfile\n    ports: [\"80:80\"]\n  db:\n    image: postgres:16\n";
        // `docker/` is not tooling, but `ci/` is: the compose file overrides the directory.
        let repo = repo_of(&[
            ("compose.yaml", compose),
            ("docker/web/Dockerfile", APP),
            ("ci/web/Dockerfile", APP),
        ]);
        let r = role_in(&repo, "docker/web/Dockerfile");
        assert!(
            r.shipped && r.why.contains("compose.yaml") && r.why.contains("`web`"),
            "{}",
            r.why
        );
        let moved = repo_of(&[
            (
                "compose.prod.yaml",
                &compose.replace("docker/web", "ci/web"),
            ),
            ("ci/web/Dockerfile", APP),
        ]);
        let r = role_in(&moved, "ci/web/Dockerfile");
        assert!(
            r.shipped && r.why.contains("compose.prod.yaml"),
            "{}",
            r.why
        );
    }

    #[test]
    fn a_development_compose_file_does_not_ship_it() {
        let compose = "services:\n  web:\n    build:\n      context: ./ci/web\n";
        for name in [
            "compose.dev.yaml",
            "docker-compose.override.yml",
            "docker-compose-test.yml",
            "e2e/docker-compose.yml",
        ] {
            let repo = repo_of(&[(name, compose), ("ci/web/Dockerfile", APP)]);
            let r = role_in(&repo, "ci/web/Dockerfile");
            assert!(!r.shipped, "{name}: {}", r.why);
        }
        // A production-named compose file that builds `Dockerfile.dev` is a development one.
        let dev =
            "services:\n  web:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n";
        let repo = repo_of(&[("docker-compose.yml", dev), ("Dockerfile.dev", APP)]);
        assert!(!role_in(&repo, "Dockerfile.dev").shipped);
        // A variable names no file.
        let var = "services:\n  web:\n    build:\n      context: ./ci/${SVC}\n";
        let repo = repo_of(&[("compose.yaml", var), ("ci/web/Dockerfile", APP)]);
        assert!(!role_in(&repo, "ci/web/Dockerfile").shipped);
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.4.2\n";

    #[test]
    fn a_production_manifest_running_the_image_a_workflow_builds_ships_it() {
        let ci = "on: [push]\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: docker build -f tools/api/Dockerfile -t ghcr.io/acme/api:${{ github.sha }} .\n";
        let repo = repo_of(&[
            (".github/workflows/ci.yml", ci),
            ("tools/api/Dockerfile.ci", APP),
            ("tools/api/Dockerfile", APP),
            ("deploy/api.yaml", DEPLOYMENT),
        ]);
        // `ci.yml` is not a release workflow; the manifest decides.
        let r = role_in(&repo, "tools/api/Dockerfile");
        assert!(
            r.shipped && r.why.contains("deploy/api.yaml") && r.why.contains("ci.yml"),
            "{}",
            r.why
        );
        assert!(!role_in(&repo, "tools/api/Dockerfile.ci").shipped);
        let action = "on: [push]\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          file: e2e/Dockerfile\n          tags: ghcr.io/acme/api:latest\n";
        let repo = repo_of(&[
            (".github/workflows/ci.yml", action),
            ("e2e/Dockerfile", APP),
            ("deploy/api.yaml", DEPLOYMENT),
        ]);
        assert!(role_in(&repo, "e2e/Dockerfile").shipped);
    }

    #[test]
    fn test_data_manifests_and_other_images_do_not_ship_it() {
        let ci = "on: [push]\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: docker build -f e2e/Dockerfile -t ghcr.io/acme/api:dev .\n";
        for manifest in [
            "tests/manifests/api.yaml",
            "examples/api.yaml",
            "deploy/api-test.yaml",
        ] {
            let repo = repo_of(&[
                (".github/workflows/ci.yml", ci),
                ("e2e/Dockerfile", APP),
                (manifest, DEPLOYMENT),
            ]);
            assert!(!role_in(&repo, "e2e/Dockerfile").shipped, "{manifest}");
        }
        // Another image in production does not make this one shipped.
        let other = ci.replace("ghcr.io/acme/api", "ghcr.io/acme/api-e2e");
        let repo = repo_of(&[
            (".github/workflows/ci.yml", &other),
            ("e2e/Dockerfile", APP),
            ("deploy/api.yaml", DEPLOYMENT),
        ]);
        assert!(!role_in(&repo, "e2e/Dockerfile").shipped);
    }
}
