//! The one explicit list of checks. Adding a check: one file in `rules/`, one line here.

use crate::model::{Check, Context, Finding, Findings};
use crate::rules;

pub static ALL: &[&dyn Check] = &[
    &rules::gha_action_pinned::GhaActionPinned,
    &rules::lockfile_present::LockfilePresent,
    &rules::lockfile_in_sync::LockfileInSync,
    &rules::lockfile_frozen_install::LockfileFrozenInstall,
    &rules::dep_update_config::DepUpdateConfig,
    &rules::sbom_present::SbomPresent,
    &rules::sbom_valid::SbomValid,
    &rules::docker_base_pinned::DockerBasePinned,
    &rules::docker_non_root::DockerNonRoot,
    &rules::docker_minimal_base::DockerMinimalBase,
    &rules::docker_no_secrets::DockerNoSecrets,
    &rules::gha_image_pinned::GhaImagePinned,
    &rules::ci_vuln_scan::CiVulnScan,
    &rules::vuln_critical_sla::VulnCriticalSla,
    &rules::vuln_scan_fresh::VulnScanFresh,
    &rules::secrets_committed::SecretsCommitted,
    &rules::image_digest_pinned::ImageDigestPinned,
    &rules::image_signed::ImageSigned,
    &rules::image_sbom_attested::ImageSbomAttested,
    &rules::image_provenance::ImageProvenance,
    &rules::artifact_signed::ArtifactSigned,
    &rules::artifact_provenance::ArtifactProvenance,
    &rules::k8s_no_privileged::K8sNoPrivileged,
    &rules::k8s_read_only_root_fs::K8sReadOnlyRootFs,
    &rules::k8s_run_as_non_root::K8sRunAsNonRoot,
    &rules::k8s_secrets_not_in_env::K8sSecretsNotInEnv,
    &rules::pg_ssl_enforced::PgSslEnforced,
    &rules::pg_password_scram::PgPasswordScram,
    &rules::pg_audit_chain_valid::PgAuditChainValid,
    &rules::pg_schema_drift::PgSchemaDrift,
    &rules::pg_rls_enabled::PgRlsEnabled,
    &rules::pg_rls_forced::PgRlsForced,
    &rules::pg_rls_policy::PgRlsPolicy,
    &rules::pg_rls_policy_tenant::PgRlsPolicyTenant,
    &rules::pg_table_classified::PgTableClassified,
    &rules::pg_role_no_bypass::PgRoleNoBypass,
    &rules::pg_role_not_owner::PgRoleNotOwner,
    &rules::pg_role_no_ddl::PgRoleNoDdl,
    &rules::pg_audit_append_only::PgAuditAppendOnly,
    &rules::pg_audit_hash_chained::PgAuditHashChained,
    &rules::pg_security_definer_search_path::PgSecurityDefinerSearchPath,
    &rules::pg_tenant_isolation::PgTenantIsolation,
    &rules::tls_min_version::TlsMinVersion,
    &rules::tls_weak_ciphers::TlsWeakCiphers,
    &rules::tls_cert_valid::TlsCertValid,
    &rules::http_hsts::HttpHsts,
    &rules::http_security_headers::HttpSecurityHeaders,
    &rules::http_cookies_secure::HttpCookiesSecure,
    &rules::http_https_redirect::HttpHttpsRedirect,
    &rules::security_txt::SecurityTxtPublished,
    &rules::rds_storage_encrypted::RdsStorageEncrypted,
    &rules::rds_not_public::RdsNotPublic,
    &rules::rds_backup_retention::RdsBackupRetention,
    &rules::rds_deletion_protection::RdsDeletionProtection,
    &rules::rds_force_ssl::RdsForceSsl,
    &rules::rds_iam_auth::RdsIamAuth,
    &rules::rds_snapshot_encrypted::RdsSnapshotEncrypted,
    &rules::rds_snapshot_not_public::RdsSnapshotNotPublic,
    &rules::s3_default_encryption::S3DefaultEncryption,
    &rules::s3_public_access_block::S3PublicAccessBlock,
    &rules::s3_not_public::S3NotPublic,
    &rules::s3_secure_transport::S3SecureTransport,
    &rules::s3_versioning::S3Versioning,
    &rules::s3_object_lock::S3ObjectLock,
    &rules::rds_network_private::RdsNetworkPrivate,
    &rules::sg_db_ingress_restricted::SgDbIngressRestricted,
    &rules::cloudtrail_enabled::CloudtrailEnabled,
    &rules::vpc_flow_logs::VpcFlowLogs,
    &rules::guardduty_enabled::GuarddutyEnabled,
    &rules::kms_key_rotation::KmsKeyRotation,
    &rules::secrets_rotation::SecretsRotation,
    &rules::rds_log_exports::RdsLogExports,
    &rules::logs_encrypted_retained::LogsEncryptedRetained,
    &rules::cloudwatch_error_alarm::CloudwatchErrorAlarm,
    &rules::http_rate_limited::HttpRateLimited,
    &rules::elb_tls_policy::ElbTlsPolicy,
    &rules::cloudfront_tls::CloudfrontTls,
    &rules::waf_attached::WafAttached,
    &rules::waf_managed_rules::WafManagedRules,
    &rules::waf_rate_limit::WafRateLimit,
    &rules::ecr_scan_on_push::EcrScanOnPush,
    &rules::ecr_tag_immutable::EcrTagImmutable,
];

/// The check with this id.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    ALL.iter().copied().find(|c| c.meta().id == id)
}

/// ` (did you mean `ID`?)` naming the registered check closest to an unknown id, or nothing
/// when none is close (more than a third of the id would have to change).
pub fn did_you_mean(id: &str) -> String {
    let nearest = ALL
        .iter()
        .map(|c| c.meta().id)
        .map(|known| (strsim::levenshtein(id, known), known))
        .min();
    match nearest {
        Some((distance, known)) if distance <= id.len().max(3) / 3 + 1 => {
            format!(" (did you mean `{known}`?)")
        }
        _ => String::new(),
    }
}

/// `unknown check `ID`` with the nearest known id, for every message about a bad check id.
pub fn unknown_check(id: &str) -> String {
    format!("unknown check `{id}`{}", did_you_mean(id))
}

/// Runs every check over the facts: findings sorted by (check, subject), severities after
/// `[severity]` overrides.
pub fn judge(facts: &crate::Facts) -> Vec<Finding> {
    let cx = Context::new(facts);
    let mut all = Vec::new();
    for check in ALL {
        all.extend(run_one(*check, &cx));
    }
    all.sort_by(|a, b| (&a.check, &a.subject).cmp(&(&b.check, &b.subject)));
    all
}

/// Runs one check (fixture tests and `vouch explain` use it directly).
pub fn run_one(check: &dyn Check, cx: &Context<'_>) -> Vec<Finding> {
    let meta = check.meta();
    let mut out = Findings::new(meta);
    check.run(cx, &mut out);
    let mut findings = out.into_vec();
    let severity = cx.settings.severity_of(meta.id, meta.severity);
    for f in &mut findings {
        // An explicit per-finding severity (e.g. informational notes) is kept; the override
        // replaces only the check's default.
        if f.severity == meta.severity {
            f.severity = severity;
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn check_ids_are_unique_and_kebab_case() {
        let mut seen = BTreeSet::new();
        for c in ALL {
            let id = c.meta().id;
            assert!(seen.insert(id), "duplicate check id {id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id} is not kebab-case"
            );
            assert!(!c.meta().docs.trim().is_empty(), "{id} has no docs");
        }
    }
}
