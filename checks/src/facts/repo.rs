//! Facts read from a repository's files.
//!
//! Each record keeps the path (relative to the scanned root, forward slashes) and the 1-based
//! line of what it describes, so a check can point at it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepoFacts {
    /// The scanned root as given, for display only.
    pub root: String,
    /// How many files the walk judged (see `scope` for what it left out).
    pub files_scanned: u64,
    pub manifests: Vec<Manifest>,
    pub lockfiles: Vec<Lockfile>,
    pub dockerfiles: Vec<Dockerfile>,
    pub workflows: Vec<Workflow>,
    pub sboms: Vec<Sbom>,
    pub update_configs: Vec<UpdateConfig>,
    /// Kubernetes workloads declared in manifests (plain YAML, multi-document, committed
    /// kustomize output).
    pub workloads: Vec<super::kube::Workload>,
    /// Kustomizations: what they build on and what they change (not rendered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kustomizations: Vec<super::kube::Kustomization>,
    /// Kubernetes-looking YAML files under a `templates/` directory that hold Helm template
    /// actions (`{{ … }}`), not read: skipped when the chart's `Chart.yaml` is there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub helm_templates: Vec<super::kube::Template>,
    /// The directories holding a Helm `Chart.yaml` (`.` for the root).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub helm_charts: Vec<String>,
    /// Docker Buildx bake files (`docker-bake.hcl`, `docker-bake.json`, their overrides).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bake_files: Vec<BakeFile>,
    /// Docker Compose files (`compose.yaml`, `docker-compose.prod.yml`…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compose_files: Vec<ComposeFile>,
    /// Secret-looking values found in committed files; values are redacted at collection.
    pub secrets: Vec<SecretHit>,
    /// Files not searched for secrets because they are vendored or generated
    /// (`.yarn/releases/…`, `*.min.js`; see `crate::secret_context::is_vendored_or_generated`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets_skipped: Vec<String>,
    /// Files of a judged kind that could not be read or parsed.
    pub unreadable: Vec<Unreadable>,
    /// `vouch:ignore[...]` comments, applied when the report is built.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<crate::suppress::InlineSuppression>,
    /// How the files were chosen and what was left out: the report's scope.
    pub scope: RepoScope,
}

/// How the repository walk chose its files, the git state it saw, and every path it left out.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepoScope {
    pub listing: Listing,
    /// The git work tree's state, when the files came from its index.
    pub git: Option<GitState>,
    /// Paths not judged, each with its reason, sorted by path.
    pub excluded: Vec<Excluded>,
}

/// Where the list of judged files came from.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Listing {
    /// Every file under the scanned directory; no ignore file (`.gitignore`, `.ignore`) is
    /// honoured, because none of them says what is committed.
    #[default]
    Directory,
    /// The files git tracks (its index), read from the working tree; untracked files are left
    /// out and listed.
    GitIndex,
}

/// What the git work tree was at scan time. No credentials: the remote URL loses its userinfo.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GitState {
    /// The default remote's URL, without user, password or query.
    pub remote: Option<String>,
    /// HEAD's commit id (none in a repository without commits).
    pub commit: Option<String>,
    /// The checked-out branch (none when HEAD is detached).
    pub branch: Option<String>,
    /// Tracked content differs from HEAD: a file modified, staged or deleted in the work tree.
    pub dirty: bool,
    /// The tracked paths that differ from HEAD (judged as they are in the working tree).
    pub modified: Vec<String>,
}

/// A path the walk did not judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Excluded {
    pub path: String,
    pub reason: ExcludedReason,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ExcludedReason {
    /// A dependency or build directory (`node_modules`, `vendor`, `target`…).
    Vendored,
    /// In the working tree, not committed (git listing only).
    Untracked,
    /// A symlink whose target is outside the scanned tree: never read (an `error`).
    SymlinkOutsideTree,
    /// A symlink that leads back into a directory already being walked.
    SymlinkLoop,
    /// A symlink whose target does not exist.
    BrokenSymlink,
    /// A git submodule: a separate repository, scanned on its own.
    Submodule,
    /// Tracked, but deleted from the working tree.
    MissingFromWorkTree,
    /// A FIFO, socket or device: reading it could block.
    NotARegularFile,
    /// Matched by a `[scan] exclude` glob: never read.
    Configured,
}

impl ExcludedReason {
    /// Why, in words, for the text and HTML reports.
    pub fn describe(self) -> &'static str {
        match self {
            ExcludedReason::Vendored => "dependency or build directory",
            ExcludedReason::Untracked => "in the working tree, not committed",
            ExcludedReason::SymlinkOutsideTree => "symlink leaving the scanned tree (not read)",
            ExcludedReason::SymlinkLoop => "symlink loop (followed once)",
            ExcludedReason::BrokenSymlink => "broken symlink",
            ExcludedReason::Submodule => "git submodule (a separate repository)",
            ExcludedReason::MissingFromWorkTree => "tracked but deleted in the working tree",
            ExcludedReason::NotARegularFile => "not a regular file",
            ExcludedReason::Configured => "excluded by `[scan] exclude`",
        }
    }
}

/// What role a file plays; decides which parser reads it and which checks an unreadable file
/// turns into `error` findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Manifest,
    Lockfile,
    Dockerfile,
    Workflow,
    Sbom,
    UpdateConfig,
    /// A Docker Buildx bake file (`docker-bake.hcl`, `docker-bake.override.json`…).
    Bake,
    /// A Docker Compose file (`compose.yaml`, `docker-compose.prod.yml`…).
    Compose,
    /// A YAML file outside CI configuration: parsed as Kubernetes manifests when it is one.
    Yaml,
    /// Any other text file: only scanned for secrets.
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unreadable {
    pub path: String,
    pub kind: FileKind,
    /// One sentence: why it could not be read (`invalid YAML at line 3: …`, `over 10 MiB`…).
    pub cause: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum Ecosystem {
    Cargo,
    Npm,
    Python,
    Go,
    Ruby,
    Composer,
    /// Dart and Flutter (`pubspec.yaml`, `pubspec.lock`).
    Pub,
    /// Elixir (`mix.exs`, `mix.lock`).
    Mix,
    /// .NET (`*.csproj`, `Directory.Build.props`, `packages.lock.json`).
    Nuget,
    /// Gradle (`build.gradle(.kts)`, `gradle.lockfile`, `gradle/verification-metadata.xml`).
    Gradle,
    /// Maven (`pom.xml`; no standard lockfile).
    Maven,
    /// Swift Package Manager (`Package.swift`, `Package.resolved`).
    Swift,
    Docker,
    #[serde(rename = "github-actions")]
    #[strum(serialize = "github-actions")]
    GithubActions,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A dependency manifest: Cargo.toml, package.json, pyproject.toml, requirements*.txt (and
/// pip-tools `.in` files), Pipfile, go.mod, Gemfile, composer.json, pubspec.yaml, mix.exs,
/// pom.xml, build.gradle(.kts), Package.swift, .NET project files and Directory.Build.props.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Manifest {
    pub path: String,
    pub ecosystem: Ecosystem,
    /// Declares a workspace (Cargo `[workspace]`, npm `workspaces`): members share its lockfile.
    pub workspace_root: bool,
    /// Direct dependencies as declared (all dependency tables).
    pub dependencies: Vec<Dependency>,
    /// requirements*.txt only: each requirement line.
    pub requirements: Vec<Requirement>,
    /// requirements*.txt only: the files its `-r`/`--requirement` lines include, as written
    /// (pip reads them relative to this file's directory).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<Located>,
    /// The package manager the manifest names (`poetry`, `pdm`, `uv` from pyproject `[tool.*]`;
    /// `pnpm`, `yarn`, `bun` from package.json `packageManager`): decides which lockfile is
    /// expected when none is committed.
    pub tool: Option<String>,
    /// Build settings about the lockfile, with their line: NuGet `RestoreLockedMode` /
    /// `RestorePackagesWithLockFile` (value `true`), Gradle `dependencyLocking`, Maven enforcer
    /// rules (`requireReleaseDeps`, `banDynamicVersions`) and lockfile plugins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lock_settings: Vec<Located>,
    /// Maven and Gradle versions that resolve differently over time: ranges (`[2.0,)`),
    /// `-SNAPSHOT`, `LATEST`/`RELEASE`, Gradle `1.+` and `latest.release`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub floating: Vec<FloatingVersion>,
}

/// A declared version that is not one fixed release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FloatingVersion {
    /// `group:artifact` (or the property name for a Maven `<properties>` entry).
    pub name: String,
    /// The version as resolved from properties (`[2.0,)`, `1.4-SNAPSHOT`, `1.+`).
    pub version: String,
    pub line: u32,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            path: String::new(),
            ecosystem: Ecosystem::Npm,
            workspace_root: false,
            dependencies: Vec::new(),
            requirements: Vec::new(),
            includes: Vec::new(),
            tool: None,
            lock_settings: Vec::new(),
            floating: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dependency {
    pub name: String,
    pub line: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Requirement {
    pub line: u32,
    pub name: String,
    /// The line pins an exact version with `==` (or `===`).
    pub pinned: bool,
    /// The line carries `--hash=` options.
    pub hashed: bool,
}

/// A lockfile and the package names it resolves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Lockfile {
    pub path: String,
    pub ecosystem: Ecosystem,
    /// Sorted, de-duplicated package names.
    pub packages: Vec<String>,
    /// Workspace member directories the lockfile resolves, relative to the lockfile's directory
    /// (pnpm `importers`, npm `packages` entries outside node_modules, yarn `workspace:` entries).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

impl Default for Lockfile {
    fn default() -> Self {
        Lockfile {
            path: String::new(),
            ecosystem: Ecosystem::Npm,
            packages: Vec::new(),
            members: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dockerfile {
    pub path: String,
    /// `ARG`s declared before the first `FROM` (they may be used in `FROM` lines); secret-looking
    /// values are redacted at collection.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub global_args: Vec<Setting>,
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// The index of the earlier stage that stage `index` builds on (`FROM build`, by alias,
    /// case-insensitively as BuildKit does, or `FROM 0` by index); `None` for a real image.
    pub fn earlier_stage(&self, index: usize) -> Option<usize> {
        let base = &self.stages.get(index)?.base;
        if let Ok(n) = base.parse::<usize>() {
            return (n < index).then_some(n);
        }
        let by_alias = |name: &str| {
            self.stages[..index].iter().rposition(|s| {
                s.alias
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(name))
            })
        };
        by_alias(base).or_else(|| by_alias(&with_container_os(base)?))
    }

    /// Whether `name` (a `COPY --from=` or `--mount from=` operand inside stage `index`) names
    /// an earlier stage, by alias (case-insensitively) or by index, rather than an image.
    pub fn names_earlier_stage(&self, index: usize, name: &str) -> bool {
        if let Ok(n) = name.parse::<usize>() {
            return n < index;
        }
        self.stages[..index.min(self.stages.len())].iter().any(|s| {
            s.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// The final stage and, following `FROM <earlier stage>` links, the stages it builds on,
    /// the last of which names a real image (or `scratch`). Empty when there are no stages.
    pub fn final_chain(&self) -> Vec<&Stage> {
        let mut chain = Vec::new();
        let Some(mut index) = self.stages.len().checked_sub(1) else {
            return chain;
        };
        loop {
            chain.push(&self.stages[index]);
            match self.earlier_stage(index) {
                // Indices strictly decrease, so this ends.
                Some(prev) => index = prev,
                None => return chain,
            }
        }
    }
}

/// `base` with BuildKit's automatic `TARGETOS`/`BUILDOS` arguments set to `linux`, the OS of
/// container images (`FROM binaries-$TARGETOS` → `binaries-linux`), when they are its only
/// unresolved arguments; `None` otherwise. Architectures are never guessed.
fn with_container_os(base: &str) -> Option<String> {
    let mut out = base.to_owned();
    for var in ["TARGETOS", "BUILDOS"] {
        out = out
            .replace(&format!("${{{var}}}"), "linux")
            .replace(&format!("${var}"), "linux");
    }
    (out != base && !out.contains('$')).then_some(out)
}

/// One `FROM` stage of a Dockerfile.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Stage {
    /// The image after `ARG` substitution (`node:20-alpine`, `scratch`, or an earlier stage's
    /// alias).
    pub base: String,
    /// The `FROM` operand as written, when it differs from `base` (`${BASE}`).
    pub base_written: Option<String>,
    pub line: u32,
    pub alias: Option<String>,
    /// The last `USER` of the stage and its line, as BuildKit reads it (quotes removed,
    /// variables the stage defines substituted).
    pub user: Option<Located>,
    /// The last `USER`'s operand as written, when it differs from `user` (`${UID}`).
    pub user_written: Option<String>,
    /// `RUN` commands (continuations joined), with the line each starts on.
    pub runs: Vec<Located>,
    /// `ENV` and `ARG` settings; secret-looking values are redacted at collection.
    pub settings: Vec<Setting>,
    /// Sources of `COPY` and `ADD` (not `--from` copies between stages).
    pub copies: Vec<Located>,
    /// Operands of `COPY --from=…` and `RUN --mount=…,from=…`, after variable substitution:
    /// an earlier stage's alias or index, or an image the build pulls.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_refs: Vec<Located>,
    /// The last `CMD` or `ENTRYPOINT` of the stage: a stage with none in its whole chain
    /// starts no process (an artefact-export stage such as `FROM scratch` + `COPY`).
    pub command: Option<Located>,
    /// Secret-looking values in files a `COPY`/`ADD` heredoc writes into the image
    /// (`COPY <<EOF /app/.env`), each body judged as a file at its destination path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub heredoc_secrets: Vec<HeredocSecret>,
}

/// A secret-looking value in the body of a `COPY`/`ADD` heredoc. The value is never kept.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeredocSecret {
    /// The path the heredoc writes in the image (`/app/.env`).
    pub destination: String,
    /// The Dockerfile line of the value.
    pub line: u32,
    /// The detector that matched (`dotenv-value`, `github-token`…).
    pub kind: String,
    /// The key the value is assigned to on its line (`DATABASE_PASSWORD`), when there is one.
    pub key: Option<String>,
}

/// A Docker Buildx bake file: its targets and groups. Only literal strings are kept; an
/// attribute set to anything else (a variable, a function call, an interpolated string) is
/// listed in the target's `unresolved`, so nothing is guessed from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BakeFile {
    pub path: String,
    pub targets: Vec<BakeTarget>,
    pub groups: Vec<BakeGroup>,
}

/// One `target "name" { … }` of a bake file.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BakeTarget {
    pub name: String,
    pub line: u32,
    pub inherits: Vec<String>,
    /// `context` (default `.`), relative to the bake file's working directory.
    pub context: Option<String>,
    /// `dockerfile` (default `Dockerfile`), relative to the context.
    pub dockerfile: Option<String>,
    /// `target`: the Dockerfile stage built (default: the last stage).
    pub target: Option<String>,
    /// Attributes that decide what is built (`context`, `dockerfile`, `target`, `inherits`,
    /// `dockerfile-inline`, `matrix`) whose value is not a literal string (or list of them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<String>,
    /// The names of the build arguments its `args` sets (values are not kept: they may be
    /// secrets, and a build argument vouch does not read is judged unknown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Its `args` is not an object whose keys can be listed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub args_unresolved: bool,
}

/// One `group "name" { targets = [...] }` of a bake file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BakeGroup {
    pub name: String,
    pub targets: Vec<String>,
    /// Its `targets` is not a list of literal strings.
    pub unresolved: bool,
}

/// A Docker Compose file and the services that build an image from a Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComposeFile {
    pub path: String,
    pub services: Vec<ComposeService>,
}

/// A Compose service with a `build:` section.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComposeService {
    pub name: String,
    pub line: u32,
    /// 1-based column where the parser reports it (YAML); absent otherwise.
    #[serde(default)]
    pub column: Option<u32>,
    /// The Dockerfile it builds, relative to the repository root (context joined with
    /// `dockerfile`, default `Dockerfile`); `None` when a value holds a variable, a URL or an
    /// inline Dockerfile, so the file is not known.
    pub dockerfile: Option<String>,
    /// The `build:` section as written, for the evidence.
    pub build: String,
}

/// A value with the line it was read from.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Located {
    pub value: String,
    pub line: u32,
    /// 1-based column where the parser reports it (YAML); absent otherwise.
    #[serde(default)]
    pub column: Option<u32>,
}

/// An `ENV` or `ARG` key/value.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Setting {
    pub instruction: String,
    pub key: String,
    /// The value, or a redaction such as `<redacted aws-access-key-id, 20 chars>`.
    pub value: String,
    /// Set when the value looked like a secret (it was redacted).
    pub secret_kind: Option<String>,
    pub line: u32,
    /// For an `ARG` whose default refers to other variables (`ARG IMG=node:${TAG}`): their
    /// names. A build that overrides one of them changes this value in ways not recorded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkflowKind {
    /// `.github/workflows/*.yml`
    Workflow,
    /// `action.yml` of a composite action.
    CompositeAction,
}

/// A GitHub Actions workflow or composite action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workflow {
    pub path: String,
    pub kind: WorkflowKind,
    /// Event names from `on:` (`push`, `pull_request`, `release`…).
    pub triggers: Vec<String>,
    /// Every `uses:` value (steps and reusable-workflow jobs).
    pub uses: Vec<Located>,
    /// `container:` and `services:` images.
    pub images: Vec<Located>,
    /// `run:` scripts with the line of their `run:` key.
    pub runs: Vec<Located>,
    /// The working directory of the `runs` that do not run at the repository root (the step's
    /// `working-directory`, else the job's or the workflow's `defaults.run`), by the line of
    /// their `run:` key: a relative path in such a script is relative to it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub run_directories: Vec<Located>,
    /// The `with:` inputs of each step that uses an action (`docker/build-push-action`'s
    /// `file`, `sbom`, `provenance`…), for the checks that judge what an action is asked to do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub action_inputs: Vec<ActionInputs>,
    /// The `if:` conditions in effect (the job's and the step's) for the entries of `uses`,
    /// `runs` and `action_inputs` they guard, by index; an entry with none is absent. A scanner
    /// behind `if: false` never runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// The `if:` of a job and of a step, joined with `&&` as written, and the entry it guards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Condition {
    pub guards: Guarded,
    /// The index of the guarded entry in its list.
    pub index: u32,
    pub when: String,
}

/// Which list of a [`Workflow`] a [`Condition`]'s index is in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guarded {
    #[default]
    Uses,
    Runs,
    ActionInputs,
}

impl Workflow {
    /// The `if:` in effect for entry `index` of the list `guards` names. By index, not by line:
    /// two steps can share a line (flow style), and a line can be unknown.
    pub fn condition_of(&self, guards: Guarded, index: usize) -> Option<&str> {
        (self.conditions.iter())
            .find(|c| c.guards == guards && c.index as usize == index)
            .map(|c| c.when.as_str())
    }
}

/// One `uses:` step and its `with:` inputs. Scalar values are kept as text (`true`, `./x`);
/// sequences and mappings are not kept. The value of an input whose name says it holds a
/// credential (`password`, `token`, `*_key`…) is replaced by `<redacted>` unless it is a
/// `${{ … }}` expression, so no literal secret enters the facts.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionInputs {
    /// The `uses:` value.
    pub uses: String,
    /// The line of the `uses:` key.
    pub line: u32,
    /// 1-based column of the `uses:` key where the parser reports it (YAML); absent otherwise.
    #[serde(default)]
    pub column: Option<u32>,
    pub with: std::collections::BTreeMap<String, String>,
}

impl ActionInputs {
    /// The input's value, if set.
    pub fn input(&self, name: &str) -> Option<&str> {
        self.with.get(name).map(String::as_str)
    }

    /// Whether the step uses `action` (`owner/repo`), at any ref, case-insensitively.
    pub fn uses_action(&self, action: &str) -> bool {
        let name = self.uses.split('@').next().unwrap_or_default();
        name.eq_ignore_ascii_case(action)
    }
}

impl Default for Workflow {
    fn default() -> Self {
        Workflow {
            path: String::new(),
            kind: WorkflowKind::Workflow,
            triggers: Vec::new(),
            uses: Vec::new(),
            images: Vec::new(),
            runs: Vec::new(),
            run_directories: Vec::new(),
            action_inputs: Vec::new(),
            conditions: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

/// A committed SBOM document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sbom {
    pub path: String,
    pub format: SbomFormat,
    pub spec_version: String,
    /// Component names listed.
    pub components: Vec<String>,
    /// Validation problems found by the format's validator; empty when valid.
    pub problems: Vec<String>,
}

impl Default for Sbom {
    fn default() -> Self {
        Sbom {
            path: String::new(),
            format: SbomFormat::CycloneDx,
            spec_version: String::new(),
            components: Vec::new(),
            problems: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateTool {
    Dependabot,
    Renovate,
}

/// Dependabot or Renovate configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpdateConfig {
    pub path: String,
    pub tool: UpdateTool,
    /// Ecosystems it updates (Dependabot `package-ecosystem` values mapped to ours).
    pub ecosystems: Vec<Ecosystem>,
    /// Renovate updates every ecosystem it detects unless told otherwise.
    pub all_ecosystems: bool,
    /// Ecosystems it turns off whatever else it says: a Renovate `packageRules` entry with
    /// `enabled: false` for whole managers or categories, a Dependabot entry with
    /// `open-pull-requests-limit: 0` (no version updates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<Ecosystem>,
}

impl UpdateConfig {
    /// Whether it keeps `ecosystem`'s dependencies updated.
    pub fn covers(&self, ecosystem: Ecosystem) -> bool {
        (self.all_ecosystems || self.ecosystems.contains(&ecosystem))
            && !self.disabled.contains(&ecosystem)
    }
}

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig {
            path: String::new(),
            tool: UpdateTool::Dependabot,
            ecosystems: Vec::new(),
            all_ecosystems: false,
            disabled: Vec::new(),
        }
    }
}

/// A secret-looking value in a committed file. Only its kind and a redacted preview are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretHit {
    pub path: String,
    pub line: u32,
    /// The detector that matched (`aws-access-key-id`, `private-key`, `dotenv-value`…).
    pub kind: String,
    /// e.g. `AKIA…(20 chars)`: enough to find it, never enough to use it.
    pub preview: String,
    /// A secret, a test fixture or a documented example (see `crate::secret_context`).
    #[serde(skip_serializing_if = "HitClass::is_secret")]
    pub class: HitClass,
}

/// What a secret-looking value is, judged from its file and its line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HitClass {
    /// A credential as far as vouch can tell: reported at the check's severity.
    #[default]
    Secret,
    /// In a test, spec, fixture, mock or example tree, or a file named so: reported at low
    /// severity.
    TestFixture,
    /// A documented example (`…EXAMPLE…`, `xxxx`, `1234567890` bodies) or a commented line of
    /// documentation or a default/example config: reported as information.
    Example,
}

impl HitClass {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
    pub fn is_secret(&self) -> bool {
        *self == HitClass::Secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(base: &str, alias: Option<&str>) -> Stage {
        Stage {
            base: base.to_owned(),
            alias: alias.map(str::to_owned),
            ..Stage::default()
        }
    }

    #[test]
    fn follows_stage_references_to_the_real_base() {
        let df = Dockerfile {
            stages: vec![
                stage("node:20", Some("Deps")),
                stage("deps", Some("build")),
                stage("0", None),
                stage("build", None),
            ],
            ..Dockerfile::default()
        };
        let bases: Vec<_> = df.final_chain().iter().map(|s| s.base.as_str()).collect();
        assert_eq!(bases, vec!["build", "deps", "node:20"]);
        assert_eq!(df.earlier_stage(2), Some(0));
        assert_eq!(df.earlier_stage(0), None);
    }
}
