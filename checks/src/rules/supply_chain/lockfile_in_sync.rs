use std::collections::BTreeSet;

use serde_json::json;

use super::{
    Compiled, LockState, compiled_requirements, is_pip_tools_input, is_requirements,
    is_shared_build_props, lock_for,
};
use crate::facts::repo::{Ecosystem, FileKind, Lockfile, Manifest};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::parse::lockfile::is_opaque;
use crate::rules::unreadable_files;

pub struct LockfileInSync;

impl Rule for LockfileInSync {
    const META: Meta = Meta {
        id: "lockfile-in-sync",
        title: "Lockfiles resolve every declared dependency",
        severity: Severity::High,
        controls: &["SUP-03"],
        source: Source::Repo,
        docs: r#"
## Why
A lockfile that does not list a dependency the manifest declares is stale: the next install
resolves that dependency freshly (whatever version is newest), or a strict install (`npm ci`,
`cargo --locked`, `uv sync --locked`) fails. Either way the lockfile no longer describes the
build, and the review of lockfile changes in pull requests stops meaning anything.

## What is judged
Each manifest that declares dependencies and has a lockfile (its own or its workspace root's;
see `lockfile-present`): every direct dependency must appear among the lockfile's packages.
- `package.json` (`dependencies`, `devDependencies`, `optionalDependencies`) against
  package-lock, pnpm, yarn or bun lockfiles; `workspace:` dependencies are siblings and skipped;
- `Cargo.toml` (`[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` and their
  `[target.*]` forms, renamed crates by their `package` name) against `Cargo.lock`;
- `pyproject.toml` (PEP 621 `dependencies`, `optional-dependencies`, PEP 735
  `dependency-groups`, Poetry's dependency tables) against its Python lockfile; `Pipfile`
  (every package category; `path` packages are the local project) against `Pipfile.lock`;
- `go.mod` `require`s against the modules of `go.sum` (a module `replace`d by a local
  directory has no checksum and is skipped);
- `Gemfile` `gem`s against `Gemfile.lock` (its `specs` and `DEPENDENCIES`);
- `composer.json` `require`/`require-dev` packages (not `php` or `ext-*`) against
  `composer.lock`'s `packages` and `packages-dev`;
- `pubspec.yaml` against `pubspec.lock`'s `packages`; `mix.exs` `deps` against `mix.lock`;
- .NET `PackageReference Include=…` against `packages.lock.json` (every target framework);
- Gradle string coordinates (`group:name`) against `gradle.lockfile` or the components of
  `gradle/verification-metadata.xml` (version catalog entries such as `libs.okhttp` name no
  coordinates in the build file and are counted, not compared);
- `Package.swift` packages (by SwiftPM identity) against the pins of `Package.resolved`
  (format versions 1 to 3).

Names are compared as each ecosystem does: npm, Cargo, Go, Ruby and Gradle names exactly,
Python names after PEP 503 normalisation (`Typing_Extensions` = `typing-extensions`), NuGet,
Composer and Swift names case-insensitively. Versions are not compared. Maven has no standard
lockfile and is not judged here (`lockfile-present` judges its versions); a requirements file
is its own lock (`lockfile-present` judges its pins), but a pip-tools input
(`requirements*.in`) is compared with the `.txt` compiled from it.

A binary `bun.lockb` cannot be read, so its manifests are reported as `error`: convert it with
`bun install --save-text-lockfile` (Bun 1.1.39+) to the text `bun.lock`.

## How to fix
Run the package manager's lock command (`npm install`, `pnpm install`, `cargo update -w`,
`uv lock`, `poetry lock`, `pipenv lock`, `go mod tidy`, `bundle lock`, `composer update --lock`,
`dotnet restore --force-evaluate`, `./gradlew dependencies --write-locks`,
`swift package resolve`) and commit the result; make CI install strictly
(`lockfile-frozen-install`) so a stale lockfile fails the build.

## Evidence
The manifest, its lockfile, how many dependencies were compared, and each missing dependency
with the line that declares it.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Manifest, FileKind::Lockfile], out);
        let Some(repo) = &cx.facts.repo else { return };
        // Maven has no standard lockfile to compare with (`lockfile-present` judges its POMs).
        let judged = repo.manifests.iter().filter(|m| {
            !matches!(
                m.ecosystem,
                Ecosystem::Maven | Ecosystem::Docker | Ecosystem::GithubActions
            ) && !is_requirements(m)
                && !is_shared_build_props(m)
                && !m.dependencies.is_empty()
        });
        for m in judged {
            let lookup = lock_for(repo, m);
            match lookup.state {
                LockState::Found(lock) if is_opaque(&lock.path) => out.error(
                    m.path.clone(),
                    Location::file(m.path.clone(), 0),
                    format!(
                        "{} is binary and its packages cannot be read, so it cannot be shown to match {}",
                        lock.path, m.path
                    ),
                    json!({ "manifest": m.path, "lockfile": lock.path }),
                ),
                LockState::Found(lock) => compare(m, lock, out),
                LockState::Unreadable(u) => out.error(
                    m.path.clone(),
                    Location::file(m.path.clone(), 0),
                    format!("its lockfile {} could not be read: {}", u.path, u.cause),
                    json!({ "manifest": m.path, "lockfile": u.path, "cause": u.cause }),
                ),
                // No lockfile at all is `lockfile-present`'s finding; there is nothing to compare.
                LockState::Missing { .. } => {}
            }
        }
        let pip_tools = repo
            .manifests
            .iter()
            .filter(|m| is_pip_tools_input(m) && !m.dependencies.is_empty());
        for input in pip_tools {
            match compiled_requirements(repo, input) {
                Compiled::Found(c) => compare(input, &as_lockfile(c), out),
                Compiled::Unreadable(u) => out.error(
                    input.path.clone(),
                    Location::file(input.path.clone(), 0),
                    format!(
                        "its compiled requirements {} could not be read: {}",
                        u.path, u.cause
                    ),
                    json!({ "manifest": input.path, "lockfile": u.path, "cause": u.cause }),
                ),
                Compiled::Missing { .. } => {}
            }
        }
    }
}

/// A compiled requirements file read as the lockfile of its `.in`: the names it pins.
fn as_lockfile(compiled: &Manifest) -> Lockfile {
    Lockfile {
        path: compiled.path.clone(),
        ecosystem: Ecosystem::Python,
        packages: compiled
            .requirements
            .iter()
            .map(|r| r.name.clone())
            .collect(),
        members: Vec::new(),
    }
}

/// The name as the ecosystem compares it: NuGet ids, Composer and SwiftPM names are
/// case-insensitive; the others are compared exactly (Python names arrive normalised).
fn key(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Nuget | Ecosystem::Composer | Ecosystem::Swift => name.to_ascii_lowercase(),
        _ => name.to_owned(),
    }
}

/// Gradle version catalog accessors (`libs.okhttp`) name no coordinates in the build file:
/// the build needs a lockfile for them, but they cannot be looked up in it by name.
fn is_catalog_accessor(m: &Manifest, name: &str) -> bool {
    m.ecosystem == Ecosystem::Gradle && !name.contains(':')
}

fn compare(m: &Manifest, lock: &Lockfile, out: &mut Findings) {
    let locked: BTreeSet<String> = lock.packages.iter().map(|p| key(m.ecosystem, p)).collect();
    let mut seen = BTreeSet::new();
    let not_compared = m
        .dependencies
        .iter()
        .filter(|d| is_catalog_accessor(m, &d.name))
        .count();
    let missing: Vec<_> = m
        .dependencies
        .iter()
        .filter(|d| !is_catalog_accessor(m, &d.name))
        .filter(|d| {
            let k = key(m.ecosystem, &d.name);
            !locked.contains(&k) && seen.insert(k)
        })
        .collect();
    let mut evidence = json!({
        "manifest": m.path,
        "lockfile": lock.path,
        "declared": m.dependencies.len(),
        "missing": missing.iter().map(|d| json!({ "name": d.name, "line": d.line })).collect::<Vec<_>>(),
    });
    if not_compared > 0 {
        evidence["catalog_entries_not_compared"] = json!(not_compared);
    }
    match missing.first() {
        None => out.pass(
            m.path.clone(),
            Location::file(m.path.clone(), 0),
            format!(
                "all {} declared dependencies are in {}{}",
                m.dependencies.len() - not_compared,
                lock.path,
                if not_compared > 0 {
                    format!(" ({not_compared} version catalog entries not compared by name)")
                } else {
                    String::new()
                }
            ),
            evidence,
        ),
        Some(first) => {
            let names: Vec<&str> = missing.iter().map(|d| d.name.as_str()).collect();
            out.fail(
                m.path.clone(),
                Location::file(m.path.clone(), first.line),
                format!("{} does not resolve: {}", lock.path, names.join(", ")),
                evidence,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::facts::repo::{Dependency, RepoFacts};
    use crate::model::{Finding, Status};
    use crate::registry::run_on;

    fn run(m: Manifest, lock: Lockfile) -> Vec<Finding> {
        let facts = Facts {
            repo: Some(RepoFacts {
                manifests: vec![m],
                lockfiles: vec![lock],
                ..RepoFacts::default()
            }),
            ..Facts::default()
        };
        run_on(&LockfileInSync, &facts)
    }

    fn cargo(deps: &[(&str, u32)]) -> Manifest {
        Manifest {
            path: "api/Cargo.toml".to_owned(),
            ecosystem: Ecosystem::Cargo,
            dependencies: deps
                .iter()
                .map(|(n, l)| Dependency {
                    name: (*n).to_owned(),
                    line: *l,
                })
                .collect(),
            ..Manifest::default()
        }
    }

    fn lock(path: &str, packages: &[&str]) -> Lockfile {
        Lockfile {
            path: path.to_owned(),
            ecosystem: Ecosystem::Cargo,
            packages: packages.iter().map(|p| (*p).to_owned()).collect(),
            members: Vec::new(),
        }
    }

    #[test]
    fn names_missing_dependencies_at_their_line() {
        let f = run(
            cargo(&[("serde", 5), ("tokio", 6), ("anyhow", 7)]),
            lock("api/Cargo.lock", &["serde"]),
        );
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].location, Location::file("api/Cargo.toml", 6));
        assert!(f[0].message.ends_with("tokio, anyhow"), "{}", f[0].message);
    }

    #[test]
    fn compares_names_as_each_ecosystem_does() {
        let with = |path: &str, ecosystem, deps: &[(&str, u32)]| {
            let mut m = cargo(deps);
            path.clone_into(&mut m.path);
            m.ecosystem = ecosystem;
            m
        };
        let locked = |path: &str, ecosystem, packages: &[&str]| {
            let mut l = lock(path, packages);
            l.ecosystem = ecosystem;
            l
        };
        // NuGet ids are case-insensitive: `Serilog.AspNetCore` is `serilog.aspnetcore`.
        let f = run(
            with(
                "Api.csproj",
                Ecosystem::Nuget,
                &[("Serilog.AspNetCore", 8), ("Npgsql", 9)],
            ),
            locked(
                "packages.lock.json",
                Ecosystem::Nuget,
                &["serilog.aspnetcore"],
            ),
        );
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].location, Location::file("Api.csproj", 9));
        assert!(f[0].message.ends_with("Npgsql"), "{}", f[0].message);
        // Go module paths are compared exactly.
        let f = run(
            with("go.mod", Ecosystem::Go, &[("github.com/jackc/pgx/v5", 5)]),
            locked("go.sum", Ecosystem::Go, &["github.com/jackc/pgx/v5"]),
        );
        assert_eq!(f[0].status, Status::Pass);
        let f = run(
            with(
                "go.mod",
                Ecosystem::Go,
                &[("github.com/Masterminds/semver", 5)],
            ),
            locked("go.sum", Ecosystem::Go, &["github.com/masterminds/semver"]),
        );
        assert_eq!(f[0].status, Status::Fail);
        // Gradle catalog accessors name no coordinates: counted, not compared.
        let f = run(
            with(
                "app/build.gradle.kts",
                Ecosystem::Gradle,
                &[("libs.okhttp", 12), ("com.google.guava:guava", 13)],
            ),
            locked(
                "app/gradle.lockfile",
                Ecosystem::Gradle,
                &["com.google.guava:guava"],
            ),
        );
        assert_eq!(f[0].status, Status::Pass, "{}", f[0].message);
        assert_eq!(f[0].evidence["catalog_entries_not_compared"], 1);
        // Maven has no lockfile to compare with: no finding here.
        assert!(
            run(
                with("pom.xml", Ecosystem::Maven, &[("a:b", 3)]),
                lock("x", &[])
            )
            .is_empty()
        );
    }

    #[test]
    fn pip_tools_inputs_are_compared_with_their_compiled_file() {
        use crate::facts::repo::Requirement;
        let req = |name: &str, line| Requirement {
            line,
            name: name.to_owned(),
            pinned: true,
            hashed: false,
        };
        let input = |path: &str, names: &[&str]| Manifest {
            path: path.to_owned(),
            ecosystem: Ecosystem::Python,
            dependencies: names
                .iter()
                .map(|n| Dependency {
                    name: (*n).to_owned(),
                    line: 1,
                })
                .collect(),
            ..Manifest::default()
        };
        let compiled = |path: &str, names: &[&str]| Manifest {
            path: path.to_owned(),
            ecosystem: Ecosystem::Python,
            requirements: names.iter().map(|n| req(n, 3)).collect(),
            ..Manifest::default()
        };
        let facts = Facts {
            repo: Some(RepoFacts {
                manifests: vec![
                    input("ml/requirements.in", &["fastapi", "uvicorn"]),
                    compiled("ml/requirements.txt", &["fastapi", "pydantic", "uvicorn"]),
                    input("etl/requirements.in", &["pandas", "pyarrow"]),
                    compiled("etl/requirements.txt", &["pandas", "numpy"]),
                    // No compiled file: `lockfile-present`'s finding, nothing to compare.
                    input("docs/requirements.in", &["mkdocs"]),
                ],
                ..RepoFacts::default()
            }),
            ..Facts::default()
        };
        let f = run_on(&LockfileInSync, &facts);
        let got: Vec<(&str, Status)> = f.iter().map(|x| (x.subject.as_str(), x.status)).collect();
        assert_eq!(
            got,
            [
                ("etl/requirements.in", Status::Fail),
                ("ml/requirements.in", Status::Pass)
            ]
        );
        assert!(f[0].message.ends_with("pyarrow"), "{}", f[0].message);
    }

    #[test]
    fn passes_when_all_present_and_errors_on_binary_lock() {
        let f = run(cargo(&[("serde", 5)]), lock("api/Cargo.lock", &["serde"]));
        assert_eq!(f[0].status, Status::Pass);
        let mut web = cargo(&[("react", 3)]);
        web.path = "web/package.json".to_owned();
        web.ecosystem = Ecosystem::Npm;
        let mut bun = lock("web/bun.lockb", &[]);
        bun.ecosystem = Ecosystem::Npm;
        assert_eq!(run(web, bun)[0].status, Status::Error);
    }
}
