//! GitOps controllers that kustomize a directory of the repository themselves, so that
//! directory's manifests are not deployed as written: Flux's `Kustomization` and Argo CD's
//! `Application` and `ApplicationSet`. Each becomes a [`Kustomization`] of that directory with
//! the changes it applies, exactly as a `kustomization.yaml` holding them would.

use serde_norway::Value;

use super::{describe, entry_line, image_changes, target_kind};
use crate::facts::kube::{Kustomization, KustomizeChange};
use crate::parse::join_relative;

/// The overlays the controllers in a manifest file apply:
/// - Flux (`kustomize.toolkit.fluxcd.io` `Kustomization`): the directory `spec.path` with
///   `spec.patches` and `spec.images`;
/// - Argo CD (`argoproj.io` `Application`, and the template of an `ApplicationSet`): each
///   source (`spec.source`, `spec.sources[]`) with a `path` and a `kustomize` block, with its
///   `patches`, `images` and `components`.
///
/// Paths are from the repository root (the controllers' sources are assumed to be this
/// repository). Documents that are neither, or do not parse, give none (the manifest parse
/// reports those).
pub fn overlays(path: &str, text: &str) -> Vec<Kustomization> {
    use serde::Deserialize;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let Ok(doc) = Value::deserialize(document) else {
            break;
        };
        let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        let spec = doc.get("spec");
        let file = Overlaid {
            path,
            lines: &lines,
        };
        match (api.split('/').next().unwrap_or(""), kind) {
            ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
                let Some(spec) = spec else { continue };
                let dir = spec.get("path").and_then(Value::as_str).unwrap_or(".");
                out.push(file.overlay(dir, spec, "spec"));
            }
            ("argoproj.io", "Application") => out.extend(file.argo_sources(spec, "spec")),
            ("argoproj.io", "ApplicationSet") => {
                let template = spec.and_then(|s| s.get("template")?.get("spec"));
                out.extend(file.argo_sources(template, "spec.template.spec"));
            }
            _ => {}
        }
    }
    out
}

/// The manifest file a controller is declared in.
struct Overlaid<'a> {
    path: &'a str,
    lines: &'a [&'a str],
}

impl Overlaid<'_> {
    /// The kustomized sources of an Argo CD application spec (`prefix` names it in messages).
    fn argo_sources(&self, spec: Option<&Value>, prefix: &str) -> Vec<Kustomization> {
        let Some(spec) = spec else {
            return Vec::new();
        };
        let single = spec.get("source").map(|s| (format!("{prefix}.source"), s));
        let many = (spec.get("sources").and_then(Value::as_sequence).into_iter())
            .flatten()
            .enumerate()
            .map(|(i, s)| (format!("{prefix}.sources[{i}]"), s));
        (single.into_iter().chain(many))
            .filter_map(|(name, source)| {
                let dir = literal_dir(source.get("path").and_then(Value::as_str)?);
                let options = source.get("kustomize")?;
                Some(self.overlay(dir, options, &format!("{name}.kustomize")))
            })
            .collect()
    }

    /// The kustomization of `dir` that `options` (`patches`, `images`, `components`) make.
    fn overlay(&self, dir: &str, options: &Value, prefix: &str) -> Kustomization {
        let mut k = Kustomization {
            path: self.path.to_owned(),
            ..Kustomization::default()
        };
        k.resources.extend(join_relative("", dir));
        k.components = (entries(options, "components").into_iter())
            .filter_map(Value::as_str)
            .filter_map(|c| join_relative(dir, c))
            .collect();
        // Flux `v1beta2` still takes the two older patch fields beside `patches`.
        for field in ["patches", "patchesStrategicMerge", "patchesJson6902"] {
            let from = self.nested_line(field);
            for (i, entry) in entries(options, field).into_iter().enumerate() {
                // A strategic-merge patch is a partial object: its own `kind` is the kind it
                // patches.
                let kind = match field {
                    "patchesStrategicMerge" => plain_kind(entry.get("kind")),
                    _ => target_kind(entry),
                };
                k.changes.push(KustomizeChange {
                    field: format!("{prefix}.{field}"),
                    line: entry_line(self.lines, from, i),
                    detail: describe(entry),
                    image: None,
                    kind,
                });
            }
        }
        let from = self.nested_line("images");
        let images = entries(options, "images");
        k.changes.extend(image_changes(
            &format!("{prefix}.images"),
            images,
            self.lines,
            from,
        ));
        k
    }

    /// The line of the file's first `field:` at any indentation; 0 when there is none.
    fn nested_line(&self, field: &str) -> u32 {
        let probe = format!("{field}:");
        (self.lines.iter())
            .position(|l| l.trim_start().starts_with(&probe))
            .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
    }
}

/// The directory a source path names, or for a templated one (an `ApplicationSet`'s
/// `apps/{{path.basename}}`) the directory every path it can become lies under: the literal
/// part before the first `{{`, up to its last `/` (the repository root when there is none).
fn literal_dir(path: &str) -> &str {
    match path.split_once("{{") {
        Some((literal, _)) => literal.rsplit_once('/').map_or("", |(dir, _)| dir),
        None => path,
    }
}

/// A kind written as one plain name (anything else may select any kind).
fn plain_kind(kind: Option<&Value>) -> Option<String> {
    let kind = kind?.as_str()?;
    (!kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| kind.to_owned())
}

/// The entries of the list `field` of `options` (none when it is absent or not a list).
fn entries<'v>(options: &'v Value, field: &str) -> Vec<&'v Value> {
    (options.get(field).and_then(Value::as_sequence).into_iter())
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change's field, and the image it re-points or the kind it targets.
    type Change = (String, Option<String>);

    /// Each overlay's directory and changes.
    fn summary(found: &[Kustomization]) -> Vec<(String, Vec<Change>)> {
        (found.iter())
            .map(|k| {
                let changes = (k.changes.iter())
                    .map(|c| (c.field.clone(), c.image.clone().or(c.kind.clone())))
                    .collect();
                (k.resources.join(","), changes)
            })
            .collect()
    }

    #[test]
    fn flux_kustomizations_name_their_directory_and_changes() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps}\nspec:\n  path: ./apps/base\n  images:\n    - {name: ghcr.io/acme/api, newTag: latest}\n    - {name: ghcr.io/acme/web, digest: \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}\n  patches:\n    - target: {kind: Deployment}\n      patch: x\n";
        let found = overlays("clusters/prod/apps.yaml", text);
        assert_eq!(
            summary(&found),
            [(
                "apps/base".to_owned(),
                vec![
                    ("spec.patches".to_owned(), Some("Deployment".to_owned())),
                    (
                        "spec.images".to_owned(),
                        Some("ghcr.io/acme/api".to_owned())
                    ),
                ]
            )]
        );
        assert_eq!(found[0].changes[0].line, 14);
        assert!(overlays("a.yaml", "apiVersion: apps/v1\nkind: Deployment\n").is_empty());
        // `v1beta2`'s older patch fields are read too.
        let beta = "apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nspec:\n  path: ./apps/a\n  patchesStrategicMerge:\n    - apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: a}\n      spec: {template: {spec: {containers: [{name: a, image: 'ghcr.io/acme/a:latest'}]}}}\n  patchesJson6902:\n    - target: {kind: CronJob, name: b}\n      patch: []\n";
        assert_eq!(
            summary(&overlays("clusters/a.yaml", beta)),
            [(
                "apps/a".to_owned(),
                vec![
                    (
                        "spec.patchesStrategicMerge".to_owned(),
                        Some("Deployment".to_owned())
                    ),
                    (
                        "spec.patchesJson6902".to_owned(),
                        Some("CronJob".to_owned())
                    ),
                ]
            )]
        );
    }

    #[test]
    fn argo_cd_sources_with_kustomize_options_are_overlays() {
        let text = r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: api}
spec:
  source:
    repoURL: https://github.com/acme/deploy.git
    path: apps/api/base
    kustomize:
      namePrefix: prod-
      images:
        - ghcr.io/acme/api:latest
        - worker=registry.local:5000/acme/worker:2
        - web=ghcr.io/acme/web@sha256:0000000000000000000000000000000000000000000000000000000000000000
      components: [../../components/debug]
  sources:
    - repoURL: https://charts.example.com
      chart: redis
    - repoURL: https://github.com/acme/deploy.git
      path: apps/jobs
      kustomize:
        patches:
          - target: {kind: CronJob}
            patch: |-
              - op: add
                path: /spec/jobTemplate/spec/template/spec/hostNetwork
                value: true
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: all}
spec:
  template:
    spec:
      source:
        path: apps/web
        kustomize:
          images: [ghcr.io/acme/web:edge]
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: plain}
spec:
  source: {path: apps/plain}
"#;
        let found = overlays("argocd/apps.yaml", text);
        let image = |f: &str, i: &str| (f.to_owned(), Some(i.to_owned()));
        assert_eq!(
            summary(&found),
            [
                (
                    "apps/api/base".to_owned(),
                    vec![
                        image("spec.source.kustomize.images", "ghcr.io/acme/api"),
                        image("spec.source.kustomize.images", "worker"),
                    ]
                ),
                (
                    "apps/jobs".to_owned(),
                    vec![image("spec.sources[1].kustomize.patches", "CronJob")]
                ),
                (
                    "apps/web".to_owned(),
                    vec![image(
                        "spec.template.spec.source.kustomize.images",
                        "ghcr.io/acme/web"
                    )]
                ),
            ]
        );
        assert_eq!(found[0].components, ["apps/components/debug"]);
        assert_eq!(literal_dir("apps/{{path.basename}}/prod"), "apps");
        assert_eq!(literal_dir("{{path}}"), "");
        assert_eq!(found[0].changes[1].line, 12);
        // The patch body is never quoted: it may carry a value.
        assert_eq!(
            found[1].changes[0].detail,
            "target {kind: CronJob}, an inline patch"
        );
    }
}
