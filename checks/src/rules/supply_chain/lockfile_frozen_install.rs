use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{dir_of, file_name, is_requirements, join, script_line};
use crate::facts::repo::{Ecosystem, FileKind, Located, Manifest, RepoFacts};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source, Status};
use crate::parse::{manifest, shell};
use crate::rules::unreadable_files;

mod build_tools;

pub struct LockfileFrozenInstall;

impl Rule for LockfileFrozenInstall {
    const META: Meta = Meta {
        id: "lockfile-frozen-install",
        title: "CI and image builds install exactly what the lockfile says",
        severity: Severity::Medium,
        controls: &["SUP-03"],
        source: Source::Repo,
        docs: r#"
## Why
A committed lockfile only protects the build if the build honours it. `npm install`, `yarn add`
or a bare `pip install flask` resolve versions again at build time and may silently update the
lockfile, so CI and production images can run code nobody reviewed. Strict installs fail
instead when the lockfile is stale.

## What is judged
Every `run:` step of the GitHub workflows and every `RUN` of the Dockerfiles; each install
command in them is classified:
- strict: `npm ci`; `pnpm install --frozen-lockfile`; `yarn install --immutable` or
  `--frozen-lockfile` (also bare `yarn` with them); `bun install --frozen-lockfile`;
  `cargo build|test|run|check|clippy|doc|bench|fetch|install|nextest … --locked` or `--frozen`;
  `uv sync --locked` or `--frozen`; `poetry install` when a `poetry.lock` is committed;
  `pip install --require-hashes`, `pip install -r FILE` whose requirements all pin one
  version with `==` (with those of every file it includes with `-r`, read relative to the
  including file, as pip does), or `pip install name==1.2.3` (a wildcard `==4.2.*` pins none); `go mod download`; `go install module@v1.2.3`;
  `bundle install --frozen` or `--deployment`; `composer install` when a `composer.lock` is
  committed; `dart pub get --enforce-lockfile` / `flutter pub get --enforce-lockfile`;
  `mix deps.get --check-locked`; `pipenv install --deploy` / `--ignore-pipfile`, `pipenv sync`;
  `dotnet restore --locked-mode`, or `dotnet restore|build|test|publish|pack|run` when
  `RestoreLockedMode` is `true` for every project that references packages (in the project or
  the nearest `Directory.Build.props`); the maven-lockfile plugin's `validate` goal;
  `swift build|test|run` and `swift package resolve` with `--force-resolved-versions`,
  `--only-use-versions-from-resolved-file` or `--disable-automatic-resolution`;
  `xcodebuild -onlyUsePackageVersionsFromResolvedFile` /
  `-disableAutomaticPackageResolution`; global tool installs (`npm install -g`, `yarn global add`, `pnpm add -g`) whose
  every package names an exact version (`pnpm@10.16.1`, `corepack@0.34.0`);
- loose (fail): `npm install`/`npm i`/`npm add`, `pnpm add`, `pnpm install` without
  `--frozen-lockfile`, `yarn add`, `yarn install` without `--immutable`, `bun add`, cargo
  without `--locked`, `uv sync` without `--locked`, `uv add`, `poetry add`/`update`,
  `pip install name` (no exact pin), `pip install -r FILE` with unpinned lines, `go get`,
  `go install …@latest`, `bundle install` without `--frozen`, `composer update`/`require`,
  `dart|flutter pub get` without `--enforce-lockfile`, `pub upgrade|add|downgrade`,
  `mix deps.get` without `--check-locked`, `mix deps.update`, `pipenv install` without
  `--deploy` (it re-locks a stale Pipfile.lock), `pipenv install NAME`, `pipenv
  lock|update|upgrade`, `dotnet restore` (and the verbs that restore) without locked mode,
  `dotnet add package`, Gradle runs with `--write-locks`, `--update-locks` or
  `--write-verification-metadata`, Maven `versions:use-latest-*`, `use-next-*`, `update-*`
  goals, `swift build|test|run|package resolve` without a resolved-file flag, `swift package
  update`,
  global tool installs with a bare name, a range or a tag (`pnpm`, `turbo@^1`, `vercel@latest`);
- unknown (error): `pip install -r FILE` where FILE, or a file it includes, is not a
  requirements file of the repository, so its pins cannot be seen.

`python -m pip`, `pip3` and `uv pip install` count as pip. Other Gradle and Maven runs are
not installs in this sense (Gradle checks resolved versions against `gradle.lockfile` on every
build once locking is on; Maven has no lockfile). `dotnet` and `swift` commands are judged only
in a repository whose projects declare dependencies, and a bare `xcodebuild` is not judged. Local installs (`pip install .`,
`pip install -e .`) are not judged. pnpm defaults to `--frozen-lockfile` when the `CI`
variable is set, but the flag is required here so Dockerfile builds and local runs behave the
same. The subject is the workflow or Dockerfile; a file with no install command gets no
finding. Commands are read as the shell reads them: quoted text, comments and heredoc bodies
written to a file are not commands; the commands in `$(…)`, backticks, `sh -c '…'` and a
heredoc fed to a shell are. Installs hidden in scripts that the step calls (`make deps`,
`./ci/setup.sh`) are not seen; a script too large or too deeply nested to read is an error.

## How to fix
Use the strict form of the command: `npm ci`, `pnpm install --frozen-lockfile`,
`yarn install --immutable`, `cargo build --locked`, `uv sync --locked`,
`pip install --require-hashes -r requirements.txt`, `pipenv install --deploy`,
`dotnet restore --locked-mode`, `swift build --force-resolved-versions`.

## Evidence
Every install command of the file with its line and verdict.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Workflow, FileKind::Dockerfile], out);
        let Some(repo) = &cx.facts.repo else { return };
        // Workflows run from the repository root; a Dockerfile's paths are usually relative
        // to its own directory (the build context).
        let root = Env::of(repo, "");
        for wf in &repo.workflows {
            judge_file(
                &wf.path,
                wf.runs.iter().map(|r| (r, true)),
                &root,
                &cx.scripts,
                out,
            );
        }
        for df in &repo.dockerfiles {
            let env = Env::of(repo, dir_of(&df.path));
            let runs = df
                .stages
                .iter()
                .flat_map(|s| s.runs.iter().map(|r| (r, false)));
            judge_file(&df.path, runs, &env, &cx.scripts, out);
        }
    }
}

/// What the verdicts depend on besides the command: the repository's lockfiles and
/// requirements files.
struct Env<'a> {
    repo: &'a RepoFacts,
    /// The directory relative paths in commands are most likely relative to.
    dir: &'a str,
    has_poetry_lock: bool,
    has_composer_lock: bool,
    /// Ecosystems with a manifest that declares dependencies (commands that restore as a side
    /// effect, `dotnet build`, `swift test`, are judged only where there is something to restore).
    with_dependencies: BTreeSet<Ecosystem>,
    /// Where `RestoreLockedMode` is on for every NuGet project that references packages.
    nuget_locked_mode: Option<String>,
}

impl<'a> Env<'a> {
    fn of(repo: &'a RepoFacts, dir: &'a str) -> Self {
        let has = |name: &str| repo.lockfiles.iter().any(|l| file_name(&l.path) == name);
        Env {
            repo,
            dir,
            has_poetry_lock: has("poetry.lock"),
            has_composer_lock: has("composer.lock"),
            with_dependencies: ecosystems_with_dependencies(repo, dir),
            nuget_locked_mode: nuget_locked_mode(repo),
        }
    }

    /// Whether a requirements file named in `pip install -r FILE` pins every line, its own and
    /// those of the files it includes with `-r`: `Ok(unpinned names)`, or `Err(path)` naming a
    /// file that is not in the repository. The file is looked up relative to `dir`, then to the
    /// root, then as any file ending with that path (a Docker build copies files around); in
    /// the last case every candidate must be pinned.
    fn unpinned_in(&self, file: &str) -> Result<Vec<String>, String> {
        let file = file.trim_start_matches("./");
        let exact = [join(self.dir, file), file.to_owned()];
        let candidates: Vec<&Manifest> = match exact.iter().find_map(|p| self.requirements(p)) {
            Some(m) => vec![m],
            None => (self.repo.manifests.iter())
                .filter(|m| is_requirements(m) && m.path.ends_with(&format!("/{file}")))
                .collect(),
        };
        if candidates.is_empty() {
            return Err(file.to_owned());
        }
        let mut unpinned = Vec::new();
        let mut read: BTreeSet<&str> = BTreeSet::new();
        for m in candidates {
            self.unpinned_with_includes(m, &mut read, &mut unpinned)?;
        }
        unpinned.sort();
        unpinned.dedup();
        Ok(unpinned)
    }

    /// The requirements file at `path`, if the repository has one.
    fn requirements(&self, path: &str) -> Option<&'a Manifest> {
        (self.repo.manifests.iter()).find(|m| is_requirements(m) && m.path == path)
    }

    /// Adds `m`'s unpinned names and, once each, those of the files it includes (pip reads an
    /// included path relative to the including file).
    fn unpinned_with_includes(
        &self,
        m: &'a Manifest,
        read: &mut BTreeSet<&'a str>,
        unpinned: &mut Vec<String>,
    ) -> Result<(), String> {
        if !read.insert(&m.path) {
            return Ok(());
        }
        unpinned.extend((m.requirements.iter().filter(|r| !r.pinned)).map(|r| r.name.clone()));
        let dir = m.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        for include in &m.includes {
            let path = crate::parse::join_relative(dir, &include.value)
                .ok_or_else(|| format!("{} (included by {})", include.value, m.path))?;
            let included = self
                .requirements(&path)
                .ok_or_else(|| format!("{path} (included by {})", m.path))?;
            self.unpinned_with_includes(included, read, unpinned)?;
        }
        Ok(())
    }
}

/// Ecosystems whose manifests declare dependencies, as a build run from `dir` sees them. Where
/// the directory holds manifests of an ecosystem, those decide: a .NET sample whose projects
/// reference no packages restores nothing to lock, whatever other projects of the repository
/// need. Where it holds none of that ecosystem, the build context is elsewhere (a Dockerfile
/// under `docker/` built from the root), so every manifest of the repository counts.
fn ecosystems_with_dependencies(repo: &RepoFacts, dir: &str) -> BTreeSet<Ecosystem> {
    let inside = |m: &Manifest| dir.is_empty() || m.path.starts_with(&format!("{dir}/"));
    let local: BTreeSet<Ecosystem> = repo
        .manifests
        .iter()
        .filter(|m| inside(m))
        .map(|m| m.ecosystem)
        .collect();
    repo.manifests
        .iter()
        .filter(|m| !m.dependencies.is_empty())
        .filter(|m| inside(m) || !local.contains(&m.ecosystem))
        .map(|m| m.ecosystem)
        .collect()
}

/// `RestoreLockedMode=true` reaches a project from its own file or from the nearest
/// `Directory.Build.props` at or above it (MSBuild imports only the nearest). `Some(where)` when
/// it reaches every project that references packages.
fn nuget_locked_mode(repo: &RepoFacts) -> Option<String> {
    let sets_locked_mode = |m: &Manifest| {
        m.lock_settings
            .iter()
            .any(|s| s.value.starts_with("RestoreLockedMode=true"))
    };
    let props: Vec<&Manifest> = repo
        .manifests
        .iter()
        .filter(|m| {
            m.ecosystem == Ecosystem::Nuget && file_name(&m.path) == "Directory.Build.props"
        })
        .collect();
    let nearest_props = |dir: &str| {
        let mut d = Some(dir);
        while let Some(current) = d {
            let path = join(current, "Directory.Build.props");
            if let Some(p) = props.iter().find(|p| p.path == path) {
                return Some(*p);
            }
            d = (!current.is_empty()).then(|| dir_of(current));
        }
        None
    };
    let mut sources = BTreeSet::new();
    let projects = repo.manifests.iter().filter(|m| {
        m.ecosystem == Ecosystem::Nuget
            && file_name(&m.path) != "Directory.Build.props"
            && !m.dependencies.is_empty()
    });
    for project in projects {
        let source = if sets_locked_mode(project) {
            project
        } else {
            nearest_props(dir_of(&project.path)).filter(|p| sets_locked_mode(p))?
        };
        let setting = source
            .lock_settings
            .iter()
            .find(|s| s.value.starts_with("RestoreLockedMode=true"))?;
        sources.insert(format!("`{}` in {}", setting.value, source.path));
    }
    let listed: Vec<String> = sources.into_iter().collect();
    (!listed.is_empty()).then(|| listed.join(", "))
}

/// How one install command uses the lockfile.
#[derive(Debug, PartialEq)]
enum Verdict {
    Strict(String),
    Loose(String),
    Unknown(String),
}

fn judge_file<'r>(
    path: &str,
    runs: impl Iterator<Item = (&'r Located, bool)>,
    env: &Env<'_>,
    scripts: &shell::Scripts<'r>,
    out: &mut Findings,
) {
    let mut judged: Vec<(u32, String, Verdict)> = Vec::new();
    for (run, is_yaml_block) in runs {
        let block = is_yaml_block && run.value.contains('\n');
        // A Dockerfile RUN's text starts on the RUN line itself (continuations are joined, so
        // usually offset 0); a YAML block starts on the line after `run:`.
        let line_of = |offset: usize| {
            if is_yaml_block {
                script_line(run.line, block, offset)
            } else {
                script_line(run.line, false, 0)
                    .saturating_add(u32::try_from(offset).unwrap_or(u32::MAX))
            }
        };
        match scripts.read(&run.value).as_ref() {
            Ok(commands) => {
                for command in commands {
                    let words = command.program();
                    if let Some(verdict) = judge(words, env) {
                        judged.push((line_of(command.line), words.join(" "), verdict));
                    }
                }
            }
            Err(e) => judged.push((
                line_of(0),
                "(the script)".to_owned(),
                Verdict::Unknown(format!("{e}, so its install commands cannot be judged")),
            )),
        }
    }
    if judged.is_empty() {
        return;
    }
    let evidence = Value::Array(
        judged
            .iter()
            .map(|(line, command, verdict)| {
                let (status, why) = match verdict {
                    Verdict::Strict(w) => ("strict", w),
                    Verdict::Loose(w) => ("loose", w),
                    Verdict::Unknown(w) => ("unknown", w),
                };
                json!({ "line": line, "command": command, "verdict": status, "why": why })
            })
            .collect(),
    );
    let evidence = json!({ "file": path, "installs": evidence });
    let worst = judged
        .iter()
        .filter(|(_, _, v)| matches!(v, Verdict::Loose(_)))
        .chain(
            judged
                .iter()
                .filter(|(_, _, v)| matches!(v, Verdict::Unknown(_))),
        )
        .next();
    match worst {
        None => out.pass(
            path.to_owned(),
            Location::file(path.to_owned(), judged[0].0),
            format!(
                "{} install command(s), all using the lockfile strictly",
                judged.len()
            ),
            evidence,
        ),
        Some((line, command, verdict)) => {
            let (status, why) = match verdict {
                Verdict::Unknown(w) => (Status::Error, w),
                Verdict::Loose(w) | Verdict::Strict(w) => (Status::Fail, w),
            };
            out.push(
                status,
                path.to_owned(),
                Location::file(path.to_owned(), *line),
                format!("`{command}`: {why}"),
                evidence,
            );
        }
    }
}

fn has(words: &[String], flags: &[&str]) -> bool {
    words.iter().any(|w| flags.contains(&w.as_str()))
}

/// The first word after the program that is not a flag.
fn subcommand(args: &[String]) -> Option<&str> {
    args.iter()
        .map(String::as_str)
        .find(|w| !w.starts_with('-') && !w.starts_with('+'))
}

/// `None` when the command installs nothing.
fn judge(words: &[String], env: &Env<'_>) -> Option<Verdict> {
    let program = file_name(words.first()?);
    let args = &words[1..];
    match program {
        "npm" => npm(args),
        "pnpm" => frozen_or_add(args, "pnpm", &["--frozen-lockfile"], &["install", "i"]),
        "bun" => frozen_or_add(args, "bun", &["--frozen-lockfile"], &["install", "i"]),
        "yarn" => yarn(args),
        "cargo" => cargo(args),
        "uv" => uv(args, env),
        "poetry" => poetry(args, env),
        "pip" | "pip3" => pip(args, env),
        "python" | "python3" if args.first().is_some_and(|a| a == "-m") => {
            match args.get(1).map(String::as_str) {
                Some("pip") => pip(&args[2..], env),
                _ => None,
            }
        }
        "go" => go(args),
        "bundle" => bundle(args),
        "composer" => composer(args, env),
        "dart" | "flutter" if args.first().is_some_and(|a| a == "pub") => pub_get(&args[1..]),
        "mix" => mix(args),
        "pipenv" => build_tools::pipenv(args),
        "dotnet" => build_tools::dotnet(args, env),
        "gradle" | "gradlew" | "gradlew.bat" => build_tools::gradle(args),
        "mvn" | "mvnw" | "mvnw.cmd" => build_tools::maven(args),
        "swift" => build_tools::swift(args, env),
        "xcodebuild" => build_tools::xcodebuild(args),
        _ => None,
    }
}

// `Some(…)` helpers: every judge returns `Option<Verdict>` (`None`: not an install).
#[allow(clippy::unnecessary_wraps)]
fn loose(s: impl Into<String>) -> Option<Verdict> {
    Some(Verdict::Loose(s.into()))
}

#[allow(clippy::unnecessary_wraps)]
fn strict(s: impl Into<String>) -> Option<Verdict> {
    Some(Verdict::Strict(s.into()))
}

fn npm(args: &[String]) -> Option<Verdict> {
    match subcommand(args)? {
        "ci" | "clean-install" | "install-clean" | "isntall-clean" => {
            strict("installs exactly the lockfile")
        }
        "install" | "i" | "in" | "add" | "isntall" => {
            if has(args, &["-g", "--global", "--location=global"]) {
                global_install(args, &["install", "i", "in", "add", "isntall"])
            } else {
                loose("resolves versions again and may rewrite the lockfile; use `npm ci`")
            }
        }
        _ => None,
    }
}

fn frozen_or_add(
    args: &[String],
    tool: &str,
    frozen: &[&str],
    install: &[&str],
) -> Option<Verdict> {
    let sub = subcommand(args)?;
    if sub == "add" && has(args, &["-g", "--global"]) {
        return global_install(args, &["add"]);
    }
    if sub == "add" {
        return loose(format!(
            "`{tool} add` resolves and adds a new version at build time"
        ));
    }
    if !install.contains(&sub) {
        return None;
    }
    if has(args, frozen) && !has(args, &["--no-frozen-lockfile"]) {
        strict("refuses to change the lockfile")
    } else {
        loose(format!(
            "may update the lockfile; add `{}`",
            frozen.first().copied().unwrap_or_default()
        ))
    }
}

fn yarn(args: &[String]) -> Option<Verdict> {
    match subcommand(args) {
        None | Some("install") => {
            if has(args, &["--immutable", "--frozen-lockfile"]) {
                strict("refuses to change the lockfile")
            } else {
                loose(
                    "may update the lockfile; add `--immutable` (or `--frozen-lockfile` on yarn 1)",
                )
            }
        }
        Some("add") => loose("`yarn add` resolves and adds a new version at build time"),
        Some("global") if args.iter().any(|a| a == "add") => global_install(args, &["add"]),
        Some(_) => None,
    }
}

/// A global tool install (`npm install -g`, `yarn global add`, `pnpm add -g`): pinned when
/// every package operand after the install verb names an exact version (`pnpm@10.16.1`,
/// `@angular/cli@17.3.0`); a range, a tag or no version installs whatever is newest.
fn global_install(args: &[String], verbs: &[&str]) -> Option<Verdict> {
    let operands: Vec<&String> = args
        .iter()
        .skip_while(|w| !verbs.contains(&w.as_str()))
        .skip(1)
        .filter(|w| !w.starts_with('-'))
        .collect();
    if operands.is_empty() {
        return None;
    }
    match operands.iter().find(|p| exact_npm_version(p).is_none()) {
        Some(first) => loose(format!(
            "installs the global tool `{first}` at whatever version is newest; pin it (`{}@1.2.3`)",
            npm_name(first)
        )),
        None => strict("installs global tools at exact versions"),
    }
}

/// `name@1.2.3` or `@scope/name@1.2.3-rc.1` → the exact version; ranges, tags and bare names
/// give `None`.
fn exact_npm_version(spec: &str) -> Option<&str> {
    let (name, version) = spec.rsplit_once('@')?;
    if name.is_empty() || name.ends_with('/') {
        return None;
    }
    let core = version.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    numeric.then_some(version)
}

fn npm_name(spec: &str) -> &str {
    match spec.rsplit_once('@') {
        Some((name, _)) if !name.is_empty() => name,
        _ => spec,
    }
}

const CARGO_RESOLVING: [&str; 10] = [
    "build", "test", "run", "check", "clippy", "doc", "bench", "fetch", "install", "nextest",
];

fn cargo(args: &[String]) -> Option<Verdict> {
    let sub = subcommand(args)?;
    if !CARGO_RESOLVING.contains(&sub) {
        return None;
    }
    if has(args, &["--locked", "--frozen"]) {
        strict("uses Cargo.lock as is")
    } else if sub == "install" {
        loose("`cargo install` without `--locked` ignores the crate's Cargo.lock")
    } else {
        loose(format!(
            "`cargo {sub}` without `--locked` may update Cargo.lock"
        ))
    }
}

fn uv(args: &[String], env: &Env<'_>) -> Option<Verdict> {
    match subcommand(args)? {
        "sync" => {
            if has(args, &["--locked", "--frozen"]) {
                strict("installs exactly uv.lock")
            } else {
                loose("`uv sync` without `--locked` may update uv.lock")
            }
        }
        // `uv add ../sibling`: a local path, not a registry version.
        "add" if operands_after(args, "add").iter().all(|w| is_local_path(w)) => None,
        "add" => loose("`uv add` resolves and adds a new version at build time"),
        "pip" => {
            let rest: Vec<String> = args
                .iter()
                .skip_while(|a| *a != "pip")
                .skip(1)
                .cloned()
                .collect();
            pip(&rest, env)
        }
        _ => None,
    }
}

fn poetry(args: &[String], env: &Env<'_>) -> Option<Verdict> {
    match subcommand(args)? {
        "install" | "sync" if env.has_poetry_lock => {
            strict("installs from the committed poetry.lock")
        }
        "install" | "sync" => {
            loose("no poetry.lock is committed, so `poetry install` resolves freshly")
        }
        "add" | "update" => loose("resolves new versions at build time"),
        _ => None,
    }
}

/// Options of `pip install` that take a value (the value is not a package).
const PIP_VALUE_OPTIONS: [&str; 14] = [
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "-c",
    "--constraint",
    "--trusted-host",
    "--python-version",
    "--platform",
];

fn pip(args: &[String], env: &Env<'_>) -> Option<Verdict> {
    let sub = subcommand(args)?;
    if sub != "install" && sub != "sync" {
        return None;
    }
    if has(args, &["--require-hashes"]) {
        return strict("`--require-hashes` installs only hash-pinned artifacts");
    }
    let (files, packages) = pip_operands(args.iter().skip_while(|a| *a != sub).skip(1));
    if files.is_empty() && packages.is_empty() {
        return None;
    }
    let unpinned: Vec<&String> = (packages.iter())
        .filter(|p| !manifest::operand_is_pinned(p))
        .collect();
    if let Some(first) = unpinned.first() {
        return loose(format!(
            "`{first}` is installed at whatever version is newest"
        ));
    }
    for file in &files {
        match env.unpinned_in(file) {
            Err(missing) => {
                return Some(Verdict::Unknown(format!(
                    "{missing} is not a requirements file of the repository, so its pins cannot be checked"
                )));
            }
            Ok(names) if !names.is_empty() => {
                return loose(format!("{file} does not pin {}", names.join(", ")));
            }
            Ok(_) => {}
        }
    }
    strict("every requirement pins an exact version")
}

/// (`-r` files, package operands); local paths and editable installs are left out.
fn pip_operands<'a>(mut it: impl Iterator<Item = &'a String>) -> (Vec<String>, Vec<String>) {
    let (mut files, mut packages) = (Vec::new(), Vec::new());
    while let Some(word) = it.next() {
        let w = word.as_str();
        if w == "-r" || w == "--requirement" {
            files.extend(it.next().cloned());
        } else if let Some(f) = w
            .strip_prefix("--requirement=")
            .or_else(|| w.strip_prefix("-r"))
        {
            files.push(f.to_owned());
        } else if w == "-e" || w == "--editable" || PIP_VALUE_OPTIONS.contains(&w) {
            it.next();
        } else if w.starts_with('-') || is_local_path(w) {
        } else {
            packages.push(w.to_owned());
        }
    }
    (files, packages)
}

/// The words after `verb` that are not options.
fn operands_after<'a>(args: &'a [String], verb: &str) -> Vec<&'a str> {
    args.iter()
        .skip_while(|a| *a != verb)
        .skip(1)
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect()
}

fn is_local_path(w: &str) -> bool {
    w == "."
        || w.starts_with("./")
        || w.starts_with('/')
        || w.starts_with("../")
        || w.ends_with(".whl")
        || w.ends_with(".tar.gz")
        || w.starts_with('$')
}

fn go(args: &[String]) -> Option<Verdict> {
    match subcommand(args)? {
        "mod" if args.iter().any(|a| a == "download") => strict("downloads what go.sum verifies"),
        "get" => loose("`go get` resolves new versions and rewrites go.mod and go.sum"),
        "install" => {
            let target = args
                .iter()
                .skip_while(|a| *a != "install")
                .skip(1)
                .find(|a| !a.starts_with('-'))?;
            match target.rsplit_once('@') {
                None => None, // a package of the current module, built from go.sum
                Some((_, "latest" | "master" | "main")) => {
                    loose(format!("`{target}` installs whatever version is newest"))
                }
                Some(_) => strict("installs a fixed module version"),
            }
        }
        _ => None,
    }
}

fn bundle(args: &[String]) -> Option<Verdict> {
    if subcommand(args)? != "install" {
        return None;
    }
    if has(args, &["--frozen", "--deployment"]) {
        strict("refuses to change Gemfile.lock")
    } else {
        loose("`bundle install` without `--frozen` may update Gemfile.lock")
    }
}

fn composer(args: &[String], env: &Env<'_>) -> Option<Verdict> {
    match subcommand(args)? {
        "install" if env.has_composer_lock => strict("installs from the committed composer.lock"),
        "install" => loose("no composer.lock is committed, so `composer install` resolves freshly"),
        "update" | "require" => loose("resolves new versions at build time"),
        _ => None,
    }
}

/// `dart pub get` / `flutter pub get`: only `--enforce-lockfile` (Dart 2.19+) refuses to change
/// `pubspec.lock` and fails when it is missing or stale (dart.dev/tools/pub/cmd/pub-get).
fn pub_get(args: &[String]) -> Option<Verdict> {
    match subcommand(args)? {
        "get" if has(args, &["--enforce-lockfile"]) => {
            strict("`--enforce-lockfile` installs exactly pubspec.lock")
        }
        "get" => loose("`pub get` without `--enforce-lockfile` may update pubspec.lock"),
        "upgrade" | "add" | "downgrade" => loose("resolves new versions at build time"),
        _ => None,
    }
}

/// `mix deps.get --check-locked` fails when mix.lock would change (hexdocs.pm/mix, `mix
/// deps.get`); a bare `mix deps.get` may rewrite it.
fn mix(args: &[String]) -> Option<Verdict> {
    match subcommand(args)? {
        "deps.get" if has(args, &["--check-locked"]) => {
            strict("`--check-locked` refuses to change mix.lock")
        }
        "deps.get" => loose("`mix deps.get` without `--check-locked` may update mix.lock"),
        "deps.update" => loose("resolves new versions at build time"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::repo::{Ecosystem, Lockfile, Manifest, Requirement};

    fn verdict(cmd: &str, repo: &RepoFacts) -> Option<Verdict> {
        let env = Env::of(repo, "");
        let all = shell::commands(cmd).unwrap();
        assert_eq!(all.len(), 1, "{all:?}");
        judge(all[0].program(), &env)
    }

    fn kind(cmd: &str) -> &'static str {
        let repo = repo();
        match verdict(cmd, &repo) {
            Some(Verdict::Strict(_)) => "strict",
            Some(Verdict::Loose(_)) => "loose",
            Some(Verdict::Unknown(_)) => "unknown",
            None => "none",
        }
    }

    fn repo() -> RepoFacts {
        RepoFacts {
            manifests: vec![
                Manifest {
                    path: "worker/requirements.txt".to_owned(),
                    ecosystem: Ecosystem::Python,
                    requirements: vec![Requirement {
                        line: 1,
                        name: "celery".to_owned(),
                        pinned: false,
                        hashed: false,
                    }],
                    ..Manifest::default()
                },
                Manifest {
                    path: "requirements-lock.txt".to_owned(),
                    ecosystem: Ecosystem::Python,
                    ..Manifest::default()
                },
                // `-r base.txt` (unpinned celery, through worker/) and `-r missing.txt`.
                Manifest {
                    path: "requirements/prod.txt".to_owned(),
                    ecosystem: Ecosystem::Python,
                    includes: vec![Located {
                        value: "../worker/requirements.txt".to_owned(),
                        line: 1,
                        column: None,
                    }],
                    ..Manifest::default()
                },
                Manifest {
                    path: "requirements/ci.txt".to_owned(),
                    ecosystem: Ecosystem::Python,
                    includes: vec![Located {
                        value: "missing.txt".to_owned(),
                        line: 1,
                        column: None,
                    }],
                    ..Manifest::default()
                },
                Manifest {
                    path: "requirements/loop.txt".to_owned(),
                    ecosystem: Ecosystem::Python,
                    includes: vec![Located {
                        value: "./loop.txt".to_owned(),
                        line: 1,
                        column: None,
                    }],
                    ..Manifest::default()
                },
            ],
            lockfiles: vec![Lockfile {
                path: "poetry.lock".to_owned(),
                ecosystem: Ecosystem::Python,
                ..Lockfile::default()
            }],
            ..RepoFacts::default()
        }
    }

    #[test]
    fn classifies_installs() {
        let cases = [
            ("npm ci", "strict"),
            ("npm install", "loose"),
            ("npm i -g yarn", "loose"),
            ("npm install -g pnpm@10.16.1", "strict"),
            (
                "npm install --global corepack@0.34.0 @angular/cli@17.3.0",
                "strict",
            ),
            ("npm install -g pnpm@10", "loose"),
            ("npm install -g pnpm@latest", "loose"),
            ("npm install -g corepack@0.34.0 pnpm", "loose"),
            ("npm install -g @angular/cli", "loose"),
            ("yarn global add turbo@1.13.4", "strict"),
            ("yarn global add turbo@^1.13.4", "loose"),
            ("pnpm add -g vercel@39.1.0", "strict"),
            ("pnpm add -g vercel", "loose"),
            ("npm run build", "none"),
            ("pnpm install --frozen-lockfile", "strict"),
            ("pnpm install", "loose"),
            ("pnpm add lodash", "loose"),
            ("yarn install --immutable", "strict"),
            ("yarn --frozen-lockfile", "strict"),
            ("yarn", "loose"),
            ("yarn build", "none"),
            ("bun install --frozen-lockfile", "strict"),
            ("cargo +nightly build --release --locked", "strict"),
            ("cargo test --workspace", "loose"),
            ("cargo install cargo-audit", "loose"),
            ("cargo fmt --check", "none"),
            ("uv sync --locked", "strict"),
            ("uv sync", "loose"),
            ("uv add ../openai-python", "none"),
            ("uv add httpx", "loose"),
            ("uv pip install -r requirements-lock.txt", "strict"),
            ("poetry install --no-root", "strict"),
            (
                "pip install --require-hashes -r worker/requirements.txt",
                "strict",
            ),
            ("pip install -r worker/requirements.txt", "loose"),
            ("pip install -r ./requirements-lock.txt", "strict"),
            ("pip install -r missing.txt", "unknown"),
            ("pip install -r requirements/prod.txt", "loose"),
            ("pip install -r requirements/ci.txt", "unknown"),
            ("pip install -r requirements/loop.txt", "strict"),
            ("pip install 'django==4.2.*' celery==5.4.0", "loose"),
            (
                "pip install \"celery[redis]==5.4.0\" 'django===4.2.1'",
                "strict",
            ),
            ("python -m pip install --upgrade pip", "loose"),
            ("pip3 install flask==3.0.0", "strict"),
            ("pip install -e .", "none"),
            ("go mod download", "strict"),
            ("go get github.com/a/b", "loose"),
            (
                "go install golang.org/x/vuln/cmd/govulncheck@latest",
                "loose",
            ),
            (
                "go install golang.org/x/vuln/cmd/govulncheck@v1.1.3",
                "strict",
            ),
            ("go build ./...", "none"),
            ("bundle install --frozen", "strict"),
            ("composer install", "loose"),
            ("composer update", "loose"),
            ("flutter pub get --enforce-lockfile", "strict"),
            ("dart pub get --enforce-lockfile", "strict"),
            ("flutter pub get", "loose"),
            ("dart pub upgrade", "loose"),
            ("dart pub run build_runner build", "none"),
            ("mix deps.get --check-locked", "strict"),
            ("mix deps.get --only prod", "loose"),
            ("mix deps.update --all", "loose"),
            ("mix compile", "none"),
        ];
        for (cmd, want) in cases {
            assert_eq!(kind(cmd), want, "{cmd}");
        }
    }

    fn nuget_project(path: &str, locked: bool) -> Manifest {
        Manifest {
            path: path.to_owned(),
            ecosystem: Ecosystem::Nuget,
            dependencies: vec![crate::facts::repo::Dependency {
                name: "Serilog".to_owned(),
                line: 8,
            }],
            lock_settings: if locked {
                vec![Located {
                    value: "RestoreLockedMode=true".to_owned(),
                    line: 5,
                    column: None,
                }]
            } else {
                Vec::new()
            },
            ..Manifest::default()
        }
    }

    #[test]
    fn classifies_pipenv_dotnet_gradle_maven_swift() {
        let mut repo = repo();
        repo.manifests
            .push(nuget_project("src/Api/Api.csproj", false));
        let mut swift = nuget_project("Package.swift", false);
        swift.ecosystem = Ecosystem::Swift;
        repo.manifests.push(swift);
        let of = |cmd: &str, repo: &RepoFacts| match verdict(cmd, repo) {
            Some(Verdict::Strict(_)) => "strict",
            Some(Verdict::Loose(_)) => "loose",
            Some(Verdict::Unknown(_)) => "unknown",
            None => "none",
        };
        let cases = [
            ("pipenv install --deploy --system", "strict"),
            ("pipenv sync --dev", "strict"),
            ("pipenv install --ignore-pipfile", "strict"),
            ("pipenv install", "loose"),
            ("pipenv install --dev", "loose"),
            ("pipenv install requests", "loose"),
            ("pipenv lock", "loose"),
            ("pipenv run pytest", "none"),
            ("dotnet restore --locked-mode", "strict"),
            ("dotnet restore", "loose"),
            ("dotnet build -c Release", "loose"),
            ("dotnet test --no-restore", "none"),
            ("dotnet add package Serilog", "loose"),
            ("dotnet tool restore", "none"),
            ("./gradlew build", "none"),
            ("./gradlew dependencies --write-locks", "loose"),
            (
                "gradle build --update-locks com.google.guava:guava",
                "loose",
            ),
            (
                "./gradlew --write-verification-metadata sha256 help",
                "loose",
            ),
            ("mvn -B verify", "none"),
            ("mvn versions:use-latest-releases", "loose"),
            (
                "./mvnw io.github.chains-project:maven-lockfile:validate",
                "strict",
            ),
            ("swift build --force-resolved-versions", "strict"),
            (
                "swift package resolve --only-use-versions-from-resolved-file",
                "strict",
            ),
            ("swift build -c release", "loose"),
            ("swift package update", "loose"),
            ("swift format .", "none"),
            (
                "xcodebuild -scheme App -disableAutomaticPackageResolution test",
                "strict",
            ),
            ("xcodebuild -scheme App test", "none"),
        ];
        for (cmd, want) in cases {
            assert_eq!(of(cmd, &repo), want, "{cmd}");
        }
        // Locked mode set for every project (here through Directory.Build.props) is strict.
        repo.manifests
            .push(nuget_project("Directory.Build.props", true));
        assert_eq!(of("dotnet build", &repo), "strict");
        // ... but not when one project is outside its reach and does not set it.
        repo.manifests
            .push(nuget_project("tools/Gen/Directory.Build.props", false));
        repo.manifests
            .push(nuget_project("tools/Gen/Gen.csproj", false));
        assert_eq!(of("dotnet build", &repo), "loose");
        // Without any project referencing packages, `dotnet build` restores nothing to lock.
        let plain = self::repo();
        assert_eq!(of("dotnet build", &plain), "none");
        assert_eq!(of("swift build", &plain), "none");
    }

    #[test]
    fn dockerfile_requirements_resolve_from_the_build_context() {
        use crate::facts::Facts;
        use crate::facts::repo::{Dockerfile, Stage};
        use crate::registry::run_on;
        let mut repo = repo();
        repo.manifests[1].path = "requirements.txt".to_owned();
        repo.manifests[0].path = "worker/requirements.txt".to_owned();
        // Field by field, so fields added to the Dockerfile facts later need no change here.
        let dockerfile = |path: &str| {
            let mut d = Dockerfile::default();
            path.clone_into(&mut d.path);
            d.stages = vec![Stage {
                base: "python:3.12-slim".to_owned(),
                runs: vec![Located {
                    value: "pip install --no-cache-dir -r requirements.txt".to_owned(),
                    line: 4,
                    column: None,
                }],
                ..Stage::default()
            }];
            d
        };
        repo.dockerfiles = vec![dockerfile("worker/Dockerfile"), dockerfile("Dockerfile")];
        let facts = Facts {
            repo: Some(repo),
            ..Facts::default()
        };
        let findings = run_on(&LockfileFrozenInstall, &facts);
        let status = |p: &str| findings.iter().find(|f| f.subject == p).map(|f| f.status);
        assert_eq!(status("worker/Dockerfile"), Some(Status::Fail));
        assert_eq!(status("Dockerfile"), Some(Status::Pass));
    }

    /// dotnet/dotnet-docker's samples: each sample's Dockerfile runs `dotnet restore` on a
    /// project that references no packages, while one test project elsewhere does. Only a
    /// build whose own directory holds a project with packages (or no project at all, so the
    /// context is elsewhere) restores something to lock.
    #[test]
    fn dotnet_restore_is_judged_by_the_projects_of_the_build_context() {
        use crate::facts::Facts;
        use crate::facts::repo::{Dockerfile, Stage};
        use crate::registry::run_on;
        let mut repo = RepoFacts::default();
        let mut plain = nuget_project("samples/aspnetapp/aspnetapp/aspnetapp.csproj", false);
        plain.dependencies.clear();
        repo.manifests = vec![
            plain,
            nuget_project("samples/complexapp/tests/tests.csproj", false),
        ];
        let dockerfile = |path: &str| {
            let mut d = Dockerfile::default();
            path.clone_into(&mut d.path);
            d.stages = vec![Stage {
                base: "mcr.microsoft.com/dotnet/sdk:10.0".to_owned(),
                runs: vec![Located {
                    value: "dotnet restore -a $TARGETARCH".to_owned(),
                    line: 9,
                    column: None,
                }],
                ..Stage::default()
            }];
            d
        };
        repo.dockerfiles = vec![
            dockerfile("samples/aspnetapp/Dockerfile"),
            dockerfile("samples/complexapp/Dockerfile"),
            dockerfile("docker/Dockerfile"),
        ];
        let facts = Facts {
            repo: Some(repo),
            ..Facts::default()
        };
        let findings = run_on(&LockfileFrozenInstall, &facts);
        let status = |p: &str| findings.iter().find(|f| f.subject == p).map(|f| f.status);
        assert_eq!(status("samples/aspnetapp/Dockerfile"), None);
        assert_eq!(status("samples/complexapp/Dockerfile"), Some(Status::Fail));
        // No project beside it: built from elsewhere, so every project of the repository counts.
        assert_eq!(status("docker/Dockerfile"), Some(Status::Fail));
    }

    /// (script, [(line, command, verdict)])
    type Case<'a> = (&'a str, &'a [(usize, &'a str, &'a str)]);

    /// What the old splitter (split at every `&`, `|`, `;`, whitespace, quotes trimmed) got
    /// wrong, judged now as the shell runs it.
    #[test]
    fn judges_what_the_shell_runs() {
        let repo = repo();
        let env = Env::of(&repo, "");
        let judged = |script: &str| -> Vec<(usize, String, &'static str)> {
            shell::commands(script)
                .unwrap()
                .iter()
                .filter_map(|c| {
                    let v = judge(c.program(), &env)?;
                    let kind = match v {
                        Verdict::Strict(_) => "strict",
                        Verdict::Loose(_) => "loose",
                        Verdict::Unknown(_) => "unknown",
                    };
                    Some((c.line, c.program().join(" "), kind))
                })
                .collect()
        };
        let cases: [Case<'_>; 5] = [
            // A quoted `&&` or `;` is text: before, `npm install` here was judged loose.
            (
                r#"echo "run: npm ci && npm install" ; git commit -m 'x; yarn add y'"#,
                &[],
            ),
            // An install inside `$(…)` runs: before, `$(npm` was the program, not judged.
            (
                "V=$(npm install -g pnpm)",
                &[(0, "npm install -g pnpm", "loose")],
            ),
            // A heredoc written to a file is data: before, its body lines were judged.
            (
                "cat > Makefile <<'EOF'\ndeps:\n\tnpm install\nEOF\nnpm ci",
                &[(4, "npm ci", "strict")],
            ),
            // `sh -c '…'` runs its string: before, `sh -c npm install` was not an install.
            (
                "su app -s /bin/sh -c true; sh -c 'npm install'",
                &[(0, "npm install", "loose")],
            ),
            // A Dockerfile `RUN <<EOF` body is the script (its terminator already removed).
            (
                "<<EOF\nset -e\ncargo build\n",
                &[(2, "cargo build", "loose")],
            ),
        ];
        for (script, want) in cases {
            let want: Vec<(usize, String, &str)> = want
                .iter()
                .map(|(l, c, k)| (*l, (*c).to_owned(), *k))
                .collect();
            assert_eq!(judged(script), want, "{script}");
        }
    }

    #[test]
    fn unreadable_script_is_an_error() {
        use crate::facts::Facts;
        use crate::facts::repo::{Dockerfile, Stage};
        use crate::registry::run_on;
        let mut d = Dockerfile::default();
        "Dockerfile".clone_into(&mut d.path);
        d.stages = vec![Stage {
            runs: vec![Located {
                value: format!("npm ci && {}x{}", "$(".repeat(64), ")".repeat(64)),
                line: 3,
                column: None,
            }],
            ..Stage::default()
        }];
        let facts = Facts {
            repo: Some(RepoFacts {
                dockerfiles: vec![d],
                ..RepoFacts::default()
            }),
            ..Facts::default()
        };
        let findings = run_on(&LockfileFrozenInstall, &facts);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Error);
        assert!(
            findings[0].message.contains("deeper than"),
            "{}",
            findings[0].message
        );
    }
}
