//! Lockfiles: the package names each resolves (and, for workspace-aware formats, the member
//! directories it covers).

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;
use toml::Value as Toml;

use super::manifest::normalize_python;
use crate::facts::repo::{Ecosystem, Lockfile};
use crate::redact::ParseError;

/// `bun.lockb` is a binary format: its presence is recorded, its packages are not read.
pub fn binary(path: &str) -> Lockfile {
    Lockfile {
        path: path.to_owned(),
        ecosystem: Ecosystem::Npm,
        ..Lockfile::default()
    }
}

/// `true` for a lockfile whose packages cannot be read (binary `bun.lockb`).
pub fn is_opaque(path: &str) -> bool {
    path.rsplit('/').next() == Some("bun.lockb")
}

pub fn parse(path: &str, text: &str) -> Result<Lockfile, String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut names = BTreeSet::new();
    let mut members = BTreeSet::new();
    let (ecosystem, read) = match name {
        "Cargo.lock" => (
            Ecosystem::Cargo,
            toml_packages(text, &mut names, "package", str::to_owned),
        ),
        "poetry.lock" | "uv.lock" | "pdm.lock" => (
            Ecosystem::Python,
            toml_packages(text, &mut names, "package", normalize_python),
        ),
        _ if is_pylock(name) => (
            Ecosystem::Python,
            toml_packages(text, &mut names, "packages", normalize_python),
        ),
        "requirements.lock" | "requirements-dev.lock" => {
            rye_lock(text, &mut names);
            (Ecosystem::Python, Ok(()))
        }
        "package-lock.json" | "npm-shrinkwrap.json" => {
            (Ecosystem::Npm, package_lock(text, &mut names, &mut members))
        }
        "pnpm-lock.yaml" => (Ecosystem::Npm, pnpm_lock(text, &mut names, &mut members)),
        "yarn.lock" => (Ecosystem::Npm, yarn_lock(text, &mut names, &mut members)),
        "bun.lock" => (Ecosystem::Npm, bun_lock(text, &mut names, &mut members)),
        "go.sum" => (Ecosystem::Go, go_sum(text, &mut names)),
        "Gemfile.lock" => {
            gemfile_lock(text, &mut names);
            (Ecosystem::Ruby, Ok(()))
        }
        "composer.lock" => (Ecosystem::Composer, composer_lock(text, &mut names)),
        "pubspec.lock" => (Ecosystem::Pub, pubspec_lock(text, &mut names)),
        "mix.lock" => (Ecosystem::Mix, mix_lock(text, &mut names)),
        "Pipfile.lock" => (Ecosystem::Python, pipfile_lock(text, &mut names)),
        "packages.lock.json" => (Ecosystem::Nuget, nuget_lock(text, &mut names)),
        "gradle.lockfile" => (Ecosystem::Gradle, gradle_lockfile(text, &mut names)),
        "verification-metadata.xml" if is_gradle_verification(path) => {
            (Ecosystem::Gradle, gradle_verification(text, &mut names))
        }
        "Package.resolved" => (Ecosystem::Swift, swift_resolved(text, &mut names)),
        other => return Err(format!("`{other}` is not a known lockfile")),
    };
    read?;
    Ok(Lockfile {
        path: path.to_owned(),
        ecosystem,
        packages: names.into_iter().collect(),
        members: members.into_iter().collect(),
    })
}

/// Gradle's dependency verification metadata, at `gradle/verification-metadata.xml` of a build.
pub fn is_gradle_verification(path: &str) -> bool {
    path == "gradle/verification-metadata.xml"
        || path.ends_with("/gradle/verification-metadata.xml")
}

/// PEP 751 lockfiles, as Hatch (`hatch env lock`), PDM, uv and pip write them: `pylock.toml`
/// and `pylock.<name>.toml`.
pub fn is_pylock(name: &str) -> bool {
    name == "pylock.toml"
        || name
            .strip_prefix("pylock.")
            .and_then(|rest| rest.strip_suffix(".toml"))
            .is_some_and(|env| !env.is_empty() && !env.contains('/'))
}

/// Cargo.lock, poetry.lock, uv.lock, pdm.lock (`[[package]]`), pylock.toml (`[[packages]]`):
/// the `name` of each entry.
fn toml_packages(
    text: &str,
    names: &mut BTreeSet<String>,
    key: &str,
    normalize: impl Fn(&str) -> String,
) -> Result<(), String> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| ParseError::toml(&e, text).to_string())?;
    let packages = match doc.get(key) {
        None => return Ok(()),
        Some(Toml::Array(p)) => p,
        Some(_) => return Err(format!("`{key}` is not an array of tables")),
    };
    for package in packages {
        let name = package
            .get("name")
            .and_then(Toml::as_str)
            .ok_or_else(|| format!("a [[{key}]] entry has no name"))?;
        names.insert(normalize(name));
    }
    Ok(())
}

/// Rye's `requirements.lock` / `requirements-dev.lock`: pip-compile style `name==version`
/// lines (`-e file:.` for the project itself, `#` comments, `--hash` continuations).
fn rye_lock(text: &str, names: &mut BTreeSet<String>) {
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        if let Some((name, _)) = line.split_once("==") {
            let name = name.split('[').next().unwrap_or(name).trim();
            if !name.is_empty() {
                names.insert(normalize_python(name));
            }
        }
    }
}

fn json_object(text: &str) -> Result<serde_json::Map<String, Json>, String> {
    match serde_json::from_str(text).map_err(|e| ParseError::json(&e).to_string())? {
        Json::Object(o) => Ok(o),
        _ => Err("not a JSON object at the top level".to_owned()),
    }
}

/// package-lock.json / npm-shrinkwrap.json, lockfile versions 1 (`dependencies`), 2 and 3
/// (`packages`, keyed by install path).
fn package_lock(
    text: &str,
    names: &mut BTreeSet<String>,
    members: &mut BTreeSet<String>,
) -> Result<(), String> {
    let root = json_object(text)?;
    if !root.contains_key("lockfileVersion") {
        return Err("no `lockfileVersion`: not an npm lockfile".to_owned());
    }
    if let Some(Json::Object(packages)) = root.get("packages") {
        for (key, entry) in packages {
            match key.rfind("node_modules/") {
                Some(i) => {
                    names.insert(key[i + "node_modules/".len()..].to_owned());
                }
                None if !key.is_empty() => {
                    // A workspace member, listed by its directory.
                    members.insert(key.clone());
                    if let Some(n) = entry.get("name").and_then(Json::as_str) {
                        names.insert(n.to_owned());
                    }
                }
                None => {}
            }
        }
    }
    if let Some(Json::Object(deps)) = root.get("dependencies") {
        v1_dependencies(deps, names);
    }
    Ok(())
}

fn v1_dependencies(deps: &serde_json::Map<String, Json>, names: &mut BTreeSet<String>) {
    for (name, entry) in deps {
        names.insert(name.clone());
        if let Some(Json::Object(nested)) = entry.get("dependencies") {
            v1_dependencies(nested, names);
        }
    }
}

const NPM_DEPENDENCY_KEYS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];

/// pnpm-lock.yaml v5 to v9: `importers` (workspaces) or top-level dependency maps, and
/// `packages` keyed `/name@1.0.0` (v6), `name@1.0.0` (v9) or `/name/1.0.0` (v5).
fn pnpm_lock(
    text: &str,
    names: &mut BTreeSet<String>,
    members: &mut BTreeSet<String>,
) -> Result<(), String> {
    let doc: Yaml = serde_norway::from_str(text).map_err(|e| ParseError::yaml(&e).to_string())?;
    if doc.get("lockfileVersion").is_none() {
        return Err("no `lockfileVersion`: not a pnpm lockfile".to_owned());
    }
    let mut importers = vec![&doc];
    if let Some(Yaml::Mapping(map)) = doc.get("importers") {
        for (dir, importer) in map {
            if let Some(dir) = dir.as_str().filter(|d| *d != ".") {
                members.insert(dir.to_owned());
            }
            importers.push(importer);
        }
    }
    for importer in importers {
        for key in NPM_DEPENDENCY_KEYS {
            if let Some(Yaml::Mapping(deps)) = importer.get(key) {
                names.extend(deps.keys().filter_map(Yaml::as_str).map(str::to_owned));
            }
        }
    }
    for section in ["packages", "snapshots"] {
        if let Some(Yaml::Mapping(packages)) = doc.get(section) {
            for key in packages.keys().filter_map(Yaml::as_str) {
                if let Some(name) = pnpm_package_name(key) {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    Ok(())
}

fn pnpm_package_name(key: &str) -> Option<&str> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    if let Some(name) = npm_descriptor_name(key).filter(|n| *n != key) {
        return Some(name);
    }
    // v5: `name/1.0.0` or `@scope/name/1.0.0`.
    key.rsplit_once('/').map(|(name, _)| name)
}

/// The package name of an npm descriptor such as `@scope/name@npm:^1.0.0` or `name@1.0.0`.
fn npm_descriptor_name(descriptor: &str) -> Option<&str> {
    let d = descriptor.trim().trim_matches('"');
    let search_from = usize::from(d.starts_with('@'));
    let name = match d[search_from..].find('@') {
        Some(i) => &d[..i + search_from],
        None => d,
    };
    (!name.is_empty()).then_some(name)
}

/// yarn.lock: berry (YAML with `__metadata`) or classic (its own indented format).
fn yarn_lock(
    text: &str,
    names: &mut BTreeSet<String>,
    members: &mut BTreeSet<String>,
) -> Result<(), String> {
    if text.contains("__metadata:") {
        let doc: Yaml =
            serde_norway::from_str(text).map_err(|e| ParseError::yaml(&e).to_string())?;
        let Yaml::Mapping(entries) = doc else {
            return Err("not a YAML mapping at the top level".to_owned());
        };
        let keys = entries.keys().filter_map(Yaml::as_str);
        for key in keys.filter(|k| *k != "__metadata") {
            add_yarn_descriptors(key, names, members);
        }
        return Ok(());
    }
    for line in text.lines() {
        let is_entry = !line.starts_with([' ', '\t', '#']) && line.trim_end().ends_with(':');
        if is_entry {
            add_yarn_descriptors(line.trim_end().trim_end_matches(':'), names, members);
        } else if !line.trim().is_empty()
            && !line.starts_with([' ', '\t', '#'])
            && !line.starts_with('"')
        {
            return Err(format!(
                "unexpected line `{}`: not a yarn lockfile",
                line.chars().take(40).collect::<String>()
            ));
        }
    }
    Ok(())
}

fn add_yarn_descriptors(key: &str, names: &mut BTreeSet<String>, members: &mut BTreeSet<String>) {
    for descriptor in key.split(',') {
        let descriptor = descriptor.trim().trim_matches('"');
        if let Some(name) = npm_descriptor_name(descriptor) {
            names.insert(name.to_owned());
        }
        if let Some((_, dir)) = descriptor.split_once("@workspace:")
            && dir != "."
        {
            members.insert(dir.to_owned());
        }
    }
}

/// bun.lock: JSON with trailing commas. `workspaces` keyed by directory (`""` is the root),
/// `packages` values start with `name@version`.
fn bun_lock(
    text: &str,
    names: &mut BTreeSet<String>,
    members: &mut BTreeSet<String>,
) -> Result<(), String> {
    let doc: Json = json5::from_str(text).map_err(|e| ParseError::json5(&e).to_string())?;
    if doc.get("lockfileVersion").is_none() {
        return Err("no `lockfileVersion`: not a bun lockfile".to_owned());
    }
    if let Some(Json::Object(workspaces)) = doc.get("workspaces") {
        for (dir, ws) in workspaces {
            if !dir.is_empty() {
                members.insert(dir.clone());
            }
            for key in NPM_DEPENDENCY_KEYS {
                if let Some(Json::Object(deps)) = ws.get(key) {
                    names.extend(deps.keys().cloned());
                }
            }
        }
    }
    if let Some(Json::Object(packages)) = doc.get("packages") {
        for (key, entry) in packages {
            let resolved = entry.get(0).and_then(Json::as_str).unwrap_or(key);
            if let Some(name) = npm_descriptor_name(resolved) {
                names.insert(name.to_owned());
            }
        }
    }
    Ok(())
}

fn go_sum(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => {}
            [module, _version, hash] if hash.starts_with("h1:") => {
                names.insert((*module).to_owned());
            }
            _ => return Err(format!("line {} is not `module version h1:hash`", i + 1)),
        }
    }
    Ok(())
}

/// Gemfile.lock: gems are the 4-space-indented `name (version)` lines under `specs:`, and
/// the Gemfile's own gems are the 2-space-indented entries of `DEPENDENCIES` (`name (~> 1)`,
/// `name!` for a git or path source). A gem limited to other platforms (`tzinfo-data`,
/// `platforms: :windows`) is listed only there.
fn gemfile_lock(text: &str, names: &mut BTreeSet<String>) {
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line.trim();
            continue;
        }
        let is_spec = line.starts_with("    ") && !line.starts_with("     ");
        let is_dependency = section == "DEPENDENCIES" && !line.starts_with("   ");
        if (is_spec || is_dependency)
            && let Some(name) = line.trim().split(' ').next()
        {
            names.insert(name.trim_end_matches('!').to_owned());
        }
    }
}

fn composer_lock(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    let root = json_object(text)?;
    if !root.contains_key("packages") {
        return Err("no `packages`: not a composer lockfile".to_owned());
    }
    for key in ["packages", "packages-dev"] {
        let Some(Json::Array(packages)) = root.get(key) else {
            continue;
        };
        names.extend(
            packages
                .iter()
                .filter_map(|p| p.get("name")?.as_str())
                .map(str::to_owned),
        );
    }
    Ok(())
}

/// `pubspec.lock` (dart.dev/tools/pub/glossary#lockfile): YAML whose `packages` map is keyed by
/// package name, each with its `dependency` kind, `source` and exact `version`.
fn pubspec_lock(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    let doc = super::yaml_value(text)?;
    let packages = doc
        .get("packages")
        .and_then(serde_norway::Value::as_mapping)
        .ok_or("no `packages` map: not a pubspec.lock")?;
    names.extend(
        packages
            .keys()
            .filter_map(|k| k.as_str())
            .map(str::to_owned),
    );
    Ok(())
}

/// `mix.lock` (hexdocs.pm/mix, `Mix.Dep.Lock`): an Elixir map literal, one `"name": {:hex, :name,
/// "1.2.3", …}` entry per line.
fn mix_lock(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    if !text.trim_start().starts_with("%{") {
        return Err("not an Elixir map (`%{`): not a mix.lock".to_owned());
    }
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix('"') else {
            continue;
        };
        if let Some((name, after)) = rest.split_once('"')
            && after.trim_start().starts_with(':')
        {
            names.insert(name.to_owned());
        }
    }
    Ok(())
}

/// `Pipfile.lock`: JSON whose `_meta` describes the lock and whose other objects (`default`,
/// `develop`, custom categories) are keyed by package name.
fn pipfile_lock(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    let root = json_object(text)?;
    if !root.contains_key("_meta") {
        return Err("no `_meta`: not a Pipfile.lock".to_owned());
    }
    for (category, packages) in root.iter().filter(|(k, _)| *k != "_meta") {
        let Json::Object(packages) = packages else {
            return Err(format!("`{category}` is not an object of packages"));
        };
        names.extend(packages.keys().map(|n| normalize_python(n)));
    }
    Ok(())
}

/// NuGet `packages.lock.json`: `dependencies` keyed by target framework, each keyed by package
/// id (`Direct`, `Transitive`, `CentralTransitive` and `Project` entries). Ids are compared
/// case-insensitively, as NuGet does, so they are kept in lower case.
fn nuget_lock(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    let root = json_object(text)?;
    if !root.contains_key("version") {
        return Err("no `version`: not a NuGet lockfile".to_owned());
    }
    let Some(Json::Object(frameworks)) = root.get("dependencies") else {
        return Err("no `dependencies` object: not a NuGet lockfile".to_owned());
    };
    for (framework, packages) in frameworks {
        let Json::Object(packages) = packages else {
            return Err(format!("`dependencies.{framework}` is not an object"));
        };
        names.extend(packages.keys().map(|id| id.to_ascii_lowercase()));
    }
    Ok(())
}

/// `gradle.lockfile` (Gradle 6.8+): `group:name:version=configurations` lines, `empty=…` for
/// configurations with nothing to lock, `#` comments.
fn gradle_lockfile(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let coordinate = line.split('=').next().unwrap_or("");
        match coordinate.split(':').collect::<Vec<_>>().as_slice() {
            [group, name, version]
                if !group.is_empty() && !name.is_empty() && !version.is_empty() =>
            {
                names.insert(format!("{group}:{name}"));
            }
            _ => {
                return Err(format!(
                    "line {} is not `group:name:version=configurations`",
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

/// `gradle/verification-metadata.xml`: the `<component group name version>` entries whose
/// artifacts' checksums Gradle verifies.
fn gradle_verification(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    let tree = super::xml::parse(text)?;
    let root = tree.root();
    if root.name != "verification-metadata" {
        return Err("the document element is not <verification-metadata>".to_owned());
    }
    for component in tree.at(root, &["components", "component"]) {
        match (component.attr("group"), component.attr("name")) {
            (Some(group), Some(name)) => {
                names.insert(format!("{group}:{name}"));
            }
            _ => {
                return Err(format!(
                    "the <component> at line {} has no group or name",
                    component.line
                ));
            }
        }
    }
    Ok(())
}

/// SwiftPM `Package.resolved`: version 1 (`object.pins[]` with `repositoryURL`) or 2 and 3
/// (`pins[]` with `identity`), as identities (see [`super::build_manifest::swift_identity`]).
fn swift_resolved(text: &str, names: &mut BTreeSet<String>) -> Result<(), String> {
    let root = json_object(text)?;
    let version = root.get("version").and_then(Json::as_u64);
    let pins = match version {
        Some(1) => root.get("object").and_then(|o| o.get("pins")),
        Some(_) => root.get("pins"),
        None => return Err("no numeric `version`: not a Package.resolved".to_owned()),
    };
    let Some(Json::Array(pins)) = pins else {
        return Err("no `pins` array: not a Package.resolved".to_owned());
    };
    for pin in pins {
        let identity = pin
            .get("identity")
            .and_then(Json::as_str)
            .map(str::to_ascii_lowercase)
            .or_else(|| {
                pin.get("repositoryURL")
                    .and_then(Json::as_str)
                    .map(super::build_manifest::swift_identity)
            })
            .ok_or("a pin has neither `identity` nor `repositoryURL`")?;
        names.insert(identity);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packages(path: &str, text: &str) -> Vec<String> {
        parse(path, text).unwrap().packages
    }

    #[test]
    fn cargo_and_python_locks() {
        let cargo = "version = 4\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"api\"\nversion = \"0.1.0\"\n";
        assert_eq!(packages("Cargo.lock", cargo), ["api", "serde"]);
        let poetry = "[[package]]\nname = \"Django\"\nversion = \"5.0\"\n\n[[package]]\nname = \"typing_extensions\"\nversion = \"4\"\n";
        assert_eq!(
            packages("poetry.lock", poetry),
            ["django", "typing-extensions"]
        );
        let pdm = "# This file is @generated by PDM.\n[metadata]\ngroups = [\"default\"]\nlock_version = \"4.5.0\"\n\n[[package]]\nname = \"Flask\"\nversion = \"3.0.3\"\n";
        assert_eq!(packages("pdm.lock", pdm), ["flask"]);
        assert!(parse("Cargo.lock", "[[package]]\nversion = \"1\"\n").is_err());
        assert!(parse("uv.lock", "not toml [").is_err());
    }

    #[test]
    fn rye_and_pep_751_locks() {
        let rye = "# generated by rye\n# use `rye lock` or `rye sync` to update this lockfile\n#\n-e file:.\nanyio==4.4.0\n    # via httpx\nFlask[async]==3.0.3\n";
        assert_eq!(packages("requirements.lock", rye), ["anyio", "flask"]);
        let pylock = "lock-version = \"1.0\"\ncreated-by = \"hatch\"\n\n[[packages]]\nname = \"Requests\"\nversion = \"2.32.3\"\n";
        assert_eq!(packages("pylock.test.toml", pylock), ["requests"]);
        // A Cargo-style `[[package]]` table is not what PEP 751 writes.
        assert!(packages("pylock.toml", "[[package]]\nname = \"x\"\n").is_empty());
    }

    #[test]
    fn npm_locks_v1_to_v3() {
        let v3 = r#"{"lockfileVersion": 3, "packages": {
            "": {"name": "web"},
            "node_modules/react": {"version": "18.3.1"},
            "node_modules/@babel/core": {"version": "7"},
            "node_modules/a/node_modules/b": {"version": "1"},
            "packages/ui": {"name": "@acme/ui"},
            "node_modules/@acme/ui": {"resolved": "packages/ui", "link": true}}}"#;
        let lock = parse("web/package-lock.json", v3).unwrap();
        assert_eq!(lock.packages, ["@acme/ui", "@babel/core", "b", "react"]);
        assert_eq!(lock.members, ["packages/ui"]);
        let v1 = r#"{"lockfileVersion": 1, "dependencies": {"a": {"dependencies": {"b": {}}}}}"#;
        assert_eq!(packages("npm-shrinkwrap.json", v1), ["a", "b"]);
        assert!(parse("package-lock.json", "{}").is_err());
    }

    #[test]
    fn pnpm_v6_and_v9() {
        let v6 = "lockfileVersion: '6.0'\ndependencies:\n  react:\n    specifier: ^18\n    version: 18.3.1\npackages:\n  /react@18.3.1:\n    resolution: {}\n  /@types/node@20.1.0(typescript@5.4.5):\n    resolution: {}\n  /loose-envify/1.4.0:\n    resolution: {}\n";
        assert_eq!(
            packages("pnpm-lock.yaml", v6),
            ["@types/node", "loose-envify", "react"]
        );
        let v9 = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      react:\n        specifier: ^18\n        version: 18.3.1\n  packages/ui:\n    devDependencies:\n      vitest:\n        specifier: ^1\n        version: 1.6.0\npackages:\n  react@18.3.1:\n    resolution: {}\n";
        let lock = parse("pnpm-lock.yaml", v9).unwrap();
        assert_eq!(lock.packages, ["react", "vitest"]);
        assert_eq!(lock.members, ["packages/ui"]);
    }

    #[test]
    fn yarn_classic_and_berry() {
        let classic = "# yarn lockfile v1\n\n\n\"@babel/core@^7.0.0\", \"@babel/core@^7.1.0\":\n  version \"7.1.0\"\n\nreact@^18:\n  version \"18.3.1\"\n";
        assert_eq!(packages("yarn.lock", classic), ["@babel/core", "react"]);
        let berry = "__metadata:\n  version: 8\n\n\"react@npm:^18.3.1\":\n  version: 18.3.1\n\n\"@acme/ui@workspace:packages/ui\":\n  version: 0.0.0\n\n\"web@workspace:.\":\n  version: 0.0.0\n";
        let lock = parse("yarn.lock", berry).unwrap();
        assert_eq!(lock.packages, ["@acme/ui", "react", "web"]);
        assert_eq!(lock.members, ["packages/ui"]);
        assert!(parse("yarn.lock", "<html>\n").is_err());
    }

    #[test]
    fn bun_lock_with_trailing_commas() {
        let text = "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\n    \"\": {\n      \"name\": \"web\",\n      \"dependencies\": {\n        \"react\": \"^18\",\n      },\n    },\n  },\n  \"packages\": {\n    \"react\": [\"react@18.3.1\", \"\", {}, \"sha512-x\"],\n    \"@types/node\": [\"@types/node@20.1.0\", \"\", {}, \"sha512-y\"],\n  },\n}\n";
        assert_eq!(packages("bun.lock", text), ["@types/node", "react"]);
        assert!(is_opaque("web/bun.lockb"));
    }

    #[test]
    fn go_ruby_composer_locks() {
        let sum = "github.com/a/b v1.0.0 h1:abc=\ngithub.com/a/b v1.0.0/go.mod h1:def=\n";
        assert_eq!(packages("go.sum", sum), ["github.com/a/b"]);
        assert!(parse("go.sum", "garbage\n").is_err());
        let gems = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.0)\n      actionpack (= 7.1.0)\n    pg (1.5.4)\n\nDEPENDENCIES\n  pg\n  rails\n";
        assert_eq!(packages("Gemfile.lock", gems), ["pg", "rails"]);
        let composer = r#"{"packages": [{"name": "monolog/monolog"}], "packages-dev": [{"name": "phpunit/phpunit"}]}"#;
        assert_eq!(
            packages("composer.lock", composer),
            ["monolog/monolog", "phpunit/phpunit"]
        );
    }

    #[test]
    fn pubspec_and_mix_locks() {
        let pub_lock = "packages:\n  http:\n    dependency: \"direct main\"\n    source: hosted\n    version: \"1.2.2\"\n  async:\n    dependency: transitive\n    source: hosted\n    version: \"2.11.0\"\nsdks:\n  dart: \">=3.5.0 <4.0.0\"\n";
        assert_eq!(packages("pubspec.lock", pub_lock), vec!["async", "http"]);
        assert!(parse("pubspec.lock", "sdks: {}\n").is_err());
        let mix_lock = "%{\n  \"jason\": {:hex, :jason, \"1.4.4\", \"b9\", [:mix], [], \"hexpm\", \"c5\"},\n  \"phoenix\": {:hex, :phoenix, \"1.7.14\", \"a7\", [:mix], [], \"hexpm\", \"c7\"},\n}\n";
        assert_eq!(packages("mix.lock", mix_lock), vec!["jason", "phoenix"]);
        assert!(parse("mix.lock", "[]").is_err());
    }

    #[test]
    fn gemfile_lock_dependencies_include_other_platforms_gems() {
        let gems = "GIT\n  remote: https://github.com/acme/sidekiq-cron.git\n  revision: 0123456789abcdef0123456789abcdef01234567\n  specs:\n    sidekiq-cron (2.0.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  rails (~> 7.1)\n  sidekiq-cron!\n  tzinfo-data\n\nBUNDLED WITH\n   2.5.9\n";
        assert_eq!(
            packages("Gemfile.lock", gems),
            ["rails", "sidekiq-cron", "tzinfo-data"]
        );
    }

    #[test]
    fn pipenv_nuget_gradle_swift_locks() {
        let pipenv = r#"{"_meta": {"hash": {"sha256": "ab"}, "pipfile-spec": 6}, "default": {"Django": {"version": "==5.0.6"}}, "develop": {"pytest": {"version": "==8.2.2"}}}"#;
        assert_eq!(packages("Pipfile.lock", pipenv), ["django", "pytest"]);
        assert!(parse("Pipfile.lock", r#"{"default": {}}"#).is_err());
        let nuget = r#"{"version": 1, "dependencies": {"net8.0": {"Serilog": {"type": "Direct", "requested": "[3.1.1, )", "resolved": "3.1.1"}}, "net6.0": {"Npgsql": {"type": "Transitive", "resolved": "8.0.3"}}}}"#;
        assert_eq!(
            packages("src/Api/packages.lock.json", nuget),
            ["npgsql", "serilog"]
        );
        assert!(parse("packages.lock.json", r#"{"version": 1}"#).is_err());
        let gradle = "# This is a Gradle generated file for dependency locking.\ncom.google.guava:guava:33.2.1-jre=compileClasspath,runtimeClasspath\nempty=annotationProcessor\n";
        assert_eq!(
            packages("app/gradle.lockfile", gradle),
            ["com.google.guava:guava"]
        );
        assert!(
            parse("gradle.lockfile", "guava=runtimeClasspath\n")
                .unwrap_err()
                .contains("line 1")
        );
        let verification = "<?xml version=\"1.0\"?>\n<verification-metadata xmlns=\"https://schema.gradle.org/dependency-verification\">\n  <configuration><verify-metadata>true</verify-metadata></configuration>\n  <components>\n    <component group=\"com.google.guava\" name=\"guava\" version=\"33.2.1-jre\">\n      <artifact name=\"guava-33.2.1-jre.jar\"><sha256 value=\"ab\" origin=\"Generated by Gradle\"/></artifact>\n    </component>\n  </components>\n</verification-metadata>\n";
        assert_eq!(
            packages("gradle/verification-metadata.xml", verification),
            ["com.google.guava:guava"]
        );
        assert!(parse("gradle/verification-metadata.xml", "<project/>").is_err());
        let v1 = r#"{"object": {"pins": [{"package": "Vapor", "repositoryURL": "https://github.com/vapor/vapor.git", "state": {"version": "4.99.3"}}]}, "version": 1}"#;
        assert_eq!(packages("Package.resolved", v1), ["vapor"]);
        let v2 = r#"{"pins": [{"identity": "swift-nio", "kind": "remoteSourceControl", "location": "https://github.com/apple/swift-nio.git", "state": {"revision": "ab", "version": "2.65.0"}}], "version": 2}"#;
        assert_eq!(packages("Package.resolved", v2), ["swift-nio"]);
        assert!(parse("Package.resolved", r#"{"pins": []}"#).is_err());
    }
}
