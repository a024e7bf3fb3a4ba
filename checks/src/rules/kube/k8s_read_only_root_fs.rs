use serde_json::json;

use super::{judge_containers, judged_workloads, workloads_read_from};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct K8sReadOnlyRootFs;

impl Rule for K8sReadOnlyRootFs {
    const META: Meta = Meta {
        id: "k8s-read-only-root-fs",
        title: "Kubernetes containers have a read-only root filesystem",
        severity: Severity::Medium,
        controls: &["CNT-01"],
        source: Source::Kube,
        docs: concat!(
            r#"
## Why
A writable root filesystem lets an attacker who gets code execution drop tools, modify binaries
or persist. A read-only root (with `emptyDir` mounts where the app must write) removes that.
It is not part of the Pod Security Standards restricted profile; CIS Kubernetes 5.7.3 (apply
security contexts) and AWS FSBP ECS.5 recommend it.

## What is judged
Every container and init container sets `securityContext.readOnlyRootFilesystem: true`.

"#,
            workloads_read_from!(deployed),
            r#"
## How to fix
Set `readOnlyRootFilesystem: true` and mount an `emptyDir` at the paths the process writes to
(`/tmp`, caches).

## Evidence
The containers without it, and the manifest line.
"#
        ),
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for w in judged_workloads(cx, out) {
            let writable: Vec<_> = (w.containers.iter())
                .filter(|c| c.read_only_root_filesystem != Some(true))
                .collect();
            let names: Vec<&str> = writable.iter().map(|c| c.name.as_str()).collect();
            let evidence = json!({ "writable_containers": names });
            judge_containers(
                out,
                w,
                &writable,
                "every container's root filesystem is read-only",
                |names| format!("container(s) {names} have a writable root filesystem"),
                evidence,
            );
        }
    }
}
