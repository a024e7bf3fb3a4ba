use serde_json::json;

use super::{judged_workloads, workloads_read_from};
use crate::facts::kube::{Container, Workload};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct K8sNoPrivileged;

impl Rule for K8sNoPrivileged {
    const META: Meta = Meta {
        id: "k8s-no-privileged",
        title: "Kubernetes workloads meet the restricted Pod Security profile",
        severity: Severity::High,
        controls: &["CNT-01"],
        source: Source::Kube,
        docs: concat!(
            r#"
## Why
Privileged containers, privilege escalation, extra Linux capabilities, the host's network, PID or
IPC namespaces and hostPath volumes each hand a compromised container a path to the node and to
every other workload on it. These are the Pod Security Standards baseline and restricted rules
(CIS Kubernetes 5.2.2–5.2.6, 5.2.8–5.2.10, 5.2.12).

## What is judged
The Kubernetes Pod Security Standards' **restricted** profile, item by item, on every container
(init containers included). A workload fails, listing every missing item, when:

- the pod sets `hostNetwork`, `hostPID` or `hostIPC`, mounts a `hostPath` volume, or a container
  binds a `hostPort` (baseline);
- a container is `privileged` (baseline);
- a container does not set `allowPrivilegeEscalation: false` (the default allows it);
- a container does not drop `ALL` capabilities (`capabilities.drop: [ALL]`), or adds any
  capability other than `NET_BIND_SERVICE`;
- a container's effective seccomp profile (its own `seccompProfile.type`, else the pod's) is not
  `RuntimeDefault` or `Localhost` (unset and `Unconfined` fail).

Running as non-root, the last restricted item, is judged by `k8s-run-as-non-root`.

"#,
            workloads_read_from!(deployed),
            r#"
## How to fix
Remove the host namespaces and hostPath volumes; set on every container
`securityContext: {allowPrivilegeEscalation: false, privileged: false, capabilities: {drop: [ALL]}}`
and add back only `NET_BIND_SERVICE` when binding ports below 1024; set
`securityContext: {seccompProfile: {type: RuntimeDefault}}` on the pod.

## Evidence
Every reason found, per container, and the manifest line.
"#
        ),
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for w in judged_workloads(cx, out) {
            let reasons = reasons(w);
            let evidence = json!({ "reasons": reasons });
            if reasons.is_empty() {
                out.pass(
                    w.subject(),
                    w.location_or_uri(),
                    "meets the restricted Pod Security profile (running as non-root is judged by k8s-run-as-non-root)",
                    evidence,
                );
            } else {
                out.fail(
                    w.subject(),
                    w.location_or_uri(),
                    reasons.join("; "),
                    evidence,
                );
            }
        }
    }
}

fn reasons(w: &Workload) -> Vec<String> {
    let mut r = Vec::new();
    for (set, what) in [
        (w.host_network, "hostNetwork"),
        (w.host_pid, "hostPID"),
        (w.host_ipc, "hostIPC"),
    ] {
        if set {
            r.push(format!("pod shares the host's namespace ({what}: true)"));
        }
    }
    for v in &w.host_path_volumes {
        r.push(format!("hostPath volume {v}"));
    }
    for c in &w.containers {
        container_reasons(w, c, &mut r);
    }
    r
}

/// The restricted-profile items one container misses.
fn container_reasons(w: &Workload, c: &Container, r: &mut Vec<String>) {
    let name = &c.name;
    if c.privileged == Some(true) {
        r.push(format!("container {name} is privileged"));
    }
    if c.allow_privilege_escalation != Some(false) {
        r.push(format!(
            "container {name} allows privilege escalation (set allowPrivilegeEscalation: false)"
        ));
    }
    if !c.capabilities_drop.iter().any(|cap| cap == "ALL") {
        r.push(format!(
            "container {name} does not drop ALL capabilities (set capabilities.drop: [ALL])"
        ));
    }
    let extra: Vec<&str> = c
        .capabilities_add
        .iter()
        .map(String::as_str)
        .filter(|cap| cap.trim_start_matches("CAP_") != "NET_BIND_SERVICE")
        .collect();
    if !extra.is_empty() {
        r.push(format!(
            "container {name} adds capabilities {}",
            extra.join(", ")
        ));
    }
    let seccomp = c.seccomp_profile.as_ref().or(w.seccomp_profile.as_ref());
    match seccomp.map(String::as_str) {
        Some("RuntimeDefault" | "Localhost") => {}
        Some(other) => r.push(format!(
            "container {name} runs with seccomp profile {other} (RuntimeDefault or Localhost \
             required)"
        )),
        None => r.push(format!(
            "container {name} sets no seccomp profile, nor does its pod (set seccompProfile: \
             {{type: RuntimeDefault}})"
        )),
    }
    for port in &c.host_ports {
        r.push(format!("container {name} binds hostPort {port}"));
    }
}
