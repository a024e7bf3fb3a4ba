//! Live Kubernetes clusters (`[[target.kube]]`): workloads read through the API with the `kube`
//! crate, read-only (the server version, discovery, and LIST calls; nothing else).
//!
//! Each object's pod template becomes a [`checks::facts::kube::Workload`] through the manifest
//! parser's own extraction ([`checks::parse::kube::live_workload`]), so the same checks judge
//! manifests and live clusters, and literal env values are dropped exactly as for manifests.
//! A cluster that cannot be read at all (bad kubeconfig, unknown context, unreachable, 401) is
//! `Cluster::error`; a list that fails (403 in one namespace, a kind the server does not serve)
//! is one `Cluster::faults` entry and the other lists complete.

#[cfg(feature = "kube")]
mod connect;
#[cfg(feature = "kube")]
mod exec;
#[cfg(feature = "kube")]
mod list;
mod source;

use checks::facts::kube::Cluster;
use checks::settings::KubeTarget;

pub use source::Clusters;

/// Reads every given target concurrently; one [`Cluster`] per target, in the given order.
#[cfg(feature = "kube")]
pub async fn collect(targets: &[KubeTarget], progress: &crate::engine::Progress) -> Vec<Cluster> {
    let tasks: Vec<_> = (targets.iter())
        .map(|t| tokio::spawn(cluster(t.clone())))
        .collect();
    let mut clusters = Vec::new();
    for (task, target) in tasks.into_iter().zip(targets) {
        clusters.push(task.await.unwrap_or_else(|e| {
            failure(target, &format!("the collector stopped unexpectedly: {e}"))
        }));
        progress.target_done();
    }
    clusters
}

/// One target: connect (kubeconfig, context, server version), then list every workload kind.
#[cfg(feature = "kube")]
async fn cluster(target: KubeTarget) -> Cluster {
    let connection = match connect::connect(&target).await {
        Ok(c) => c,
        Err(failure) => return failure.into_cluster(&target),
    };
    let (mut workloads, faults) = list::workloads(&connection, &target.namespaces).await;
    workloads
        .sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    Cluster {
        target: target.name.clone(),
        context: connection.context.clone(),
        server: connection.server.clone(),
        version: connection.version.clone(),
        namespaces: target.namespaces.clone(),
        error: None,
        faults,
        workloads,
    }
}

/// A cluster that could not be read; its context is the configured one, else the target name,
/// so the `k8s://CONTEXT` subject of the error is never empty.
fn failure(target: &KubeTarget, cause: &str) -> Cluster {
    Cluster {
        target: target.name.clone(),
        context: target
            .context
            .clone()
            .unwrap_or_else(|| target.name.clone()),
        namespaces: target.namespaces.clone(),
        error: Some(cause.to_owned()),
        ..Cluster::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_cluster_is_named_by_its_context_or_else_its_target() {
        let mut target = KubeTarget {
            name: "prod".to_owned(),
            ..KubeTarget::default()
        };
        assert_eq!(failure(&target, "down").uri(), "k8s://prod");
        target.context = Some("prod-admin".to_owned());
        let cluster = failure(&target, "down");
        assert_eq!(cluster.uri(), "k8s://prod-admin");
        assert_eq!(cluster.error.as_deref(), Some("down"));
    }
}
