//! Dependency manifests: Cargo.toml, package.json, pyproject.toml, requirements*.txt (and
//! pip-tools `.in` files), go.mod, Gemfile, composer.json, pubspec.yaml, mix.exs; the build
//! files of Maven, Gradle, .NET, SwiftPM and Pipenv are read in [`super::build_manifest`].
//!
//! Only what the supply-chain checks judge is kept: the direct dependencies (with the line that
//! declares each), whether the manifest is a workspace root, the package manager it names, and
//! for requirements files whether each line pins an exact version.

use serde_json::Value as Json;
use toml::Value as Toml;

use super::build_manifest;
use crate::facts::repo::{Dependency, Ecosystem, Located, Manifest, Requirement};
use crate::redact::ParseError;

pub fn parse(path: &str, text: &str) -> Result<Manifest, String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut manifest = match name {
        "Cargo.toml" => cargo(text)?,
        "package.json" => package_json(text)?,
        "pyproject.toml" => pyproject(text)?,
        "go.mod" => go_mod(text),
        "Gemfile" => gemfile(text),
        "composer.json" => composer_json(text)?,
        "pubspec.yaml" => pubspec_yaml(text)?,
        "mix.exs" => mix_exs(text),
        "pom.xml" => build_manifest::pom(text)?,
        "build.gradle" | "build.gradle.kts" => build_manifest::gradle(text),
        "Package.swift" => build_manifest::swift_package(text),
        "Pipfile" => build_manifest::pipfile(text)?,
        _ if is_dotnet_project(name) => build_manifest::dotnet_project(text)?,
        _ if name.ends_with(".in") => pip_tools_input(text),
        _ => requirements_txt(text),
    };
    path.clone_into(&mut manifest.path);
    Ok(manifest)
}

/// A .NET project file or the `Directory.Build.props` MSBuild imports into every project below
/// it.
pub fn is_dotnet_project(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name == "Directory.Build.props"
        || [".csproj", ".fsproj", ".vbproj"]
            .iter()
            .any(|ext| lower.ends_with(ext) && lower.len() > ext.len())
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_python(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator_run = false;
        }
    }
    out
}

/// Finds the 1-based line declaring `key`, searching from the first line containing `section`
/// (a table header or a JSON key), then from the top; 0 when not found. Parsers of TOML and
/// JSON give no positions, so the declaration is looked up in the text (first hit in order).
pub(crate) fn locate(text: &str, section: &str, key: &str) -> u32 {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.contains(section)).unwrap_or(0);
    let declares = |line: &&str| declares_key(line, key);
    let found = lines[start..]
        .iter()
        .position(declares)
        .map(|i| i + start)
        .or_else(|| lines.iter().position(declares));
    found.map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

/// `key = …`, `"key": …`, `'key' = …`, `key.workspace = …`, or a `[….key]` table header.
fn declares_key(line: &str, key: &str) -> bool {
    let trimmed = line.trim_start();
    // A JSON key may share its line with the object's opening brace.
    let json_key = format!("\"{key}\"");
    if let Some(i) = line.find(&json_key)
        && line[i + json_key.len()..]
            .trim_start()
            .starts_with([':', '='])
    {
        return true;
    }
    for quoted in [key.to_owned(), format!("'{key}'")] {
        if let Some(rest) = trimmed.strip_prefix(&quoted) {
            let rest = rest.trim_start();
            if rest.starts_with('=') || rest.starts_with(':') || rest.starts_with('.') {
                return true;
            }
        }
    }
    trimmed.starts_with('[') && (trimmed.contains(&format!(".{key}]")))
}

fn ecosystem_manifest(ecosystem: Ecosystem) -> Manifest {
    Manifest {
        ecosystem,
        ..Manifest::default()
    }
}

const CARGO_DEPENDENCY_TABLES: [&str; 3] =
    ["dependencies", "dev-dependencies", "build-dependencies"];

fn cargo(text: &str) -> Result<Manifest, String> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| ParseError::toml(&e, text).to_string())?;
    let mut m = ecosystem_manifest(Ecosystem::Cargo);
    m.workspace_root = doc.contains_key("workspace");
    let mut tables: Vec<(String, &toml::Table)> = Vec::new();
    for table in CARGO_DEPENDENCY_TABLES {
        if let Some(Toml::Table(t)) = doc.get(table) {
            tables.push((format!("[{table}]"), t));
        }
    }
    if let Some(Toml::Table(targets)) = doc.get("target") {
        for (cfg, target) in targets {
            for table in CARGO_DEPENDENCY_TABLES {
                if let Some(Toml::Table(t)) = target.get(table) {
                    tables.push((format!("{cfg}.{table}"), t));
                }
            }
        }
    }
    for (section, table) in tables {
        for (key, spec) in table {
            // `foo = { package = "bar" }` depends on crate `bar` under the name `foo`.
            let crate_name = spec.get("package").and_then(Toml::as_str).unwrap_or(key);
            m.dependencies.push(Dependency {
                name: crate_name.to_owned(),
                line: locate(text, &section, key),
            });
        }
    }
    Ok(m)
}

const NPM_DEPENDENCY_KEYS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];

fn package_json(text: &str) -> Result<Manifest, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| ParseError::json(&e).to_string())?;
    let Json::Object(root) = &doc else {
        return Err("not a JSON object at the top level".to_owned());
    };
    let mut m = ecosystem_manifest(Ecosystem::Npm);
    m.workspace_root = root.contains_key("workspaces");
    m.tool = root
        .get("packageManager")
        .and_then(Json::as_str)
        .and_then(|pm| pm.split('@').next())
        .map(str::to_owned);
    for key in NPM_DEPENDENCY_KEYS {
        let Some(Json::Object(deps)) = root.get(key) else {
            continue;
        };
        for (name, spec) in deps {
            // `workspace:` dependencies are siblings in the same workspace, not registry
            // packages; yarn classic does not list them in its lockfile.
            if spec.as_str().is_some_and(|s| s.starts_with("workspace:")) {
                continue;
            }
            m.dependencies.push(Dependency {
                name: name.clone(),
                line: locate(text, &format!("\"{key}\""), name),
            });
        }
    }
    Ok(m)
}

fn pyproject(text: &str) -> Result<Manifest, String> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| ParseError::toml(&e, text).to_string())?;
    let mut m = ecosystem_manifest(Ecosystem::Python);
    let tool = doc.get("tool").and_then(Toml::as_table);
    let tool_has = |name: &str| tool.is_some_and(|t| t.contains_key(name));
    m.tool = ["poetry", "pdm", "uv", "rye"]
        .into_iter()
        .find(|t| tool_has(t))
        .map(str::to_owned);
    m.workspace_root = tool
        .and_then(|t| t.get("uv"))
        .is_some_and(|uv| uv.get("workspace").is_some());
    let own_name = doc
        .get("project")
        .and_then(|p| p.get("name"))
        .or_else(|| tool.and_then(|t| t.get("poetry")?.get("name")))
        .and_then(Toml::as_str)
        .map(normalize_python);
    let mut push = |name: String, line: u32| {
        // A project's extras often refer to the project itself (`myapp[test]`).
        if own_name.as_deref() != Some(name.as_str()) {
            m.dependencies.push(Dependency { name, line });
        }
    };
    for requirement in pep621_requirements(&doc) {
        if let Some(name) = pep508_name(requirement) {
            push(normalize_python(name), locate_string(text, requirement));
        }
    }
    if let Some(poetry) = tool.and_then(|t| t.get("poetry")) {
        for (section, table) in poetry_tables(poetry) {
            for key in table.keys().filter(|k| k.as_str() != "python") {
                push(normalize_python(key), locate(text, &section, key));
            }
        }
    }
    Ok(m)
}

/// The PEP 508 strings of `[project] dependencies`, `[project.optional-dependencies]` and
/// PEP 735 `[dependency-groups]`.
fn pep621_requirements(doc: &toml::Table) -> Vec<&str> {
    let mut out = Vec::new();
    let mut lists: Vec<&Toml> = Vec::new();
    if let Some(project) = doc.get("project") {
        lists.extend(project.get("dependencies"));
        if let Some(Toml::Table(extras)) = project.get("optional-dependencies") {
            lists.extend(extras.values());
        }
    }
    if let Some(Toml::Table(groups)) = doc.get("dependency-groups") {
        lists.extend(groups.values());
    }
    for list in lists {
        if let Some(items) = list.as_array() {
            out.extend(items.iter().filter_map(Toml::as_str));
        }
    }
    out
}

/// `[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]` and every
/// `[tool.poetry.group.NAME.dependencies]`, each with the header to search its lines from.
fn poetry_tables(poetry: &Toml) -> Vec<(String, &toml::Table)> {
    let mut out = Vec::new();
    for key in ["dependencies", "dev-dependencies"] {
        if let Some(Toml::Table(t)) = poetry.get(key) {
            out.push((format!("[tool.poetry.{key}]"), t));
        }
    }
    if let Some(Toml::Table(groups)) = poetry.get("group") {
        for (group, body) in groups {
            if let Some(Toml::Table(t)) = body.get("dependencies") {
                out.push((format!("[tool.poetry.group.{group}.dependencies]"), t));
            }
        }
    }
    out
}

/// The line holding a quoted string (a PEP 508 requirement inside an array); 0 when not found.
fn locate_string(text: &str, value: &str) -> u32 {
    let quoted = [format!("\"{value}\""), format!("'{value}'")];
    text.lines()
        .position(|l| quoted.iter().any(|q| l.contains(q.as_str())))
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

/// The distribution name at the start of a PEP 508 requirement (`requests[socks]>=2; …`).
fn pep508_name(requirement: &str) -> Option<&str> {
    let s = requirement.trim();
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// `go.mod`: the `require`d modules, single-line or in blocks. A module `replace`d by a local
/// directory (`=> ../lib`) is built from that directory and has no `go.sum` entry, so it is
/// left out.
fn go_mod(text: &str) -> Manifest {
    let mut m = ecosystem_manifest(Ecosystem::Go);
    let mut block: Option<&str> = None;
    let mut local_replacements = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        let (directive, spec) = match block {
            Some(_) if line.starts_with(')') => {
                block = None;
                continue;
            }
            Some(directive) => (directive, line),
            None => {
                let Some((directive, rest)) = ["require", "replace"]
                    .into_iter()
                    .find_map(|d| Some((d, line.strip_prefix(d)?)))
                else {
                    continue;
                };
                let rest = rest.trim();
                if rest.starts_with('(') {
                    block = Some(directive);
                    continue;
                }
                (directive, rest)
            }
        };
        if directive == "replace" {
            if let Some((old, new)) = spec.split_once("=>")
                && is_local_go_path(new.trim())
            {
                local_replacements.extend(old.split_whitespace().next().map(str::to_owned));
            }
        } else if let Some(module) = spec.split_whitespace().next() {
            m.dependencies.push(Dependency {
                name: module.to_owned(),
                line: line_number(i),
            });
        }
    }
    m.dependencies
        .retain(|d| !local_replacements.contains(&d.name));
    m
}

fn is_local_go_path(target: &str) -> bool {
    target.starts_with("./") || target.starts_with("../") || target.starts_with('/')
}

fn gemfile(text: &str) -> Manifest {
    let mut m = ecosystem_manifest(Ecosystem::Ruby);
    for (i, raw) in text.lines().enumerate() {
        let Some(rest) = raw.trim().strip_prefix("gem ") else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(name) = rest[1..].split(quote).next().filter(|n| !n.is_empty()) {
            m.dependencies.push(Dependency {
                name: name.to_owned(),
                line: line_number(i),
            });
        }
    }
    m
}

fn composer_json(text: &str) -> Result<Manifest, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| ParseError::json(&e).to_string())?;
    let Json::Object(root) = &doc else {
        return Err("not a JSON object at the top level".to_owned());
    };
    let mut m = ecosystem_manifest(Ecosystem::Composer);
    for key in ["require", "require-dev"] {
        let Some(Json::Object(deps)) = root.get(key) else {
            continue;
        };
        // Platform requirements (`php`, `ext-json`) are not packages.
        let packages = deps.keys().filter(|n| n.contains('/'));
        for name in packages {
            m.dependencies.push(Dependency {
                name: name.clone(),
                line: locate(text, &format!("\"{key}\""), name),
            });
        }
    }
    Ok(m)
}

fn requirements_txt(text: &str) -> Manifest {
    let mut m = ecosystem_manifest(Ecosystem::Python);
    for (line, logical) in logical_lines(text) {
        if let Some(file) = included_file(&logical) {
            m.includes.push(Located {
                value: file.to_owned(),
                line,
                column: None,
            });
        } else if let Some(req) = requirement(&logical, line) {
            m.requirements.push(req);
        }
    }
    m
}

/// The file a `-r FILE` / `--requirement FILE` (or `=FILE`) line includes: its requirements are
/// installed as if written here. (`-c` constraints files only narrow versions; they add none.)
fn included_file(logical: &str) -> Option<&str> {
    let rest = (logical.strip_prefix("--requirement")).or_else(|| logical.strip_prefix("-r"))?;
    let file = rest.trim_start_matches(['=', ' ', '\t']).trim();
    (!file.is_empty()).then_some(file)
}

/// Whether a requirement as a command line gives it (`django==4.2.1`, `"celery[redis]==5.4.0"`)
/// pins one exact version, as a requirements file line would have to.
pub(crate) fn operand_is_pinned(operand: &str) -> bool {
    requirement(operand.trim_matches(['"', '\'']), 0).is_some_and(|r| r.pinned)
}

/// A pip-tools input (`requirements.in`): requirements like a requirements file, which are
/// also its direct dependencies (compiled with their pins into the `.txt` of the same name).
fn pip_tools_input(text: &str) -> Manifest {
    let mut m = requirements_txt(text);
    m.tool = Some("pip-tools".to_owned());
    m.dependencies = m
        .requirements
        .iter()
        .map(|r| Dependency {
            name: r.name.clone(),
            line: r.line,
        })
        .collect();
    m
}

/// Joins `\` continuations and strips comments: (1-based first line, content).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = line_number(i);
        }
        let without_comment = strip_comment(raw);
        if let Some(part) = without_comment.trim_end().strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
        } else {
            current.push_str(without_comment);
            let logical = std::mem::take(&mut current);
            if !logical.trim().is_empty() {
                out.push((start, logical.trim().to_owned()));
            }
        }
    }
    if !current.trim().is_empty() {
        out.push((start, current.trim().to_owned()));
    }
    out
}

/// A `#` starts a comment at the start of a line or after whitespace (pip's rule; a URL
/// fragment such as `#egg=` is not a comment).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// One requirement line, or `None` for options (`-r`, `-c`, `--index-url`…) and local
/// paths (`-e .`), which install nothing from an index by themselves.
fn requirement(logical: &str, line: u32) -> Option<Requirement> {
    let hashed = logical.contains("--hash");
    let body = logical.split(" --").next().unwrap_or(logical).trim();
    if let Some(editable) = body
        .strip_prefix("-e ")
        .or_else(|| body.strip_prefix("--editable "))
    {
        return vcs_requirement(editable.trim(), line, hashed);
    }
    if body.starts_with('-') || body.starts_with('.') || body.starts_with('/') {
        return None;
    }
    if body.contains("://") && !body.contains(" @ ") {
        return vcs_requirement(body, line, hashed);
    }
    let name = pep508_name(body)?;
    let spec = body[name.len()..].split(';').next().unwrap_or("");
    let pinned = match spec.split_once(" @ ").or_else(|| spec.split_once('@')) {
        Some((_, url)) => hashed || url_is_pinned(url),
        None => spec_is_exact(spec),
    };
    Some(Requirement {
        line,
        name: normalize_python(name),
        pinned,
        hashed,
    })
}

/// An editable or direct URL install: pinned only by a commit SHA or a hash.
fn vcs_requirement(target: &str, line: u32, hashed: bool) -> Option<Requirement> {
    if !target.contains("://") {
        return None;
    }
    let name = target
        .split("egg=")
        .nth(1)
        .and_then(|n| n.split('&').next())
        .unwrap_or(target);
    Some(Requirement {
        line,
        name: normalize_python(name),
        pinned: hashed || url_is_pinned(target),
        hashed,
    })
}

/// A URL names immutable content when it carries a full commit SHA or a `#sha256=` fragment.
fn url_is_pinned(url: &str) -> bool {
    url.contains("sha256=")
        || url
            .split(['@', '#', '&'])
            .any(|part| part.len() == 40 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `==1.2.3` or `===1.2.3` (no wildcard), possibly with extras before it.
fn spec_is_exact(spec: &str) -> bool {
    let spec = match spec.find(']') {
        Some(i) if spec.trim_start().starts_with('[') => &spec[i + 1..],
        _ => spec,
    };
    spec.split(',').any(|clause| {
        clause
            .trim()
            .strip_prefix("==")
            .is_some_and(|v| !v.trim_start_matches('=').trim().is_empty() && !v.contains('*'))
    })
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// `pubspec.yaml` (dart.dev/tools/pub/pubspec): `dependencies` and `dev_dependencies` maps.
/// `dependency_overrides` are not dependencies of their own.
fn pubspec_yaml(text: &str) -> Result<Manifest, String> {
    let doc = super::yaml_value(text)?;
    let mut m = ecosystem_manifest(Ecosystem::Pub);
    for table in ["dependencies", "dev_dependencies"] {
        let Some(deps) = doc.get(table).and_then(serde_norway::Value::as_mapping) else {
            continue;
        };
        for name in deps.keys().filter_map(|k| k.as_str()) {
            m.dependencies.push(Dependency {
                name: name.to_owned(),
                line: locate(text, &format!("{table}:"), name),
            });
        }
    }
    Ok(m)
}

/// `mix.exs`: the `{:name, …}` tuples of the project's `deps` function (Mix's documented
/// convention, `defp deps do [...] end`). Elixir code is not evaluated: a dependency list built
/// at run time is not seen.
fn mix_exs(text: &str) -> Manifest {
    let mut m = ecosystem_manifest(Ecosystem::Mix);
    let Some(start) = text.find("defp deps").or_else(|| text.find("def deps")) else {
        return m;
    };
    let body = &text[start..];
    let body = &body[..body
        .find("\n  end")
        .or_else(|| body.find("\nend"))
        .unwrap_or(body.len())];
    let first_line = text[..start].matches('\n').count();
    for (i, line) in body.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("{:") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            let line = u32::try_from(first_line + i + 1).unwrap_or(u32::MAX);
            m.dependencies.push(Dependency { name, line });
        }
    }
    m
}

/// For the parsers' tests: each dependency's name and line, in order.
#[cfg(test)]
pub(crate) fn dependency_lines(m: &Manifest) -> Vec<(&str, u32)> {
    m.dependencies
        .iter()
        .map(|d| (d.name.as_str(), d.line))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn requirements_files_record_what_they_include() {
        let text = "-r base.txt\n--requirement=../shared/common.txt\n-rlocal.txt\n-c constraints.txt\ngunicorn==22.0.0\n";
        let m = requirements_txt(text);
        let included: Vec<(&str, u32)> = (m.includes.iter())
            .map(|l| (l.value.as_str(), l.line))
            .collect();
        assert_eq!(
            included,
            [
                ("base.txt", 1),
                ("../shared/common.txt", 2),
                ("local.txt", 3)
            ]
        );
        assert_eq!(m.requirements.len(), 1);
        assert!(operand_is_pinned("\"celery[redis]==5.4.0\""));
        assert!(!operand_is_pinned("django==4.2.*"));
        assert!(!operand_is_pinned("celery>=5"));
    }

    use super::*;

    #[test]
    fn cargo_dependencies_with_renames_and_lines() {
        let text = "[package]\nname = \"api\"\n\n[dependencies]\nserde = \"1\"\nrenamed = { package = \"tokio\", version = \"1\" }\n\n[dev-dependencies]\nserde = \"1\"\n\n[target.'cfg(unix)'.dependencies.libc]\nversion = \"0.2\"\n";
        let m = parse("api/Cargo.toml", text).unwrap();
        assert!(!m.workspace_root);
        assert_eq!(
            dependency_lines(&m),
            vec![("tokio", 6), ("serde", 5), ("serde", 9), ("libc", 11)]
        );
        assert!(
            parse("Cargo.toml", "[workspace]\nmembers = []\n")
                .unwrap()
                .workspace_root
        );
        assert!(parse("Cargo.toml", "[package\n").is_err());
    }

    #[test]
    fn package_json_dependencies_and_workspaces() {
        let text = r#"{
  "name": "web",
  "packageManager": "pnpm@9.1.0",
  "workspaces": ["packages/*"],
  "dependencies": { "react": "^18.3.1", "@acme/ui": "workspace:*" },
  "devDependencies": {
    "react": "^18.3.1",
    "typescript": "5.4.5"
  }
}"#;
        let m = parse("web/package.json", text).unwrap();
        assert!(m.workspace_root);
        assert_eq!(m.tool.as_deref(), Some("pnpm"));
        assert_eq!(
            dependency_lines(&m),
            vec![("react", 5), ("react", 7), ("typescript", 8)]
        );
        assert!(parse("package.json", "[1]").is_err());
        assert!(parse("package.json", "{").is_err());
    }

    #[test]
    fn pyproject_pep621_and_poetry() {
        let text = r#"[project]
name = "My_App"
dependencies = [
  "Requests[socks]>=2.31; python_version > '3.8'",
  "flask==3.0.0",
]
[project.optional-dependencies]
test = ["pytest", "my-app[extra]"]

[tool.poetry.dependencies]
python = "^3.11"
Django = "^5.0"
"#;
        let m = parse("pyproject.toml", text).unwrap();
        assert_eq!(m.tool.as_deref(), Some("poetry"));
        assert_eq!(
            dependency_lines(&m),
            vec![("requests", 4), ("flask", 5), ("pytest", 8), ("django", 12)]
        );
        let empty = parse("pyproject.toml", "[project]\nname = \"x\"\n").unwrap();
        assert!(empty.dependencies.is_empty());
    }

    #[test]
    fn requirements_pins_hashes_markers_and_options() {
        let text = "# top\n-r base.txt\n--index-url https://pypi.org/simple\nDjango==5.0.1 ; python_version >= '3.10'\nrequests>=2\nurllib3[socks]==2.2.1 \\\n    --hash=sha256:abc\n-e .\nflask  # unpinned\ngit+https://github.com/a/b@0123456789abcdef0123456789abcdef01234567#egg=b_pkg\nnumpy==1.*\n";
        let m = parse("worker/requirements.txt", text).unwrap();
        let got: Vec<(&str, u32, bool, bool)> = m
            .requirements
            .iter()
            .map(|r| (r.name.as_str(), r.line, r.pinned, r.hashed))
            .collect();
        assert_eq!(
            got,
            vec![
                ("django", 4, true, false),
                ("requests", 5, false, false),
                ("urllib3", 6, true, true),
                ("flask", 9, false, false),
                ("b-pkg", 10, true, false),
                ("numpy", 11, false, false),
            ]
        );
    }

    #[test]
    fn go_gem_composer() {
        let go = parse(
            "go.mod",
            "module x\n\ngo 1.22\n\nrequire github.com/a/b v1.0.0\nrequire (\n\tgolang.org/x/net v0.1.0 // indirect\n\texample.com/local v0.0.0\n)\nreplace example.com/local => ../local\nreplace (\n\tgolang.org/x/net => golang.org/x/net v0.2.0\n)\n",
        )
        .unwrap();
        assert_eq!(
            dependency_lines(&go),
            vec![("github.com/a/b", 5), ("golang.org/x/net", 7)]
        );
        let gem = parse(
            "Gemfile",
            "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\ngem \"pg\"\n",
        )
        .unwrap();
        assert_eq!(dependency_lines(&gem), vec![("rails", 2), ("pg", 3)]);
        let composer = parse(
            "composer.json",
            "{\n  \"require\": {\n    \"php\": \">=8.2\",\n    \"monolog/monolog\": \"^3\"\n  }\n}\n",
        )
        .unwrap();
        assert_eq!(dependency_lines(&composer), vec![("monolog/monolog", 4)]);
    }

    #[test]
    fn python_names_are_normalised() {
        assert_eq!(normalize_python("Foo.Bar__baz"), "foo-bar-baz");
    }

    #[test]
    fn pubspec_and_mix_dependencies() {
        let pubspec = "name: app\ndependencies:\n  flutter:\n    sdk: flutter\n  http: ^1.2.2\ndev_dependencies:\n  lints: ^4.0.0\ndependency_overrides:\n  meta: 1.15.0\n";
        let m = parse("app/pubspec.yaml", pubspec).unwrap();
        assert_eq!(m.ecosystem, Ecosystem::Pub);
        assert_eq!(
            dependency_lines(&m),
            vec![("flutter", 3), ("http", 5), ("lints", 7)]
        );
        assert!(parse("pubspec.yaml", "dependencies: [\n").is_err());
        let mix = "defmodule A.MixProject do\n  def project, do: [deps: deps()]\n\n  defp deps do\n    [\n      {:phoenix, \"~> 1.7\"},\n      {:ecto_sql, \"~> 3.12\", only: :dev}\n    ]\n  end\n\n  defp aliases do\n    [{:not_a_dep, 1}]\n  end\nend\n";
        let m = parse("mix.exs", mix).unwrap();
        assert_eq!(m.ecosystem, Ecosystem::Mix);
        assert_eq!(dependency_lines(&m), vec![("phoenix", 6), ("ecto_sql", 7)]);
    }
}
