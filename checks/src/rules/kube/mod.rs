//! Kubernetes workloads: privileges, root filesystem, users, secrets in the environment.

pub mod k8s_no_privileged;
pub mod k8s_read_only_root_fs;
pub mod k8s_run_as_non_root;
pub mod k8s_secrets_not_in_env;

use serde_json::Value;

/// What every workload check's docs say about where its workloads come from (a macro: `concat!`
/// takes only literals, and a check's docs are a constant).
macro_rules! workloads_read_from {
    () => {
        r#"Workloads are read from manifests in the repository (except those under a test-data directory,
`test/`, `tests/`, `testdata/`, `e2e/`, `fixtures/`: objects tests create, not deployments) and
from live clusters
(`[[target.kube]]`) alike; a cluster, or a list within it, that could not be read is an `error`
with subject `k8s://CONTEXT[/NAMESPACE/KIND]`, never a silent pass.
"#
    };
}
pub(crate) use workloads_read_from;

use crate::facts::kube::{Container, Workload};
use crate::facts::repo::FileKind;
use crate::model::{Context, Findings};
use crate::rules::{deployed_workloads, kube_faults, unreadable_files};

/// The workloads the pod-hardening checks judge, after reporting every manifest and cluster
/// that could not be read as `error`: workloads vouch could not see are never a silent pass.
pub(crate) fn judged_workloads<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> impl Iterator<Item = &'a Workload> + use<'a> {
    unreadable_files(cx, &[FileKind::Yaml], out);
    kube_faults(cx, out);
    deployed_workloads(cx)
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
