//! Dependency-update configuration: Dependabot (`.github/dependabot.yml`) and Renovate
//! (`renovate.json`, `renovate.json5`, `.renovaterc`, `.renovaterc.json`).

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::facts::repo::{Ecosystem, UpdateConfig, UpdateTool};
use crate::redact::ParseError;

pub fn parse(path: &str, text: &str) -> Result<UpdateConfig, String> {
    if path.ends_with("dependabot.yml") || path.ends_with("dependabot.yaml") {
        dependabot(path, text)
    } else {
        renovate(path, text)
    }
}

fn dependabot(path: &str, text: &str) -> Result<UpdateConfig, String> {
    let doc: Yaml = serde_norway::from_str(text).map_err(|e| ParseError::yaml(&e).to_string())?;
    let Some(Yaml::Sequence(updates)) = doc.get("updates") else {
        return Err("no `updates` list: Dependabot would reject it".to_owned());
    };
    let mut ecosystems = Vec::new();
    for update in updates {
        let name = update
            .get("package-ecosystem")
            .and_then(Yaml::as_str)
            .ok_or("an `updates` entry has no `package-ecosystem`")?;
        ecosystems.extend(dependabot_ecosystem(name));
    }
    ecosystems.sort();
    ecosystems.dedup();
    Ok(UpdateConfig {
        path: path.to_owned(),
        tool: UpdateTool::Dependabot,
        ecosystems,
        all_ecosystems: false,
    })
}

/// Dependabot's `package-ecosystem` values for the ecosystems vouch recognises, mapped to what
/// each updates: `docker` updates Dockerfiles, while `docker-compose` (compose files) and
/// `devcontainers` do not, so neither covers vouch's `docker`. `pip` also covers Pipenv and
/// Poetry; `pipenv` and `poetry` are not Dependabot values and cover nothing.
fn dependabot_ecosystem(name: &str) -> Option<Ecosystem> {
    Some(match name {
        "cargo" => Ecosystem::Cargo,
        "npm" | "bun" => Ecosystem::Npm,
        "pip" | "uv" => Ecosystem::Python,
        "gomod" => Ecosystem::Go,
        "bundler" => Ecosystem::Ruby,
        "composer" => Ecosystem::Composer,
        "pub" => Ecosystem::Pub,
        "mix" => Ecosystem::Mix,
        "nuget" => Ecosystem::Nuget,
        "gradle" => Ecosystem::Gradle,
        "maven" => Ecosystem::Maven,
        "swift" => Ecosystem::Swift,
        "docker" => Ecosystem::Docker,
        "github-actions" => Ecosystem::GithubActions,
        _ => return None,
    })
}

fn renovate(path: &str, text: &str) -> Result<UpdateConfig, String> {
    // Renovate reads JSON5 for every config file name; JSON is a subset of it.
    let doc: Json = json5::from_str(text).map_err(|e| ParseError::json5(&e).to_string())?;
    if !doc.is_object() {
        return Err("not an object at the top level".to_owned());
    }
    let mut config = UpdateConfig {
        path: path.to_owned(),
        tool: UpdateTool::Renovate,
        ecosystems: Vec::new(),
        // Renovate updates every manager it detects unless limited by `enabledManagers`.
        all_ecosystems: true,
    };
    if doc.get("enabled").and_then(Json::as_bool) == Some(false) {
        config.all_ecosystems = false;
        return Ok(config);
    }
    if let Some(Json::Array(managers)) = doc.get("enabledManagers") {
        config.all_ecosystems = false;
        let mut ecosystems: Vec<Ecosystem> = managers
            .iter()
            .filter_map(Json::as_str)
            .filter_map(renovate_manager)
            .collect();
        ecosystems.sort();
        ecosystems.dedup();
        config.ecosystems = ecosystems;
    }
    Ok(config)
}

/// Renovate manager names for the ecosystems vouch recognises.
fn renovate_manager(name: &str) -> Option<Ecosystem> {
    Some(match name {
        "cargo" => Ecosystem::Cargo,
        "npm" | "bun" => Ecosystem::Npm,
        "pip_requirements" | "pip-compile" | "pep621" | "poetry" | "pipenv" | "setup-cfg" => {
            Ecosystem::Python
        }
        "gomod" => Ecosystem::Go,
        "bundler" => Ecosystem::Ruby,
        "composer" => Ecosystem::Composer,
        "pub" => Ecosystem::Pub,
        "mix" => Ecosystem::Mix,
        "nuget" => Ecosystem::Nuget,
        "gradle" => Ecosystem::Gradle,
        "maven" => Ecosystem::Maven,
        "swift" => Ecosystem::Swift,
        // `docker-compose` updates compose files' images, not Dockerfiles.
        "dockerfile" => Ecosystem::Docker,
        "github-actions" => Ecosystem::GithubActions,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependabot_maps_ecosystems() {
        let text = "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /web\n  - package-ecosystem: github-actions\n    directory: /\n  - package-ecosystem: maven\n    directory: /\n  - package-ecosystem: terraform\n    directory: /\n";
        let c = parse(".github/dependabot.yml", text).unwrap();
        assert_eq!(
            c.ecosystems,
            [Ecosystem::Npm, Ecosystem::Maven, Ecosystem::GithubActions]
        );
        assert!(!c.all_ecosystems);
        assert!(parse(".github/dependabot.yml", "version: 2\n").is_err());
        let compose = "version: 2\nupdates:\n  - package-ecosystem: docker-compose\n    directory: /\n  - package-ecosystem: devcontainers\n    directory: /\n";
        let c = parse(".github/dependabot.yml", compose).unwrap();
        assert!(c.ecosystems.is_empty(), "{:?}", c.ecosystems);
        let docker = compose.replace("docker-compose", "docker");
        let c = parse(".github/dependabot.yml", &docker).unwrap();
        assert_eq!(c.ecosystems, [Ecosystem::Docker]);
        assert!(parse(".github/dependabot.yml", "updates: [\n").is_err());
    }

    #[test]
    fn renovate_defaults_to_everything() {
        let c = parse("renovate.json", "{\"extends\": [\"config:recommended\"]}").unwrap();
        assert!(c.all_ecosystems);
        let c = parse(
            "renovate.json5",
            "{\n  // only these\n  enabledManagers: ['cargo', 'dockerfile',],\n}\n",
        )
        .unwrap();
        assert!(!c.all_ecosystems);
        assert_eq!(c.ecosystems, [Ecosystem::Cargo, Ecosystem::Docker]);
        let compose_only = parse(
            "renovate.json",
            r#"{"enabledManagers": ["docker-compose"]}"#,
        )
        .unwrap();
        assert!(compose_only.ecosystems.is_empty());
        let off = parse(".renovaterc", "{\"enabled\": false}").unwrap();
        assert!(!off.all_ecosystems && off.ecosystems.is_empty());
        assert!(parse("renovate.json", "[1]").is_err());
    }
}
