//! AWS account state read through the AWS APIs (RDS and S3), read-only.
//!
//! Every record keeps the ARN it is about (the finding's location) and [`Call`]: the action,
//! request id and time of the API call that returned it (the evidence). An API answer such as
//! "no such configuration" is a fact ([`Read::Absent`]); a call that failed is
//! [`Read::Error`], never silently empty.

use serde::{Deserialize, Serialize};

/// One audited account (one `[[target.aws]]`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Account {
    /// The `[[target.aws]]` name.
    pub target: String,
    /// From STS GetCallerIdentity; empty when the identity could not be read.
    pub account_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`: taken from the caller's ARN.
    pub partition: String,
    /// Why the account could not be read at all (no credentials, STS denied…): every AWS check
    /// reports `error` for this target.
    pub error: Option<String>,
    pub regions: Vec<Region>,
    pub s3: S3,
    /// EC2 networking, CloudTrail, GuardDuty, KMS keys, secrets, log groups and alarms.
    pub infra: super::aws_infra::Infra,
    /// Load balancers, CloudFront, WAF and ECR.
    pub edge: super::aws_edge::Edge,
}

/// The action, request id and time of the API call a record came from.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Call {
    /// The IAM action, e.g. `rds:DescribeDBInstances`.
    pub action: String,
    pub request_id: Option<String>,
    /// RFC 3339: when the response arrived.
    pub at: String,
}

/// The answer to one read: a value, a documented "not configured" answer, or a failure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Read<T> {
    /// Not read (the collector never ran this call): judged as an error, never a pass.
    #[default]
    NotRead,
    Value {
        value: T,
        call: Call,
    },
    /// The service answered that nothing is configured (`NoSuchPublicAccessBlockConfiguration`,
    /// `ServerSideEncryptionConfigurationNotFoundError`…); `code` is its error code.
    Absent {
        code: String,
        call: Call,
    },
    /// The call failed; `message` is one line naming the action (and for AccessDenied, the
    /// missing IAM permission).
    Error {
        message: String,
        call: Call,
    },
}

impl<T> Read<T> {
    pub fn call(&self) -> Option<&Call> {
        match self {
            Read::NotRead => None,
            Read::Value { call, .. } | Read::Absent { call, .. } | Read::Error { call, .. } => {
                Some(call)
            }
        }
    }
}

/// A paginated listing in one region: its items carry their own [`Call`]; `error` is set when
/// the listing (or one of its pages) failed, so the items may be incomplete.
///
/// An empty listing proves "there are none" only with the `call` that answered it: without a
/// call, an error or an item it was never read (a collector that did not run, a facts file that
/// left it out), and [`Listing::failure`] says so, so no check passes on it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Listing<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The call that answered the listing's last page: the evidence that it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<Call>,
}

impl<T> Listing<T> {
    /// A listing that failed with `cause`.
    pub fn failed(cause: impl Into<String>) -> Self {
        Listing {
            items: Vec::new(),
            error: Some(cause.into()),
            call: None,
        }
    }

    /// Why the listing cannot be taken as complete: its error, or that it was never read.
    /// `None` when it was read to the end.
    pub fn failure(&self) -> Option<&str> {
        match &self.error {
            Some(cause) => Some(cause),
            None if self.call.is_none() && self.items.is_empty() => {
                Some("it was not read (no call answered it)")
            }
            None => None,
        }
    }
}

/// RDS state in one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Region {
    pub name: String,
    pub db_instances: Listing<DbInstance>,
    pub db_clusters: Listing<DbCluster>,
    /// Manual and automated instance snapshots, and cluster snapshots.
    pub snapshots: Listing<Snapshot>,
    /// DB parameter groups and DB cluster parameter groups used by the instances and clusters.
    pub parameter_groups: Vec<ParameterGroup>,
    /// The KMS keys of the encrypted instances, clusters and snapshots, each described once.
    pub kms_keys: Vec<KmsKey>,
}

/// Who manages a KMS key (`kms:DescribeKey` `KeyManager`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KmsKey {
    /// The `KmsKeyId` as the RDS API gave it (usually the key ARN).
    pub key_id: String,
    /// `CUSTOMER` (a customer-managed key) or `AWS` (an AWS-managed key such as `aws/rds`).
    pub key_manager: Read<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbInstance {
    pub identifier: String,
    pub arn: String,
    pub engine: String,
    pub engine_version: String,
    /// Set for an Aurora cluster member: storage, backups and deletion protection are then the
    /// cluster's.
    pub cluster: Option<String>,
    pub storage_encrypted: bool,
    pub kms_key_id: Option<String>,
    /// `None` when the API did not say (treated as unknown).
    pub publicly_accessible: Option<bool>,
    pub backup_retention_days: i64,
    /// RFC 3339.
    pub latest_restorable_time: Option<String>,
    pub deletion_protection: bool,
    pub iam_auth: bool,
    /// DB parameter group names.
    pub parameter_groups: Vec<String>,
    pub call: Call,
    /// The VPC of its DB subnet group.
    pub vpc_id: Option<String>,
    /// The subnets of its DB subnet group: RDS may place (or fail over) the instance in any.
    pub subnets: Vec<String>,
    /// Its VPC security group ids.
    pub security_groups: Vec<String>,
    /// The port it listens on (`Endpoint.Port`, else `DbInstancePort`).
    pub port: Option<i32>,
    /// The log types exported to CloudWatch Logs (`postgresql`, `upgrade`, `error`…).
    pub log_exports: Vec<String>,
    /// The master password kept by Secrets Manager (`ManageMasterUserPassword`).
    pub master_user_secret: Option<MasterUserSecret>,
    /// ARNs of the IAM roles associated with the instance.
    pub iam_roles: Vec<String>,
}

/// The Secrets Manager secret holding an RDS master password (`MasterUserSecret`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MasterUserSecret {
    pub secret_arn: String,
    /// `creating`, `active`, `rotating`, `impaired`.
    pub status: String,
    pub kms_key_id: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbCluster {
    pub identifier: String,
    pub arn: String,
    pub engine: String,
    pub engine_version: String,
    pub storage_encrypted: bool,
    pub kms_key_id: Option<String>,
    pub backup_retention_days: i64,
    pub latest_restorable_time: Option<String>,
    pub deletion_protection: bool,
    pub iam_auth: bool,
    /// The DB cluster parameter group name.
    pub parameter_group: Option<String>,
    pub members: Vec<String>,
    pub call: Call,
    /// The log types exported to CloudWatch Logs.
    pub log_exports: Vec<String>,
    pub master_user_secret: Option<MasterUserSecret>,
    pub iam_roles: Vec<String>,
    /// Members whose `DBClusterParameterGroupStatus` is not `in-sync` (`pending-reboot`,
    /// `applying`, or not stated by the API), as `member: status`: on them the group's values
    /// are not shown to be in force.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters_not_in_sync: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotKind {
    #[default]
    Manual,
    Automated,
    ClusterManual,
    ClusterAutomated,
    /// Copied or shared by AWS Backup and other services (`awsbackup`, `shared`, `public`).
    Other,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Snapshot {
    pub identifier: String,
    pub arn: String,
    pub kind: SnapshotKind,
    /// The API's `SnapshotType` as given.
    pub snapshot_type: String,
    /// The instance or cluster it was taken from.
    pub source: String,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
    pub call: Call,
    /// The `restore` attribute: the account ids allowed to restore it (`all` means public).
    /// Automated snapshots cannot be shared and are not asked.
    pub restore: Read<Vec<String>>,
}

/// The parameters vouch judges, from one DB (cluster) parameter group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParameterGroup {
    pub name: String,
    /// `db` or `cluster`.
    pub scope: String,
    pub arn: String,
    /// The TLS parameters (`rds.force_ssl`, `require_secure_transport`, Neptune's
    /// `neptune_enforce_ssl`, DocumentDB's `tls`) and the audit-log switches
    /// (`neptune_enable_audit_log`, `audit_logs`), each as found. `rds.force_ssl` and
    /// `require_secure_transport`, when the group does not return them, are recorded with
    /// `value: None` and `source: "absent"`, so the engine default applies; the others are
    /// simply missing then.
    pub parameters: Read<Vec<Parameter>>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Parameter {
    pub name: String,
    pub value: Option<String>,
    /// The API's `Source` (`user`, `engine-default`, `system`) or `absent`.
    pub source: String,
}

/// S3 state of one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3 {
    /// The account-level Block Public Access (s3control GetPublicAccessBlock).
    pub account_public_access_block: Read<PublicAccessBlock>,
    pub buckets: Listing<Bucket>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn all_on(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bucket {
    pub name: String,
    pub arn: String,
    pub region: Option<String>,
    /// ListBuckets.
    pub call: Call,
    /// The default encryption rules.
    pub encryption: Read<Vec<EncryptionRule>>,
    pub public_access_block: Read<PublicAccessBlock>,
    /// GetBucketPolicyStatus `IsPublic`.
    pub policy_is_public: Read<bool>,
    /// The bucket policy document, parsed.
    pub policy: Read<serde_json::Value>,
    pub acl_grants: Read<Vec<Grant>>,
    /// `Enabled`, `Suspended`, or absent when never enabled.
    pub versioning: Read<String>,
    pub object_lock: Read<ObjectLock>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncryptionRule {
    /// `AES256`, `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grant {
    /// The grantee: a group URI, a canonical user id or an e-mail.
    pub grantee: String,
    pub permission: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectLock {
    pub enabled: bool,
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub default_mode: Option<String>,
    pub default_days: Option<i64>,
    pub default_years: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty listing is "there are none" only when a call answered it; one nobody read
    /// (missing from a facts file, or never collected) is a failure, so no check passes on it.
    #[test]
    fn an_unread_empty_listing_is_a_failure_and_a_read_one_is_not() {
        let unread: Listing<String> = serde_json::from_str("{}").unwrap();
        assert_eq!(
            unread.failure(),
            Some("it was not read (no call answered it)")
        );
        let read: Listing<String> =
            serde_json::from_str(r#"{"items": [], "call": {"action": "kms:ListKeys", "at": "t"}}"#)
                .unwrap();
        assert_eq!(read.failure(), None);
        let with_items: Listing<String> = serde_json::from_str(r#"{"items": ["k"]}"#).unwrap();
        assert_eq!(with_items.failure(), None);
        let failed: Listing<String> = Listing::failed("kms:ListKeys was denied");
        assert_eq!(failed.failure(), Some("kms:ListKeys was denied"));
    }
}
