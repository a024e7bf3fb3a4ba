//! Build files that declare dependencies: Maven `pom.xml`, .NET project files
//! (`*.csproj`, `*.fsproj`, `*.vbproj`, `Directory.Build.props`), Gradle build scripts, Swift
//! `Package.swift` and Pipenv's `Pipfile`.
//!
//! XML files are read as XML ([`super::xml`]); Gradle scripts and `Package.swift` are code in
//! Groovy, Kotlin or Swift and are not evaluated: their dependency declarations are read from
//! the text in the forms the build tools document, and anything computed (a version catalog
//! entry such as `libs.guava`, a dependency added in a loop) is not seen.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use toml::Value as Toml;

use super::manifest::{locate, normalize_python};
use super::xml::{self, Element, Tree};
use crate::facts::repo::{Dependency, Ecosystem, FloatingVersion, Located, Manifest};
use crate::redact::ParseError;

fn manifest(ecosystem: Ecosystem) -> Manifest {
    Manifest {
        ecosystem,
        ..Manifest::default()
    }
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// A version as quoted in findings: at most 64 characters.
fn shown(version: &str) -> String {
    const MAX: usize = 64;
    if version.chars().count() <= MAX {
        version.to_owned()
    } else {
        version
            .chars()
            .take(MAX)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// The document element of `tree`, which must be `<name>`; else why the document is not `what`.
fn document_element<'t>(tree: &'t Tree, name: &str, what: &str) -> Result<&'t Element, String> {
    let root = tree.root();
    if root.name != name {
        return Err(format!(
            "the document element is <{}>, not <{name}>: not {what}",
            root.name.chars().take(40).collect::<String>()
        ));
    }
    Ok(root)
}

// ---------------------------------------------------------------------------------------------
// Maven

/// Enforcer rules that refuse versions which resolve differently over time.
const ENFORCER_RULES: [&str; 2] = ["requireReleaseDeps", "banDynamicVersions"];
/// Plugins that write and verify a Maven lockfile.
const LOCKFILE_PLUGINS: [&str; 2] = ["maven-lockfile", "dependency-lock-maven-plugin"];

/// `pom.xml`: the dependencies (`group:artifact`), every version that floats (ranges such as
/// `[2.0,)`, `-SNAPSHOT`, `LATEST`/`RELEASE`) after `${property}` substitution, and the
/// enforcer rules or lockfile plugins that guard versions.
pub fn pom(text: &str) -> Result<Manifest, String> {
    let tree = xml::parse(text)?;
    let project = document_element(&tree, "project", "a Maven POM")?;
    let pom = Pom::read(&tree, project);
    let mut m = manifest(Ecosystem::Maven);
    m.workspace_root = !tree.at(project, &["modules", "module"]).is_empty();
    let mut used_properties = BTreeSet::new();
    let mut containers = vec![project];
    containers.extend(tree.at(project, &["profiles", "profile"]));
    for container in containers {
        for dep in dependency_elements(&tree, container) {
            let coordinate = pom.coordinate(&tree, dep, None);
            m.dependencies.push(Dependency {
                name: coordinate.clone(),
                line: dep.line,
            });
            pom.judge_version(&tree, dep, &coordinate, &mut m, &mut used_properties);
        }
        for plugin in plugin_elements(&tree, container) {
            let coordinate = pom.coordinate(&tree, plugin, Some("org.apache.maven.plugins"));
            pom.judge_version(&tree, plugin, &coordinate, &mut m, &mut used_properties);
            guard_settings(&tree, plugin, &mut m.lock_settings);
            for dep in tree.at(plugin, &["dependencies", "dependency"]) {
                let coordinate = pom.coordinate(&tree, dep, None);
                pom.judge_version(&tree, dep, &coordinate, &mut m, &mut used_properties);
            }
        }
    }
    if let Some(parent) = tree.children(project, "parent").next()
        && let Some(version) = tree.child_text(parent, "version")
        && is_maven_range(version)
    {
        let coordinate = pom.coordinate(&tree, parent, None);
        m.floating.push(FloatingVersion {
            name: coordinate,
            version: shown(version),
            line: parent.line,
        });
    }
    // A property defined here for modules elsewhere (a parent POM's `<guava.version>`).
    for (name, value, line) in &pom.property_lines {
        let is_version_property = name.to_ascii_lowercase().ends_with("version");
        if is_version_property && !used_properties.contains(name) && floats_everywhere(value) {
            m.floating.push(FloatingVersion {
                name: format!("${{{name}}}"),
                version: shown(value),
                line: *line,
            });
        }
    }
    Ok(m)
}

/// The `<dependency>` elements of a project or profile, managed ones included.
fn dependency_elements<'a>(tree: &'a Tree, container: &'a Element) -> Vec<&'a Element> {
    let mut out = tree.at(container, &["dependencies", "dependency"]);
    out.extend(tree.at(
        container,
        &["dependencyManagement", "dependencies", "dependency"],
    ));
    out
}

fn plugin_elements<'a>(tree: &'a Tree, container: &'a Element) -> Vec<&'a Element> {
    let mut out = tree.at(container, &["build", "plugins", "plugin"]);
    out.extend(tree.at(
        container,
        &["build", "pluginManagement", "plugins", "plugin"],
    ));
    out
}

/// Enforcer rules and lockfile plugins configured in `plugin`.
fn guard_settings(tree: &Tree, plugin: &Element, out: &mut Vec<Located>) {
    let artifact = tree.child_text(plugin, "artifactId").unwrap_or_default();
    if LOCKFILE_PLUGINS.contains(&artifact) {
        out.push(Located {
            value: format!("lockfile plugin {artifact}"),
            line: plugin.line,
            column: None,
        });
    }
    if artifact == "maven-enforcer-plugin" {
        for rule in tree.descendants(plugin) {
            if ENFORCER_RULES.contains(&rule.name.as_str()) {
                out.push(Located {
                    value: format!("maven-enforcer-plugin {}", rule.name),
                    line: rule.line,
                    column: None,
                });
            }
        }
    }
}

/// What a POM says about itself, for `${…}` substitution and for telling its own modules'
/// snapshots from someone else's.
struct Pom {
    properties: HashMap<String, String>,
    property_lines: Vec<(String, String, u32)>,
    group: Option<String>,
    version: Option<String>,
    parent_version: Option<String>,
}

impl Pom {
    fn read(tree: &Tree, project: &Element) -> Pom {
        let parent = tree.children(project, "parent").next();
        let from_parent = |key: &str| parent.and_then(|p| tree.child_text(p, key));
        let mut property_lines = Vec::new();
        for properties in tree.children(project, "properties") {
            for p in tree.child_elements(properties) {
                property_lines.push((p.name.clone(), p.text.clone(), p.line));
            }
        }
        Pom {
            properties: property_lines
                .iter()
                .map(|(n, v, _)| (n.clone(), v.clone()))
                .collect(),
            property_lines,
            group: tree
                .child_text(project, "groupId")
                .or_else(|| from_parent("groupId"))
                .map(str::to_owned),
            version: tree
                .child_text(project, "version")
                .or_else(|| from_parent("version"))
                .map(str::to_owned),
            parent_version: from_parent("version").map(str::to_owned),
        }
    }

    /// `${name}` substituted from the POM's own properties and project fields, a few rounds
    /// deep (properties may refer to properties); `None` while a reference is left.
    fn resolve(&self, raw: &str) -> Option<String> {
        // Versions are short; a property that expands into kilobytes is not one.
        const MAX_VALUE_BYTES: usize = 1024;
        let mut value = raw.to_owned();
        for _ in 0..5 {
            if value.len() > MAX_VALUE_BYTES {
                return None;
            }
            let Some(start) = value.find("${") else {
                return Some(value);
            };
            let end = value[start..].find('}')? + start;
            let key = &value[start + 2..end];
            let replacement = match key {
                "project.version" | "pom.version" | "version" => self.version.clone()?,
                "project.groupId" | "pom.groupId" => self.group.clone()?,
                "project.parent.version" => self.parent_version.clone()?,
                _ => self.properties.get(key)?.clone(),
            };
            value.replace_range(start..=end, &replacement);
        }
        (!value.contains("${")).then_some(value)
    }

    fn coordinate(&self, tree: &Tree, e: &Element, default_group: Option<&str>) -> String {
        let group = tree
            .child_text(e, "groupId")
            .map(|g| self.resolve(g).unwrap_or_else(|| g.to_owned()))
            .or_else(|| default_group.map(str::to_owned))
            .unwrap_or_default();
        let artifact = tree.child_text(e, "artifactId").unwrap_or_default();
        format!("{group}:{artifact}")
    }

    /// Records the version of `e` when it floats. A `-SNAPSHOT` of the project's own group
    /// is a module of the same build (a reactor sibling), not a moving external dependency.
    fn judge_version(
        &self,
        tree: &Tree,
        e: &Element,
        coordinate: &str,
        m: &mut Manifest,
        used_properties: &mut BTreeSet<String>,
    ) {
        let Some(raw) = tree.child_text(e, "version") else {
            return;
        };
        let mut rest = raw;
        while let Some(start) = rest.find("${") {
            let Some(end) = rest[start..].find('}') else {
                break;
            };
            used_properties.insert(rest[start + 2..start + end].to_owned());
            rest = &rest[start + end..];
        }
        let Some(version) = self.resolve(raw) else {
            return;
        };
        let own_snapshot = version.ends_with("-SNAPSHOT")
            && self
                .group
                .as_deref()
                .is_some_and(|g| coordinate.split(':').next() == Some(g));
        let floats = is_maven_range(&version)
            || matches!(version.as_str(), "LATEST" | "RELEASE")
            || (version.ends_with("-SNAPSHOT") && !own_snapshot);
        if floats {
            m.floating.push(FloatingVersion {
                name: coordinate.to_owned(),
                version: shown(&version),
                line: e.line,
            });
        }
    }
}

/// A Maven version range (`[2.0,)`, `(,1.0]`, `[1.0,2.0),[3.0,)`); `[1.0]` is one exact version.
fn is_maven_range(version: &str) -> bool {
    let v = version.trim();
    (v.starts_with('[') || v.starts_with('(')) && v.contains(',')
}

/// A version that floats in any build (a property value, judged without knowing its user).
fn floats_everywhere(value: &str) -> bool {
    is_maven_range(value) || matches!(value.trim(), "LATEST" | "RELEASE")
}

// ---------------------------------------------------------------------------------------------
// .NET (NuGet)

/// The MSBuild properties that make NuGet write (`RestorePackagesWithLockFile`) and honour
/// (`RestoreLockedMode`) `packages.lock.json`.
const NUGET_LOCK_PROPERTIES: [&str; 2] = ["RestorePackagesWithLockFile", "RestoreLockedMode"];

/// A .NET project file or `Directory.Build.props`: `PackageReference Include=…` items and the
/// lock properties set to `true` (with their `Condition`, when one applies).
pub fn dotnet_project(text: &str) -> Result<Manifest, String> {
    let tree = xml::parse(text)?;
    let project = document_element(&tree, "Project", "an MSBuild project")?;
    let mut m = manifest(Ecosystem::Nuget);
    for group in tree.descendants(project) {
        if group.name == "PackageReference" {
            // `Update=` and `Remove=` change references declared elsewhere.
            let includes = group.attr("Include").unwrap_or_default();
            for name in includes.split(';').map(str::trim).filter(|n| !n.is_empty()) {
                m.dependencies.push(Dependency {
                    name: name.to_owned(),
                    line: group.line,
                });
            }
        }
        if NUGET_LOCK_PROPERTIES.contains(&group.name.as_str())
            && group.text.eq_ignore_ascii_case("true")
        {
            let condition = group
                .attr("Condition")
                .map_or(String::new(), |c| format!(" when {c}"));
            m.lock_settings.push(Located {
                value: format!("{}=true{condition}", group.name),
                line: group.line,
                column: None,
            });
        }
    }
    Ok(m)
}

// ---------------------------------------------------------------------------------------------
// Gradle

/// `implementation("group:name:version")`, `api 'g:n:v'`, `testImplementation(platform("…"))`.
static GRADLE_STRING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*([A-Za-z]+)\s*\(?\s*(?:(?:platform|enforcedPlatform|testFixtures)\s*\(\s*)?["']([\w.\-]+):([\w.\-]+)(?::([^"'\s]*))?["']"#,
    )
    .expect("valid regex")
});

/// A version catalog entry: `implementation(libs.okhttp)`, `api libs.bundles.ktor`.
static GRADLE_CATALOG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*([A-Za-z]+)\s*\(?\s*(?:(?:platform|enforcedPlatform)\s*\(\s*)?(libs\.[A-Za-z0-9_.]+)"#,
    )
    .expect("valid regex")
});

/// Groovy's map form: `implementation group: 'g', name: 'n', version: 'v'`.
static GRADLE_MAP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*([A-Za-z]+)\s*\(?\s*group\s*[:=]\s*["']([^"']+)["']\s*,\s*name\s*[:=]\s*["']([^"']+)["'](?:\s*,\s*version\s*[:=]\s*["']([^"']+)["'])?"#,
    )
    .expect("valid regex")
});

/// Dependency configurations (the Java, Android and Kotlin plugins' names and their
/// source-set variants). `classpath` (the build script's own dependencies) is locked in a
/// separate `buildscript-gradle.lockfile` and not judged here.
fn is_gradle_configuration(name: &str) -> bool {
    const EXACT: [&str; 9] = [
        "implementation",
        "api",
        "compileOnly",
        "runtimeOnly",
        "annotationProcessor",
        "kapt",
        "ksp",
        "compile",
        "developmentOnly",
    ];
    const SUFFIXES: [&str; 5] = [
        "Implementation",
        "Api",
        "CompileOnly",
        "RuntimeOnly",
        "AnnotationProcessor",
    ];
    EXACT.contains(&name)
        || SUFFIXES
            .iter()
            .any(|s| name.len() > s.len() && name.ends_with(s))
}

/// `build.gradle` / `build.gradle.kts`: coordinates declared as strings, floating versions
/// (`1.+`, `latest.release`, ranges, `-SNAPSHOT`), and whether dependency locking is declared.
pub fn gradle(text: &str) -> Manifest {
    let mut m = manifest(Ecosystem::Gradle);
    let mut in_block_comment = false;
    // Inside `constraints { … }`: versions for modules that may never be resolved, so they are
    // neither dependencies nor in the lockfile. The brace depth the block closes at, if open.
    let mut constraints_until: Option<i64> = None;
    let mut depth: i64 = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if in_block_comment {
            in_block_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("/*") {
            in_block_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("//") {
            continue;
        }
        let opens_constraints = constraints_until.is_none()
            && line.starts_with("constraints")
            && line["constraints".len()..].trim_start().starts_with('{');
        if opens_constraints {
            constraints_until = Some(depth);
        }
        depth += braces(line);
        if let Some(until) = constraints_until {
            if depth <= until {
                constraints_until = None;
            }
            continue;
        }
        // The setting's name, not the line: facts never carry raw text they do not need.
        let setting = ["lockAllConfigurations", "dependencyLocking"]
            .into_iter()
            .find(|s| line.contains(s));
        if let Some(setting) = setting {
            m.lock_settings.push(Located {
                value: setting.to_owned(),
                line: line_number(i),
                column: None,
            });
        }
        // A catalog accessor is a dependency whose coordinates live in
        // `gradle/libs.versions.toml`: it needs locking like any other, and is kept under its
        // accessor name (no `:`), which `lockfile-in-sync` does not compare.
        if let Some(caps) = GRADLE_CATALOG.captures(line)
            && is_gradle_configuration(&caps[1])
        {
            m.dependencies.push(Dependency {
                name: caps[2].to_owned(),
                line: line_number(i),
            });
            continue;
        }
        let Some(caps) = GRADLE_STRING
            .captures(line)
            .or_else(|| GRADLE_MAP.captures(line))
        else {
            continue;
        };
        if !is_gradle_configuration(&caps[1]) {
            continue;
        }
        let name = format!("{}:{}", &caps[2], &caps[3]);
        // `1.2:classifier@ext`: the version ends at the classifier or the extension.
        let version = caps
            .get(4)
            .map(|v| v.as_str().split([':', '@']).next().unwrap_or(""));
        if let Some(v) = version.filter(|v| gradle_floats(v)) {
            m.floating.push(FloatingVersion {
                name: name.clone(),
                version: shown(v),
                line: line_number(i),
            });
        }
        m.dependencies.push(Dependency {
            name,
            line: line_number(i),
        });
    }
    m
}

/// `{` minus `}` on a line, outside string literals.
fn braces(line: &str) -> i64 {
    let mut balance = 0;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '{') => balance += 1,
            (None, '}') => balance -= 1,
            _ => {}
        }
    }
    balance
}

/// Gradle's dynamic versions (docs.gradle.org, "Declaring Versions and Ranges"); a version
/// built from a variable (`$kotlinVersion`) is not known here and not judged.
fn gradle_floats(version: &str) -> bool {
    !version.contains('$')
        && (version.ends_with('+')
            || version.starts_with("latest.")
            || version.ends_with("-SNAPSHOT")
            || is_maven_range(version)
            || (version.starts_with(']') && version.contains(',')))
}

// ---------------------------------------------------------------------------------------------
// Swift Package Manager

static SWIFT_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\burl\s*:\s*"([^"]+)""#).expect("valid regex"));
static SWIFT_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bid\s*:\s*"([^"]+)""#).expect("valid regex"));

/// `Package.swift`: the `.package(url: …)` and registry `.package(id: …)` dependencies, by the
/// identity SwiftPM gives them (the URL's last path component without `.git`, lower case).
/// `.package(path: …)` is a local package and is not locked.
pub fn swift_package(text: &str) -> Manifest {
    let mut m = manifest(Ecosystem::Swift);
    // Whole-line comments are blanked (same length, so offsets keep their lines).
    let code: String = text
        .split_inclusive('\n')
        .map(|l| {
            if l.trim_start().starts_with("//") {
                " ".repeat(l.len() - 1) + if l.ends_with('\n') { "\n" } else { " " }
            } else {
                l.to_owned()
            }
        })
        .collect();
    let newlines: Vec<usize> = code.match_indices('\n').map(|(i, _)| i).collect();
    // Calls do not nest, so the search resumes after each call: every byte is read once.
    let mut from = 0;
    while let Some(found) = code[from..].find(".package(") {
        let start = from + found;
        let args_start = start + ".package".len();
        let call = balanced_call(&code[args_start..]);
        from = args_start + call.len().max(1);
        let identity = SWIFT_URL
            .captures(call)
            .map(|c| swift_identity(&c[1]))
            .or_else(|| SWIFT_ID.captures(call).map(|c| c[1].to_ascii_lowercase()));
        if let Some(name) = identity {
            m.dependencies.push(Dependency {
                name,
                line: line_number(newlines.partition_point(|&nl| nl < start)),
            });
        }
    }
    m
}

/// A `.package(...)` call is a line or a few; the scan stops here so that a file of unclosed
/// calls costs linear time.
const MAX_CALL_BYTES: usize = 1024;

/// The text of a parenthesised argument list starting at `(`, up to its closing `)` (or
/// [`MAX_CALL_BYTES`]); string literals are skipped.
fn balanced_call(text: &str) -> &str {
    let mut end = text.len().min(MAX_CALL_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return &text[..=i];
                }
            }
            _ => {}
        }
    }
    text
}

/// SwiftPM's identity of a source-control package: the last path component of its URL,
/// without `.git`, in lower case.
pub fn swift_identity(url: &str) -> String {
    let last = url
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(url);
    last.strip_suffix(".git")
        .unwrap_or(last)
        .to_ascii_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Pipenv

/// Pipfile tables that are not package categories.
const PIPFILE_NON_CATEGORIES: [&str; 4] = ["source", "requires", "pipenv", "scripts"];

/// `Pipfile`: `[packages]`, `[dev-packages]` and custom package categories; a package with a
/// `path` is the local project (not a locked registry package).
pub fn pipfile(text: &str) -> Result<Manifest, String> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| ParseError::toml(&e, text).to_string())?;
    let mut m = manifest(Ecosystem::Python);
    m.tool = Some("pipenv".to_owned());
    for (category, table) in &doc {
        let Toml::Table(packages) = table else {
            continue;
        };
        if PIPFILE_NON_CATEGORIES.contains(&category.as_str()) {
            continue;
        }
        for (name, spec) in packages {
            if spec.get("path").is_some() {
                continue;
            }
            m.dependencies.push(Dependency {
                name: normalize_python(name),
                line: locate(text, &format!("[{category}]"), name),
            });
        }
    }
    // Tables come in name order; the file's order reads better.
    m.dependencies.sort_by_key(|d| d.line);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::manifest::dependency_lines;

    fn floating(m: &Manifest) -> Vec<(&str, &str)> {
        m.floating
            .iter()
            .map(|f| (f.name.as_str(), f.version.as_str()))
            .collect()
    }

    #[test]
    fn pom_ranges_snapshots_properties_and_enforcer() {
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>billing</artifactId>
  <version>1.4.0-SNAPSHOT</version>
  <modules><module>core</module></modules>
  <properties>
    <jackson.version>2.17.1</jackson.version>
    <guava.version>[33.0,)</guava.version>
    <netty.version>[4.1,4.2)</netty.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
      <version>${guava.version}</version>
    </dependency>
    <dependency>
      <groupId>com.acme</groupId>
      <artifactId>billing-core</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.example</groupId>
      <artifactId>client</artifactId>
      <version>2.0-SNAPSHOT</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>[2.0.13]</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <artifactId>maven-enforcer-plugin</artifactId>
        <version>3.5.0</version>
        <executions><execution><configuration><rules>
          <banDynamicVersions/>
        </rules></configuration></execution></executions>
      </plugin>
    </plugins>
  </build>
</project>
"#;
        let m = pom(text).unwrap();
        assert!(m.workspace_root);
        assert_eq!(m.dependencies.len(), 5);
        assert_eq!(
            floating(&m),
            vec![
                ("com.google.guava:guava", "[33.0,)"),
                ("org.example:client", "2.0-SNAPSHOT"),
                ("${netty.version}", "[4.1,4.2)"),
            ]
        );
        assert_eq!(m.floating[0].line, 19);
        assert_eq!(
            m.lock_settings[0].value,
            "maven-enforcer-plugin banDynamicVersions"
        );
        assert!(pom("<settings/>").unwrap_err().contains("not a Maven POM"));
        assert!(pom("<project><dependencies>").is_err());
    }

    #[test]
    fn dotnet_references_and_lock_properties() {
        let text = r#"<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
    <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
    <RestoreLockedMode Condition="'$(ContinuousIntegrationBuild)' == 'true'">true</RestoreLockedMode>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Serilog.AspNetCore" Version="8.0.2" />
    <PackageReference Update="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="Npgsql">
      <Version>8.0.3</Version>
    </PackageReference>
  </ItemGroup>
</Project>
"#;
        let m = dotnet_project(text).unwrap();
        assert_eq!(
            dependency_lines(&m),
            vec![("Serilog.AspNetCore", 8), ("Npgsql", 10)]
        );
        let settings: Vec<_> = m.lock_settings.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(
            settings,
            vec![
                "RestorePackagesWithLockFile=true",
                "RestoreLockedMode=true when '$(ContinuousIntegrationBuild)' == 'true'"
            ]
        );
        assert!(dotnet_project("<Project>").is_err());
        assert!(
            dotnet_project("<project/>")
                .unwrap_err()
                .contains("MSBuild")
        );
    }

    #[test]
    fn gradle_declarations_dynamic_versions_and_locking() {
        let text = r#"plugins {
    id("org.springframework.boot") version "3.3.1"
}

dependencyLocking {
    lockAllConfigurations()
}

dependencies {
    implementation(platform("org.springframework.boot:spring-boot-dependencies:3.3.1"))
    implementation("org.springframework.boot:spring-boot-starter-web")
    implementation("com.squareup.okhttp3:okhttp:4.+")
    runtimeOnly 'org.postgresql:postgresql:latest.release'
    testImplementation group: 'org.junit.jupiter', name: 'junit-jupiter', version: '[5.10,6.0)'
    // implementation("commented:out:1.+")
    implementation("io.micrometer:micrometer-core:$micrometerVersion")
    implementation(libs.guava)
    testImplementation(libs.bundles.kotest)
    implementation(project(":core"))
    constraints {
        implementation("org.apache.commons:commons-text:1.12.0") {
            because("CVE-2022-42889")
        }
    }
    api("org.slf4j:slf4j-api:2.0.13")
}
"#;
        let m = gradle(text);
        assert_eq!(
            dependency_lines(&m),
            vec![
                ("org.springframework.boot:spring-boot-dependencies", 10),
                ("org.springframework.boot:spring-boot-starter-web", 11),
                ("com.squareup.okhttp3:okhttp", 12),
                ("org.postgresql:postgresql", 13),
                ("org.junit.jupiter:junit-jupiter", 14),
                ("io.micrometer:micrometer-core", 16),
                ("libs.guava", 17),
                ("libs.bundles.kotest", 18),
                ("org.slf4j:slf4j-api", 25),
            ]
        );
        assert_eq!(
            floating(&m),
            vec![
                ("com.squareup.okhttp3:okhttp", "4.+"),
                ("org.postgresql:postgresql", "latest.release"),
                ("org.junit.jupiter:junit-jupiter", "[5.10,6.0)"),
            ]
        );
        assert_eq!(m.lock_settings.len(), 2);
    }

    #[test]
    fn swift_package_identities() {
        let text = r#"// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "Server",
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.99.0"),
        .package(
            url: "https://github.com/apple/swift-nio",
            exact: "2.65.0"
        ),
        // .package(url: "https://github.com/old/Gone.git", from: "1.0.0"),
        .package(id: "Mona.LinkedList", from: "1.0.0"),
        .package(path: "../Shared"),
    ],
    targets: [.target(name: "App", dependencies: [.product(name: "Vapor", package: "vapor")])]
)
"#;
        let m = swift_package(text);
        assert_eq!(
            dependency_lines(&m),
            vec![("vapor", 7), ("swift-nio", 8), ("mona.linkedlist", 13)]
        );
        assert_eq!(
            swift_identity("git@github.com:pointfreeco/swift-tagged.git"),
            "swift-tagged"
        );
    }

    #[test]
    fn hostile_build_files_cost_bounded_time() {
        // Unclosed calls: each scan stops after a few kilobytes.
        let unclosed = ".package(url: \"https://x/y\",".repeat(200_000);
        let started = std::time::Instant::now();
        assert!(!swift_package(&unclosed).dependencies.is_empty());
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        // A property that doubles on every expansion is given up, not expanded.
        let doubling = "<project><groupId>g</groupId><properties><a>${b}${b}</a><b>${a}${a}</b></properties><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>${a}</version></dependency></dependencies></project>";
        assert!(pom(doubling).unwrap().floating.is_empty());
    }

    #[test]
    fn pipfile_categories() {
        let text = "[[source]]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\nname = \"pypi\"\n\n[packages]\nDjango = \"~=5.0\"\ngunicorn = \"*\"\nmyapp = {path = \".\", editable = true}\n\n[dev-packages]\npytest = \"*\"\n\n[requires]\npython_version = \"3.12\"\n";
        let m = pipfile(text).unwrap();
        assert_eq!(m.tool.as_deref(), Some("pipenv"));
        assert_eq!(
            dependency_lines(&m),
            vec![("django", 7), ("gunicorn", 8), ("pytest", 12)]
        );
        assert!(pipfile("[packages\n").is_err());
    }

    /// Arbitrary text never panics any of these readers (an error names the cause instead).
    mod arbitrary_input {
        use proptest::prelude::*;

        const MANIFESTS: [&str; 6] = [
            "pom.xml",
            "Api.csproj",
            "Directory.Build.props",
            "build.gradle.kts",
            "Package.swift",
            "Pipfile",
        ];
        const LOCKFILES: [&str; 5] = [
            "Pipfile.lock",
            "packages.lock.json",
            "gradle.lockfile",
            "gradle/verification-metadata.xml",
            "Package.resolved",
        ];

        proptest! {
            #[test]
            fn readers_never_panic(
                pick in 0usize..11,
                text in r#"(<[a-zA-Z]{0,8}( [a-z]="[^"]{0,6}")?/?>|</[a-z]{0,8}>|[{}\[\]":,=.+()]|\$\{[a-z.]{0,6}\}|[a-z0-9 \n-]{0,12}|&[a-z#0-9]{0,5};){0,60}"#,
            ) {
                if pick < MANIFESTS.len() {
                    let _ = crate::parse::manifest::parse(MANIFESTS[pick], &text);
                } else {
                    let _ = crate::parse::lockfile::parse(LOCKFILES[pick - MANIFESTS.len()], &text);
                }
            }
        }
    }
}
