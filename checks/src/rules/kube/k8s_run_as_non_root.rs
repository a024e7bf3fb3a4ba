use serde_json::json;

use super::{judge_containers, judged_workloads, workloads_read_from};
use crate::facts::kube::{Container, Workload};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct K8sRunAsNonRoot;

impl Rule for K8sRunAsNonRoot {
    const META: Meta = Meta {
        id: "k8s-run-as-non-root",
        title: "Kubernetes containers run as a non-root user",
        severity: Severity::High,
        controls: &["CNT-01"],
        source: Source::Kube,
        docs: concat!(
            r#"
## Why
A process running as root inside a container is root on the node's kernel: one container escape
or a writable host mount and the attacker owns the node. The Pod Security Standards "restricted"
profile requires `runAsNonRoot: true` (CIS Kubernetes 5.2.7).

## What is judged
Every container and init container of a workload, with the container's `securityContext`
overriding the pod's: it passes when the effective `runAsNonRoot` is `true` or the effective
`runAsUser` is a non-zero UID. An explicit `runAsUser: 0` fails even with `runAsNonRoot`.

"#,
            workloads_read_from!(deployed),
            r#"
## How to fix
Set `securityContext.runAsNonRoot: true` (and a `runAsUser` above 10000) on the pod, and build
images whose `USER` is not root.

## Evidence
The workload, each offending container with its effective settings, and the manifest line.
"#
        ),
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for w in judged_workloads(cx, out) {
            let offenders: Vec<&Container> =
                w.containers.iter().filter(|c| !non_root(w, c)).collect();
            let evidence = json!({
                "pod": {"runAsNonRoot": w.run_as_non_root, "runAsUser": w.run_as_user},
                "containers": w.containers.iter().map(|c| json!({
                    "name": c.name, "runAsNonRoot": c.run_as_non_root, "runAsUser": c.run_as_user
                })).collect::<Vec<_>>(),
            });
            judge_containers(
                out,
                w,
                &offenders,
                "every container runs as non-root",
                |names| format!("container(s) {names} may run as root: set runAsNonRoot: true"),
                evidence,
            );
        }
    }
}

fn non_root(w: &Workload, c: &Container) -> bool {
    let user = c.run_as_user.or(w.run_as_user);
    if user == Some(0) {
        return false;
    }
    c.run_as_non_root.or(w.run_as_non_root) == Some(true) || user.is_some_and(|u| u > 0)
}
