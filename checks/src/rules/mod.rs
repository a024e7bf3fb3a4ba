//! One module per check. Each holds the check's [`Meta`](crate::Meta) (with its docs) and its
//! logic, and nothing else; shared helpers live here.

mod artifact_evidence;
pub mod artifact_provenance;
pub mod artifact_signed;
pub mod ci_vuln_scan;
pub mod cloudfront_tls;
pub mod dep_update_config;
mod docker;
pub mod docker_base_pinned;
mod docker_build;
pub mod docker_minimal_base;
pub mod docker_no_secrets;
pub mod docker_non_root;
mod docker_role;
pub mod ecr_scan_on_push;
pub mod ecr_tag_immutable;
pub mod elb_tls_policy;
pub(crate) mod endpoint_support;
pub mod gha_action_pinned;
pub mod gha_image_pinned;
pub mod http_cookies_secure;
pub mod http_hsts;
pub mod http_https_redirect;
pub mod http_rate_limited;
pub mod http_security_headers;
pub mod image_digest_pinned;
mod image_evidence;
pub mod image_provenance;
pub mod image_sbom_attested;
pub mod image_signed;
pub mod k8s_no_privileged;
pub mod k8s_read_only_root_fs;
pub mod k8s_run_as_non_root;
pub mod k8s_secrets_not_in_env;
pub mod lockfile_frozen_install;
pub mod lockfile_in_sync;
pub mod lockfile_present;
pub mod pg_audit_append_only;
pub mod pg_audit_chain_valid;
pub mod pg_audit_hash_chained;
pub(crate) mod pg_common;
mod pg_live_common;
pub mod pg_password_scram;
mod pg_policy_semantics;
pub mod pg_rls_enabled;
pub mod pg_rls_forced;
pub mod pg_rls_policy;
pub mod pg_rls_policy_tenant;
pub mod pg_role_no_bypass;
pub mod pg_role_no_ddl;
pub mod pg_role_not_owner;
pub mod pg_schema_drift;
pub mod pg_security_definer_search_path;
pub mod pg_ssl_enforced;
pub mod pg_table_classified;
pub mod pg_tenant_isolation;
pub mod sbom_present;
pub mod sbom_valid;
pub mod secrets_committed;
pub mod security_txt;
mod supply_chain;
pub mod tls_cert_valid;
pub mod tls_min_version;
pub mod tls_weak_ciphers;
pub mod waf_attached;
pub mod waf_managed_rules;
pub mod waf_rate_limit;

mod aws_edge_shared;
mod aws_infra_shared;
mod aws_shared;
pub mod cloudtrail_enabled;
pub mod cloudwatch_error_alarm;
pub mod guardduty_enabled;
pub mod kms_key_rotation;
pub mod logs_encrypted_retained;
pub mod rds_backup_retention;
pub mod rds_deletion_protection;
pub mod rds_force_ssl;
pub mod rds_iam_auth;
pub mod rds_log_exports;
pub mod rds_network_private;
pub mod rds_not_public;
pub mod rds_snapshot_encrypted;
pub mod rds_snapshot_not_public;
pub mod rds_storage_encrypted;
pub mod s3_default_encryption;
pub mod s3_not_public;
pub mod s3_object_lock;
pub mod s3_public_access_block;
pub mod s3_secure_transport;
pub mod s3_versioning;
pub mod secrets_rotation;
pub mod sg_db_ingress_restricted;
pub mod vpc_flow_logs;
pub mod vuln_critical_sla;
pub mod vuln_scan_fresh;

use serde_json::json;

use crate::facts::repo::FileKind;
use crate::model::{Context, Findings, Location};

/// Reports every unreadable file of the given kinds as an `error` finding (subject: its path):
/// a file the check could not read is never silently skipped.
pub(crate) fn unreadable_files(cx: &Context<'_>, kinds: &[FileKind], out: &mut Findings) {
    let Some(repo) = &cx.facts.repo else { return };
    for u in repo.unreadable.iter().filter(|u| kinds.contains(&u.kind)) {
        out.error(
            u.path.clone(),
            Location::file(u.path.clone(), 0),
            format!("{} could not be read: {}", u.path, u.cause),
            json!({ "path": u.path, "cause": u.cause }),
        );
    }
}

/// Every Kubernetes workload collected, from manifests and live clusters alike.
pub(crate) fn workloads<'a>(
    cx: &Context<'a>,
) -> impl Iterator<Item = &'a crate::facts::kube::Workload> {
    cx.facts.workloads()
}

/// Directory names whose Kubernetes manifests are test data (objects a test creates to
/// observe, fixtures for a controller's tests), not workloads anyone deploys.
const TEST_DATA_DIRS: &[&str] = &[
    "test",
    "tests",
    "testdata",
    "test-data",
    "testing",
    "e2e",
    "fixtures",
    "__fixtures__",
];

/// The workloads the pod-hardening checks judge: every live one, and every manifest except
/// those under a test-data directory (`tests/manifests/`, `internal/…/testdata/`).
pub(crate) fn deployed_workloads<'a>(
    cx: &Context<'a>,
) -> impl Iterator<Item = &'a crate::facts::kube::Workload> {
    workloads(cx).filter(|w| match &w.location {
        Some(Location::File { path, .. }) => !is_test_data_path(path),
        _ => true,
    })
}

/// Whether a repository path lies under a test-data directory.
pub(crate) fn is_test_data_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let mut dirs: Vec<&str> = lower.split('/').collect();
    dirs.pop();
    dirs.iter().any(|d| TEST_DATA_DIRS.contains(d))
}

/// Reports every live cluster that could not be read (subject `k8s://CONTEXT`) and every list
/// that failed (subject `k8s://CONTEXT/NAMESPACE/KIND`, `*` for all namespaces) as `error`
/// findings: workloads vouch could not see are never a silent pass.
pub(crate) fn kube_faults(cx: &Context<'_>, out: &mut Findings) {
    for cluster in &cx.facts.kube {
        let uri = cluster.uri();
        if let Some(cause) = &cluster.error {
            out.error(
                uri.clone(),
                Location::resource(uri.clone()),
                format!(
                    "Kubernetes target `{}` ({uri}) could not be read: {cause}",
                    cluster.target
                ),
                json!({ "target": cluster.target, "context": cluster.context,
                        "server": cluster.server, "cause": cause }),
            );
        }
        for fault in &cluster.faults {
            let namespace = if fault.namespace.is_empty() {
                "*"
            } else {
                fault.namespace.as_str()
            };
            let subject = format!("{uri}/{namespace}/{}", fault.kind);
            let scope = if fault.namespace.is_empty() {
                "in all namespaces".to_owned()
            } else {
                format!("in namespace {namespace}")
            };
            out.error(
                subject.clone(),
                Location::resource(subject),
                format!(
                    "{}s {scope} of {uri} could not be listed: {}",
                    fault.kind, fault.cause
                ),
                json!({ "target": cluster.target, "context": cluster.context,
                        "kind": fault.kind, "namespace": fault.namespace, "cause": fault.cause }),
            );
        }
    }
}

/// `true` for a full 40-hex git commit SHA.
pub(crate) fn is_commit_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `true` when an image reference carries a `@sha256:<64 hex>` digest.
pub(crate) fn is_digest_pinned(image: &str) -> bool {
    image
        .rsplit_once("@sha256:")
        .is_some_and(|(_, hex)| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        assert!(is_commit_sha("1d0ff469b7ec7b3cb9d8673fde0c81c44821de2a"));
        assert!(!is_commit_sha("v4"));
        assert!(is_digest_pinned(&format!(
            "node:20@sha256:{}",
            "a".repeat(64)
        )));
        assert!(!is_digest_pinned("node:20@sha256:abc"));
        assert!(!is_digest_pinned("node:20"));
    }

    #[test]
    fn test_data_manifests_are_told_from_deployed_ones() {
        for path in [
            "tests/manifests/job.yaml",
            "tests/e2e/testdata/pods.yaml",
            "internal/controller/testdata/file-transformer/deployment.yaml",
            "pkg/Fixtures/deploy.yaml",
        ] {
            assert!(is_test_data_path(path), "{path}");
        }
        for path in [
            "kubernetes-manifests/frontend.yaml",
            "examples/standard/deployment.yaml",
            "deploy/test-env.yaml",
            "testing.yaml",
        ] {
            assert!(!is_test_data_path(path), "{path}");
        }
    }
}
