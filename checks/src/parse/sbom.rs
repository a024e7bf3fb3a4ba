//! Committed SBOMs: CycloneDX JSON 1.2 to 1.7 and SPDX 2.2/2.3 JSON, validated against the
//! official JSON schemas vendored in `checks/schemas/` (see its README for origin and licence).
//!
//! A JSON document that does not declare itself an SBOM (`bomFormat: CycloneDX`, `spdxVersion`)
//! is not one: `Ok(None)`, no error (a hardware parts list named `bom.json`). A file that is not
//! JSON, or declares a spec version no vendored schema covers, is unreadable (`Err`). A document
//! that breaks its schema is read, with its problems listed, so `sbom-valid` can fail it.

use std::sync::OnceLock;

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;

use crate::facts::repo::{Sbom, SbomFormat};
use crate::redact::ParseError;

/// At most this many schema problems are listed per document (the rest are counted).
const MAX_PROBLEMS: usize = 20;
/// A problem longer than this is cut: schema messages can quote whole objects.
const MAX_PROBLEM_CHARS: usize = 240;

pub fn parse(path: &str, text: &str) -> Result<Option<Sbom>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ParseError::json(&e).to_string())?;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return cyclonedx(path, &doc).map(Some);
    }
    if doc.get("spdxVersion").is_some() {
        return spdx(path, &doc).map(Some);
    }
    Ok(None)
}

/// The vendored CycloneDX schemas, by the file name their `$ref`s use.
const CYCLONEDX_SCHEMAS: [(&str, &str); 9] = [
    (
        "bom-1.2.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/bom-1.2.SNAPSHOT.schema.json"),
    ),
    (
        "bom-1.3.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/bom-1.3.SNAPSHOT.schema.json"),
    ),
    (
        "bom-1.4.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/bom-1.4.SNAPSHOT.schema.json"),
    ),
    (
        "bom-1.5.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/bom-1.5.SNAPSHOT.schema.json"),
    ),
    (
        "bom-1.6.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/bom-1.6.SNAPSHOT.schema.json"),
    ),
    (
        "bom-1.7.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/bom-1.7.SNAPSHOT.schema.json"),
    ),
    (
        "spdx.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/spdx.SNAPSHOT.schema.json"),
    ),
    (
        "jsf-0.82.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/jsf-0.82.SNAPSHOT.schema.json"),
    ),
    (
        "cryptography-defs.SNAPSHOT.schema.json",
        include_str!("../../schemas/cyclonedx/cryptography-defs.SNAPSHOT.schema.json"),
    ),
];

const SPDX_2_3_SCHEMA: &str = include_str!("../../schemas/spdx/spdx-2.3.schema.json");

/// The CycloneDX spec versions a vendored schema covers.
const CYCLONEDX_VERSIONS: [&str; 6] = ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"];

/// Resolves the schemas' `$ref`s to the vendored copies; anything else is refused (no network).
struct Vendored;

impl Retrieve for Vendored {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.path().as_str().rsplit('/').next().unwrap_or_default();
        let text = CYCLONEDX_SCHEMAS
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, text)| *text)
            .ok_or_else(|| format!("{uri} is not a vendored schema"))?;
        Ok(serde_json::from_str(text)?)
    }
}

/// Compiles a vendored schema once per process. A vendored schema that does not compile is a
/// build defect, reported as an unreadable SBOM rather than a panic.
fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(Vendored)
        .build(schema)
        .map_err(|e| format!("the vendored schema does not compile: {e}"))
}

fn cyclonedx_validator(version: &str) -> Result<&'static Validator, String> {
    static CACHE: [OnceLock<Result<Validator, String>>; 6] = [const { OnceLock::new() }; 6];
    let index = CYCLONEDX_VERSIONS
        .iter()
        .position(|v| *v == version)
        .ok_or_else(|| {
            format!("CycloneDX spec version {version} has no vendored schema (1.2 to 1.7)")
        })?;
    let compiled = CACHE[index].get_or_init(|| {
        let file = format!("bom-{version}.SNAPSHOT.schema.json");
        let text = CYCLONEDX_SCHEMAS
            .iter()
            .find(|(name, _)| *name == file)
            .map(|(_, text)| *text)
            .unwrap_or_default();
        let schema: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        compile(&schema)
    });
    compiled.as_ref().map_err(Clone::clone)
}

/// The SPDX 2.3 schema, and the 2.2 variant: the same schema with the element `required` lists
/// of the official 2.2 schema (packages, files and snippets required the licence and copyright
/// fields; files no checksums, snippets no ranges).
fn spdx_validator(version: &str) -> Result<&'static Validator, String> {
    static V2_3: OnceLock<Result<Validator, String>> = OnceLock::new();
    static V2_2: OnceLock<Result<Validator, String>> = OnceLock::new();
    let (cell, patch) = match version {
        "SPDX-2.3" => (&V2_3, false),
        "SPDX-2.2" => (&V2_2, true),
        other => {
            return Err(format!(
                "SPDX version {other} has no vendored schema (SPDX-2.2, SPDX-2.3)"
            ));
        }
    };
    let compiled = cell.get_or_init(|| {
        let mut schema: Value = serde_json::from_str(SPDX_2_3_SCHEMA).map_err(|e| e.to_string())?;
        if patch {
            as_spdx_2_2(&mut schema);
        }
        compile(&schema)
    });
    compiled.as_ref().map_err(Clone::clone)
}

fn as_spdx_2_2(schema: &mut Value) {
    let lists: [(&str, &[&str]); 3] = [
        (
            "packages",
            &[
                "SPDXID",
                "name",
                "downloadLocation",
                "licenseConcluded",
                "licenseDeclared",
                "copyrightText",
            ],
        ),
        (
            "files",
            &["SPDXID", "fileName", "licenseConcluded", "copyrightText"],
        ),
        (
            "snippets",
            &[
                "SPDXID",
                "name",
                "snippetFromFile",
                "licenseConcluded",
                "copyrightText",
            ],
        ),
    ];
    for (element, required) in lists {
        if let Some(slot) = schema.pointer_mut(&format!("/properties/{element}/items/required")) {
            *slot = Value::from(required.to_vec());
        }
    }
}

fn cyclonedx(path: &str, doc: &Value) -> Result<Sbom, String> {
    let mut sbom = Sbom {
        path: path.to_owned(),
        format: SbomFormat::CycloneDx,
        spec_version: text_of(doc, "specVersion"),
        components: cyclonedx_components(doc),
        problems: Vec::new(),
    };
    match doc.get("specVersion") {
        Some(Value::String(version)) => {
            sbom.problems = schema_problems(cyclonedx_validator(version)?, doc);
            purl_problems("components", doc.get("components"), &mut sbom.problems);
        }
        Some(_) => sbom
            .problems
            .push("specVersion: must be a string such as \"1.6\"".to_owned()),
        None => sbom.problems.push("specVersion: missing".to_owned()),
    }
    Ok(sbom)
}

fn spdx(path: &str, doc: &Value) -> Result<Sbom, String> {
    let mut sbom = Sbom {
        path: path.to_owned(),
        format: SbomFormat::Spdx,
        spec_version: text_of(doc, "spdxVersion"),
        components: spdx_packages(doc),
        problems: Vec::new(),
    };
    match doc.get("spdxVersion").and_then(Value::as_str) {
        Some(version) if version.starts_with("SPDX-") => {
            sbom.problems = schema_problems(spdx_validator(version)?, doc);
            sbom.problems.extend(spdx_value_problems(doc));
        }
        Some(_) => sbom
            .problems
            .push("spdxVersion: not an SPDX version such as \"SPDX-2.3\"".to_owned()),
        None => sbom
            .problems
            .push("spdxVersion: must be a string such as \"SPDX-2.3\"".to_owned()),
    }
    Ok(sbom)
}

fn text_of(doc: &Value, key: &str) -> String {
    doc.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Every schema violation as `where: what`, the first [`MAX_PROBLEMS`] of them.
fn schema_problems(validator: &Validator, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut more = 0usize;
    for error in validator.iter_errors(doc) {
        if problems.len() == MAX_PROBLEMS {
            more += 1;
            continue;
        }
        let place = readable_path(&error.instance_path().to_string());
        problems.push(cut(&format!("{place}: {error}")));
    }
    if more > 0 {
        problems.push(format!("… and {more} more schema violations"));
    }
    problems
}

/// `/components/0/purl` → `components[0].purl`; the root is `document`.
fn readable_path(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if token.parse::<usize>().is_ok() {
            out.push('[');
            out.push_str(&token);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    if out.is_empty() {
        "document".to_owned()
    } else {
        out
    }
}

fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_PROBLEM_CHARS {
        return text.to_owned();
    }
    let kept: String = text.chars().take(MAX_PROBLEM_CHARS).collect();
    format!("{kept}…")
}

/// A `purl` that is not a package URL (`pkg:TYPE/NAME`): the schema only asks for a string, the
/// specification for a purl, and consumers match vulnerabilities by it.
fn purl_problems(prefix: &str, components: Option<&Value>, out: &mut Vec<String>) {
    let Some(Value::Array(components)) = components else {
        return;
    };
    for (index, c) in components.iter().enumerate() {
        let here = format!("{prefix}[{index}]");
        if let Some(purl) = c.get("purl").and_then(Value::as_str)
            && purl_name(purl).is_none()
        {
            out.push(format!(
                "{here}.purl: not a package URL (pkg:TYPE/NAME@VERSION)"
            ));
        }
        purl_problems(&format!("{here}.components"), c.get("components"), out);
    }
}

/// What the SPDX specification fixes and its schema leaves to free text.
fn spdx_value_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let value = |key: &str| doc.get(key).and_then(Value::as_str);
    if value("dataLicense").is_some_and(|l| l != "CC0-1.0") {
        problems.push("dataLicense: must be `CC0-1.0`".to_owned());
    }
    if value("SPDXID").is_some_and(|id| id != "SPDXRef-DOCUMENT") {
        problems.push("SPDXID: must be `SPDXRef-DOCUMENT`".to_owned());
    }
    if value("documentNamespace").is_some_and(|n| !n.contains("://")) {
        problems.push("documentNamespace: not a URI".to_owned());
    }
    problems
}

fn cyclonedx_components(doc: &Value) -> Vec<String> {
    let mut names = Vec::new();
    collect_cyclonedx_components(doc.get("components"), &mut names);
    names.sort();
    names.dedup();
    names
}

fn spdx_packages(doc: &Value) -> Vec<String> {
    let mut names: Vec<String> = doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Component names, nested components included. The purl's namespace is kept where it is part
/// of the ecosystem's package name (`@babel/core`, `github.com/a/b`, `monolog/monolog`).
fn collect_cyclonedx_components(components: Option<&Value>, out: &mut Vec<String>) {
    let Some(Value::Array(components)) = components else {
        return;
    };
    for c in components {
        let from_purl = c.get("purl").and_then(Value::as_str).and_then(purl_name);
        let from_fields = c.get("name").and_then(Value::as_str).map(|name| {
            match c.get("group").and_then(Value::as_str) {
                Some(group) if group.starts_with('@') => format!("{group}/{name}"),
                _ => name.to_owned(),
            }
        });
        out.extend(from_purl.or(from_fields));
        collect_cyclonedx_components(c.get("components"), out);
    }
}

/// `pkg:npm/%40babel/core@7.0.0` → `@babel/core`; `pkg:cargo/serde@1` → `serde`.
fn purl_name(purl: &str) -> Option<String> {
    let rest = purl.strip_prefix("pkg:")?;
    let (kind, path) = rest.split_once('/')?;
    let path = path.split(['@', '?', '#']).next()?;
    let path = path
        .replace("%40", "@")
        .replace("%2F", "/")
        .replace("%2f", "/");
    let keeps_namespace = matches!(kind, "npm" | "golang" | "composer");
    let name = if keeps_namespace {
        path
    } else {
        path.rsplit('/').next()?.to_owned()
    };
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDX: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "version": 1,
  "components": [
    {"type": "library", "name": "react", "version": "18.3.1", "purl": "pkg:npm/react@18.3.1"},
    {"type": "library", "group": "@babel", "name": "core", "version": "7.24.0"}
  ]
}"#;

    fn sbom(text: &str) -> Sbom {
        parse("bom.json", text).unwrap().expect("an SBOM")
    }

    #[test]
    fn valid_cyclonedx_lists_components() {
        let sbom = sbom(CDX);
        assert_eq!(sbom.format, SbomFormat::CycloneDx);
        assert_eq!(sbom.spec_version, "1.5");
        assert_eq!(sbom.components, ["@babel/core", "react"]);
        assert!(sbom.problems.is_empty(), "{:?}", sbom.problems);
    }

    #[test]
    fn every_vendored_cyclonedx_version_validates() {
        for version in CYCLONEDX_VERSIONS {
            let doc = CDX.replace("\"1.5\"", &format!("\"{version}\""));
            let problems = sbom(&doc).problems;
            assert!(problems.is_empty(), "{version}: {problems:?}");
            let bad = doc.replace(
                "\"library\", \"name\": \"react\"",
                "\"gadget\", \"name\": \"react\"",
            );
            assert!(
                !sbom(&bad).problems.is_empty(),
                "{version} accepts a bad type"
            );
        }
    }

    #[test]
    fn invalid_cyclonedx_has_problems() {
        let bad = CDX.replace("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "not-a-urn");
        let problems = sbom(&bad).problems;
        assert!(problems[0].starts_with("serialNumber: "), "{problems:?}");
        let wrong_shape = CDX.replace("\"version\": 1,", "\"version\": \"one\",");
        assert!(sbom(&wrong_shape).problems[0].starts_with("version: "));
        let future = CDX.replace("\"1.5\"", "\"9.9\"");
        let err = parse("bom.json", &future).unwrap_err();
        assert!(err.contains("9.9 has no vendored schema"), "{err}");
        let numeric = CDX.replace("\"1.5\"", "1.5");
        assert_eq!(
            sbom(&numeric).problems,
            ["specVersion: must be a string such as \"1.6\""]
        );
        let bad_purl = CDX.replace("pkg:npm/react@18.3.1", "react");
        let problems = sbom(&bad_purl).problems;
        assert_eq!(
            problems,
            ["components[0].purl: not a package URL (pkg:TYPE/NAME@VERSION)"]
        );
        assert!(parse("bom.json", "{").is_err());
    }

    #[test]
    fn json_that_does_not_declare_an_sbom_is_ignored() {
        let parts_list =
            r#"{"board": "rev-c", "parts": [{"ref": "R1", "value": "10k", "qty": 4}]}"#;
        assert_eq!(parse("hardware/bom.json", parts_list), Ok(None));
        assert_eq!(parse("bom.json", r#"{"bomFormat": "Gerber"}"#), Ok(None));
        // Near miss: a CycloneDX declaration without a version is an SBOM, and invalid.
        let no_version = sbom(r#"{"bomFormat": "CycloneDX"}"#);
        assert_eq!(no_version.problems, ["specVersion: missing"]);
    }

    #[test]
    fn many_problems_are_capped_and_cut() {
        let components: Vec<String> = (0..30)
            .map(|i| format!(r#"{{"type": "gadget{i}", "name": "n{i}"}}"#))
            .collect();
        let doc = CDX.replace(
            r#""components": ["#,
            &format!(r#""components": [{},"#, components.join(",")),
        );
        let problems = sbom(&doc).problems;
        assert_eq!(problems.len(), MAX_PROBLEMS + 1, "{problems:?}");
        assert!(problems.last().unwrap().contains("more schema violations"));
        assert!(
            problems
                .iter()
                .all(|p| p.chars().count() <= MAX_PROBLEM_CHARS + 1)
        );
    }

    const SPDX: &str = r#"{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "api", "documentNamespace": "https://example.com/spdx/api-1",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: syft"]},
        "packages": [{"name": "serde", "SPDXID": "SPDXRef-serde", "downloadLocation": "NOASSERTION"}]}"#;

    #[test]
    fn spdx_is_validated_by_its_schema() {
        let sbom = parse("api.spdx.json", SPDX).unwrap().unwrap();
        assert!(sbom.problems.is_empty(), "{:?}", sbom.problems);
        assert_eq!(sbom.components, ["serde"]);
        let bad = r#"{"spdxVersion": "SPDX-2.3", "name": "api"}"#;
        let problems = parse("api.spdx.json", bad).unwrap().unwrap().problems;
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems.iter().all(|p| p.starts_with("document: ")),
            "{problems:?}"
        );
        let wrong_license = SPDX.replace("CC0-1.0", "MIT");
        let problems = parse("a.spdx.json", &wrong_license)
            .unwrap()
            .unwrap()
            .problems;
        assert_eq!(problems, ["dataLicense: must be `CC0-1.0`"]);
        let old = SPDX.replace("SPDX-2.3", "SPDX-2.1");
        assert!(parse("a.spdx.json", &old).unwrap_err().contains("SPDX-2.1"));
    }

    #[test]
    fn spdx_2_2_requires_the_licensing_fields_2_3_relaxed() {
        let v22 = SPDX.replace("SPDX-2.3", "SPDX-2.2");
        let problems = parse("a.spdx.json", &v22).unwrap().unwrap().problems;
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems.iter().all(|p| p.starts_with("packages[0]: ")),
            "{problems:?}"
        );
        let complete = v22.replace(
            r#""downloadLocation": "NOASSERTION""#,
            r#""downloadLocation": "NOASSERTION", "licenseConcluded": "MIT", "licenseDeclared": "MIT", "copyrightText": "NOASSERTION""#,
        );
        let problems = parse("a.spdx.json", &complete).unwrap().unwrap().problems;
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn purl_names() {
        assert_eq!(
            purl_name("pkg:npm/%40babel/core@7").as_deref(),
            Some("@babel/core")
        );
        assert_eq!(purl_name("pkg:cargo/serde@1.0.0").as_deref(), Some("serde"));
        assert_eq!(
            purl_name("pkg:golang/github.com/a/b@v1").as_deref(),
            Some("github.com/a/b")
        );
        assert_eq!(purl_name("pkg:maven/org.x/lib@1").as_deref(), Some("lib"));
    }
}
