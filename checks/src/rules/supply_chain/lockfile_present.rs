use serde_json::json;

use super::{
    Compiled, LockState, compiled_requirements, is_pip_tools_input, is_requirements,
    is_shared_build_props, lock_for,
};
use crate::facts::repo::{Ecosystem, FileKind, FloatingVersion, Manifest, RepoFacts};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::rules::unreadable_files;

pub struct LockfilePresent;

impl Rule for LockfilePresent {
    const META: Meta = Meta {
        id: "lockfile-present",
        title: "Every dependency manifest has a committed lockfile",
        severity: Severity::High,
        controls: &["SUP-03"],
        source: Source::Repo,
        docs: r#"
## Why
A manifest names version ranges (`^18.3.1`, `>=2`, `1.0`); without a lockfile every install
resolves them again and can pick up a version published minutes ago, including a malicious one
(event-stream, ua-parser-js, the 2025 npm worm). A committed lockfile fixes the exact versions
and their integrity hashes, so what was reviewed is what gets built.

## What is judged
Each manifest, in its own directory or, for a workspace member, at its workspace root:
- `Cargo.toml` (a workspace root or a package outside any workspace) → `Cargo.lock`;
- `package.json` → `package-lock.json`, `npm-shrinkwrap.json`, `pnpm-lock.yaml`, `yarn.lock`,
  `bun.lock` or `bun.lockb` (members of an npm/pnpm/yarn/bun workspace use the root's);
- `pyproject.toml` → `poetry.lock`, `uv.lock`, `pdm.lock`, a PEP 751 `pylock.toml` or
  `pylock.<env>.toml` (Hatch's `hatch env lock`, PDM, uv, pip) or rye's `requirements.lock`
  (a pyproject declaring no dependencies needs none);
- `requirements*.txt` (and `requirements/*.txt`) → every requirement pins an exact version with
  `==` (or a commit SHA / hash for URLs); `--hash` use is reported; a pip-tools input
  `requirements*.in` → the `.txt` of the same name compiled from it;
- `go.mod` with `require`s → `go.sum`; `Gemfile` → `Gemfile.lock`; `composer.json` →
  `composer.lock`; Dart/Flutter `pubspec.yaml` (`dependencies`, `dev_dependencies`) →
  `pubspec.lock`; Elixir `mix.exs` (the `{:name, …}` tuples of `defp deps`) → `mix.lock`;
- Pipenv `Pipfile` (`[packages]`, `[dev-packages]`, custom categories) → `Pipfile.lock`;
- .NET `*.csproj`/`*.fsproj`/`*.vbproj` with `PackageReference`s → `packages.lock.json` beside
  it (written once `RestorePackagesWithLockFile` is `true`); `Directory.Build.props` is not a
  project and gets no finding of its own;
- Gradle `build.gradle`/`build.gradle.kts` declaring string coordinates
  (`implementation("g:n:v")`, `api 'g:n:v'`, the `group:/name:/version:` map form) or version
  catalog entries (`implementation(libs.okhttp)`) →
  `gradle.lockfile` beside it (dependency locking), or `gradle/verification-metadata.xml` in its
  directory or above (dependency verification: an artifact not listed fails the build); a
  failure lists the dynamic versions (`1.+`, `latest.release`, ranges, `-SNAPSHOT`) that float;
- Swift `Package.swift` with `.package(url:)`/`.package(id:)` dependencies → `Package.resolved`;
- Maven `pom.xml`: Maven has no standard lockfile, so the POM itself is judged. Every version of
  its dependencies, managed dependencies, plugins and their dependencies (profiles included,
  `${property}` substituted from the POM's own properties), the parent's version and every
  `*version` property must name one release: a range (`[2.0,)`, `(,1.0]`; `[1.0]` is exact),
  `LATEST`/`RELEASE`, or another group's `-SNAPSHOT` fails (a `-SNAPSHOT` of the project's own
  groupId is a module of the same build). A passing POM says whether a maven-enforcer-plugin
  rule (`banDynamicVersions`, `requireReleaseDeps`) or a lockfile plugin (`maven-lockfile`,
  `dependency-lock-maven-plugin`) also guards transitive versions.

A manifest that declares no dependencies and is not a workspace root passes. A missing lockfile
is reported at the path the package manager would write (`web/package-lock.json`, line 0).
Gradle scripts, `Package.swift` and `mix.exs` are code and are not evaluated: a dependency
declared through a variable or a loop is not seen, and a version built from a variable
(`"$kotlinVersion"`) is not judged. A Maven version taken from
a parent POM's property is judged in the POM that defines it.

## How to fix
Run the package manager's install once (`npm install`, `cargo generate-lockfile`, `uv lock`,
`poetry lock`, `go mod tidy`, `bundle lock`, `composer update --lock`, `pipenv lock`,
`swift package resolve`) and commit the lockfile. .NET: set
`<RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>` (in `Directory.Build.props`
for every project) and run `dotnet restore`. Gradle: add `dependencyLocking {
lockAllConfigurations() }` and run `./gradlew dependencies --write-locks`, or write
verification metadata with `./gradlew --write-verification-metadata sha256 help`. Maven:
replace ranges and foreign snapshots with release versions and add the enforcer's
`banDynamicVersions` rule.
For requirements files, compile them from a `requirements.in` with `pip-compile
--generate-hashes` or `uv pip compile --generate-hashes`.

## Evidence
The manifest, its ecosystem, the lockfile found (or expected) and the workspace root it belongs
to; for requirements files, each unpinned line and how many lines carry hashes; for Maven and
Gradle, each floating version with its line and, for Maven, the rules that guard versions.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Manifest, FileKind::Lockfile], out);
        let Some(repo) = &cx.facts.repo else { return };
        for m in &repo.manifests {
            if is_pip_tools_input(m) {
                judge_pip_tools_input(repo, m, out);
            } else if is_requirements(m) {
                judge_requirements(m, out);
            } else if m.ecosystem == Ecosystem::Maven {
                judge_maven(m, out);
            } else if !is_shared_build_props(m) {
                judge_manifest(repo, m, out);
            }
        }
    }
}

fn judge_manifest(repo: &RepoFacts, m: &Manifest, out: &mut Findings) {
    let subject = m.path.clone();
    let here = Location::file(m.path.clone(), 0);
    if m.dependencies.is_empty() && !m.workspace_root {
        let evidence =
            json!({ "manifest": m.path, "ecosystem": m.ecosystem.as_str(), "dependencies": 0 });
        out.pass(
            subject,
            here,
            "declares no dependencies: nothing to lock",
            evidence,
        );
        return;
    }
    let lookup = lock_for(repo, m);
    let mut evidence = json!({
        "manifest": m.path,
        "ecosystem": m.ecosystem.as_str(),
        "dependencies": m.dependencies.len(),
        "workspace_root": lookup.workspace,
    });
    match lookup.state {
        LockState::Found(lock) => {
            evidence["lockfile"] = json!(lock.path);
            out.pass(subject, here, format!("locked by {}", lock.path), evidence);
        }
        LockState::Unreadable(u) => {
            // The lockfile is committed; that it cannot be read is reported on its own path.
            evidence["lockfile"] = json!(u.path);
            out.pass(
                subject,
                here,
                format!("locked by {} (which could not be read)", u.path),
                evidence,
            );
        }
        LockState::Missing { expected } => {
            evidence["expected_lockfile"] = json!(expected);
            if !m.floating.is_empty() {
                evidence["floating"] = floating_evidence(&m.floating);
            }
            out.fail(
                subject,
                Location::file(expected.clone(), 0),
                format!(
                    "{} has no committed lockfile (expected {expected}){}",
                    m.path,
                    floating_note(&m.floating)
                ),
                evidence,
            );
        }
    }
}

fn floating_evidence(floating: &[FloatingVersion]) -> serde_json::Value {
    floating
        .iter()
        .map(|f| json!({ "name": f.name, "version": f.version, "line": f.line }))
        .collect()
}

/// `; dynamic versions: okhttp 4.+, postgresql latest.release` (the first few), or nothing.
fn floating_note(floating: &[FloatingVersion]) -> String {
    const SHOWN: usize = 3;
    if floating.is_empty() {
        return String::new();
    }
    let mut listed: Vec<String> = floating
        .iter()
        .take(SHOWN)
        .map(|f| format!("{} {}", f.name, f.version))
        .collect();
    if floating.len() > SHOWN {
        listed.push(format!("{} more", floating.len() - SHOWN));
    }
    format!("; versions that float: {}", listed.join(", "))
}

/// Maven has no standard lockfile: a POM is reproducible when every version it declares names
/// one release. Ranges, `LATEST`/`RELEASE` and other projects' `-SNAPSHOT`s fail; an enforcer
/// rule or a lockfile plugin that guards the transitive versions is named in the message.
fn judge_maven(m: &Manifest, out: &mut Findings) {
    let guards: Vec<&str> = m.lock_settings.iter().map(|s| s.value.as_str()).collect();
    let evidence = json!({
        "manifest": m.path,
        "ecosystem": m.ecosystem.as_str(),
        "dependencies": m.dependencies.len(),
        "floating": floating_evidence(&m.floating),
        "guarded_by": guards,
    });
    let subject = m.path.clone();
    if let Some(first) = m.floating.first() {
        out.fail(
            subject,
            Location::file(m.path.clone(), first.line),
            format!(
                "{} version(s) resolve to whatever is newest when built{}",
                m.floating.len(),
                floating_note(&m.floating).replacen("; versions that float", "", 1)
            ),
            evidence,
        );
        return;
    }
    let guard = if guards.is_empty() {
        "; no enforcer rule (banDynamicVersions, requireReleaseDeps) or lockfile plugin guards transitive versions".to_owned()
    } else {
        format!("; guarded by {}", guards.join(", "))
    };
    out.pass(
        subject,
        Location::file(m.path.clone(), 0),
        format!(
            "no lockfile in Maven: every declared version ({} dependencies) names one release{guard}",
            m.dependencies.len()
        ),
        evidence,
    );
}

/// A pip-tools `requirements.in` is locked by the `.txt` compiled from it (whose own pins are
/// judged as a requirements file).
fn judge_pip_tools_input(repo: &RepoFacts, m: &Manifest, out: &mut Findings) {
    let here = Location::file(m.path.clone(), 0);
    let mut evidence = json!({
        "manifest": m.path,
        "ecosystem": m.ecosystem.as_str(),
        "dependencies": m.dependencies.len(),
    });
    if m.dependencies.is_empty() {
        out.pass(
            m.path.clone(),
            here,
            "declares no dependencies: nothing to lock",
            evidence,
        );
        return;
    }
    match compiled_requirements(repo, m) {
        Compiled::Found(c) => {
            evidence["lockfile"] = json!(c.path);
            out.pass(
                m.path.clone(),
                here,
                format!("compiled into {}", c.path),
                evidence,
            );
        }
        Compiled::Unreadable(u) => {
            evidence["lockfile"] = json!(u.path);
            let message = format!("compiled into {} (which could not be read)", u.path);
            out.pass(m.path.clone(), here, message, evidence);
        }
        Compiled::Missing { expected } => {
            evidence["expected_lockfile"] = json!(expected);
            out.fail(
                m.path.clone(),
                Location::file(expected.clone(), 0),
                format!(
                    "{} is a pip-tools input and {expected} is not committed (run `pip-compile --generate-hashes`)",
                    m.path
                ),
                evidence,
            );
        }
    }
}

fn judge_requirements(m: &Manifest, out: &mut Findings) {
    let unpinned: Vec<_> = m.requirements.iter().filter(|r| !r.pinned).collect();
    let hashed = m.requirements.iter().filter(|r| r.hashed).count();
    let evidence = json!({
        "manifest": m.path,
        "ecosystem": m.ecosystem.as_str(),
        "requirements": m.requirements.len(),
        "hashed": hashed,
        "unpinned": unpinned.iter().map(|r| json!({ "name": r.name, "line": r.line })).collect::<Vec<_>>(),
    });
    match unpinned.first() {
        None if m.requirements.is_empty() => out.pass(
            m.path.clone(),
            Location::file(m.path.clone(), 0),
            "no requirements of its own (only options or includes)",
            evidence,
        ),
        None => {
            let hashes = if hashed == m.requirements.len() && hashed > 0 {
                ", all with hashes"
            } else if hashed > 0 {
                ", some with hashes"
            } else {
                ", without hashes"
            };
            out.pass(
                m.path.clone(),
                Location::file(m.path.clone(), 0),
                format!(
                    "all {} requirements pin an exact version{hashes}",
                    m.requirements.len()
                ),
                evidence,
            );
        }
        Some(first) => {
            let names: Vec<&str> = unpinned.iter().map(|r| r.name.as_str()).collect();
            out.fail(
                m.path.clone(),
                Location::file(m.path.clone(), first.line),
                format!(
                    "{} requirement(s) not pinned with `==`: {}",
                    unpinned.len(),
                    names.join(", ")
                ),
                evidence,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::facts::repo::{Ecosystem, Lockfile, Requirement, Unreadable};
    use crate::model::{Finding, Status};
    use crate::registry::run_on;

    fn run(repo: RepoFacts) -> Vec<Finding> {
        let facts = Facts {
            repo: Some(repo),
            ..Facts::default()
        };
        run_on(&LockfilePresent, &facts)
    }

    fn npm(path: &str) -> Manifest {
        Manifest {
            path: path.to_owned(),
            ecosystem: Ecosystem::Npm,
            dependencies: vec![crate::facts::repo::Dependency {
                name: "react".to_owned(),
                line: 3,
            }],
            ..Manifest::default()
        }
    }

    #[test]
    fn missing_lockfile_points_at_expected_path() {
        let f = run(RepoFacts {
            manifests: vec![npm("web/package.json")],
            ..RepoFacts::default()
        });
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].location, Location::file("web/package-lock.json", 0));
    }

    #[test]
    fn found_and_unreadable_lockfiles() {
        let f = run(RepoFacts {
            manifests: vec![npm("web/package.json"), npm("app/package.json")],
            lockfiles: vec![Lockfile {
                path: "web/yarn.lock".to_owned(),
                ..Lockfile::default()
            }],
            unreadable: vec![Unreadable {
                path: "app/pnpm-lock.yaml".to_owned(),
                kind: FileKind::Lockfile,
                cause: "invalid YAML".to_owned(),
            }],
            ..RepoFacts::default()
        });
        let status = |s: &str| f.iter().find(|x| x.subject == s).map(|x| x.status);
        assert_eq!(status("web/package.json"), Some(Status::Pass));
        assert_eq!(status("app/package.json"), Some(Status::Pass));
        assert_eq!(status("app/pnpm-lock.yaml"), Some(Status::Error));
    }

    #[test]
    fn maven_poms_are_judged_by_their_versions() {
        use crate::facts::repo::{FloatingVersion, Located};
        let pom = |floating: Vec<FloatingVersion>, guards: Vec<Located>| Manifest {
            path: "billing/pom.xml".to_owned(),
            ecosystem: Ecosystem::Maven,
            dependencies: vec![crate::facts::repo::Dependency {
                name: "com.google.guava:guava".to_owned(),
                line: 20,
            }],
            floating,
            lock_settings: guards,
            ..Manifest::default()
        };
        let run_pom = |m: Manifest| {
            run(RepoFacts {
                manifests: vec![m],
                ..RepoFacts::default()
            })
        };
        let f = run_pom(pom(
            vec![FloatingVersion {
                name: "com.google.guava:guava".to_owned(),
                version: "[33.0,)".to_owned(),
                line: 20,
            }],
            Vec::new(),
        ));
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].location, Location::file("billing/pom.xml", 20));
        assert!(
            f[0].message.contains("com.google.guava:guava [33.0,)"),
            "{}",
            f[0].message
        );
        let f = run_pom(pom(Vec::new(), Vec::new()));
        assert_eq!(f[0].status, Status::Pass);
        assert!(
            f[0].message.contains("no enforcer rule"),
            "{}",
            f[0].message
        );
        let guard = Located {
            value: "maven-enforcer-plugin banDynamicVersions".to_owned(),
            line: 40,
            column: None,
        };
        let f = run_pom(pom(Vec::new(), vec![guard]));
        assert!(
            f[0].message
                .ends_with("guarded by maven-enforcer-plugin banDynamicVersions")
        );
    }

    #[test]
    fn directory_build_props_gets_no_finding_of_its_own() {
        let mut props = npm("Directory.Build.props");
        props.ecosystem = Ecosystem::Nuget;
        let mut project = npm("src/Api/Api.csproj");
        project.ecosystem = Ecosystem::Nuget;
        let f = run(RepoFacts {
            manifests: vec![props, project],
            ..RepoFacts::default()
        });
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(
            f[0].location,
            Location::file("src/Api/packages.lock.json", 0)
        );
    }

    #[test]
    fn requirements_fail_on_first_unpinned_line() {
        let req = |name: &str, line, pinned| Requirement {
            line,
            name: name.to_owned(),
            pinned,
            hashed: false,
        };
        let f = run(RepoFacts {
            manifests: vec![Manifest {
                path: "requirements.txt".to_owned(),
                ecosystem: Ecosystem::Python,
                requirements: vec![req("a", 1, true), req("b", 2, false), req("c", 4, false)],
                ..Manifest::default()
            }],
            ..RepoFacts::default()
        });
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].location, Location::file("requirements.txt", 2));
        assert!(f[0].message.contains("b, c"));
    }
}
