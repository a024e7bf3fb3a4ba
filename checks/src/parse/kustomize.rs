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

mod gitops;
pub use gitops::overlays as gitops_overlays;

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

/// The changes the entries of an `images` list (`field`, its line `from`) make: one per entry
/// that re-points an image (see [`repointed_image`]).
fn image_changes(
    field: &str,
    images: Vec<&Value>,
    lines: &[&str],
    from: u32,
) -> impl Iterator<Item = KustomizeChange> {
    let field = field.to_owned();
    let lines: Vec<u32> = (0..images.len())
        .map(|i| entry_line(lines, from, i))
        .collect();
    images
        .into_iter()
        .zip(lines)
        .filter_map(move |(entry, line)| {
            Some(KustomizeChange {
                field: field.clone(),
                line,
                image: Some(repointed_image(entry)?),
                detail: describe(entry),
                kind: None,
            })
        })
}

/// The image name an `images` entry re-points, or `None` when the entry sets a digest: it pins
/// the image, whatever it names, and pinning is not made worse. Any other entry (newTag,
/// newName, a tag suffix) changes which image runs. The entry is kustomize's mapping
/// (`{name, newName, newTag, digest}`) or Argo CD's string (`[name=]image[:tag|@digest]`).
fn repointed_image(entry: &Value) -> Option<String> {
    if let Some(written) = entry.as_str() {
        let (name, new) = written.split_once('=').unwrap_or((written, written));
        let digest = new.split_once('@').map(|(_, d)| d);
        return (!digest.is_some_and(is_sha256_digest)).then(|| without_tag(name).to_owned());
    }
    let digest = entry.get("digest").and_then(Value::as_str);
    let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
    (!digest.is_some_and(is_sha256_digest)).then(|| name.to_owned())
}

/// An image reference without its digest and tag (`registry:5000/app:1` -> `registry:5000/app`).
fn without_tag(image: &str) -> &str {
    let image = image.split_once('@').map_or(image, |(name, _)| name);
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => image,
    }
}

/// A short account of an entry: its scalar fields as written (`target` flattened), never a
/// patch body.
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
    fn an_image_entry_names_the_image_without_tag_or_digest() {
        assert_eq!(without_tag("registry:5000/app:1"), "registry:5000/app");
        assert_eq!(without_tag("registry:5000/app"), "registry:5000/app");
        assert_eq!(without_tag("app@sha256:00"), "app");
        let pinned = Value::String(format!("app=app@sha256:{}", "a".repeat(64)));
        assert_eq!(repointed_image(&pinned), None);
        let short = Value::String("app=app@sha256:abc".to_owned());
        assert_eq!(repointed_image(&short).as_deref(), Some("app"));
    }
}
