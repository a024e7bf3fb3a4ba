use serde_json::json;

use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};
use crate::parse::image_ref::Parts;
use crate::rules::kube::{
    kustomize_changes, overlay_evidence, overlay_message, unrendered_templates, workloads_read_from,
};
use crate::rules::{Pinning, kube_faults, pinning, unreadable_files, workloads};

pub struct ImageDigestPinned;

impl Rule for ImageDigestPinned {
    const META: Meta = Meta {
        id: "image-digest-pinned",
        title: "Workloads reference images by digest",
        severity: Severity::High,
        controls: &["SUP-04"],
        source: Source::Kube,
        docs: concat!(
            r#"
## Why
A tag (`api:1.4`, `latest`) can be re-pushed: the cluster may run different bytes than the ones
that were reviewed, scanned and signed, and two nodes may run different images. A `@sha256:`
digest names exactly one image; signature and SBOM verification are only meaningful for it.

## What is judged
Every container and init container image of every workload. Subject: the image reference as
written; every workload using it is listed.

Pinned means `@sha256:` and 64 lowercase hex digits on a valid reference. A reference still
holding a template (`${IMAGE}`, `{{ .Values.image }}`) is an `error`: which image runs cannot
be proven from the manifest, digest or not.

"#,
            workloads_read_from!(all),
            r#"
## How to fix
Deploy `registry/repo@sha256:…` (tools such as kustomize `images:` or your CD system resolve
tags to digests at release time).

## Evidence
The image reference and the workloads that use it.
"#
        ),
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        unreadable_files(cx, &[FileKind::Yaml], out);
        kube_faults(cx, out);
        unrendered_templates(cx, out);
        out.relate_as("the same image, also used here");
        for w in workloads(cx) {
            let overlays = kustomize_changes(cx, w);
            for c in &w.containers {
                if c.image.is_empty() {
                    continue;
                }
                let evidence =
                    json!({ "image": c.image, "workload": w.subject(), "container": c.name });
                let location = w.container_location(c);
                let name = Parts::split(&c.image).name;
                let mut changes: Vec<_> = (overlays.iter().copied())
                    .filter(|(_, k)| k.changes_image(&w.kind, name))
                    .collect();
                // An `images` entry, which names this image, says most: first.
                changes.sort_by_key(|(_, k)| k.image.is_none());
                if !changes.is_empty() {
                    let mut evidence = evidence;
                    evidence["kustomize_changes"] =
                        overlay_evidence(&changes)["kustomize_changes"].take();
                    let what = format!("the image of container {} of {}", c.name, w.subject());
                    out.error(
                        c.image.clone(),
                        location,
                        overlay_message(&changes, &what),
                        evidence,
                    );
                    continue;
                }
                match pinning(&c.image) {
                    Pinning::Digest => {
                        out.pass(c.image.clone(), location, "referenced by digest", evidence);
                    }
                    Pinning::Movable => {
                        let why = format!(
                            "{} (used by {}) is referenced by tag, not by @sha256 digest",
                            c.image,
                            w.subject()
                        );
                        out.fail(c.image.clone(), location, why, evidence);
                    }
                    Pinning::Unresolved => {
                        let why = format!(
                            "{} (used by {}) is a template, not an image: which image runs, and \
                             whether it is pinned, cannot be proven",
                            c.image,
                            w.subject()
                        );
                        out.error(c.image.clone(), location, why, evidence);
                    }
                    Pinning::Malformed(e) => {
                        let why = format!(
                            "{e} (used by {}): which image runs, and whether it is pinned, \
                             cannot be proven",
                            w.subject()
                        );
                        out.error(c.image.clone(), location, why, evidence);
                    }
                }
            }
        }
    }
}
