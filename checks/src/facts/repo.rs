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
    /// How many files the walk visited (after .gitignore and vendored-tree exclusions).
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
    /// Secret-looking values found in committed files; values are redacted at collection.
    pub secrets: Vec<SecretHit>,
    /// Files of a judged kind that could not be read or parsed.
    pub unreadable: Vec<Unreadable>,
    /// `vouch:ignore[...]` comments, applied when the report is built.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<crate::suppress::InlineSuppression>,
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
pub enum Ecosystem {
    Cargo,
    Npm,
    Python,
    Go,
    Ruby,
    Composer,
    Docker,
    #[serde(rename = "github-actions")]
    GithubActions,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Python => "python",
            Ecosystem::Go => "go",
            Ecosystem::Ruby => "ruby",
            Ecosystem::Composer => "composer",
            Ecosystem::Docker => "docker",
            Ecosystem::GithubActions => "github-actions",
        }
    }
}

/// A dependency manifest: Cargo.toml, package.json, pyproject.toml, requirements*.txt, go.mod,
/// Gemfile, composer.json.
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
    /// The package manager the manifest names (`poetry`, `pdm`, `uv` from pyproject `[tool.*]`;
    /// `pnpm`, `yarn`, `bun` from package.json `packageManager`): decides which lockfile is
    /// expected when none is committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            path: String::new(),
            ecosystem: Ecosystem::Npm,
            workspace_root: false,
            dependencies: Vec::new(),
            requirements: Vec::new(),
            tool: None,
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
        self.stages[..index].iter().rposition(|s| {
            s.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(base))
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

/// One `FROM` stage of a Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Stage {
    /// The image after `ARG` substitution (`node:20-alpine`, `scratch`, or an earlier stage's
    /// alias).
    pub base: String,
    /// The `FROM` operand as written, when it differs from `base` (`${BASE}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_written: Option<String>,
    pub line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The last `USER` of the stage and its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Located>,
    /// `RUN` commands (continuations joined), with the line each starts on.
    pub runs: Vec<Located>,
    /// `ENV` and `ARG` settings; secret-looking values are redacted at collection.
    pub settings: Vec<Setting>,
    /// Sources of `COPY` and `ADD` (not `--from` copies between stages).
    pub copies: Vec<Located>,
}

/// A value with the line it was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Located {
    pub value: String,
    pub line: u32,
}

/// An `ENV` or `ARG` key/value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Setting {
    pub instruction: String,
    pub key: String,
    /// The value, or a redaction such as `<redacted aws-access-key-id, 20 chars>`.
    pub value: String,
    /// Set when the value looked like a secret (it was redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_kind: Option<String>,
    pub line: u32,
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
}

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig {
            path: String::new(),
            tool: UpdateTool::Dependabot,
            ecosystems: Vec::new(),
            all_ecosystems: false,
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
