//! The one table of AWS API calls: which read-only action each check needs. The collector asks
//! [`needed`] before every call, and `vouch iam-policy` prints the same table as a policy, so
//! the policy is exactly what the collector does.

use std::collections::BTreeSet;

/// A read-only API call vouch makes, named by its IAM action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Api {
    StsGetCallerIdentity,
    RdsDescribeDbInstances,
    RdsDescribeDbClusters,
    RdsDescribeDbParameters,
    RdsDescribeDbClusterParameters,
    RdsDescribeDbSnapshots,
    RdsDescribeDbClusterSnapshots,
    RdsDescribeDbSnapshotAttributes,
    RdsDescribeDbClusterSnapshotAttributes,
    KmsDescribeKey,
    S3ListAllMyBuckets,
    S3GetBucketLocation,
    S3GetEncryptionConfiguration,
    S3GetBucketPublicAccessBlock,
    S3GetAccountPublicAccessBlock,
    S3GetBucketPolicyStatus,
    S3GetBucketPolicy,
    S3GetBucketAcl,
    S3GetBucketVersioning,
    S3GetBucketObjectLockConfiguration,
    Ec2DescribeSubnets,
    Ec2DescribeRouteTables,
    Ec2DescribeInternetGateways,
    Ec2DescribeNatGateways,
    Ec2DescribeSecurityGroups,
    Ec2DescribeNetworkInterfaces,
    Ec2DescribeFlowLogs,
    CloudTrailDescribeTrails,
    CloudTrailGetTrailStatus,
    CloudTrailGetEventSelectors,
    GuardDutyListDetectors,
    GuardDutyGetDetector,
    KmsListKeys,
    KmsGetKeyRotationStatus,
    SecretsManagerListSecrets,
    LogsDescribeLogGroups,
    CloudWatchDescribeAlarms,
    ElbDescribeLoadBalancers,
    ElbDescribeListeners,
    ElbDescribeSslPolicies,
    CloudFrontListDistributions,
    WafListWebAcls,
    WafGetWebAcl,
    WafGetWebAclForResource,
    EcrDescribeRepositories,
    EcrGetRegistryScanningConfiguration,
}

impl Api {
    /// The IAM action that authorises the call.
    pub fn action(self) -> &'static str {
        match self {
            Api::StsGetCallerIdentity => "sts:GetCallerIdentity",
            Api::RdsDescribeDbInstances => "rds:DescribeDBInstances",
            Api::RdsDescribeDbClusters => "rds:DescribeDBClusters",
            Api::RdsDescribeDbParameters => "rds:DescribeDBParameters",
            Api::RdsDescribeDbClusterParameters => "rds:DescribeDBClusterParameters",
            Api::RdsDescribeDbSnapshots => "rds:DescribeDBSnapshots",
            Api::RdsDescribeDbClusterSnapshots => "rds:DescribeDBClusterSnapshots",
            Api::RdsDescribeDbSnapshotAttributes => "rds:DescribeDBSnapshotAttributes",
            Api::RdsDescribeDbClusterSnapshotAttributes => {
                "rds:DescribeDBClusterSnapshotAttributes"
            }
            Api::KmsDescribeKey => "kms:DescribeKey",
            Api::S3ListAllMyBuckets => "s3:ListAllMyBuckets",
            Api::S3GetBucketLocation => "s3:GetBucketLocation",
            Api::S3GetEncryptionConfiguration => "s3:GetEncryptionConfiguration",
            Api::S3GetBucketPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
            Api::S3GetAccountPublicAccessBlock => "s3:GetAccountPublicAccessBlock",
            Api::S3GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
            Api::S3GetBucketPolicy => "s3:GetBucketPolicy",
            Api::S3GetBucketAcl => "s3:GetBucketAcl",
            Api::S3GetBucketVersioning => "s3:GetBucketVersioning",
            Api::S3GetBucketObjectLockConfiguration => "s3:GetBucketObjectLockConfiguration",
            Api::Ec2DescribeSubnets => "ec2:DescribeSubnets",
            Api::Ec2DescribeRouteTables => "ec2:DescribeRouteTables",
            Api::Ec2DescribeInternetGateways => "ec2:DescribeInternetGateways",
            Api::Ec2DescribeNatGateways => "ec2:DescribeNatGateways",
            Api::Ec2DescribeSecurityGroups => "ec2:DescribeSecurityGroups",
            Api::Ec2DescribeNetworkInterfaces => "ec2:DescribeNetworkInterfaces",
            Api::Ec2DescribeFlowLogs => "ec2:DescribeFlowLogs",
            Api::CloudTrailDescribeTrails => "cloudtrail:DescribeTrails",
            Api::CloudTrailGetTrailStatus => "cloudtrail:GetTrailStatus",
            Api::CloudTrailGetEventSelectors => "cloudtrail:GetEventSelectors",
            Api::GuardDutyListDetectors => "guardduty:ListDetectors",
            Api::GuardDutyGetDetector => "guardduty:GetDetector",
            Api::KmsListKeys => "kms:ListKeys",
            Api::KmsGetKeyRotationStatus => "kms:GetKeyRotationStatus",
            Api::SecretsManagerListSecrets => "secretsmanager:ListSecrets",
            Api::LogsDescribeLogGroups => "logs:DescribeLogGroups",
            Api::CloudWatchDescribeAlarms => "cloudwatch:DescribeAlarms",
            Api::ElbDescribeLoadBalancers => "elasticloadbalancing:DescribeLoadBalancers",
            Api::ElbDescribeListeners => "elasticloadbalancing:DescribeListeners",
            Api::ElbDescribeSslPolicies => "elasticloadbalancing:DescribeSSLPolicies",
            Api::CloudFrontListDistributions => "cloudfront:ListDistributions",
            Api::WafListWebAcls => "wafv2:ListWebACLs",
            Api::WafGetWebAcl => "wafv2:GetWebACL",
            Api::WafGetWebAclForResource => "wafv2:GetWebACLForResource",
            Api::EcrDescribeRepositories => "ecr:DescribeRepositories",
            Api::EcrGetRegistryScanningConfiguration => "ecr:GetRegistryScanningConfiguration",
        }
    }
}

/// Calls every AWS target needs whatever the checks: who am I (needs no IAM permission, listed
/// for completeness of the call table only) and where the buckets are.
const ALWAYS: &[Api] = &[Api::StsGetCallerIdentity];

const DATABASES: &[Api] = &[Api::RdsDescribeDbInstances, Api::RdsDescribeDbClusters];
const SNAPSHOTS: &[Api] = &[
    Api::RdsDescribeDbSnapshots,
    Api::RdsDescribeDbClusterSnapshots,
];
/// Who manages the KMS key of encrypted storage (customer or AWS).
const KEYS: &[Api] = &[Api::KmsDescribeKey];
const BUCKETS: &[Api] = &[Api::S3ListAllMyBuckets, Api::S3GetBucketLocation];
/// Which subnets a database may sit in and where they route (internet or NAT gateways), and
/// the addresses of the network interfaces RDS placed there (evidence).
const NETWORK: &[Api] = &[
    Api::Ec2DescribeSubnets,
    Api::Ec2DescribeRouteTables,
    Api::Ec2DescribeInternetGateways,
    Api::Ec2DescribeNatGateways,
    Api::Ec2DescribeNetworkInterfaces,
];

const LOAD_BALANCERS: &[Api] = &[Api::ElbDescribeLoadBalancers, Api::ElbDescribeListeners];
const WEB_ACLS: &[Api] = &[Api::WafListWebAcls, Api::WafGetWebAcl];

/// Per check, the calls whose answers it judges.
pub const BY_CHECK: &[(&str, &[&[Api]])] = &[
    ("rds-storage-encrypted", &[DATABASES, KEYS]),
    ("rds-not-public", &[&[Api::RdsDescribeDbInstances]]),
    ("rds-backup-retention", &[DATABASES]),
    ("rds-deletion-protection", &[DATABASES]),
    (
        "rds-force-ssl",
        &[
            DATABASES,
            &[
                Api::RdsDescribeDbParameters,
                Api::RdsDescribeDbClusterParameters,
            ],
        ],
    ),
    ("rds-iam-auth", &[DATABASES]),
    ("rds-snapshot-encrypted", &[SNAPSHOTS, KEYS]),
    (
        "rds-snapshot-not-public",
        &[
            SNAPSHOTS,
            &[
                Api::RdsDescribeDbSnapshotAttributes,
                Api::RdsDescribeDbClusterSnapshotAttributes,
            ],
        ],
    ),
    (
        "s3-default-encryption",
        &[BUCKETS, &[Api::S3GetEncryptionConfiguration]],
    ),
    (
        "s3-public-access-block",
        &[
            BUCKETS,
            &[
                Api::S3GetBucketPublicAccessBlock,
                Api::S3GetAccountPublicAccessBlock,
            ],
        ],
    ),
    (
        "s3-not-public",
        &[
            BUCKETS,
            &[Api::S3GetBucketPolicyStatus, Api::S3GetBucketAcl],
        ],
    ),
    ("s3-secure-transport", &[BUCKETS, &[Api::S3GetBucketPolicy]]),
    ("s3-versioning", &[BUCKETS, &[Api::S3GetBucketVersioning]]),
    (
        "s3-object-lock",
        &[BUCKETS, &[Api::S3GetBucketObjectLockConfiguration]],
    ),
    (
        "rds-network-private",
        &[&[Api::RdsDescribeDbInstances], NETWORK],
    ),
    (
        "sg-db-ingress-restricted",
        &[
            &[Api::RdsDescribeDbInstances],
            &[Api::Ec2DescribeSecurityGroups],
        ],
    ),
    (
        "cloudtrail-enabled",
        &[&[
            Api::CloudTrailDescribeTrails,
            Api::CloudTrailGetTrailStatus,
            Api::CloudTrailGetEventSelectors,
        ]],
    ),
    (
        "vpc-flow-logs",
        &[&[Api::RdsDescribeDbInstances], &[Api::Ec2DescribeFlowLogs]],
    ),
    (
        "guardduty-enabled",
        &[&[Api::GuardDutyListDetectors, Api::GuardDutyGetDetector]],
    ),
    (
        "kms-key-rotation",
        &[&[
            Api::KmsListKeys,
            Api::KmsDescribeKey,
            Api::KmsGetKeyRotationStatus,
        ]],
    ),
    (
        "secrets-rotation",
        &[DATABASES, &[Api::SecretsManagerListSecrets]],
    ),
    ("rds-log-exports", &[DATABASES]),
    ("logs-encrypted-retained", &[&[Api::LogsDescribeLogGroups]]),
    (
        "cloudwatch-error-alarm",
        &[&[Api::CloudWatchDescribeAlarms]],
    ),
    (
        "elb-tls-policy",
        &[LOAD_BALANCERS, &[Api::ElbDescribeSslPolicies]],
    ),
    ("cloudfront-tls", &[&[Api::CloudFrontListDistributions]]),
    (
        "waf-attached",
        &[
            &[Api::ElbDescribeLoadBalancers, Api::WafGetWebAclForResource],
            &[Api::CloudFrontListDistributions],
        ],
    ),
    ("waf-managed-rules", &[WEB_ACLS]),
    ("waf-rate-limit", &[WEB_ACLS]),
    (
        "ecr-scan-on-push",
        &[
            &[Api::EcrDescribeRepositories],
            &[Api::EcrGetRegistryScanningConfiguration],
        ],
    ),
    ("ecr-tag-immutable", &[&[Api::EcrDescribeRepositories]]),
];

/// The calls the given checks need (all AWS checks when `checks` is `None`).
pub fn calls_for(checks: Option<&[&str]>) -> BTreeSet<Api> {
    let mut calls: BTreeSet<Api> = ALWAYS.iter().copied().collect();
    for (check, groups) in BY_CHECK {
        if checks.is_none_or(|ids| ids.contains(check)) {
            calls.extend(groups.iter().flat_map(|g| g.iter().copied()));
        }
    }
    calls
}

/// Whether any enabled check needs this call. Every AWS check is enabled today; the collector
/// still asks, so a call no check needs is never made.
pub fn needed(api: Api) -> bool {
    ALWAYS.contains(&api)
        || BY_CHECK
            .iter()
            .any(|(_, groups)| groups.iter().any(|g| g.contains(&api)))
}

/// The minimal read-only IAM policy for the given checks, as pretty JSON.
pub fn iam_policy(checks: Option<&[&str]>) -> String {
    let actions: BTreeSet<&str> = calls_for(checks)
        .into_iter()
        // GetCallerIdentity is always allowed; a policy cannot deny or need it.
        .filter(|a| *a != Api::StsGetCallerIdentity)
        .map(Api::action)
        .collect();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "VouchReadOnlyAudit",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
        }],
    });
    serde_json::to_string_pretty(&policy).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_aws_check_has_calls_and_only_read_actions() {
        for check in checks::ALL {
            let meta = check.meta();
            if meta.source == checks::Source::Aws {
                assert!(
                    BY_CHECK.iter().any(|(id, _)| *id == meta.id),
                    "{} has no API calls",
                    meta.id
                );
            }
        }
        for api in calls_for(None) {
            let verb = api.action().split(':').nth(1).unwrap();
            assert!(
                ["Describe", "Get", "List"]
                    .iter()
                    .any(|p| verb.starts_with(p)),
                "{verb} is not a read"
            );
        }
    }

    #[test]
    fn policy_for_one_check_is_narrow() {
        let p = iam_policy(Some(&["s3-versioning"]));
        assert!(p.contains("s3:GetBucketVersioning"));
        assert!(!p.contains("rds:"));
        assert!(!p.contains("sts:"));
    }
}
