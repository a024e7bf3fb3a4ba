//! Shared by the supply-chain checks: which lockfile covers a manifest.
//!
//! A manifest is covered by a lockfile in its own directory, or, when it is a workspace member,
//! by the lockfile of its workspace root: the nearest ancestor directory holding a Cargo
//! `[workspace]` manifest, an npm/yarn `workspaces` package.json, a uv workspace pyproject, or a
//! lockfile that lists the member's directory (pnpm `importers`, npm `packages`, yarn
//! `workspace:` entries).

pub mod dep_update_config;
pub mod lockfile_frozen_install;
pub mod lockfile_in_sync;
pub mod lockfile_present;
pub mod sbom_present;
pub mod sbom_valid;
pub mod vuln_critical_sla;
pub mod vuln_scan_fresh;

use crate::facts::repo::{Ecosystem, FileKind, Lockfile, Manifest, RepoFacts, Unreadable};

/// What stands behind a manifest.
pub(crate) enum LockState<'a> {
    Found(&'a Lockfile),
    /// A lockfile is committed but could not be read.
    Unreadable(&'a Unreadable),
    /// No lockfile; `expected` is where the package manager would write it.
    Missing {
        expected: String,
    },
}

pub(crate) struct LockLookup<'a> {
    pub state: LockState<'a>,
    /// The workspace root's directory when the lockfile is (or should be) the workspace's.
    pub workspace: Option<String>,
}

/// The line of the `offset`-th line of a `run:` script whose key is on `run_line`: a multi-line
/// (`run: |`) script starts on the line after its key. 0 stays 0 (line unknown).
pub(crate) fn script_line(run_line: u32, multi_line_block: bool, offset: usize) -> u32 {
    if run_line == 0 {
        return 0;
    }
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    if multi_line_block {
        run_line.saturating_add(1).saturating_add(offset)
    } else {
        run_line
    }
}

/// requirements*.txt files are judged by their pins, not by a lockfile.
pub(crate) fn is_requirements(m: &Manifest) -> bool {
    let name = file_name(&m.path);
    m.ecosystem == Ecosystem::Python
        && !name.eq_ignore_ascii_case("pyproject.toml")
        && name != "Pipfile"
}

/// A pip-tools input (`requirements.in`), locked by the requirements file compiled from it.
pub(crate) fn is_pip_tools_input(m: &Manifest) -> bool {
    m.ecosystem == Ecosystem::Python && file_name(&m.path).ends_with(".in")
}

/// What `pip-compile` writes for a `.in` file: the `.txt` of the same name beside it.
pub(crate) enum Compiled<'a> {
    Found(&'a Manifest),
    Unreadable(&'a Unreadable),
    Missing { expected: String },
}

pub(crate) fn compiled_requirements<'a>(repo: &'a RepoFacts, input: &Manifest) -> Compiled<'a> {
    let expected = format!("{}.txt", input.path.trim_end_matches(".in"));
    if let Some(m) = repo.manifests.iter().find(|m| m.path == expected) {
        return Compiled::Found(m);
    }
    match repo.unreadable.iter().find(|u| u.path == expected) {
        Some(u) => Compiled::Unreadable(u),
        None => Compiled::Missing { expected },
    }
}

/// `Directory.Build.props`: MSBuild imports it into every project below it, so its package
/// references are restored (and locked) by those projects, not by itself.
pub(crate) fn is_shared_build_props(m: &Manifest) -> bool {
    m.ecosystem == Ecosystem::Nuget && file_name(&m.path) == "Directory.Build.props"
}

pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory of a path (`""` for the root).
pub(crate) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Lockfile names per ecosystem, in the order they are preferred when several exist.
pub(crate) fn lock_names(ecosystem: Ecosystem) -> &'static [&'static str] {
    match ecosystem {
        Ecosystem::Cargo => &["Cargo.lock"],
        Ecosystem::Npm => &[
            "package-lock.json",
            "npm-shrinkwrap.json",
            "pnpm-lock.yaml",
            "yarn.lock",
            "bun.lock",
            "bun.lockb",
        ],
        Ecosystem::Python => &[
            "poetry.lock",
            "uv.lock",
            "pdm.lock",
            "pylock.toml",
            "requirements.lock",
        ],
        Ecosystem::Go => &["go.sum"],
        Ecosystem::Ruby => &["Gemfile.lock"],
        Ecosystem::Composer => &["composer.lock"],
        Ecosystem::Pub => &["pubspec.lock"],
        Ecosystem::Mix => &["mix.lock"],
        Ecosystem::Nuget => &["packages.lock.json"],
        Ecosystem::Gradle => &["gradle.lockfile"],
        Ecosystem::Swift => &["Package.resolved"],
        // Maven has no standard lockfile: `lockfile-present` judges the POM's versions.
        Ecosystem::Maven | Ecosystem::Docker | Ecosystem::GithubActions => &[],
    }
}

/// The lockfile names for one manifest: a Pipfile is locked by `Pipfile.lock` only, and a
/// pyproject never by `Pipfile.lock`.
fn lock_names_for(m: &Manifest) -> &'static [&'static str] {
    if m.ecosystem == Ecosystem::Python && file_name(&m.path) == "Pipfile" {
        &["Pipfile.lock"]
    } else {
        lock_names(m.ecosystem)
    }
}

/// Gradle's dependency verification metadata, relative to a build's root directory.
const GRADLE_VERIFICATION: &str = "gradle/verification-metadata.xml";

/// The lockfile the manifest's package manager writes when none exists.
fn expected_name(ecosystem: Ecosystem, tool: Option<&str>) -> &'static str {
    match (ecosystem, tool) {
        (Ecosystem::Npm, Some("pnpm")) => "pnpm-lock.yaml",
        (Ecosystem::Npm, Some("yarn")) => "yarn.lock",
        (Ecosystem::Npm, Some("bun")) => "bun.lock",
        (Ecosystem::Python, Some("poetry")) => "poetry.lock",
        (Ecosystem::Python, Some("pdm")) => "pdm.lock",
        (Ecosystem::Python, Some("rye")) => "requirements.lock",
        (Ecosystem::Python, Some("pipenv")) => "Pipfile.lock",
        (Ecosystem::Python, _) => "uv.lock",
        (eco, _) => lock_names(eco).first().copied().unwrap_or("lockfile"),
    }
}

/// The lockfile committed at `path`, read or not.
fn lock_at<'a>(repo: &'a RepoFacts, path: &str) -> Option<LockState<'a>> {
    if let Some(lock) = repo.lockfiles.iter().find(|l| l.path == path) {
        return Some(LockState::Found(lock));
    }
    let unreadable = repo.unreadable.iter().find(|u| u.path == path);
    unreadable
        .filter(|u| u.kind == FileKind::Lockfile)
        .map(LockState::Unreadable)
}

fn lock_in_dir<'a>(repo: &'a RepoFacts, dir: &str, m: &Manifest) -> Option<LockState<'a>> {
    for name in lock_names_for(m) {
        if let Some(state) = lock_at(repo, &join(dir, name)) {
            return Some(state);
        }
    }
    // Named PEP 751 lockfiles (`pylock.test.toml`, one per Hatch environment).
    (m.ecosystem == Ecosystem::Python && !lock_names_for(m).contains(&"Pipfile.lock"))
        .then(|| {
            repo.lockfiles.iter().find(|l| {
                dir_of(&l.path) == dir && crate::parse::lockfile::is_pylock(file_name(&l.path))
            })
        })
        .flatten()
        .map(LockState::Found)
}

/// Strict ancestors of a directory, nearest first (`a/b` → `a`, ``).
fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut current = Some(dir);
    std::iter::from_fn(move || {
        let d = current?;
        if d.is_empty() {
            current = None;
            return None;
        }
        let parent = dir_of(d);
        current = Some(parent);
        Some(parent)
    })
}

/// The nearest ancestor directory whose workspace includes the manifest's directory.
fn workspace_root_of(repo: &RepoFacts, m: &Manifest) -> Option<String> {
    let dir = dir_of(&m.path);
    ancestors(dir)
        .find(|anc| {
            let root_manifest = file_name(&m.path);
            let declares_workspace = repo
                .manifests
                .iter()
                .any(|r| r.path == join(anc, root_manifest) && r.workspace_root);
            let rel = if anc.is_empty() {
                dir
            } else {
                &dir[anc.len() + 1..]
            };
            let listed_by_lock = repo.lockfiles.iter().any(|l| {
                l.ecosystem == m.ecosystem
                    && dir_of(&l.path) == *anc
                    && l.members.iter().any(|member| member == rel)
            });
            declares_workspace || listed_by_lock
        })
        .map(str::to_owned)
}

/// A Gradle project without its own `gradle.lockfile` is still pinned when its build verifies
/// every artifact against `gradle/verification-metadata.xml` (a version not listed there fails
/// the build): the nearest one in the project's directory or above.
fn gradle_verification_for<'a>(repo: &'a RepoFacts, dir: &str) -> Option<(String, LockState<'a>)> {
    std::iter::once(dir)
        .chain(ancestors(dir))
        .find_map(|d| lock_at(repo, &join(d, GRADLE_VERIFICATION)).map(|s| (d.to_owned(), s)))
}

/// The lockfile that covers `m`.
pub(crate) fn lock_for<'a>(repo: &'a RepoFacts, m: &Manifest) -> LockLookup<'a> {
    let dir = dir_of(&m.path);
    if let Some(state) = lock_in_dir(repo, dir, m) {
        return LockLookup {
            state,
            workspace: None,
        };
    }
    if m.ecosystem == Ecosystem::Gradle
        && let Some((root, state)) = gradle_verification_for(repo, dir)
    {
        return LockLookup {
            state,
            workspace: (root != dir).then_some(root),
        };
    }
    let workspace = if m.workspace_root {
        None
    } else {
        workspace_root_of(repo, m)
    };
    let lock_dir = workspace.as_deref().unwrap_or(dir);
    let state = match workspace.as_deref().and_then(|w| lock_in_dir(repo, w, m)) {
        Some(state) => state,
        None => LockState::Missing {
            expected: join(lock_dir, expected_name(m.ecosystem, m.tool.as_deref())),
        },
    };
    LockLookup { state, workspace }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(path: &str, ecosystem: Ecosystem, workspace_root: bool) -> Manifest {
        Manifest {
            path: path.to_owned(),
            ecosystem,
            workspace_root,
            ..Manifest::default()
        }
    }

    /// The lockfile [`lock_for`] finds for the repository's `i`th manifest, or what it says
    /// instead.
    fn lock_found(repo: &RepoFacts, i: usize) -> String {
        match lock_for(repo, &repo.manifests[i]).state {
            LockState::Found(l) => l.path.clone(),
            LockState::Missing { expected } => format!("missing {expected}"),
            LockState::Unreadable(u) => format!("unreadable {}", u.path),
        }
    }

    fn lock(path: &str, ecosystem: Ecosystem, members: &[&str]) -> Lockfile {
        Lockfile {
            path: path.to_owned(),
            ecosystem,
            packages: Vec::new(),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

    #[test]
    fn members_use_their_workspace_lockfile() {
        let repo = RepoFacts {
            manifests: vec![
                manifest("Cargo.toml", Ecosystem::Cargo, true),
                manifest("crates/a/Cargo.toml", Ecosystem::Cargo, false),
                manifest("web/package.json", Ecosystem::Npm, false),
                manifest("web/packages/ui/package.json", Ecosystem::Npm, false),
                manifest("tools/package.json", Ecosystem::Npm, false),
            ],
            lockfiles: vec![
                lock("Cargo.lock", Ecosystem::Cargo, &[]),
                lock("web/pnpm-lock.yaml", Ecosystem::Npm, &["packages/ui"]),
            ],
            ..RepoFacts::default()
        };
        let found = |i: usize| lock_found(&repo, i);
        assert_eq!(found(1), "Cargo.lock");
        assert_eq!(found(3), "web/pnpm-lock.yaml");
        assert_eq!(found(4), "missing tools/package-lock.json");
        assert_eq!(
            lock_for(&repo, &repo.manifests[1]).workspace.as_deref(),
            Some("")
        );
    }

    #[test]
    fn rye_pdm_and_hatch_lockfiles_lock_a_pyproject() {
        let repo = RepoFacts {
            manifests: vec![
                manifest("svc/pyproject.toml", Ecosystem::Python, false),
                manifest("tools/pyproject.toml", Ecosystem::Python, false),
                manifest("lib/pyproject.toml", Ecosystem::Python, false),
                manifest("web/pyproject.toml", Ecosystem::Python, false),
            ],
            lockfiles: vec![
                lock("svc/requirements.lock", Ecosystem::Python, &[]),
                lock("tools/pylock.dev.toml", Ecosystem::Python, &[]),
                lock("web/pdm.lock", Ecosystem::Python, &[]),
                // Near miss: a lockfile in another directory locks nothing here.
                lock("requirements.lock", Ecosystem::Python, &[]),
            ],
            ..RepoFacts::default()
        };
        let found = |i: usize| lock_found(&repo, i);
        assert_eq!(found(0), "svc/requirements.lock");
        assert_eq!(found(1), "tools/pylock.dev.toml");
        assert_eq!(found(2), "missing lib/uv.lock");
        assert_eq!(found(3), "web/pdm.lock");
        // A PDM project without its lockfile is expected to write `pdm.lock`.
        let mut pdm = manifest("api/pyproject.toml", Ecosystem::Python, false);
        pdm.tool = Some("pdm".to_owned());
        match lock_for(&repo, &pdm).state {
            LockState::Missing { expected } => assert_eq!(expected, "api/pdm.lock"),
            _ => panic!("api has no lockfile"),
        }
    }

    #[test]
    fn pipfile_gradle_nuget_swift_lockfiles() {
        let mut pipfile = manifest("Pipfile", Ecosystem::Python, false);
        pipfile.tool = Some("pipenv".to_owned());
        let mut bare_pipfile = manifest("svc/Pipfile", Ecosystem::Python, false);
        bare_pipfile.tool = Some("pipenv".to_owned());
        let repo = RepoFacts {
            manifests: vec![
                pipfile,
                // A pyproject beside a Pipfile.lock is not locked by it.
                manifest("pyproject.toml", Ecosystem::Python, false),
                manifest("app/build.gradle.kts", Ecosystem::Gradle, false),
                manifest("lib/build.gradle", Ecosystem::Gradle, false),
                manifest("src/Api/Api.csproj", Ecosystem::Nuget, false),
                manifest("ios/Package.swift", Ecosystem::Swift, false),
                bare_pipfile,
            ],
            lockfiles: vec![
                lock("Pipfile.lock", Ecosystem::Python, &[]),
                lock("app/gradle.lockfile", Ecosystem::Gradle, &[]),
                lock("gradle/verification-metadata.xml", Ecosystem::Gradle, &[]),
            ],
            ..RepoFacts::default()
        };
        let found = |i: usize| lock_found(&repo, i);
        assert_eq!(found(0), "Pipfile.lock");
        assert_eq!(found(1), "missing uv.lock");
        assert_eq!(found(2), "app/gradle.lockfile");
        assert_eq!(found(3), "gradle/verification-metadata.xml");
        assert_eq!(found(4), "missing src/Api/packages.lock.json");
        assert_eq!(found(5), "missing ios/Package.resolved");
        assert_eq!(found(6), "missing svc/Pipfile.lock");
        assert!(!is_requirements(&repo.manifests[0]));
    }

    #[test]
    fn ancestors_nearest_first() {
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a", ""]);
        assert_eq!(ancestors("").count(), 0);
    }
}
