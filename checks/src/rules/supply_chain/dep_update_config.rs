use std::collections::BTreeMap;

use serde_json::json;

use crate::facts::repo::{Ecosystem, FileKind, RepoFacts, UpdateConfig, UpdateTool, WorkflowKind};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source, Status};
use crate::parse::update_config::renovate_precedence;
use crate::rules::unreadable_files;

pub struct DepUpdateConfig;

impl Rule for DepUpdateConfig {
    const META: Meta = Meta {
        id: "dep-update-config",
        title: "Dependency updates are automated for every ecosystem",
        severity: Severity::Low,
        controls: &["VUL-02"],
        source: Source::Repo,
        docs: r#"
## Why
Most vulnerable dependencies in production have had a fix available for months. Dependabot or
Renovate turn a published fix into a pull request without anyone having to look, and keep
pinned versions (lockfiles, image digests, action SHAs) from going stale.

## What is judged
The ecosystems found in the repository: those of its manifests and lockfiles (`cargo`, `npm`,
`python`, `go`, `ruby`, `composer`, `pub`, `mix`, `nuget`, `gradle`, `maven`, `swift`), `docker` when it has a Dockerfile and `github-actions`
when it has a workflow or composite action. The subject is each ecosystem found, by these names
(Dependabot's `pip`/`uv`, `gomod` and `bundler` are our `python`, `go` and `ruby`). Each
ecosystem maps to what it updates: Dependabot's `docker-compose` and `devcontainers` and
Renovate's `docker-compose` manager update compose or devcontainer files, not Dockerfiles, so
they do not cover `docker`. Each must be
covered by `.github/dependabot.yml` (a `package-ecosystem` entry for it) or by a Renovate config
(`renovate.json`, `renovate.json5`, `.renovaterc`, `.renovaterc.json(5)`, the same names under
`.github/`, `.gitlab/`, `.forgejo/` or `.gitea/`, or a `renovate` key in the root
`package.json`), which covers every ecosystem unless `enabledManagers` limits it or `enabled` is
false. Only those paths count: Renovate and Dependabot read no config elsewhere, so a vendored
project's `renovate.json` covers nothing.

An ecosystem is turned off, whatever else the config says, by a Renovate `packageRules` entry
with `enabled: false` whose only conditions are `matchManagers`, `matchCategories` or
`matchDatasources` naming it (any of its managers: turning off `poetry` turns off `python`), or
with no condition at all (a `matchPackageNames: ["*"]` matches every package, so is none); by a
manager's own block (`"npm": {"enabled": false}`); every ecosystem by the `:disableRenovate`
preset or `ignorePaths: ["**"]`; and by a Dependabot entry with `open-pull-requests-limit: 0`
(Dependabot's way to stop version updates) or an `ignore` of `dependency-name: "*"` without
versions or update types, unless another entry for the ecosystem allows pull requests. A rule with other
conditions (package names, paths, update types) turns off only part of an ecosystem and is not
judged. Presets named in `extends` are not fetched.

When no config exists the finding points at `.github/dependabot.yml`, line 0 (where one is
expected); when a config exists but leaves the ecosystem out, it points at that config. The
`directory` of a Dependabot entry is not compared with where the manifests are.

## How to fix
Add an entry per ecosystem to `.github/dependabot.yml`:
```yaml
version: 2
updates:
  - package-ecosystem: npm
    directory: /web
    schedule: { interval: weekly }
```
or enable Renovate with a `renovate.json` extending `config:recommended`.

## Evidence
The ecosystem, the files it was found in, and the update configs that were read.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::UpdateConfig], out);
        let Some(repo) = &cx.facts.repo else { return };
        let configs: Vec<&str> = repo
            .update_configs
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        let unreadable_config = repo
            .unreadable
            .iter()
            .find(|u| u.kind == FileKind::UpdateConfig);
        for (ecosystem, found_in) in ecosystems_found(repo) {
            let subject = ecosystem.as_str();
            let covering = read_configs(repo).find(|c| c.covers(ecosystem));
            let turned_off = read_configs(repo).find(|c| c.disabled.contains(&ecosystem));
            let evidence = json!({
                "ecosystem": subject,
                "found_in": found_in,
                "configs": configs,
                "covered_by": covering.map(|c| c.path.as_str()),
            });
            let found = &found_in[0];
            let (status, path, message) = if let Some(config) = covering {
                let message = format!("{} updates {subject} dependencies", config.path);
                (Status::Pass, config.path.as_str(), message)
            } else if let Some(u) = unreadable_config {
                let message = format!(
                    "{} could not be read, so whether it updates {subject} is unknown",
                    u.path
                );
                (Status::Error, u.path.as_str(), message)
            } else if let Some(config) = turned_off {
                let message = format!(
                    "{} turns {subject} updates off (found in {found})",
                    config.path
                );
                (Status::Fail, config.path.as_str(), message)
            } else if let Some(first) = repo.update_configs.first() {
                let message = format!("no update config covers {subject} (found in {found})");
                (Status::Fail, first.path.as_str(), message)
            } else {
                let message = format!(
                    "no Dependabot or Renovate config: {subject} dependencies (found in {found}) are never updated automatically"
                );
                (Status::Fail, ".github/dependabot.yml", message)
            };
            let location = Location::file(path.to_owned(), 0);
            out.push(status, subject.to_owned(), location, message, evidence);
        }
    }
}

/// The configs the tools read: every Dependabot config, and the first Renovate config in
/// Renovate's search order (it reads no other). When a Renovate config that comes first could
/// not be read, none is taken: Renovate uses that one, so what it updates is unknown.
fn read_configs(repo: &RepoFacts) -> impl Iterator<Item = &UpdateConfig> {
    let first_unreadable = (repo.unreadable.iter())
        .filter(|u| u.kind == FileKind::UpdateConfig)
        .filter_map(|u| renovate_precedence(&u.path))
        .min();
    let renovate = (repo.update_configs.iter())
        .filter(|c| c.tool == UpdateTool::Renovate)
        .min_by_key(|c| renovate_precedence(&c.path).unwrap_or(usize::MAX))
        .filter(|c| first_unreadable.is_none_or(|u| renovate_precedence(&c.path) < Some(u)));
    (repo.update_configs.iter())
        .filter(|c| c.tool == UpdateTool::Dependabot)
        .chain(renovate)
}

/// Each ecosystem present, with the files (up to a few) that show it.
fn ecosystems_found(repo: &RepoFacts) -> BTreeMap<Ecosystem, Vec<String>> {
    const SHOWN: usize = 5;
    let mut found: BTreeMap<Ecosystem, Vec<String>> = BTreeMap::new();
    let mut add = |eco: Ecosystem, path: &str| {
        let files = found.entry(eco).or_default();
        if files.len() < SHOWN {
            files.push(path.to_owned());
        }
    };
    for m in &repo.manifests {
        add(m.ecosystem, &m.path);
    }
    for l in &repo.lockfiles {
        add(l.ecosystem, &l.path);
    }
    for d in &repo.dockerfiles {
        add(Ecosystem::Docker, &d.path);
    }
    for w in &repo.workflows {
        if matches!(
            w.kind,
            WorkflowKind::Workflow | WorkflowKind::CompositeAction
        ) {
            add(Ecosystem::GithubActions, &w.path);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::facts::repo::{Dockerfile, Manifest, UpdateConfig, UpdateTool};
    use crate::model::Status;
    use crate::registry::run_on;

    /// Issue 15: Dependabot's `docker-compose` updates compose files, not Dockerfiles.
    /// The findings on a repository with the default settings.
    fn judged(repo: RepoFacts) -> Vec<crate::Finding> {
        let facts = Facts {
            repo: Some(repo),
            ..Facts::default()
        };
        run_on(&DepUpdateConfig, &facts)
    }

    #[test]
    fn dependabot_docker_compose_does_not_cover_dockerfiles() {
        let config = crate::parse::update_config::parse(
            ".github/dependabot.yml",
            "version: 2\nupdates:\n  - package-ecosystem: docker-compose\n    directory: /\n    schedule:\n      interval: weekly\n",
        )
        .unwrap();
        let repo = RepoFacts {
            dockerfiles: vec![Dockerfile {
                path: "Dockerfile".to_owned(),
                ..Dockerfile::default()
            }],
            update_configs: vec![config],
            ..RepoFacts::default()
        };
        let f = judged(repo);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].subject.as_str(), f[0].status),
            ("docker", Status::Fail)
        );
    }

    #[test]
    fn each_ecosystem_is_judged() {
        let repo = RepoFacts {
            manifests: vec![Manifest {
                path: "web/package.json".to_owned(),
                ..Manifest::default()
            }],
            dockerfiles: vec![Dockerfile {
                path: "Dockerfile".to_owned(),
                ..Dockerfile::default()
            }],
            update_configs: vec![UpdateConfig {
                path: ".github/dependabot.yml".to_owned(),
                tool: UpdateTool::Dependabot,
                ecosystems: vec![Ecosystem::Npm],
                ..UpdateConfig::default()
            }],
            ..RepoFacts::default()
        };
        let f = judged(repo);
        let got: Vec<(&str, Status)> = f.iter().map(|x| (x.subject.as_str(), x.status)).collect();
        assert_eq!(got, [("docker", Status::Fail), ("npm", Status::Pass)]);
    }

    /// Renovate reads `renovate.json` before the `renovate` key of `package.json`: when that
    /// file cannot be read, the key does not decide.
    #[test]
    fn an_unreadable_renovate_config_ahead_of_a_readable_one_is_an_error() {
        let key = r#"{"name": "web", "renovate": {"extends": ["config:recommended"]}}"#;
        let config = crate::parse::update_config::renovate_in_package_json("package.json", key);
        let repo = |unreadable: &str| RepoFacts {
            manifests: vec![Manifest {
                path: "package.json".to_owned(),
                ..Manifest::default()
            }],
            update_configs: config.clone().into_iter().collect(),
            unreadable: vec![crate::facts::repo::Unreadable {
                path: unreadable.to_owned(),
                kind: FileKind::UpdateConfig,
                cause: "does not parse".to_owned(),
            }],
            ..RepoFacts::default()
        };
        let f = judged(repo("renovate.json"));
        assert!(
            f.iter()
                .any(|x| x.subject == "npm" && x.status == Status::Error),
            "{f:?}"
        );
        // An unreadable Dependabot config does not stand in Renovate's way.
        let f = judged(repo(".github/dependabot.yml"));
        assert!(
            f.iter()
                .any(|x| x.subject == "npm" && x.status == Status::Pass),
            "{f:?}"
        );
    }
}
