//! RDS in one region: instances, Aurora clusters (and the Neptune and DocumentDB clusters the
//! RDS API lists too), snapshots (with their `restore` attribute) and the TLS and audit-log
//! parameters of the parameter groups in use.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_rds::Client;
use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};
use aws_sdk_rds::types as sdk;
use checks::facts::aws::{
    Call, DbCluster, DbInstance, KmsKey, Listing, MasterUserSecret, Parameter, ParameterGroup,
    Read, Region, Snapshot, SnapshotKind,
};

use super::calls::Api;
use super::collector::{Ctx, name, paginate, s, spawn_all, strings_of};

/// The parameters the checks judge: the TLS ones (`rds-force-ssl`: RDS engines, Neptune's
/// `neptune_enforce_ssl`, DocumentDB's `tls`) and the audit-log switches of Neptune and
/// DocumentDB (`rds-log-exports`).
const PARAMETERS: [&str; 6] = [
    "rds.force_ssl",
    "require_secure_transport",
    "neptune_enforce_ssl",
    "tls",
    "neptune_enable_audit_log",
    "audit_logs",
];

/// The parameters recorded as `absent` when a group does not return them, so `rds-force-ssl`
/// applies the RDS engine's documented default and says so. The Neptune and DocumentDB ones
/// are simply missing then (their checks know no default and answer `error`).
const PADDED: [&str; 2] = ["rds.force_ssl", "require_secure_transport"];

/// The account a region belongs to, for ARNs built by hand (parameter groups).
#[derive(Clone)]
pub(crate) struct Ids {
    pub account: String,
    pub partition: String,
}

pub(crate) fn lost_region(name: &str, cause: &str) -> Region {
    Region {
        name: name.to_owned(),
        db_instances: Listing::failed(cause),
        db_clusters: Listing::failed(cause),
        snapshots: Listing::failed(cause),
        parameter_groups: Vec::new(),
        kms_keys: Vec::new(),
    }
}

pub(crate) async fn region(conf: SdkConfig, name: String, ids: Ids, ctx: Arc<Ctx>) -> Region {
    let client = Client::new(&conf);
    ctx.note(format!("RDS {name}"));
    // The four listings run as tasks side by side; the in-flight limit is per call.
    let instances = tokio::spawn(instances(client.clone(), ctx.clone()));
    let clusters = tokio::spawn(clusters(client.clone(), ctx.clone()));
    let instance_snaps = tokio::spawn(instance_snapshots(client.clone(), ctx.clone()));
    let cluster_snaps = tokio::spawn(cluster_snapshots(client.clone(), ctx.clone()));
    let db_instances = joined(instances.await);
    let db_clusters = joined(clusters.await);
    let mut snapshots = joined(instance_snaps.await);
    let cluster_snaps = joined(cluster_snaps.await);
    snapshots.items.extend(cluster_snaps.items);
    snapshots.error = snapshots.error.or(cluster_snaps.error);
    let parameter_groups =
        parameter_groups(&client, &name, &ids, &db_instances, &db_clusters, &ctx).await;
    let snapshots = with_restore_attributes(&client, snapshots, &ctx).await;
    let kms_keys = kms_keys(
        &aws_sdk_kms::Client::new(&conf),
        &db_instances,
        &db_clusters,
        &snapshots,
        &ctx,
    )
    .await;
    Region {
        name,
        db_instances,
        db_clusters,
        snapshots,
        parameter_groups,
        kms_keys,
    }
}

/// A listing task's result; a task that panicked is a listing error, not an empty listing.
fn joined<T>(r: Result<Listing<T>, tokio::task::JoinError>) -> Listing<T> {
    r.unwrap_or_else(|e| Listing::failed(format!("the collector task failed: {e}")))
}

fn time(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

async fn instances(client: Client, ctx: Arc<Ctx>) -> Listing<DbInstance> {
    let (listing, _) = paginate!(
        ctx,
        Api::RdsDescribeDbInstances,
        client.describe_db_instances().into_paginator(),
        |out, call| out.db_instances().iter().map(|i| DbInstance {
            identifier: s(i.db_instance_identifier()),
            arn: s(i.db_instance_arn()),
            engine: s(i.engine()),
            engine_version: s(i.engine_version()),
            cluster: i.db_cluster_identifier().map(str::to_owned),
            storage_encrypted: i.storage_encrypted().unwrap_or(false),
            kms_key_id: i.kms_key_id().map(str::to_owned),
            publicly_accessible: i.publicly_accessible(),
            backup_retention_days: i64::from(i.backup_retention_period().unwrap_or(0)),
            latest_restorable_time: time(i.latest_restorable_time()),
            deletion_protection: i.deletion_protection().unwrap_or(false),
            iam_auth: i.iam_database_authentication_enabled().unwrap_or(false),
            parameter_groups: strings_of(
                i.db_parameter_groups(),
                sdk::DbParameterGroupStatus::db_parameter_group_name
            ),
            call: call.clone(),
            vpc_id: i
                .db_subnet_group()
                .and_then(|g| g.vpc_id())
                .map(str::to_owned),
            subnets: strings_of(
                i.db_subnet_group()
                    .map(sdk::DbSubnetGroup::subnets)
                    .unwrap_or_default(),
                sdk::Subnet::subnet_identifier
            ),
            security_groups: strings_of(
                i.vpc_security_groups(),
                sdk::VpcSecurityGroupMembership::vpc_security_group_id
            ),
            port: i
                .endpoint()
                .and_then(sdk::Endpoint::port)
                .or(i.db_instance_port().filter(|p| *p > 0)),
            log_exports: i.enabled_cloudwatch_logs_exports().to_vec(),
            master_user_secret: i.master_user_secret().map(master_secret),
            iam_roles: strings_of(i.associated_roles(), sdk::DbInstanceRole::role_arn),
        })
    );
    listing
}

async fn clusters(client: Client, ctx: Arc<Ctx>) -> Listing<DbCluster> {
    let (listing, _) = paginate!(
        ctx,
        Api::RdsDescribeDbClusters,
        client.describe_db_clusters().into_paginator(),
        |out, call| out.db_clusters().iter().map(|c| DbCluster {
            identifier: s(c.db_cluster_identifier()),
            arn: s(c.db_cluster_arn()),
            engine: s(c.engine()),
            engine_version: s(c.engine_version()),
            storage_encrypted: c.storage_encrypted().unwrap_or(false),
            kms_key_id: c.kms_key_id().map(str::to_owned),
            backup_retention_days: i64::from(c.backup_retention_period().unwrap_or(0)),
            latest_restorable_time: time(c.latest_restorable_time()),
            deletion_protection: c.deletion_protection().unwrap_or(false),
            iam_auth: c.iam_database_authentication_enabled().unwrap_or(false),
            parameter_group: c.db_cluster_parameter_group().map(str::to_owned),
            members: strings_of(
                c.db_cluster_members(),
                sdk::DbClusterMember::db_instance_identifier
            ),
            call: call.clone(),
            log_exports: c.enabled_cloudwatch_logs_exports().to_vec(),
            master_user_secret: c.master_user_secret().map(master_secret),
            iam_roles: strings_of(c.associated_roles(), sdk::DbClusterRole::role_arn),
            parameters_not_in_sync: parameters_not_in_sync(c.db_cluster_members()),
        })
    );
    listing
}

/// The members on which the cluster parameter group is not shown to be in force, as
/// `member: status`: every one whose `DBClusterParameterGroupStatus` is not `in-sync`, including
/// one whose status the API did not state (it cannot be shown to run the group's values).
fn parameters_not_in_sync(members: &[sdk::DbClusterMember]) -> Vec<String> {
    members
        .iter()
        .filter_map(|m| {
            let member = m.db_instance_identifier().unwrap_or("?");
            match m.db_cluster_parameter_group_status() {
                Some("in-sync") => None,
                Some(status) => Some(format!("{member}: {status}")),
                None => Some(format!("{member}: parameter group status not stated")),
            }
        })
        .collect()
}

fn master_secret(m: &sdk::MasterUserSecret) -> MasterUserSecret {
    MasterUserSecret {
        secret_arn: s(m.secret_arn()),
        status: s(m.secret_status()),
        kms_key_id: m.kms_key_id().map(str::to_owned),
    }
}

fn snapshot_kind(snapshot_type: &str, cluster: bool) -> SnapshotKind {
    match (snapshot_type, cluster) {
        ("manual", false) => SnapshotKind::Manual,
        ("automated", false) => SnapshotKind::Automated,
        ("manual", true) => SnapshotKind::ClusterManual,
        ("automated", true) => SnapshotKind::ClusterAutomated,
        _ => SnapshotKind::Other,
    }
}

async fn instance_snapshots(client: Client, ctx: Arc<Ctx>) -> Listing<Snapshot> {
    let (listing, _) = paginate!(
        ctx,
        Api::RdsDescribeDbSnapshots,
        client.describe_db_snapshots().into_paginator(),
        |out, call| out.db_snapshots().iter().map(|x| Snapshot {
            identifier: s(x.db_snapshot_identifier()),
            arn: s(x.db_snapshot_arn()),
            kind: snapshot_kind(x.snapshot_type().unwrap_or_default(), false),
            snapshot_type: s(x.snapshot_type()),
            source: s(x.db_instance_identifier()),
            encrypted: x.encrypted().unwrap_or(false),
            kms_key_id: x.kms_key_id().map(str::to_owned),
            call: call.clone(),
            restore: Read::NotRead,
        })
    );
    listing
}

async fn cluster_snapshots(client: Client, ctx: Arc<Ctx>) -> Listing<Snapshot> {
    let (listing, _) = paginate!(
        ctx,
        Api::RdsDescribeDbClusterSnapshots,
        client.describe_db_cluster_snapshots().into_paginator(),
        |out, call| out.db_cluster_snapshots().iter().map(|x| Snapshot {
            identifier: s(x.db_cluster_snapshot_identifier()),
            arn: s(x.db_cluster_snapshot_arn()),
            kind: snapshot_kind(x.snapshot_type().unwrap_or_default(), true),
            snapshot_type: format!("cluster {}", x.snapshot_type().unwrap_or_default()),
            source: s(x.db_cluster_identifier()),
            encrypted: x.storage_encrypted().unwrap_or(false),
            kms_key_id: x.kms_key_id().map(str::to_owned),
            call: call.clone(),
            restore: Read::NotRead,
        })
    );
    listing
}

/// Reads the `restore` attribute of every manual snapshot (automated ones cannot be shared).
async fn with_restore_attributes(
    client: &Client,
    mut snapshots: Listing<Snapshot>,
    ctx: &Arc<Ctx>,
) -> Listing<Snapshot> {
    let tasks: Vec<_> = snapshots
        .items
        .iter()
        .map(|snap| {
            let (client, ctx, id, kind) = (
                client.clone(),
                ctx.clone(),
                snap.identifier.clone(),
                snap.kind,
            );
            async move { restore_attribute(&client, &ctx, &id, kind).await }
        })
        .collect();
    let reads = spawn_all(tasks, |_, cause| Read::Error {
        message: cause,
        call: Call::default(),
    })
    .await;
    for (snap, read) in snapshots.items.iter_mut().zip(reads) {
        snap.restore = read;
    }
    snapshots
}

async fn restore_attribute(
    client: &Client,
    ctx: &Ctx,
    id: &str,
    kind: SnapshotKind,
) -> Read<Vec<String>> {
    match kind {
        SnapshotKind::Manual | SnapshotKind::Other => {
            let req = client
                .describe_db_snapshot_attributes()
                .db_snapshot_identifier(id);
            ctx.call(Api::RdsDescribeDbSnapshotAttributes, req.send())
                .await
                .read_some(&[], "`restore` attribute", |out| {
                    let attrs = out.db_snapshot_attributes_result();
                    let pairs = attrs.iter().flat_map(|r| r.db_snapshot_attributes());
                    restore_values(pairs.map(|a| (a.attribute_name(), a.attribute_values())))
                })
        }
        SnapshotKind::ClusterManual => {
            let req = client
                .describe_db_cluster_snapshot_attributes()
                .db_cluster_snapshot_identifier(id);
            ctx.call(Api::RdsDescribeDbClusterSnapshotAttributes, req.send())
                .await
                .read_some(&[], "`restore` attribute", |out| {
                    let attrs = out.db_cluster_snapshot_attributes_result();
                    let pairs = attrs
                        .iter()
                        .flat_map(|r| r.db_cluster_snapshot_attributes());
                    restore_values(pairs.map(|a| (a.attribute_name(), a.attribute_values())))
                })
        }
        SnapshotKind::Automated | SnapshotKind::ClusterAutomated => Read::NotRead,
    }
}

/// The values of the `restore` attribute (account ids, or `all`), from (name, values) pairs:
/// the instance and cluster snapshot APIs return the same shape under different types. `None`
/// when the reply has no `restore` attribute (AWS always sends one, empty when private).
fn restore_values<'a>(
    mut attrs: impl Iterator<Item = (Option<&'a str>, &'a [String])>,
) -> Option<Vec<String>> {
    attrs
        .find(|(name, _)| *name == Some("restore"))
        .map(|(_, values)| values.to_vec())
}

/// The judged parameters of every parameter group an instance or cluster uses, each group
/// read once.
async fn parameter_groups(
    client: &Client,
    region: &str,
    ids: &Ids,
    instances: &Listing<DbInstance>,
    clusters: &Listing<DbCluster>,
    ctx: &Arc<Ctx>,
) -> Vec<ParameterGroup> {
    let mut wanted: BTreeSet<(&'static str, String)> = BTreeSet::new();
    for i in instances.items.iter().filter(|i| i.cluster.is_none()) {
        wanted.extend(i.parameter_groups.iter().map(|g| ("db", g.clone())));
    }
    for c in &clusters.items {
        wanted.extend(c.parameter_group.iter().map(|g| ("cluster", g.clone())));
    }
    let tasks: Vec<_> = wanted
        .iter()
        .map(|(scope, name)| {
            let (client, ctx, scope, name) = (client.clone(), ctx.clone(), *scope, name.clone());
            async move { judged_parameters(&client, &ctx, scope, &name).await }
        })
        .collect();
    let reads = spawn_all(tasks, |_, cause| Read::Error {
        message: cause,
        call: Call::default(),
    })
    .await;
    wanted
        .into_iter()
        .zip(reads)
        .map(|((scope, name), parameters)| ParameterGroup {
            arn: format!(
                "arn:{}:rds:{region}:{}:{}:{name}",
                ids.partition,
                ids.account,
                if scope == "db" { "pg" } else { "cluster-pg" }
            ),
            name,
            scope: scope.to_owned(),
            parameters,
        })
        .collect()
}

/// The judged parameters of one group, every page read; an RDS TLS parameter the group does not
/// return is recorded as `absent` so the check applies the engine default and says so.
async fn judged_parameters(
    client: &Client,
    ctx: &Ctx,
    scope: &str,
    name: &str,
) -> Read<Vec<Parameter>> {
    let relevant = |p: &sdk::Parameter| {
        PARAMETERS
            .contains(&p.parameter_name().unwrap_or_default())
            .then(|| Parameter {
                name: s(p.parameter_name()),
                value: p.parameter_value().map(str::to_owned),
                source: s(p.source()),
            })
    };
    let (listing, last) = if scope == "db" {
        paginate!(
            ctx,
            Api::RdsDescribeDbParameters,
            client
                .describe_db_parameters()
                .db_parameter_group_name(name)
                .into_paginator(),
            |out, _call| out
                .parameters()
                .iter()
                .filter_map(relevant)
                .collect::<Vec<_>>()
        )
    } else {
        paginate!(
            ctx,
            Api::RdsDescribeDbClusterParameters,
            client
                .describe_db_cluster_parameters()
                .db_cluster_parameter_group_name(name)
                .into_paginator(),
            |out, _call| out
                .parameters()
                .iter()
                .filter_map(relevant)
                .collect::<Vec<_>>()
        )
    };
    let call = last.unwrap_or_default();
    if let Some(message) = listing.error {
        return Read::Error { message, call };
    }
    let mut found = listing.items;
    for wanted in PADDED {
        if !found.iter().any(|p| p.name == wanted) {
            found.push(Parameter {
                name: wanted.to_owned(),
                value: None,
                source: "absent".to_owned(),
            });
        }
    }
    Read::Value { value: found, call }
}

/// Who manages the key of every encrypted instance, cluster and snapshot, each distinct key
/// described once. Unencrypted resources are skipped: their `KmsKeyId` proves nothing.
async fn kms_keys(
    kms: &aws_sdk_kms::Client,
    instances: &Listing<DbInstance>,
    clusters: &Listing<DbCluster>,
    snapshots: &Listing<Snapshot>,
    ctx: &Arc<Ctx>,
) -> Vec<KmsKey> {
    let encrypted_keys = instances
        .items
        .iter()
        .filter(|i| i.storage_encrypted)
        .map(|i| &i.kms_key_id)
        .chain(
            clusters
                .items
                .iter()
                .filter(|c| c.storage_encrypted)
                .map(|c| &c.kms_key_id),
        )
        .chain(
            snapshots
                .items
                .iter()
                .filter(|x| x.encrypted)
                .map(|x| &x.kms_key_id),
        );
    let wanted: BTreeSet<String> = encrypted_keys
        .flatten()
        .filter(|k| !k.is_empty())
        .cloned()
        .collect();
    let tasks: Vec<_> = wanted
        .iter()
        .map(|key| {
            let (kms, ctx, key) = (kms.clone(), ctx.clone(), key.clone());
            async move {
                ctx.call(Api::KmsDescribeKey, kms.describe_key().key_id(key).send())
                    .await
                    .read(&[], |out| {
                        name(out.key_metadata().and_then(|m| m.key_manager()))
                    })
            }
        })
        .collect();
    let reads = spawn_all(tasks, |_, cause| Read::Error {
        message: cause,
        call: Call::default(),
    })
    .await;
    wanted
        .into_iter()
        .zip(reads)
        .map(|(key_id, key_manager)| KmsKey {
            key_id,
            key_manager,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_rds::types::DbClusterMember;
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use checks::facts::aws::Read;

    use super::super::collector::Ctx;
    use super::super::tests::unit_config;
    use super::{Client, judged_parameters, parameters_not_in_sync};

    /// A page of a parameter group that names no judged parameter and hands back the marker it
    /// was asked with: a listing that never ends.
    const SAME_MARKER_AGAIN: &str = r#"<DescribeDBParametersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBParametersResult><Parameters><Parameter><ParameterName>max_connections</ParameterName><ParameterValue>100</ParameterValue><Source>user</Source></Parameter></Parameters><Marker>again</Marker></DescribeDBParametersResult><ResponseMetadata><RequestId>unit</RequestId></ResponseMetadata></DescribeDBParametersResponse>"#;

    /// Answers every request with [`SAME_MARKER_AGAIN`]; counts requests.
    #[derive(Debug, Clone, Default)]
    struct Repeating {
        requests: Arc<AtomicUsize>,
    }

    impl HttpConnector for Repeating {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.requests.fetch_add(1, Ordering::SeqCst);
            HttpConnectorFuture::ready(Ok(HttpResponse::new(
                StatusCode::try_from(200).unwrap(),
                SdkBody::from(SAME_MARKER_AGAIN),
            )))
        }
    }

    /// The SDK's paginator ends quietly when a service repeats its marker, as if the listing
    /// were complete: the parameters not yet listed would be padded `absent` and judged by the
    /// engine default. A listing that does not end is an error, not a short listing.
    #[test]
    fn a_parameter_listing_that_repeats_its_marker_is_an_error_not_a_short_listing() {
        let repeating = Repeating::default();
        let (rt, conf) = unit_config("http://rds.unit.invalid", repeating.clone());
        let read = rt.block_on(judged_parameters(
            &Client::new(&conf),
            &Ctx::new(4),
            "db",
            "group",
        ));
        match read {
            Read::Error { message, call } => {
                assert!(
                    message.contains("rds:DescribeDBParameters returned more than"),
                    "{message}"
                );
                assert_eq!(call.action, "rds:DescribeDBParameters");
            }
            other => panic!("a listing without end read as {other:?}"),
        }
        assert!(repeating.requests.load(Ordering::SeqCst) > 2);
    }

    #[test]
    fn a_member_whose_parameter_group_status_is_not_stated_is_not_in_sync() {
        let member = |id: &str, status: Option<&str>| {
            DbClusterMember::builder()
                .db_instance_identifier(id)
                .set_db_cluster_parameter_group_status(status.map(str::to_owned))
                .build()
        };
        let members = [
            member("a", Some("in-sync")),
            member("b", Some("pending-reboot")),
            member("c", None),
        ];
        assert_eq!(
            parameters_not_in_sync(&members),
            ["b: pending-reboot", "c: parameter group status not stated"]
        );
    }
}
