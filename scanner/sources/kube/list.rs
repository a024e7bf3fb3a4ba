//! Listing the workload kinds of one cluster, all namespaces or the configured ones, as
//! `DynamicObject`s (so API versions this vouch has no types for, like batch/v1beta1 CronJobs,
//! read the same way), and turning each pod template into a `Workload`.

use checks::facts::kube::{Fault, Workload};
use futures_util::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::core::ObjectMeta;

use super::connect::{Connection, describe, within_deadline};

/// Objects per LIST page (the rest follows with the continue token).
const PAGE: u32 = 500;
/// LIST pages read for one kind in one scope before vouch stops: a million objects. A server
/// that keeps answering with continue tokens past it is a fault, not a scan without end.
const MAX_PAGES: usize = 2_000;
/// LIST requests in flight at once for one cluster.
const IN_FLIGHT: usize = 8;

/// Kinds read at a fixed API version: (group, version, kind, plural). CronJob is discovered.
const FIXED_KINDS: &[(&str, &str, &str, &str)] = &[
    ("apps", "v1", "Deployment", "deployments"),
    ("apps", "v1", "StatefulSet", "statefulsets"),
    ("apps", "v1", "DaemonSet", "daemonsets"),
    ("apps", "v1", "ReplicaSet", "replicasets"),
    ("batch", "v1", "Job", "jobs"),
    ("", "v1", "Pod", "pods"),
];

/// CronJob API versions, newest first: batch/v1 since Kubernetes 1.21, batch/v1beta1 before.
const CRONJOB_VERSIONS: &[&str] = &["v1", "v1beta1"];

/// Every workload of the cluster, and the lists that could not be read.
pub(super) async fn workloads(
    connection: &Connection,
    namespaces: &[String],
) -> (Vec<Workload>, Vec<Fault>) {
    let mut faults = Vec::new();
    let mut kinds: Vec<ApiResource> = FIXED_KINDS
        .iter()
        .map(|(group, version, kind, plural)| {
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
        })
        .collect();
    match cronjob_resource(connection).await {
        Ok(resource) => kinds.push(resource),
        Err(cause) => faults.push(Fault {
            kind: "CronJob".to_owned(),
            namespace: String::new(),
            cause,
        }),
    }
    let scopes: Vec<Option<String>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().cloned().map(Some).collect()
    };
    let lists: Vec<(ApiResource, Option<String>)> = kinds
        .iter()
        .flat_map(|k| scopes.iter().map(move |s| (k.clone(), s.clone())))
        .collect();
    let results: Vec<_> = futures_util::stream::iter(lists)
        .map(|(resource, scope)| async move {
            let result = list_all(connection, &resource, scope.as_deref()).await;
            (resource, scope, result)
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    let mut workloads = Vec::new();
    for (resource, scope, result) in results {
        match result {
            Ok(objects) => workloads.extend(
                objects
                    .into_iter()
                    .filter_map(|o| to_workload(&resource.kind, &o, &connection.context)),
            ),
            Err(cause) => faults.push(Fault {
                kind: resource.kind,
                namespace: scope.unwrap_or_default(),
                cause,
            }),
        }
    }
    (workloads, faults)
}

/// The CronJob resource at the newest version the server serves (discovery).
async fn cronjob_resource(connection: &Connection) -> Result<ApiResource, String> {
    for version in CRONJOB_VERSIONS {
        let gvk = GroupVersionKind::gvk("batch", version, "CronJob");
        let served = within_deadline(connection.deadline, async {
            match kube::discovery::pinned_kind(&connection.client, &gvk).await {
                Ok((resource, _)) => Ok(Some(resource)),
                // Not served at this version: try the older one.
                Err(kube::Error::Discovery(_)) => Ok(None),
                Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
                Err(e) => Err(describe(&e)),
            }
        })
        .await
        .map_err(|cause| format!("API discovery of batch/{version} failed: {cause}"))?;
        if let Some(resource) = served {
            return Ok(resource);
        }
    }
    Err("the server serves CronJob neither at batch/v1 nor at batch/v1beta1".to_owned())
}

/// Every object of one kind in one namespace (or all), page by page.
async fn list_all(
    connection: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Result<Vec<DynamicObject>, String> {
    let client = connection.client.clone();
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client, ns, resource),
        None => Api::all_with(client, resource),
    };
    let mut params = ListParams::default().limit(PAGE);
    let mut objects = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = within_deadline(connection.deadline, async {
            api.list(&params).await.map_err(|e| describe(&e))
        })
        .await?;
        objects.extend(page.items);
        match page.metadata.continue_ {
            Some(token) if params.continue_token.as_deref() == Some(token.as_str()) => {
                return Err(format!(
                    "the API server answered the same continue token twice ({} objects read)",
                    objects.len()
                ));
            }
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(objects),
        }
    }
    Err(format!(
        "more than {MAX_PAGES} pages of {PAGE} objects; vouch stops reading there"
    ))
}

/// The object's pod template as a live workload; `None` for an object judged through its
/// owner (see [`judged_through_owner`]).
fn to_workload(kind: &str, object: &DynamicObject, context: &str) -> Option<Workload> {
    if judged_through_owner(kind, &object.metadata) {
        return None;
    }
    let value = serde_json::to_value(object).ok()?;
    checks::parse::kube::live_workload(kind, &value, context)
}

/// A Pod run by a workload controller (a ReplicaSet, StatefulSet, DaemonSet or Job), a
/// ReplicaSet run by a Deployment and a Job run by a CronJob carry their owner's pod template,
/// which is judged on the owner: judging them too would report every problem once per replica.
/// Anything owned by something else (an operator's custom resource, a Node for a static pod) is
/// judged itself, so no running pod escapes judgement because vouch does not read its owner.
fn judged_through_owner(kind: &str, meta: &ObjectMeta) -> bool {
    meta.owner_references.iter().flatten().any(|owner| {
        owner.controller == Some(true)
            && match kind {
                "Pod" => POD_CONTROLLERS.contains(&owner.kind.as_str()),
                "ReplicaSet" => owner.kind == "Deployment",
                "Job" => owner.kind == "CronJob",
                _ => false,
            }
    })
}

/// Owners of Pods whose pod template vouch reads and judges.
const POD_CONTROLLERS: &[&str] = &["ReplicaSet", "StatefulSet", "DaemonSet", "Job"];

#[cfg(test)]
mod tests {
    use super::*;

    fn owned_by(kind: &str, controller: bool) -> ObjectMeta {
        let json = serde_json::json!({"name": "x", "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": kind, "name": "owner", "uid": "1",
            "controller": controller
        }]});
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn pods_and_cronjob_jobs_are_judged_on_their_controller() {
        assert!(judged_through_owner("Pod", &owned_by("ReplicaSet", true)));
        assert!(judged_through_owner("Job", &owned_by("CronJob", true)));
        assert!(judged_through_owner(
            "ReplicaSet",
            &owned_by("Deployment", true)
        ));
        assert!(!judged_through_owner(
            "ReplicaSet",
            &owned_by("Rollout", true)
        ));
        // Not a controller, or an owner vouch does not read: judged itself.
        assert!(!judged_through_owner("Pod", &owned_by("ReplicaSet", false)));
        assert!(!judged_through_owner("Pod", &owned_by("Rollout", true)));
        assert!(!judged_through_owner("Pod", &owned_by("Node", true)));
        assert!(!judged_through_owner("Job", &owned_by("Workflow", true)));
        assert!(!judged_through_owner(
            "Deployment",
            &owned_by("Operator", true)
        ));
        assert!(!judged_through_owner("Pod", &ObjectMeta::default()));
    }
}
