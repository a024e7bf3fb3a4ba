//! Repository-file parsers: file text in, facts out. Pure; the repo source does the reading.

pub mod bake;
mod build_manifest;
pub mod compose;
pub mod dockerfile;
pub mod image_ref;
pub mod kube;
pub mod kustomize;
mod lines;
pub mod lockfile;
pub mod manifest;
pub mod nesting;
pub mod positions;
pub mod sbom;
pub mod shell;
pub mod sql;
mod supply_chain;
pub mod update_config;
pub mod vuln;
pub mod workflow;
mod xml;

#[cfg(test)]
mod error_tests;

pub use lines::LineIndex;

use crate::facts::repo::{FileKind, RepoFacts};

/// Files above this size are not parsed (a judged file that large is reported as unreadable).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The YAML document of `text`, or why not: `invalid YAML at line N`, naming the line only (not
/// the parser's message).
fn yaml_value(text: &str) -> Result<serde_norway::Value, String> {
    serde_norway::from_str(text).map_err(|e| {
        format!(
            "invalid YAML{}",
            e.location()
                .map_or(String::new(), |l| format!(" at line {}", l.line()))
        )
    })
}

/// `dockerfile.rs`, `dockerfile.py`, `Dockerfile.md`: code or documentation about Dockerfiles
/// (a parser, its tests, its docs), not a `Dockerfile.<variant>` such as `Dockerfile.prod`.
fn has_source_extension(lower_name: &str) -> bool {
    const SOURCE: &[&str] = &[
        "rs", "py", "go", "js", "mjs", "cjs", "ts", "java", "kt", "rb", "php", "c", "h", "cc",
        "cpp", "cs", "swift", "scala", "sh", "md", "rst", "txt", "json", "toml", "html", "snap",
    ];
    lower_name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| SOURCE.contains(&ext))
}

/// `rel` joined to the directory `base` (both relative, forward slashes), with `.` and `..`
/// resolved; `None` for an absolute path or one that leaves the repository.
pub fn join_relative(base: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(rel.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The role a file plays, from its path alone (relative, forward slashes).
pub fn classify(path: &str) -> FileKind {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    // GitHub runs only the files directly in the repository's own `.github/workflows/`: one in
    // a subdirectory of it, or in a vendored project's `.github/`, never runs.
    let is_workflow = path
        .strip_prefix(".github/workflows/")
        .is_some_and(|rest| !rest.contains('/'));
    if is_workflow && (lower.ends_with(".yml") || lower.ends_with(".yaml")) {
        return FileKind::Workflow;
    }
    if lower == "action.yml" || lower == "action.yaml" {
        return FileKind::Workflow;
    }
    if lower == "dockerfile"
        || lower == "containerfile"
        || (lower.starts_with("dockerfile.") && !has_source_extension(&lower))
        || lower.ends_with(".dockerfile")
    {
        return FileKind::Dockerfile;
    }
    if bake::is_bake_file(&lower) {
        return FileKind::Bake;
    }
    if compose::is_compose_file(&lower) {
        return FileKind::Compose;
    }
    match name {
        "Cargo.toml" | "package.json" | "pyproject.toml" | "go.mod" | "Gemfile"
        | "composer.json" | "pubspec.yaml" | "mix.exs" | "Pipfile" | "pom.xml" | "build.gradle"
        | "build.gradle.kts" | "Package.swift" => {
            return FileKind::Manifest;
        }
        "Cargo.lock"
        | "package-lock.json"
        | "npm-shrinkwrap.json"
        | "pnpm-lock.yaml"
        | "yarn.lock"
        | "bun.lock"
        | "bun.lockb"
        | "poetry.lock"
        | "uv.lock"
        | "pdm.lock"
        | "pylock.toml"
        | "requirements.lock"
        | "requirements-dev.lock"
        | "go.sum"
        | "Gemfile.lock"
        | "composer.lock"
        | "pubspec.lock"
        | "mix.lock"
        | "Pipfile.lock"
        | "packages.lock.json"
        | "gradle.lockfile"
        | "Package.resolved" => return FileKind::Lockfile,
        _ => {}
    }
    if lockfile::is_pylock(name) || lockfile::is_gradle_verification(path) {
        return FileKind::Lockfile;
    }
    // .NET project files (C#, F#, Visual Basic) declare their NuGet `PackageReference`s.
    if manifest::is_dotnet_project(name) {
        return FileKind::Manifest;
    }
    // `.in` files are pip-tools inputs, compiled into the `.txt` of the same name.
    let requirements_like = lower.ends_with(".txt") || lower.ends_with(".in");
    if lower.starts_with("requirements") && requirements_like {
        return FileKind::Manifest;
    }
    // The `requirements/base.txt`, `requirements/prod.txt` layout.
    if (path.starts_with("requirements/") || path.contains("/requirements/")) && requirements_like {
        return FileKind::Manifest;
    }
    if update_config::is_update_config(path) {
        return FileKind::UpdateConfig;
    }
    // A vendored project's SBOM describes that project, not this repository.
    let is_sbom_name = lower.ends_with(".cdx.json")
        || lower.ends_with(".spdx.json")
        || lower == "bom.json"
        || (lower.starts_with("sbom") && lower.ends_with(".json"));
    if is_sbom_name && !is_vendored(path) {
        return FileKind::Sbom;
    }
    // A kustomization without an extension is YAML too.
    if lower.ends_with(".yaml") || lower.ends_with(".yml") || name == "Kustomization" {
        return FileKind::Yaml;
    }
    FileKind::Text
}

/// Directories that hold other projects' code, copied in (`vendor/`, `third_party/`,
/// `node_modules/`…): their SBOMs and configuration describe those projects.
const VENDORED_DIRS: [&str; 5] = [
    "vendor",
    "third_party",
    "third-party",
    "node_modules",
    "bower_components",
];

/// Whether `path` lies under a vendored directory, at any depth.
fn is_vendored(path: &str) -> bool {
    let mut dirs = path.split('/').rev().skip(1);
    dirs.any(|dir| VENDORED_DIRS.contains(&dir))
}

/// Refuses a YAML, JSON(5) or TOML file nested too deeply for its parser to read in bounded
/// time and stack (see [`nesting`]); other files and undecodable text pass (the parser itself
/// reports those).
fn check_nesting(kind: FileKind, path: &str, bytes: &[u8]) -> Result<(), String> {
    match (nesting::syntax_of(path), std::str::from_utf8(bytes)) {
        // Other YAML files are not parsed at all.
        (Some(_), Ok(text))
            if kind == FileKind::Yaml
                && !kube::looks_like_manifest(text)
                && !kustomize::is_kustomization(path) =>
        {
            Ok(())
        }
        (Some(syntax), Ok(text)) => nesting::check(text, syntax),
        _ => Ok(()),
    }
}

/// Parses one file's bytes into `facts`. `Err` is one sentence naming the cause; the caller
/// records it as [`crate::facts::repo::Unreadable`].
pub fn parse_into(
    kind: FileKind,
    path: &str,
    bytes: &[u8],
    facts: &mut RepoFacts,
) -> Result<(), String> {
    if kind == FileKind::Text {
        return Ok(());
    }
    check_nesting(kind, path, bytes)?;
    if let Some(outcome) = supply_chain::parse_into(kind, path, bytes, facts) {
        return outcome;
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (at byte {})", e.valid_up_to()))?;
    match kind {
        FileKind::Workflow => facts.workflows.push(workflow::parse(path, text)?),
        FileKind::Dockerfile => facts.dockerfiles.push(dockerfile::parse(path, text)?),
        FileKind::Bake => facts.bake_files.push(bake::parse(path, text)?),
        FileKind::Compose => facts.compose_files.push(compose::parse(path, text)?),
        FileKind::Yaml if kustomize::is_kustomization(path) => {
            facts.kustomizations.push(kustomize::parse(path, text)?);
        }
        FileKind::Yaml if path == "Chart.yaml" || path.ends_with("/Chart.yaml") => {
            let dir = path.strip_suffix("Chart.yaml").unwrap_or("");
            let dir = dir.trim_end_matches('/');
            facts
                .helm_charts
                .push(if dir.is_empty() { "." } else { dir }.to_owned());
        }
        FileKind::Yaml if kube::looks_like_manifest(text) => {
            facts
                .kustomizations
                .extend(kustomize::gitops_overlays(path, text));
            // A file under `templates/` that reads as YAML holding no workload (a Backstage
            // software template, an Argo `WorkflowTemplate`) is nothing to judge, template or not.
            let no_workload = || kube::parse(path, text).is_ok_and(|w| w.is_empty());
            if kube::is_helm_template(path, text) && !no_workload() {
                facts.helm_templates.push(crate::facts::kube::Template {
                    path: path.to_owned(),
                    line: kube::first_action_line(text),
                });
            } else {
                facts.workloads.extend(kube::parse(path, text)?);
            }
        }
        FileKind::Manifest
        | FileKind::Lockfile
        | FileKind::Sbom
        | FileKind::UpdateConfig
        | FileKind::Yaml
        | FileKind::Text => {}
    }
    if kind == FileKind::Workflow
        && let Some(wf) = facts.workflows.last_mut()
    {
        crate::secrets::redact_workflow(wf);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_layouts() {
        assert_eq!(classify(".github/workflows/ci.yml"), FileKind::Workflow);
        assert_eq!(classify("actions/setup/action.yaml"), FileKind::Workflow);
        assert_eq!(classify("services/api/Dockerfile"), FileKind::Dockerfile);
        assert_eq!(classify("Dockerfile.prod"), FileKind::Dockerfile);
        assert_eq!(classify("docker/Dockerfile.alpine"), FileKind::Dockerfile);
        assert_eq!(classify("checks/src/parse/dockerfile.rs"), FileKind::Text);
        assert_eq!(classify("fuzz/fuzz_targets/dockerfile.rs"), FileKind::Text);
        assert_eq!(classify("docs/Dockerfile.md"), FileKind::Text);
        assert_eq!(classify("web/package.json"), FileKind::Manifest);
        assert_eq!(classify("requirements-dev.txt"), FileKind::Manifest);
        assert_eq!(classify("requirements/base.in"), FileKind::Manifest);
        assert_eq!(classify("src/main.in"), FileKind::Text);
        assert_eq!(classify("web/pnpm-lock.yaml"), FileKind::Lockfile);
        assert_eq!(classify("requirements.lock"), FileKind::Lockfile);
        assert_eq!(classify("api/pylock.test.toml"), FileKind::Lockfile);
        assert_eq!(classify("pylock..toml"), FileKind::Text);
        assert_eq!(classify(".github/dependabot.yml"), FileKind::UpdateConfig);
        assert_eq!(classify("sbom/api.cdx.json"), FileKind::Sbom);
        // What GitHub and Renovate never read, and a vendored project's own SBOM.
        assert_eq!(classify(".github/workflows/old/audit.yml"), FileKind::Yaml);
        assert_eq!(classify("lib/x/.github/workflows/ci.yml"), FileKind::Yaml);
        assert_eq!(classify("lib/x/renovate.json"), FileKind::Text);
        assert_eq!(classify(".github/renovate.json5"), FileKind::UpdateConfig);
        assert_eq!(classify("third_party/x/bom.json"), FileKind::Text);
        assert_eq!(classify("web/node_modules/x/sbom.json"), FileKind::Text);
        assert_eq!(classify("vendor-docs/bom.json"), FileKind::Sbom);
        assert_eq!(classify("src/main.rs"), FileKind::Text);
        assert_eq!(classify("deploy/k8s/api.yaml"), FileKind::Yaml);
        assert_eq!(classify("deploy/prod/Kustomization"), FileKind::Yaml);
        for manifest in [
            "Pipfile",
            "api/pom.xml",
            "app/build.gradle.kts",
            "Package.swift",
            "src/Api/Api.csproj",
            "Directory.Build.props",
        ] {
            assert_eq!(classify(manifest), FileKind::Manifest, "{manifest}");
        }
        for lock in [
            "Pipfile.lock",
            "src/Api/packages.lock.json",
            "app/gradle.lockfile",
            "gradle/verification-metadata.xml",
            "Package.resolved",
        ] {
            assert_eq!(classify(lock), FileKind::Lockfile, "{lock}");
        }
        // Near misses: not where Gradle reads verification metadata; no project name.
        assert_eq!(classify("docs/verification-metadata.xml"), FileKind::Text);
        assert_eq!(classify(".csproj"), FileKind::Text);
    }
}
