//! Install commands of Pipenv, .NET, Gradle, Maven and SwiftPM (see the parent module's docs).

use super::{Env, Verdict, has, loose, operands_after, strict, subcommand};
use crate::facts::repo::Ecosystem;

/// `pipenv install --deploy` aborts when Pipfile.lock is out of date, `--ignore-pipfile` and
/// `pipenv sync` install exactly Pipfile.lock; a bare `pipenv install` re-locks a stale
/// Pipfile.lock, and `pipenv install NAME`, `lock`, `update`, `upgrade` resolve anew.
pub(super) fn pipenv(args: &[String]) -> Option<Verdict> {
    match subcommand(args)? {
        "sync" => strict("installs exactly Pipfile.lock"),
        "install" if !operands_after(args, "install").is_empty() => {
            loose("`pipenv install NAME` resolves and adds a new version at build time")
        }
        "install" if has(args, &["--deploy", "--ignore-pipfile"]) => {
            strict("refuses to install anything but Pipfile.lock")
        }
        "install" => loose(
            "`pipenv install` re-locks when Pipfile.lock is out of date; use `pipenv install --deploy` or `pipenv sync`",
        ),
        "lock" | "update" | "upgrade" => loose("resolves new versions at build time"),
        _ => None,
    }
}

/// Verbs of `dotnet` that restore NuGet packages first (unless `--no-restore` or `--no-build`).
const DOTNET_RESTORING: [&str; 6] = ["restore", "build", "test", "publish", "pack", "run"];

/// `dotnet restore --locked-mode` (or `RestoreLockedMode` set for every project) fails when
/// packages.lock.json would change; any other restore may rewrite it. Judged only in a
/// repository whose projects reference NuGet packages.
pub(super) fn dotnet(args: &[String], env: &Env<'_>) -> Option<Verdict> {
    if !env.with_dependencies.contains(&Ecosystem::Nuget) {
        return None;
    }
    let sub = subcommand(args)?;
    if sub == "add" && args.iter().any(|a| a == "package") {
        return loose("`dotnet add package` resolves and adds a new version at build time");
    }
    // `--no-build` implies `--no-restore`.
    if !DOTNET_RESTORING.contains(&sub) || has(args, &["--no-restore", "--no-build"]) {
        return None;
    }
    if has(args, &["--locked-mode"]) {
        return strict("`--locked-mode` restores exactly packages.lock.json");
    }
    let has_lockfile = env
        .repo
        .lockfiles
        .iter()
        .any(|l| l.ecosystem == Ecosystem::Nuget);
    match &env.nuget_locked_mode {
        Some(how) => strict(format!("restores in locked mode ({how})")),
        None if !has_lockfile => loose(format!(
            "`dotnet {sub}` resolves package versions afresh: no packages.lock.json is committed; set `RestorePackagesWithLockFile`, commit the lockfile and restore with `--locked-mode`"
        )),
        None => loose(format!(
            "`dotnet {sub}` restores without locked mode and may rewrite packages.lock.json; add `--locked-mode` or set `RestoreLockedMode`"
        )),
    }
}

/// Gradle validates resolved versions against gradle.lockfile on every build once locking is
/// on; only `--write-locks`, `--update-locks` and `--write-verification-metadata` rewrite the
/// lock state. Other Gradle runs install nothing by themselves.
pub(super) fn gradle(args: &[String]) -> Option<Verdict> {
    let rewrites = args.iter().find(|a| {
        a.as_str() == "--write-locks"
            || a.starts_with("--update-locks")
            || a.starts_with("--write-verification-metadata")
    })?;
    loose(format!(
        "`{rewrites}` rewrites the lock state with whatever resolves at build time"
    ))
}

/// Maven has no lockfile of its own: `versions:use-latest-*`/`use-next-*`/`update-*` goals
/// rewrite the POM's versions at build time; the maven-lockfile plugin's `validate` goal
/// checks the build against its lockfile.
pub(super) fn maven(args: &[String]) -> Option<Verdict> {
    const REWRITING_GOALS: [&str; 3] = [
        "versions:use-latest",
        "versions:use-next",
        "versions:update-",
    ];
    if let Some(goal) = args
        .iter()
        .find(|a| REWRITING_GOALS.iter().any(|g| a.contains(g)))
    {
        return loose(format!(
            "`{goal}` rewrites the POM's versions with whatever is newest at build time"
        ));
    }
    args.iter()
        .any(|a| a.contains("maven-lockfile:validate"))
        .then(|| {
            Verdict::Strict("maven-lockfile validates the build against lockfile.json".to_owned())
        })
}

/// SwiftPM flags that refuse to change Package.resolved.
const SWIFT_STRICT: [&str; 3] = [
    "--force-resolved-versions",
    "--only-use-versions-from-resolved-file",
    "--disable-automatic-resolution",
];

/// `swift build|test|run` and `swift package resolve` re-resolve when Package.resolved does
/// not satisfy Package.swift unless told not to; `swift package update` resolves anew. Judged
/// only in a repository whose packages have dependencies.
pub(super) fn swift(args: &[String], env: &Env<'_>) -> Option<Verdict> {
    if !env.with_dependencies.contains(&Ecosystem::Swift) {
        return None;
    }
    let sub = subcommand(args)?;
    let verb = if sub == "package" {
        operands_after(args, "package").first().copied()?
    } else {
        sub
    };
    match verb {
        "update" => loose("`swift package update` resolves new versions at build time"),
        "build" | "test" | "run" | "resolve" if has(args, &SWIFT_STRICT) => {
            strict("refuses to change Package.resolved")
        }
        "build" | "test" | "run" | "resolve" => loose(format!(
            "`swift {verb}` may re-resolve and rewrite Package.resolved; add `--force-resolved-versions`"
        )),
        _ => None,
    }
}

/// `xcodebuild -onlyUsePackageVersionsFromResolvedFile` / `-disableAutomaticPackageResolution`
/// use Package.resolved as is. A bare xcodebuild is not judged: whether it resolves packages
/// depends on the project, which is not read.
pub(super) fn xcodebuild(args: &[String]) -> Option<Verdict> {
    has(
        args,
        &[
            "-onlyUsePackageVersionsFromResolvedFile",
            "-disableAutomaticPackageResolution",
        ],
    )
    .then(|| Verdict::Strict("uses Package.resolved as is".to_owned()))
}
