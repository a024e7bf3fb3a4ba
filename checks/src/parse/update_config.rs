//! Dependency-update configuration: Dependabot (`.github/dependabot.yml`) and Renovate (its
//! repository config files, [`RENOVATE_FILES`]).

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::facts::repo::{Ecosystem, UpdateConfig, UpdateTool};
use crate::redact::ParseError;

/// Where Renovate looks for a repository's config, in its order (docs.renovatebot.com,
/// "Configuration options"): only at these paths from the repository root. A `renovate.json`
/// anywhere else (a vendored project's, a monorepo package's) is not read by Renovate.
pub const RENOVATE_FILES: [&str; 13] = [
    "renovate.json",
    "renovate.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.json5",
    ".forgejo/renovate.json",
    ".forgejo/renovate.json5",
    ".gitea/renovate.json",
    ".gitea/renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
];

/// Whether Dependabot or Renovate reads `path` (relative to the repository root) as its
/// config. Renovate's `renovate` key in the root `package.json` is read with the manifest.
pub fn is_update_config(path: &str) -> bool {
    path == ".github/dependabot.yml"
        || path == ".github/dependabot.yaml"
        || RENOVATE_FILES.contains(&path)
}

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
    let mut disabled = Vec::new();
    for update in updates {
        let name = update
            .get("package-ecosystem")
            .and_then(Yaml::as_str)
            .ok_or("an `updates` entry has no `package-ecosystem`")?;
        // `open-pull-requests-limit: 0` stops version updates for the entry (Dependabot docs),
        // and so does ignoring every dependency (`dependency-name: "*"` with no version or
        // update-type limit).
        let ignores_all = (update.get("ignore").and_then(Yaml::as_sequence).into_iter())
            .flatten()
            .any(|rule| {
                rule.get("dependency-name").and_then(Yaml::as_str) == Some("*")
                    && rule.get("versions").is_none()
                    && rule.get("update-types").is_none()
            });
        let no_pull_requests = ignores_all
            || update
                .get("open-pull-requests-limit")
                .and_then(Yaml::as_u64)
                == Some(0);
        let list = if no_pull_requests {
            &mut disabled
        } else {
            &mut ecosystems
        };
        list.extend(dependabot_ecosystem(name));
    }
    ecosystems.sort();
    ecosystems.dedup();
    disabled.retain(|e| !ecosystems.contains(e));
    disabled.sort();
    disabled.dedup();
    Ok(UpdateConfig {
        path: path.to_owned(),
        tool: UpdateTool::Dependabot,
        ecosystems,
        all_ecosystems: false,
        disabled,
    })
}

fn renovate(path: &str, text: &str) -> Result<UpdateConfig, String> {
    // Renovate reads JSON5 for every config file name; JSON is a subset of it.
    let doc: Json = json5::from_str(text).map_err(|e| ParseError::json5(&e).to_string())?;
    renovate_config(path, &doc)
}

/// The `renovate` key of the root `package.json`, which Renovate reads as its config when no
/// config file exists; `None` for any other `package.json` or one without the key.
/// (A `renovate` value that is not an object is no config: Renovate would refuse it.)
pub fn renovate_in_package_json(path: &str, text: &str) -> Option<UpdateConfig> {
    if path != "package.json" {
        return None;
    }
    let doc: Json = serde_json::from_str(text).ok()?;
    renovate_config(path, doc.get("renovate")?).ok()
}

/// Where `path` stands in Renovate's search order (the first config found is the one it
/// uses; the root `package.json` comes last); `None` for a path that is no Renovate config.
pub fn renovate_precedence(path: &str) -> Option<usize> {
    (RENOVATE_FILES.iter().position(|f| *f == path))
        .or((path == "package.json").then_some(RENOVATE_FILES.len()))
}

fn renovate_config(path: &str, doc: &Json) -> Result<UpdateConfig, String> {
    if !doc.is_object() {
        return Err("not an object at the top level".to_owned());
    }
    let mut config = UpdateConfig {
        path: path.to_owned(),
        tool: UpdateTool::Renovate,
        ecosystems: Vec::new(),
        // Renovate updates every manager it detects unless limited by `enabledManagers`.
        all_ecosystems: true,
        disabled: Vec::new(),
    };
    let strings = |key: &str| -> Vec<&str> {
        (doc.get(key).and_then(Json::as_array).into_iter().flatten())
            .filter_map(Json::as_str)
            .collect()
    };
    // `enabled: false`, the `:disableRenovate` preset, or every path ignored: nothing updates.
    let off = doc.get("enabled").and_then(Json::as_bool) == Some(false)
        || strings("extends").contains(&":disableRenovate")
        || (strings("ignorePaths").iter()).any(|p| matches!(*p, "**" | "**/*" | "*"));
    if off {
        config.all_ecosystems = false;
        return Ok(config);
    }
    // A manager's own block (`"npm": {"enabled": false}`).
    for (key, block) in doc.as_object().into_iter().flatten() {
        if block.get("enabled").and_then(Json::as_bool) == Some(false) {
            config.disabled.extend(renovate_manager(key));
        }
    }
    if let Some(Json::Array(rules)) = doc.get("packageRules") {
        for rule in rules {
            match turned_off_by(rule) {
                Some(TurnedOff::Everything) => {
                    config.all_ecosystems = false;
                    return Ok(config);
                }
                Some(TurnedOff::Only(ecosystems)) => config.disabled.extend(ecosystems),
                None => {}
            }
        }
        config.disabled.sort();
        config.disabled.dedup();
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

/// What a Renovate `packageRules` entry turns off for every package.
enum TurnedOff {
    Everything,
    Only(Vec<Ecosystem>),
}

/// `Some` for an entry with `enabled: false` whose conditions are only whole managers or
/// categories (or none at all); an entry with any other condition (package names, paths, update
/// types, dependency types…) turns off only part of an ecosystem: `None`.
fn turned_off_by(rule: &Json) -> Option<TurnedOff> {
    if rule.get("enabled").and_then(Json::as_bool) != Some(false) {
        return None;
    }
    let rule = rule.as_object()?;
    let names = |key: &str| -> Vec<&str> {
        (rule.get(key).and_then(Json::as_array).into_iter().flatten())
            .filter_map(Json::as_str)
            .collect()
    };
    // A package condition that matches every package is no condition.
    let matches_all = |key: &str| match key {
        "matchPackageNames" => (names(key).iter()).any(|n| matches!(*n, "*" | "/.*/" | "/.+/")),
        "matchPackagePatterns" => (names(key).iter()).any(|n| matches!(*n, ".*" | ".+" | "*")),
        _ => false,
    };
    let conditions: Vec<&String> = (rule.keys())
        .filter(|k| k.starts_with("match") || k.starts_with("exclude"))
        .filter(|k| !matches_all(k))
        .collect();
    if conditions.is_empty() {
        return Some(TurnedOff::Everything);
    }
    let whole_ecosystems = ["matchManagers", "matchCategories", "matchDatasources"];
    if (conditions.iter()).any(|k| !whole_ecosystems.contains(&k.as_str())) {
        return None;
    }
    let mut ecosystems: Vec<Ecosystem> = (names("matchManagers").into_iter())
        .filter_map(renovate_manager)
        .collect();
    ecosystems.extend(
        names("matchCategories")
            .into_iter()
            .flat_map(renovate_category),
    );
    ecosystems.extend((names("matchDatasources").into_iter()).flat_map(|name| {
        (RENOVATE_DATASOURCES.iter())
            .filter(move |(_, sources)| sources.contains(&name))
            .map(|(ecosystem, _)| *ecosystem)
    }));
    Some(TurnedOff::Only(ecosystems))
}

/// What each tool calls the ecosystems vouch recognises, mapped by what it updates.
///
/// Dependabot's `package-ecosystem`: `docker` updates Dockerfiles, while `docker-compose`
/// (compose files) and `devcontainers` do not, so neither covers vouch's `docker`; `pip` also
/// covers Pipenv and Poetry (`pipenv` and `poetry` are not Dependabot values). Renovate's
/// managers: `docker-compose` updates compose files' images, not Dockerfiles. Renovate's manager
/// categories (docs.renovatebot.com, "Managers") are used by `matchCategories`.
const VOCABULARY: [(Ecosystem, ToolNames); 14] = [
    (Ecosystem::Cargo, names(&["cargo"], &["cargo"], &["rust"])),
    (
        Ecosystem::Npm,
        names(&["npm", "bun"], &["npm", "bun"], &["js"]),
    ),
    (
        Ecosystem::Python,
        names(
            &["pip", "uv"],
            &[
                "pip_requirements",
                "pip-compile",
                "pep621",
                "poetry",
                "pipenv",
                "setup-cfg",
            ],
            &["python"],
        ),
    ),
    (Ecosystem::Go, names(&["gomod"], &["gomod"], &["golang"])),
    (
        Ecosystem::Ruby,
        names(&["bundler"], &["bundler"], &["ruby"]),
    ),
    (
        Ecosystem::Composer,
        names(&["composer"], &["composer"], &["php"]),
    ),
    (Ecosystem::Pub, names(&["pub"], &["pub"], &["dart"])),
    (Ecosystem::Mix, names(&["mix"], &["mix"], &["elixir"])),
    (Ecosystem::Nuget, names(&["nuget"], &["nuget"], &["dotnet"])),
    (
        Ecosystem::Gradle,
        names(&["gradle"], &["gradle"], &["java"]),
    ),
    (Ecosystem::Maven, names(&["maven"], &["maven"], &["java"])),
    (Ecosystem::Swift, names(&["swift"], &["swift"], &["swift"])),
    (
        Ecosystem::Docker,
        names(&["docker"], &["dockerfile"], &["docker"]),
    ),
    (
        Ecosystem::GithubActions,
        names(&["github-actions"], &["github-actions"], &["ci"]),
    ),
];

/// The Renovate datasources each ecosystem's packages come from (`matchDatasources`).
const RENOVATE_DATASOURCES: [(Ecosystem, &[&str]); 12] = [
    (Ecosystem::Cargo, &["crate"]),
    (Ecosystem::Npm, &["npm"]),
    (Ecosystem::Python, &["pypi"]),
    (Ecosystem::Go, &["go"]),
    (Ecosystem::Ruby, &["rubygems"]),
    (Ecosystem::Composer, &["packagist"]),
    (Ecosystem::Pub, &["dart"]),
    (Ecosystem::Mix, &["hex"]),
    (Ecosystem::Nuget, &["nuget"]),
    (Ecosystem::Gradle, &["maven"]),
    (Ecosystem::Maven, &["maven"]),
    (Ecosystem::Docker, &["docker"]),
];

/// One ecosystem's names in Dependabot and Renovate.
struct ToolNames {
    dependabot: &'static [&'static str],
    renovate_managers: &'static [&'static str],
    renovate_categories: &'static [&'static str],
}

const fn names(
    dependabot: &'static [&'static str],
    renovate_managers: &'static [&'static str],
    renovate_categories: &'static [&'static str],
) -> ToolNames {
    ToolNames {
        dependabot,
        renovate_managers,
        renovate_categories,
    }
}

/// The ecosystems whose names `pick` lists `name` among.
fn ecosystems_named(
    name: &str,
    pick: impl Fn(&ToolNames) -> &'static [&'static str],
) -> impl Iterator<Item = Ecosystem> {
    (VOCABULARY.iter())
        .filter(move |(_, names)| pick(names).contains(&name))
        .map(|(ecosystem, _)| *ecosystem)
}

fn dependabot_ecosystem(name: &str) -> Option<Ecosystem> {
    ecosystems_named(name, |n| n.dependabot).next()
}

fn renovate_manager(name: &str) -> Option<Ecosystem> {
    ecosystems_named(name, |n| n.renovate_managers).next()
}

fn renovate_category(name: &str) -> Vec<Ecosystem> {
    ecosystems_named(name, |n| n.renovate_categories).collect()
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

    #[test]
    fn dependabot_without_pull_requests_turns_the_ecosystem_off() {
        let text = "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    open-pull-requests-limit: 0\n  - package-ecosystem: docker\n    directory: /\n    open-pull-requests-limit: 0\n  - package-ecosystem: docker\n    directory: /worker\n    open-pull-requests-limit: 5\n";
        let c = parse(".github/dependabot.yml", text).unwrap();
        assert_eq!(c.ecosystems, [Ecosystem::Docker]);
        assert_eq!(c.disabled, [Ecosystem::Npm]);
        assert!(c.covers(Ecosystem::Docker) && !c.covers(Ecosystem::Npm));
    }

    #[test]
    fn renovate_package_rules_turn_off_whole_managers_only() {
        let c = parse(
            "renovate.json",
            r#"{"packageRules": [
                {"matchManagers": ["npm"], "enabled": false},
                {"matchCategories": ["java"], "enabled": false},
                {"matchManagers": ["cargo"], "matchPackageNames": ["serde"], "enabled": false},
                {"matchManagers": ["gomod"], "automerge": true}
            ]}"#,
        )
        .unwrap();
        assert!(c.all_ecosystems);
        assert_eq!(
            c.disabled,
            [Ecosystem::Npm, Ecosystem::Gradle, Ecosystem::Maven]
        );
        assert!(c.covers(Ecosystem::Cargo) && c.covers(Ecosystem::Go));
        assert!(!c.covers(Ecosystem::Npm) && !c.covers(Ecosystem::Maven));
        let everything = parse("renovate.json", r#"{"packageRules": [{"enabled": false}]}"#);
        assert!(!everything.unwrap().covers(Ecosystem::Cargo));
    }

    #[test]
    fn renovate_is_read_only_where_renovate_looks() {
        for path in [
            "renovate.json",
            ".github/renovate.json5",
            ".renovaterc.json5",
        ] {
            assert!(is_update_config(path), "{path}");
        }
        for path in [
            "third_party/x/renovate.json",
            "web/.renovaterc",
            "docs/renovate.json5",
        ] {
            assert!(!is_update_config(path), "{path}");
        }
        let key = r#"{"name": "api", "renovate": {"enabledManagers": ["npm"]}}"#;
        let c = renovate_in_package_json("package.json", key).unwrap();
        assert_eq!(
            (c.path.as_str(), c.ecosystems.as_slice()),
            ("package.json", &[Ecosystem::Npm][..])
        );
        assert!(renovate_in_package_json("web/package.json", key).is_none());
        assert!(renovate_in_package_json("package.json", r#"{"renovate": true}"#).is_none());
        assert!(renovate_precedence("renovate.json") < renovate_precedence(".renovaterc"));
        assert!(renovate_precedence(".renovaterc.json5") < renovate_precedence("package.json"));
    }

    #[test]
    fn other_ways_to_turn_updates_off_are_read() {
        let npm_off = |text: &str| {
            let c = parse("renovate.json", text).unwrap();
            !c.covers(Ecosystem::Npm)
        };
        assert!(npm_off(r#"{"npm": {"enabled": false}}"#));
        assert!(npm_off(r#"{"extends": [":disableRenovate"]}"#));
        assert!(npm_off(r#"{"ignorePaths": ["**"]}"#));
        assert!(npm_off(
            r#"{"packageRules": [{"matchPackageNames": ["*"], "enabled": false}]}"#
        ));
        assert!(npm_off(
            r#"{"packageRules": [{"matchDatasources": ["npm"], "enabled": false}]}"#
        ));
        assert!(!npm_off(
            r#"{"packageRules": [{"matchPackageNames": ["react"], "enabled": false}]}"#
        ));
        assert!(!npm_off(r#"{"cargo": {"enabled": false}}"#));
        let ignored = "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    ignore:\n      - dependency-name: \"*\"\n";
        let c = parse(".github/dependabot.yml", ignored).unwrap();
        assert!(!c.covers(Ecosystem::Npm));
        let majors =
            ignored.to_owned() + "        update-types: [\"version-update:semver-major\"]\n";
        assert!(
            parse(".github/dependabot.yml", &majors)
                .unwrap()
                .covers(Ecosystem::Npm)
        );
    }
}
