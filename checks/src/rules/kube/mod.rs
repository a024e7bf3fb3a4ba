//! Kubernetes workloads: privileges, root filesystem, users, secrets in the environment.

pub mod k8s_no_privileged;
pub mod k8s_read_only_root_fs;
pub mod k8s_run_as_non_root;
pub mod k8s_secrets_not_in_env;

use serde_json::Value;

/// What a workload check's docs say about where its workloads come from, then about templates
/// and kustomize overlays: `deployed` for the checks over [`deployed_workloads`] (test data
/// skipped), `all` for those over every workload. A macro: `concat!` takes only literals, and a
/// check's docs are a constant.
macro_rules! workloads_read_from {
    (deployed) => {
        concat!(
            r#"Workloads are read from manifests in the repository (except those under a test-data directory,
`test/`, `tests/`, `testdata/`, `e2e/`, `fixtures/`: objects tests create, not deployments) and
from live clusters
(`[[target.kube]]`) alike; a cluster, or a list within it, that could not be read is an `error`
with subject `k8s://CONTEXT[/NAMESPACE/KIND]`, never a silent pass.
"#,
            "\n",
            $crate::rules::kube::overlays_and_templates!()
        )
    };
    (all) => {
        concat!(
            r#"Workloads are read from manifests in the repository and from live clusters
(`[[target.kube]]`) alike; a cluster, or a list within it, that could not be read is an `error`
with subject `k8s://CONTEXT[/NAMESPACE/KIND]`, never a silent pass.
"#,
            "\n",
            $crate::rules::kube::overlays_and_templates!()
        )
    };
}
pub(crate) use workloads_read_from;

/// What every workload check's docs say about templates and kustomize overlays (after
/// [`workloads_read_from`]).
macro_rules! overlays_and_templates {
    () => {
        r#"YAML merge keys (`<<: *anchor`) are applied, as kubectl applies them.

Templates and overlays are not rendered. A `{{ … }}` inside a YAML string is data (an alert's
`summary`); a manifest that is a template (invalid YAML, or YAML only because `{{ .x }}` reads as
a mapping) is an `error` naming the file, and so is one whose judged field holds a string where
the API server wants a boolean or a number (`hostNetwork: "{{ .Values.hostNetwork }}"`): such a
field is never read as unset. Helm chart templates (files holding `{{` in a `templates/`
directory beside a `Chart.yaml`) are skipped: judge the rendered output
(`helm template … > rendered.yaml`, committed or scanned in CI); such a file with no
`Chart.yaml` is an `error`.

A workload whose file a kustomization reaches (through `resources`, `bases` or `components`,
directory by directory) and changes is an `error` naming the kustomization and the entry:
`patches`, `patchesStrategicMerge`, `patchesJson6902`, `replacements` and `transformers` may
change anything judged (a patch whose `target` names another kind excepted); an `images` entry
changes only the image checks' verdict, and only when it does not set a `digest`. Renaming,
labels, namespaces, replicas and generated ConfigMaps or Secrets change nothing judged. The
patch files a kustomization names hold partial objects: they are not judged as workloads.
Flux's `Kustomization` objects (`kustomize.toolkit.fluxcd.io`) count as kustomizations of the
directory their `spec.path` names (every manifest beneath it, or its kustomization), with their
`spec.patches` and `spec.images` (and `v1beta2`'s `patchesStrategicMerge` and
`patchesJson6902`); so do Argo CD's `Application` sources (and an
`ApplicationSet`'s template) with a `path` and a `kustomize` block, with its `patches`, `images`
and `components`. A templated source path (`deploy/{{path.basename}}`) stands for the directory
all its values lie under (`deploy`). These controllers' sources are taken to be this repository.
"#
    };
}
pub(crate) use overlays_and_templates;

use crate::facts::kube::{Container, Kustomization, KustomizeChange, Workload};
use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Location};
use crate::rules::{deployed_workloads, kube_faults, unreadable_files};

/// The workloads the pod-hardening checks judge, after reporting every manifest and cluster
/// that could not be read as `error`: workloads vouch could not see are never a silent pass.
/// A workload a kustomization changes is an `error` too (see [`kustomize_changes`]).
pub(crate) fn judged_workloads<'a>(cx: &Context<'a>, out: &mut Findings) -> Vec<&'a Workload> {
    unjudgeable(cx, out, deployed_workloads(cx))
}

/// Reports unreadable manifests, clusters and templates, then keeps those of `workloads` no
/// kustomization changes, reporting the others as `error`.
pub(crate) fn unjudgeable<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
    workloads: impl Iterator<Item = &'a Workload>,
) -> Vec<&'a Workload> {
    unreadable_files(cx, &[FileKind::Yaml], out);
    kube_faults(cx, out);
    unrendered_templates(cx, out);
    let mut judged = Vec::new();
    for w in workloads {
        let changes: Vec<_> = (kustomize_changes(cx, w).into_iter())
            .filter(|(_, c)| c.changes_spec_of(&w.kind))
            .collect();
        if changes.is_empty() {
            judged.push(w);
        } else {
            out.error(
                w.subject(),
                w.location_or_uri(),
                overlay_message(&changes, "this workload"),
                overlay_evidence(&changes),
            );
        }
    }
    judged
}

/// `deploy/overlays/prod/kustomization.yaml changes this workload through `patches` (line 9:
/// target {kind: Deployment}); vouch does not render kustomize overlays…`, naming the first.
pub(crate) fn overlay_message(
    changes: &[(&Kustomization, &KustomizeChange)],
    what: &str,
) -> String {
    let (k, c) = changes[0];
    let more = match changes.len() {
        1 => String::new(),
        n => format!(" (and {} more change(s), in the evidence)", n - 1),
    };
    format!(
        "{} changes {what} through `{}` (line {}: {}){more}; vouch does not render kustomize \
         overlays, so what is deployed cannot be judged from the manifest",
        k.path, c.field, c.line, c.detail
    )
}

pub(crate) fn overlay_evidence(changes: &[(&Kustomization, &KustomizeChange)]) -> Value {
    let list: Vec<Value> = (changes.iter())
        .map(|(k, c)| {
            serde_json::json!({ "kustomization": k.path, "field": c.field, "line": c.line,
                                "detail": c.detail })
        })
        .collect();
    serde_json::json!({ "kustomize_changes": list })
}

/// Every change of every kustomization that reaches `w`'s manifest file: the kustomization
/// lists the file, or a directory whose kustomization reaches it, in `resources`, `bases` or
/// `components`. A kustomization's changes include its components' (they apply to all of its
/// objects). Live workloads have none.
pub(crate) fn kustomize_changes<'a>(
    cx: &Context<'a>,
    w: &Workload,
) -> Vec<(&'a Kustomization, &'a KustomizeChange)> {
    let Some(repo) = &cx.facts.repo else {
        return Vec::new();
    };
    let Some(Location::File { path, .. }) = &w.location else {
        return Vec::new();
    };
    let all = &repo.kustomizations;
    let mut out = Vec::new();
    for k in all {
        if reaches(all, k, path, &mut Vec::new()) {
            let mut seen = Vec::new();
            with_components(all, k, &mut seen, &mut |k, c| out.push((k, c)));
        }
    }
    out
}

/// The kustomization of directory `dir`, if the repository has one.
fn kustomization_in<'a>(all: &'a [Kustomization], dir: &str) -> Option<&'a Kustomization> {
    all.iter()
        .find(|k| k.path.rsplit_once('/').map_or("", |(d, _)| d) == dir)
}

fn reaches<'a>(
    all: &'a [Kustomization],
    k: &'a Kustomization,
    file: &str,
    seen: &mut Vec<&'a str>,
) -> bool {
    if seen.contains(&k.path.as_str()) {
        return false;
    }
    seen.push(&k.path);
    // A directory with no kustomization of its own stands for every manifest beneath it (what
    // Flux applies; kustomize itself refuses such a directory).
    k.resources
        .iter()
        .chain(&k.components)
        .any(|r| match kustomization_in(all, r) {
            Some(sub) => reaches(all, sub, file, seen),
            None => r == file || r.is_empty() || file.starts_with(&format!("{r}/")),
        })
}

fn with_components<'a>(
    all: &'a [Kustomization],
    k: &'a Kustomization,
    seen: &mut Vec<&'a str>,
    f: &mut impl FnMut(&'a Kustomization, &'a KustomizeChange),
) {
    if seen.contains(&k.path.as_str()) {
        return;
    }
    seen.push(&k.path);
    for c in &k.changes {
        f(k, c);
    }
    for dir in &k.components {
        if let Some(component) = kustomization_in(all, dir) {
            with_components(all, component, seen, f);
        }
    }
}

/// Reports as `error` every file set aside as a Helm chart template whose chart has no
/// `Chart.yaml`: a template vouch does not render, not part of a chart it knows to skip.
pub(crate) fn unrendered_templates(cx: &Context<'_>, out: &mut Findings) {
    let Some(repo) = &cx.facts.repo else { return };
    for t in &repo.helm_templates {
        let in_chart = (crate::parse::kube::chart_dirs_of(&t.path).iter())
            .any(|d| repo.helm_charts.contains(d));
        if !in_chart {
            out.error(
                t.path.clone(),
                Location::file(t.path.clone(), t.line),
                format!(
                    "{} holds a template action ({{{{ … }}}}) at line {} in a templates/ \
                     directory, but no Chart.yaml makes it a Helm chart: a template vouch does \
                     not render, so its workloads cannot be judged",
                    t.path, t.line
                ),
                serde_json::json!({ "path": t.path, "line": t.line }),
            );
        }
    }
}

/// The verdict on a rule every container of `w` must keep: pass when none of `offenders` is
/// left, else fail at the first offender's line with `fail(names of all offenders)`.
pub(crate) fn judge_containers(
    out: &mut Findings,
    w: &Workload,
    offenders: &[&Container],
    pass: &str,
    fail: impl FnOnce(&str) -> String,
    evidence: Value,
) {
    match offenders.first() {
        None => out.pass(w.subject(), w.location_or_uri(), pass, evidence),
        Some(first) => {
            let names: Vec<&str> = offenders.iter().map(|c| c.name.as_str()).collect();
            out.fail(
                w.subject(),
                w.container_location(first),
                fail(&names.join(", ")),
                evidence,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::model::Status;

    fn facts() -> Facts {
        serde_json::from_value(serde_json::json!({"repo": {
            "workloads": [
                {"namespace": "prod", "kind": "Deployment", "name": "api",
                 "location": {"path": "deploy/base/api.yaml", "line": 2},
                 "containers": [{"name": "api", "image": "ghcr.io/acme/api:1.0", "line": 9}]},
                {"namespace": "prod", "kind": "DaemonSet", "name": "agent",
                 "location": {"path": "deploy/base/api.yaml", "line": 30},
                 "containers": [{"name": "a", "image": "ghcr.io/acme/api@sha256:abababababababababababababababababababababababababababababababab", "line": 39},
                                {"name": "b", "image": "ghcr.io/acme/sidecar:1.0", "line": 40}]},
                {"namespace": "prod", "kind": "Deployment", "name": "other",
                 "location": {"path": "deploy/other.yaml", "line": 2},
                 "containers": [{"name": "o", "image": "ghcr.io/acme/other:1.0", "line": 9}]}
            ],
            "kustomizations": [
                {"path": "deploy/base/kustomization.yaml", "resources": ["deploy/base/api.yaml"]},
                {"path": "deploy/overlays/prod/kustomization.yaml", "resources": ["deploy/base"],
                 "components": ["deploy/components/debug"],
                 "changes": [{"field": "images", "line": 5, "detail": "name: api, newTag: latest",
                              "image": "ghcr.io/acme/api"}]},
                {"path": "deploy/components/debug/kustomization.yaml",
                 "changes": [{"field": "patches", "line": 3, "detail": "target {kind: Deployment}",
                              "kind": "Deployment"}]},
                // A cycle (invalid kustomize) ends the walk rather than looping.
                {"path": "deploy/loop/a/kustomization.yaml", "resources": ["deploy/loop/b"],
                 "changes": [{"field": "patches", "line": 2, "detail": "p.yaml"}]},
                {"path": "deploy/loop/b/kustomization.yaml", "resources": ["deploy/loop/a"]}
            ]
        }}))
        .unwrap()
    }

    #[test]
    fn changes_reach_workloads_through_directories_and_components() {
        let facts = facts();
        let settings = facts.settings.resolve().unwrap();
        let cx = Context::new(&facts, &settings);
        let ws = &facts.repo.as_ref().unwrap().workloads;
        let of = |w: &Workload| -> Vec<(String, String)> {
            kustomize_changes(&cx, w)
                .into_iter()
                .map(|(k, c)| (k.path.clone(), c.field.clone()))
                .collect()
        };
        let expected = vec![
            (
                "deploy/overlays/prod/kustomization.yaml".to_owned(),
                "images".to_owned(),
            ),
            (
                "deploy/components/debug/kustomization.yaml".to_owned(),
                "patches".to_owned(),
            ),
        ];
        assert_eq!(of(&ws[0]), expected);
        assert_eq!(of(&ws[1]), expected);
        assert!(of(&ws[2]).is_empty());
        // The component's patch targets Deployments; the images entry changes images only.
        let findings = crate::registry::run_one(&super::k8s_no_privileged::K8sNoPrivileged, &cx);
        let got: Vec<_> = (findings.iter())
            .map(|f| (f.subject.as_str(), f.status))
            .collect();
        assert_eq!(
            got,
            [
                ("prod/DaemonSet/agent", Status::Fail),
                ("prod/Deployment/api", Status::Error),
                ("prod/Deployment/other", Status::Fail),
            ]
        );
        assert!(
            findings[1].message.starts_with(
                "deploy/components/debug/kustomization.yaml changes this workload through \
                 `patches` (line 3: target {kind: Deployment})"
            ),
            "{}",
            findings[1].message
        );
        // Images: the overlay's `images` entry re-tags ghcr.io/acme/api wherever it reaches; the
        // component's patch reaches the Deployment's every image, not the DaemonSet's sidecar.
        let image = crate::registry::run_one(
            &crate::rules::image::image_digest_pinned::ImageDigestPinned,
            &cx,
        );
        let got: Vec<_> = (image.iter())
            .map(|f| (f.subject.as_str(), f.status))
            .collect();
        assert_eq!(
            got,
            [
                ("ghcr.io/acme/api:1.0", Status::Error),
                (
                    "ghcr.io/acme/api@sha256:abababababababababababababababababababababababababababababababab",
                    Status::Error
                ),
                ("ghcr.io/acme/other:1.0", Status::Fail),
                ("ghcr.io/acme/sidecar:1.0", Status::Fail),
            ]
        );
        assert!(
            image[1].message.starts_with(
                "deploy/overlays/prod/kustomization.yaml changes the image of container a of \
                 prod/DaemonSet/agent through `images` (line 5: name: api, newTag: latest)"
            ),
            "{}",
            image[1].message
        );
    }
}
