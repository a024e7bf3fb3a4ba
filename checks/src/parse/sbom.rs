//! Committed SBOMs: CycloneDX JSON (validated with the `cyclonedx-bom` crate) and SPDX JSON
//! (the required document fields checked after a serde parse).
//!
//! A file that is not JSON, or is neither format, is unreadable (`Err`). A document that is one
//! of the formats but breaks its rules is read, with its problems listed, so `sbom-valid` can
//! fail it with the reasons.

use cyclonedx_bom::models::bom::Bom;
use cyclonedx_bom::validation::{Validate, ValidationErrorsKind, ValidationResult};
use serde::Deserialize;
use serde_json::Value;

use crate::facts::repo::{Sbom, SbomFormat};
use crate::redact::{ParseError, bounded_reason};

pub fn parse(path: &str, text: &str) -> Result<Sbom, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ParseError::json(&e).to_string())?;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return cyclonedx(path, doc);
    }
    if doc.get("spdxVersion").is_some() {
        return Ok(spdx(path, doc));
    }
    Err("neither a CycloneDX (`bomFormat`) nor an SPDX (`spdxVersion`) JSON document".to_owned())
}

/// The CycloneDX versions `cyclonedx-bom` 0.8 parses and validates.
const SUPPORTED_CYCLONEDX: [&str; 3] = ["1.3", "1.4", "1.5"];

fn cyclonedx(path: &str, doc: Value) -> Result<Sbom, String> {
    let mut sbom = Sbom {
        path: path.to_owned(),
        format: SbomFormat::CycloneDx,
        spec_version: doc
            .get("specVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        ..Sbom::default()
    };
    let mut names = Vec::new();
    collect_cyclonedx_components(doc.get("components"), &mut names);
    names.sort();
    names.dedup();
    sbom.components = names;
    match doc.get("specVersion") {
        Some(Value::String(v)) if SUPPORTED_CYCLONEDX.contains(&v.as_str()) => {}
        // A version the validator does not know cannot be proven valid: unreadable, so the
        // checks report `error` rather than guess.
        Some(Value::String(v)) => {
            return Err(format!(
                "CycloneDX spec version {v} is not supported by the validator (1.3 to 1.5)"
            ));
        }
        Some(_) => {
            sbom.problems
                .push("specVersion: must be a string such as \"1.5\"".to_owned());
            return Ok(sbom);
        }
        None => {
            sbom.problems.push("specVersion: missing".to_owned());
            return Ok(sbom);
        }
    }
    match Bom::parse_json_value(doc) {
        Ok(bom) => sbom.problems = validation_problems(&bom),
        Err(e) => sbom.problems.push(format!(
            "does not follow the CycloneDX schema: {}",
            bounded_reason(&e.to_string())
        )),
    }
    Ok(sbom)
}

fn validation_problems(bom: &Bom) -> Vec<String> {
    // The validator is third-party code: a panic on odd input must not abort the scan.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bom.validate()));
    let Ok(result) = result else {
        return vec!["the CycloneDX validator crashed on this document".to_owned()];
    };
    let mut out = Vec::new();
    flatten("", result, &mut out);
    out
}

fn flatten(prefix: &str, result: ValidationResult, out: &mut Vec<String>) {
    for (field, kind) in result.errors() {
        let here = if prefix.is_empty() {
            field
        } else if field.is_empty() || field == "inner" {
            // The crate names a wrapped list `inner`: `components[0]` reads better.
            prefix.to_owned()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Struct(nested) => flatten(&here, nested, out),
            ValidationErrorsKind::List(items) => {
                for (index, nested) in items {
                    flatten(&format!("{here}[{index}]"), nested, out);
                }
            }
            ValidationErrorsKind::Field(errors) | ValidationErrorsKind::Custom(errors) => {
                out.extend(errors.into_iter().map(|e| format!("{here}: {}", e.message)));
            }
            ValidationErrorsKind::Enum(e) => out.push(format!("{here}: {}", e.message)),
        }
    }
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

/// The SPDX 2.x JSON document fields every document must carry.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDocument {
    spdx_version: Option<Value>,
    data_license: Option<Value>,
    #[serde(rename = "SPDXID")]
    spdx_id: Option<Value>,
    name: Option<Value>,
    document_namespace: Option<Value>,
    creation_info: Option<SpdxCreationInfo>,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
}

#[derive(Deserialize)]
struct SpdxCreationInfo {
    created: Option<Value>,
    creators: Option<Value>,
}

#[derive(Deserialize)]
struct SpdxPackage {
    name: Option<String>,
}

fn spdx(path: &str, doc: Value) -> Sbom {
    let mut sbom = Sbom {
        path: path.to_owned(),
        format: SbomFormat::Spdx,
        spec_version: doc
            .get("spdxVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        ..Sbom::default()
    };
    let parsed: SpdxDocument = match serde_json::from_value(doc) {
        Ok(d) => d,
        Err(e) => {
            sbom.problems.push(format!(
                "does not follow the SPDX JSON schema: {}",
                bounded_reason(&e.to_string())
            ));
            return sbom;
        }
    };
    sbom.problems = spdx_problems(&parsed);
    let mut names: Vec<String> = parsed.packages.into_iter().filter_map(|p| p.name).collect();
    names.sort();
    names.dedup();
    sbom.components = names;
    sbom
}

fn spdx_problems(d: &SpdxDocument) -> Vec<String> {
    let text = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_owned);
    let mut problems = Vec::new();
    match text(&d.spdx_version) {
        Some(v) if v.starts_with("SPDX-2.") => {}
        Some(v) => problems.push(format!("spdxVersion: `{v}` is not an SPDX 2.x version")),
        None => problems.push("spdxVersion: missing".to_owned()),
    }
    if text(&d.data_license).as_deref() != Some("CC0-1.0") {
        problems.push("dataLicense: must be `CC0-1.0`".to_owned());
    }
    if text(&d.spdx_id).as_deref() != Some("SPDXRef-DOCUMENT") {
        problems.push("SPDXID: must be `SPDXRef-DOCUMENT`".to_owned());
    }
    if text(&d.name).is_none_or(|n| n.trim().is_empty()) {
        problems.push("name: missing".to_owned());
    }
    if text(&d.document_namespace).is_none_or(|n| !n.contains("://")) {
        problems.push("documentNamespace: missing or not a URI".to_owned());
    }
    match &d.creation_info {
        None => problems.push("creationInfo: missing".to_owned()),
        Some(info) => {
            if text(&info.created).is_none() {
                problems.push("creationInfo.created: missing".to_owned());
            }
            let has_creator = info
                .creators
                .as_ref()
                .and_then(Value::as_array)
                .is_some_and(|c| !c.is_empty());
            if !has_creator {
                problems.push("creationInfo.creators: missing or empty".to_owned());
            }
        }
    }
    problems
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

    #[test]
    fn valid_cyclonedx_lists_components() {
        let sbom = parse("sbom/web.cdx.json", CDX).unwrap();
        assert_eq!(sbom.format, SbomFormat::CycloneDx);
        assert_eq!(sbom.spec_version, "1.5");
        assert_eq!(sbom.components, ["@babel/core", "react"]);
        assert!(sbom.problems.is_empty(), "{:?}", sbom.problems);
    }

    #[test]
    fn invalid_cyclonedx_has_problems() {
        let bad = CDX.replace("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "not-a-urn");
        let sbom = parse("bom.json", &bad).unwrap();
        assert!(!sbom.problems.is_empty());
        let wrong_shape = CDX.replace("\"version\": 1,", "\"version\": \"one\",");
        assert!(!parse("bom.json", &wrong_shape).unwrap().problems.is_empty());
        let future = CDX.replace("\"1.5\"", "\"9.9\"");
        assert!(parse("bom.json", &future).is_err());
        let numeric = CDX.replace("\"1.5\"", "1.5");
        let problems = parse("bom.json", &numeric).unwrap().problems;
        assert_eq!(problems, ["specVersion: must be a string such as \"1.5\""]);
        let bad_purl = CDX.replace("pkg:npm/react@18.3.1", "react");
        let problems = parse("bom.json", &bad_purl).unwrap().problems;
        assert!(
            problems[0].starts_with("components[0].purl: "),
            "{problems:?}"
        );
        assert!(parse("bom.json", "{\"a\": 1}").is_err());
        assert!(parse("bom.json", "{").is_err());
    }

    #[test]
    fn spdx_required_fields() {
        let good = r#"{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
            "name": "api", "documentNamespace": "https://example.com/spdx/api-1",
            "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: syft"]},
            "packages": [{"name": "serde", "SPDXID": "SPDXRef-serde"}]}"#;
        let sbom = parse("api.spdx.json", good).unwrap();
        assert!(sbom.problems.is_empty(), "{:?}", sbom.problems);
        assert_eq!(sbom.components, ["serde"]);
        let bad = r#"{"spdxVersion": "SPDX-2.3", "name": "api"}"#;
        let problems = parse("api.spdx.json", bad).unwrap().problems;
        assert_eq!(problems.len(), 4, "{problems:?}");
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
