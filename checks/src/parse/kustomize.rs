//! Kustomizations (`kustomization.yaml`, `kustomization.yml`, `Kustomization`): not rendered.
//! What is kept is what the workload checks need to fail closed: the files and directories a
//! kustomization builds on (`resources`, `bases`, `components`) and every entry that may change
//! what they judge (`patches`, `patchesStrategicMerge`, `patchesJson6902`, `replacements`,
//! `transformers`, and `images` entries that do not pin a digest).
//!
//! Fields that only rename, label, annotate, set namespaces or replicas, or generate
//! ConfigMaps and Secrets (`namePrefix`, `nameSuffix`, `namespace`, `labels`, `commonLabels`,
//! `commonAnnotations`, `replicas`, `configMapGenerator`, `secretGenerator`) change nothing a
//! workload check judges and are not kept.

use serde_norway::Value;

use super::join_relative;
use crate::facts::kube::{Kustomization, KustomizeChange};

/// The file names kustomize reads as a kustomization in a directory.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub fn is_kustomization(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    FILE_NAMES.contains(&name)
}

/// Fields whose entries may change any field of the objects they reach.
const SPEC_CHANGING: [&str; 5] = [
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "transformers",
];

pub fn parse(path: &str, text: &str) -> Result<Kustomization, String> {
    let doc = super::yaml_value(text)?;
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut k = Kustomization {
        path: path.to_owned(),
        ..Kustomization::default()
    };
    if doc.is_null() {
        return Ok(k);
    }
    if !doc.is_mapping() {
        return Err("not a YAML mapping at the top level".to_owned());
    }
    let entries = |field: &str| -> Vec<&Value> {
        doc.get(field)
            .and_then(Value::as_sequence)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    };
    let resolved = |field: &str| -> Vec<String> {
        entries(field)
            .into_iter()
            .filter_map(Value::as_str)
            .filter(|r| !is_remote(r))
            .filter_map(|r| join_relative(dir, r))
            .collect()
    };
    k.resources = resolved("resources");
    k.resources.extend(resolved("bases"));
    k.components = resolved("components");
    // `patches: [{path: x.yaml}]`, `patchesJson6902: [{path: …}]`, `patchesStrategicMerge:
    // [x.yaml]` (an entry may also be an inline patch, which names no file).
    k.patch_files = ["patches", "patchesStrategicMerge", "patchesJson6902"]
        .into_iter()
        .flat_map(&entries)
        .filter_map(|entry| entry.get("path").and_then(Value::as_str).or(entry.as_str()))
        .filter(|f| !f.contains('\n') && !is_remote(f))
        .filter_map(|f| join_relative(dir, f))
        .collect();
    let lines = text.lines().collect::<Vec<_>>();
    for field in SPEC_CHANGING {
        let from = field_line(&lines, field);
        for (i, entry) in entries(field).into_iter().enumerate() {
            k.changes.push(KustomizeChange {
                field: field.to_owned(),
                line: entry_line(&lines, from, i),
                detail: describe(entry),
                image: None,
                kind: target_kind(entry),
            });
        }
        // `patches: patch.yaml` (a single string) is not valid kustomize; any other shape of
        // the field is kept as one change, never dropped.
        if let Some(v) = doc.get(field)
            && !v.is_sequence()
            && !v.is_null()
        {
            k.changes.push(KustomizeChange {
                field: field.to_owned(),
                line: from,
                detail: describe(v),
                image: None,
                kind: None,
            });
        }
    }
    let from = field_line(&lines, "images");
    k.changes
        .extend(image_changes("images", entries("images"), &lines, from));
    Ok(k)
}

/// Flux's `Kustomization` objects (`kustomize.toolkit.fluxcd.io`) in a manifest file: each
/// applies the directory `spec.path` (from the repository root) with its `spec.patches` and
/// `spec.images`, as a kustomization's `resources`, `patches` and `images` would. Documents that
/// are not one, or do not parse, give none (the manifest parse reports those).
pub fn flux(path: &str, text: &str) -> Vec<Kustomization> {
    use serde::Deserialize;
    let lines: Vec<&str> = text.lines().collect();
    // The fields sit under `spec:`, indented (the first such line of the file).
    let nested_line = |field: &str| {
        let probe = format!("{field}:");
        (lines
            .iter()
            .position(|l| l.trim_start().starts_with(&probe)))
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
    };
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let Ok(doc) = Value::deserialize(document) else {
            break;
        };
        let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        if !api.starts_with("kustomize.toolkit.fluxcd.io/") || kind != "Kustomization" {
            continue;
        }
        let Some(spec) = doc.get("spec") else {
            continue;
        };
        let mut k = Kustomization {
            path: path.to_owned(),
            ..Kustomization::default()
        };
        let dir = spec.get("path").and_then(Value::as_str).unwrap_or(".");
        k.resources.extend(join_relative("", dir));
        let entries = |field: &str| -> Vec<&Value> {
            (spec
                .get(field)
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten())
            .collect()
        };
        let from = nested_line("patches");
        for (i, entry) in entries("patches").into_iter().enumerate() {
            k.changes.push(KustomizeChange {
                field: "spec.patches".to_owned(),
                line: entry_line(&lines, from, i),
                detail: describe(entry),
                image: None,
                kind: target_kind(entry),
            });
        }
        let from = nested_line("images");
        k.changes.extend(image_changes(
            "spec.images",
            entries("images"),
            &lines,
            from,
        ));
        out.push(k);
    }
    out
}

/// `sha256:` and 64 lowercase hex digits.
fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// A remote resource (`https://…`, `github.com/org/repo//dir?ref=v1`, `git@…`): not in the
/// repository, so nothing of it is judged here.
fn is_remote(r: &str) -> bool {
    r.contains("://")
        || r.starts_with("git@")
        || r.contains("?ref=")
        || r.starts_with("github.com/")
}

/// The kind a patch's `target` (or a JSON 6902 patch's) selects, when it is one plain name;
/// kustomize reads selectors as regular expressions, so anything else may select any kind.
fn target_kind(entry: &Value) -> Option<String> {
    let kind = entry.get("target")?.get("kind")?.as_str()?;
    (!kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| kind.to_owned())
}

/// A short account of an entry: its scalar fields as written (`target` flattened), never a
/// patch body.
/// The changes the entries of an `images` list (`field`, its line `from`) make. An entry that
/// sets a digest pins the image, whatever it names: pinning is not made worse. Any other entry
/// (newTag, newName, tag suffix) changes which image runs.
fn image_changes(
    field: &str,
    images: Vec<&Value>,
    lines: &[&str],
    from: u32,
) -> impl Iterator<Item = KustomizeChange> {
    images
        .into_iter()
        .enumerate()
        .filter(|(_, entry)| {
            let digest = entry.get("digest").and_then(Value::as_str);
            !digest.is_some_and(is_sha256_digest)
        })
        .map(move |(i, entry)| KustomizeChange {
            field: field.to_owned(),
            line: entry_line(lines, from, i),
            detail: describe(entry),
            image: Some(
                entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            ),
            kind: None,
        })
}

fn describe(entry: &Value) -> String {
    match entry {
        // A file name; a one-line inline patch (JSON, `{…}`) is not quoted: it may hold a value.
        Value::String(s) if !s.contains(['\n', '{', '[', ' ']) => s.clone(),
        Value::String(_) => "an inline patch".to_owned(),
        Value::Mapping(m) => {
            let mut parts = Vec::new();
            for (k, v) in m {
                let Some(k) = k.as_str() else { continue };
                match v {
                    Value::String(s) if k != "patch" && !s.contains('\n') => {
                        parts.push(format!("{k}: {s}"));
                    }
                    Value::Number(n) => parts.push(format!("{k}: {n}")),
                    Value::Mapping(t) if k == "target" => {
                        let sel: Vec<String> = (t.iter())
                            .filter_map(|(k, v)| Some(format!("{}: {}", k.as_str()?, v.as_str()?)))
                            .collect();
                        parts.push(format!("target {{{}}}", sel.join(", ")));
                    }
                    _ if k == "patch" => parts.push("an inline patch".to_owned()),
                    _ => {}
                }
            }
            parts.join(", ")
        }
        _ => String::new(),
    }
}

/// The 1-based line of a top-level `field:`; 0 when not found.
fn field_line(lines: &[&str], field: &str) -> u32 {
    let probe = format!("{field}:");
    lines
        .iter()
        .position(|l| l.starts_with(&probe))
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

/// The line of the `index`-th `- ` item after the field's line (block style), else the field's.
fn entry_line(lines: &[&str], field: u32, index: usize) -> u32 {
    if field == 0 {
        return 0;
    }
    let start = field as usize;
    let mut seen = 0;
    let mut indent: Option<usize> = None;
    for (i, l) in lines.iter().enumerate().skip(start) {
        let trimmed = l.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let this = l.len() - trimmed.len();
        if this == 0 && !trimmed.starts_with('-') {
            break;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            let level = *indent.get_or_insert(this);
            if this == level {
                if seen == index {
                    return u32::try_from(i + 1).unwrap_or(u32::MAX);
                }
                seen += 1;
            }
        }
    }
    field
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVERLAY: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: prod-
resources:
  - ../../base
  - extra.yaml
  - https://github.com/acme/shared//deploy?ref=v1
components: [../../components/debug]
images:
  - name: ghcr.io/acme/api
    newTag: latest
  - name: ghcr.io/acme/worker
    digest: sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
patches:
  - target: {kind: Deployment, name: api}
    patch: |-
      - op: add
        path: /spec/template/spec/hostNetwork
        value: true
  - path: service-patch.yaml
    target:
      kind: Serv.*
patchesStrategicMerge:
  - security.yaml
"#;

    #[test]
    fn resources_components_and_changes_are_kept() {
        let k = parse("deploy/overlays/prod/kustomization.yaml", OVERLAY).unwrap();
        assert_eq!(
            k.resources,
            ["deploy/base", "deploy/overlays/prod/extra.yaml"]
        );
        assert_eq!(k.components, ["deploy/components/debug"]);
        let got: Vec<_> = (k.changes.iter())
            .map(|c| {
                (
                    c.field.as_str(),
                    c.line,
                    c.kind.as_deref(),
                    c.image.as_deref(),
                    c.detail.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "patches",
                    15,
                    Some("Deployment"),
                    None,
                    "target {kind: Deployment, name: api}, an inline patch"
                ),
                (
                    "patches",
                    20,
                    None,
                    None,
                    "path: service-patch.yaml, target {kind: Serv.*}"
                ),
                ("patchesStrategicMerge", 24, None, None, "security.yaml"),
                (
                    "images",
                    10,
                    None,
                    Some("ghcr.io/acme/api"),
                    "name: ghcr.io/acme/api, newTag: latest"
                ),
            ]
        );
        assert!(k.changes[0].changes_spec_of("Deployment"));
        assert!(!k.changes[0].changes_spec_of("DaemonSet"));
        assert!(k.changes[1].changes_spec_of("DaemonSet"));
        assert!(!k.changes[3].changes_spec_of("Deployment"));
        assert!(k.changes[3].changes_image("Deployment", "ghcr.io/acme/api"));
        assert!(!k.changes[3].changes_image("Deployment", "ghcr.io/acme/worker"));
    }

    #[test]
    fn a_kustomization_that_only_lists_and_labels_changes_nothing() {
        let k = parse(
            "deploy/kustomization.yml",
            "resources: [api.yaml]\nnamespace: prod\ncommonLabels: {team: a}\nnamePrefix: x-\n",
        )
        .unwrap();
        assert_eq!(k.resources, ["deploy/api.yaml"]);
        assert!(k.changes.is_empty());
        assert!(parse("Kustomization", "").unwrap().resources.is_empty());
        assert!(parse("kustomization.yaml", "resources: [\n").is_err());
        assert!(parse("kustomization.yaml", "- a\n").is_err());
        assert!(is_kustomization("a/Kustomization") && !is_kustomization("a/kustomize.yaml"));
    }

    #[test]
    fn flux_kustomizations_name_their_directory_and_changes() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps}\nspec:\n  path: ./apps/base\n  images:\n    - {name: ghcr.io/acme/api, newTag: latest}\n    - {name: ghcr.io/acme/web, digest: \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}\n  patches:\n    - target: {kind: Deployment}\n      patch: x\n";
        let found = flux("clusters/prod/apps.yaml", text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resources, ["apps/base"]);
        let changes: Vec<(&str, Option<&str>)> = (found[0].changes.iter())
            .map(|c| (c.field.as_str(), c.kind.as_deref()))
            .collect();
        assert_eq!(
            changes,
            [("spec.patches", Some("Deployment")), ("spec.images", None)]
        );
        assert!(flux("a.yaml", "apiVersion: apps/v1\nkind: Deployment\n").is_empty());
    }
}
