//! Docker Buildx bake files (`docker-bake.hcl`, `docker-bake.json` and their `.override`
//! variants): targets and groups, with the attributes that decide which Dockerfile stage a
//! target builds. Only literal values are kept; anything computed (variables, functions,
//! interpolation, matrices) is recorded as unresolved, never guessed.
//!
//! HCL is read with `hcl-rs`, whose parser refuses nesting deeper than 64 levels, so a hostile
//! file cannot overflow the stack; JSON files pass the shared nesting pre-check first.

use hcl::{Body, Expression};
use serde_json::Value;

use crate::facts::repo::{BakeFile, BakeGroup, BakeTarget};
use crate::redact::ParseError;

/// Attributes that decide what a target builds; a non-literal value of one is unresolved.
const DECIDING: &[&str] = &[
    "context",
    "dockerfile",
    "target",
    "inherits",
    "dockerfile-inline",
    "matrix",
];

/// Whether a file name is one bake reads by default or by `-f` (`docker-bake*.hcl|json`).
pub fn is_bake_file(lower_name: &str) -> bool {
    lower_name.starts_with("docker-bake")
        && (lower_name.ends_with(".hcl") || lower_name.ends_with(".json"))
}

pub fn parse(path: &str, text: &str) -> Result<BakeFile, String> {
    if path.to_ascii_lowercase().ends_with(".json") {
        return parse_json(path, text);
    }
    let body: Body = hcl::parse(text).map_err(|e| ParseError::hcl(&e).to_string())?;
    let mut file = BakeFile {
        path: path.to_owned(),
        ..BakeFile::default()
    };
    for block in body.blocks() {
        let Some(name) = block.labels().first().map(|l| l.as_str().to_owned()) else {
            continue;
        };
        match block.identifier() {
            "target" => {
                let mut t = BakeTarget {
                    line: line_of(text, "target", &name),
                    name,
                    ..BakeTarget::default()
                };
                for attr in block.body().attributes() {
                    let key = attr.key();
                    let value = attr.expr();
                    match key {
                        "context" => t.context = literal(value),
                        "dockerfile" => t.dockerfile = literal(value),
                        "target" => t.target = literal(value),
                        "inherits" => t.inherits = literal_list(value).unwrap_or_default(),
                        "args" => match value {
                            Expression::Object(args) => {
                                let keys: Vec<Option<String>> =
                                    args.keys().map(object_key).collect();
                                t.args_unresolved = keys.iter().any(Option::is_none);
                                t.args = keys.into_iter().flatten().collect();
                            }
                            _ => t.args_unresolved = true,
                        },
                        _ => {}
                    }
                    let resolved = match key {
                        "context" | "dockerfile" | "target" => literal(value).is_some(),
                        "inherits" => literal_list(value).is_some(),
                        // Any inline Dockerfile or matrix: what is built is not a file here.
                        _ => false,
                    };
                    if DECIDING.contains(&key) && !resolved {
                        t.unresolved.push(key.to_owned());
                    }
                }
                file.targets.push(t);
            }
            "group" => {
                let targets = block
                    .body()
                    .attributes()
                    .find(|a| a.key() == "targets")
                    .map(|a| literal_list(a.expr()));
                file.groups.push(BakeGroup {
                    name,
                    unresolved: matches!(targets, Some(None)),
                    targets: targets.flatten().unwrap_or_default(),
                });
            }
            _ => {}
        }
    }
    Ok(file)
}

/// An HCL object key as written (`RUNTIME` or `"RUNTIME"`); `None` when computed.
fn object_key(key: &hcl::ObjectKey) -> Option<String> {
    match key {
        hcl::ObjectKey::Identifier(id) => Some(id.as_str().to_owned()),
        hcl::ObjectKey::Expression(e) => literal(e),
        _ => None,
    }
}

fn literal(e: &Expression) -> Option<String> {
    match e {
        Expression::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn literal_list(e: &Expression) -> Option<Vec<String>> {
    match e {
        Expression::Array(items) => items.iter().map(literal).collect(),
        _ => None,
    }
}

/// The line of `target "name"` (or `target name`) in the text; 0 when not found.
fn line_of(text: &str, kind: &str, name: &str) -> u32 {
    let quoted = format!("\"{name}\"");
    text.lines()
        .position(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(kind)
                && words
                    .next()
                    .is_some_and(|w| w == quoted || w == name || w == format!("{quoted}{{"))
        })
        .and_then(|i| u32::try_from(i + 1).ok())
        .unwrap_or(0)
}

/// The JSON form: `{"target": {"name": {...}}, "group": {"name": {"targets": [...]}}}`.
fn parse_json(path: &str, text: &str) -> Result<BakeFile, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ParseError::json(&e).to_string())?;
    let mut file = BakeFile {
        path: path.to_owned(),
        ..BakeFile::default()
    };
    let string = |v: &Value| v.as_str().map(str::to_owned);
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    if let Some(targets) = doc.get("target").and_then(Value::as_object) {
        for (name, t) in targets {
            let mut target = BakeTarget {
                name: name.clone(),
                line: line_of_json(text, name),
                ..BakeTarget::default()
            };
            let Some(attrs) = t.as_object() else {
                target.unresolved.push("target".to_owned());
                file.targets.push(target);
                continue;
            };
            for (key, value) in attrs {
                let resolved = match key.as_str() {
                    "context" => {
                        target.context = string(value);
                        target.context.is_some()
                    }
                    "dockerfile" => {
                        target.dockerfile = string(value);
                        target.dockerfile.is_some()
                    }
                    "target" => {
                        target.target = string(value);
                        target.target.is_some()
                    }
                    "inherits" => {
                        target.inherits = strings(value).unwrap_or_default();
                        strings(value).is_some()
                    }
                    "args" => {
                        match value.as_object() {
                            Some(args) => target.args = args.keys().cloned().collect(),
                            None => target.args_unresolved = true,
                        }
                        true
                    }
                    _ => false,
                };
                // JSON values are literal, but `${VAR}` is still interpolated by bake.
                let interpolated = value.to_string().contains("${");
                if DECIDING.contains(&key.as_str()) && (!resolved || interpolated) {
                    target.unresolved.push(key.clone());
                }
            }
            file.targets.push(target);
        }
    }
    if let Some(groups) = doc.get("group").and_then(Value::as_object) {
        for (name, g) in groups {
            let targets = g.get("targets").map(strings);
            file.groups.push(BakeGroup {
                name: name.clone(),
                unresolved: matches!(targets, Some(None)),
                targets: targets.flatten().unwrap_or_default(),
            });
        }
    }
    Ok(file)
}

fn line_of_json(text: &str, name: &str) -> u32 {
    let quoted = format!("\"{name}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with(&quoted))
        .and_then(|i| u32::try_from(i + 1).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_are_kept_by_name_only() {
        let hcl = "target \"a\" {\n  args = { RUNTIME = \"node:20\", \"DB_PASSWORD\" = \"Wr0ngHorse_9\" }\n}\n\
                   target \"b\" {\n  args = var.ARGS\n}\n";
        let file = parse("docker-bake.hcl", hcl).unwrap();
        assert_eq!(file.targets[0].args, ["RUNTIME", "DB_PASSWORD"]);
        assert!(!file.targets[0].args_unresolved);
        assert!(file.targets[1].args_unresolved);
        assert!(!format!("{file:?}").contains("Wr0ngHorse"));
        let json =
            "{\"target\": {\"a\": {\"args\": {\"RUNTIME\": \"node:20\"}}, \"b\": {\"args\": 1}}}";
        let file = parse("docker-bake.json", json).unwrap();
        assert_eq!(file.targets[0].args, ["RUNTIME"]);
        assert!(file.targets[1].args_unresolved);
    }

    #[test]
    fn targets_groups_and_what_stays_unresolved() {
        let hcl = r#"
variable "GO_VERSION" { default = "1.26" }
group "validate" {
  targets = ["lint", "govulncheck"]
}
target "_common" {
  args = { GO_VERSION = GO_VERSION }
}
target "govulncheck" {
  inherits = ["_common"]
  dockerfile = "./hack/dockerfiles/govulncheck.Dockerfile"
  target = "output"
  output = ["${DESTDIR}"]
}
target "lint" {
  dockerfile = "${DIR}/lint.Dockerfile"
}
"#;
        let f = parse("docker-bake.hcl", hcl).unwrap();
        assert_eq!(f.groups[0].targets, ["lint", "govulncheck"]);
        let t = f.targets.iter().find(|t| t.name == "govulncheck").unwrap();
        assert_eq!(t.line, 9);
        assert_eq!(t.inherits, ["_common"]);
        assert_eq!(
            t.dockerfile.as_deref(),
            Some("./hack/dockerfiles/govulncheck.Dockerfile")
        );
        assert_eq!(t.target.as_deref(), Some("output"));
        assert!(t.unresolved.is_empty(), "{:?}", t.unresolved);
        let lint = f.targets.iter().find(|t| t.name == "lint").unwrap();
        assert_eq!(lint.dockerfile, None);
        assert_eq!(lint.unresolved, ["dockerfile"]);
        assert!(parse("docker-bake.hcl", "target \"x\" {").is_err());
        // Deep nesting is refused by the parser's own depth limit, not by overflowing the stack.
        let deep = format!(
            "target \"x\" {{\n  args = {}{}\n}}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse("docker-bake.hcl", &deep).is_err());
        // A malformed line's value (here a password no detector knows) is never quoted.
        for (name, text) in [
            (
                "docker-bake.hcl",
                "target \"x\" {\n  args = { DB_PASSWORD = \"Wr0ngHorse_9\" \n",
            ),
            (
                "docker-bake.json",
                "{\"target\": {\"x\": {\"args\": {\"DB_PASSWORD\": Wr0ngHorse_9}}}}",
            ),
        ] {
            let err = parse(name, text).unwrap_err();
            assert!(
                err.starts_with("invalid ") && !err.contains("Wr0ngHorse"),
                "{err}"
            );
        }
    }

    #[test]
    fn json_bake_files() {
        let json = r#"{"group": {"default": {"targets": ["scan"]}},
          "target": {"scan": {"dockerfile": "scan.Dockerfile", "target": "run"},
                     "x": {"target": "${T}"}}}"#;
        let f = parse("docker-bake.json", json).unwrap();
        let scan = f.targets.iter().find(|t| t.name == "scan").unwrap();
        assert_eq!(scan.target.as_deref(), Some("run"));
        assert!(scan.unresolved.is_empty());
        let x = f.targets.iter().find(|t| t.name == "x").unwrap();
        assert_eq!(x.unresolved, ["target"]);
        assert_eq!(f.groups[0].targets, ["scan"]);
    }
}
