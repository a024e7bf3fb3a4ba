//! The one explicit list of checks. Adding a check: one file in `rules/`, one line here.

use crate::model::{Check, Context, Finding, Findings};
use crate::rules;

pub static ALL: &[&dyn Check] = &[
    &rules::workflow::gha_action_pinned::GhaActionPinned,
    &rules::supply_chain::lockfile_present::LockfilePresent,
    &rules::supply_chain::lockfile_in_sync::LockfileInSync,
    &rules::supply_chain::lockfile_frozen_install::LockfileFrozenInstall,
    &rules::supply_chain::dep_update_config::DepUpdateConfig,
    &rules::supply_chain::sbom_present::SbomPresent,
    &rules::supply_chain::sbom_valid::SbomValid,
    &rules::docker::docker_base_pinned::DockerBasePinned,
    &rules::docker::docker_non_root::DockerNonRoot,
    &rules::docker::docker_minimal_base::DockerMinimalBase,
    &rules::docker::docker_no_secrets::DockerNoSecrets,
    &rules::workflow::gha_image_pinned::GhaImagePinned,
    &rules::workflow::ci_vuln_scan::CiVulnScan,
    &rules::supply_chain::vuln_critical_sla::VulnCriticalSla,
    &rules::supply_chain::vuln_scan_fresh::VulnScanFresh,
    &rules::secrets::secrets_committed::SecretsCommitted,
    &rules::image::image_digest_pinned::ImageDigestPinned,
    &rules::image::image_signed::ImageSigned,
    &rules::image::image_sbom_attested::ImageSbomAttested,
    &rules::image::image_provenance::ImageProvenance,
    &rules::artifact::artifact_signed::ArtifactSigned,
    &rules::artifact::artifact_provenance::ArtifactProvenance,
    &rules::kube::k8s_no_privileged::K8sNoPrivileged,
    &rules::kube::k8s_read_only_root_fs::K8sReadOnlyRootFs,
    &rules::kube::k8s_run_as_non_root::K8sRunAsNonRoot,
    &rules::kube::k8s_secrets_not_in_env::K8sSecretsNotInEnv,
    &rules::postgres::pg_ssl_enforced::PgSslEnforced,
    &rules::postgres::pg_password_scram::PgPasswordScram,
    &rules::postgres::pg_audit_chain_valid::PgAuditChainValid,
    &rules::postgres::pg_schema_drift::PgSchemaDrift,
    &rules::postgres::pg_rls_enabled::PgRlsEnabled,
    &rules::postgres::pg_rls_forced::PgRlsForced,
    &rules::postgres::pg_rls_policy::PgRlsPolicy,
    &rules::postgres::pg_rls_policy_tenant::PgRlsPolicyTenant,
    &rules::postgres::pg_table_classified::PgTableClassified,
    &rules::postgres::pg_role_no_bypass::PgRoleNoBypass,
    &rules::postgres::pg_role_not_owner::PgRoleNotOwner,
    &rules::postgres::pg_role_no_ddl::PgRoleNoDdl,
    &rules::postgres::pg_audit_append_only::PgAuditAppendOnly,
    &rules::postgres::pg_audit_hash_chained::PgAuditHashChained,
    &rules::postgres::pg_security_definer_search_path::PgSecurityDefinerSearchPath,
    &rules::postgres::pg_tenant_isolation::PgTenantIsolation,
    &rules::endpoint::tls_min_version::TlsMinVersion,
    &rules::endpoint::tls_weak_ciphers::TlsWeakCiphers,
    &rules::endpoint::tls_cert_valid::TlsCertValid,
    &rules::endpoint::http_hsts::HttpHsts,
    &rules::endpoint::http_security_headers::HttpSecurityHeaders,
    &rules::endpoint::http_cookies_secure::HttpCookiesSecure,
    &rules::endpoint::http_https_redirect::HttpHttpsRedirect,
    &rules::endpoint::security_txt::SecurityTxtPublished,
    &rules::aws::rds_storage_encrypted::RdsStorageEncrypted,
    &rules::aws::rds_not_public::RdsNotPublic,
    &rules::aws::rds_backup_retention::RdsBackupRetention,
    &rules::aws::rds_deletion_protection::RdsDeletionProtection,
    &rules::aws::rds_force_ssl::RdsForceSsl,
    &rules::aws::rds_iam_auth::RdsIamAuth,
    &rules::aws::rds_snapshot_encrypted::RdsSnapshotEncrypted,
    &rules::aws::rds_snapshot_not_public::RdsSnapshotNotPublic,
    &rules::aws::s3_default_encryption::S3DefaultEncryption,
    &rules::aws::s3_public_access_block::S3PublicAccessBlock,
    &rules::aws::s3_not_public::S3NotPublic,
    &rules::aws::s3_secure_transport::S3SecureTransport,
    &rules::aws::s3_versioning::S3Versioning,
    &rules::aws::s3_object_lock::S3ObjectLock,
    &rules::aws::rds_network_private::RdsNetworkPrivate,
    &rules::aws::sg_db_ingress_restricted::SgDbIngressRestricted,
    &rules::aws::cloudtrail_enabled::CloudtrailEnabled,
    &rules::aws::vpc_flow_logs::VpcFlowLogs,
    &rules::aws::guardduty_enabled::GuarddutyEnabled,
    &rules::aws::kms_key_rotation::KmsKeyRotation,
    &rules::aws::secrets_rotation::SecretsRotation,
    &rules::aws::rds_log_exports::RdsLogExports,
    &rules::aws::logs_encrypted_retained::LogsEncryptedRetained,
    &rules::aws::cloudwatch_error_alarm::CloudwatchErrorAlarm,
    &rules::endpoint::http_rate_limited::HttpRateLimited,
    &rules::aws::elb_tls_policy::ElbTlsPolicy,
    &rules::aws::cloudfront_tls::CloudfrontTls,
    &rules::aws::waf_attached::WafAttached,
    &rules::aws::waf_managed_rules::WafManagedRules,
    &rules::aws::waf_rate_limit::WafRateLimit,
    &rules::aws::ecr_scan_on_push::EcrScanOnPush,
    &rules::aws::ecr_tag_immutable::EcrTagImmutable,
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

/// Runs every check over the facts, judged with `options` (their settings, resolved once by
/// the caller): findings sorted by (check, subject), severities after `[severity]` overrides.
/// The checks of `[checks] disable` are not run.
pub fn judge(facts: &crate::Facts, options: &crate::resolve::Resolved) -> Vec<Finding> {
    let cx = Context::new(facts, options);
    let mut all = Vec::new();
    for check in ALL {
        if options.disabled.contains(check.meta().id) {
            continue;
        }
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
    let severity = cx.options.severity_of(meta.id, meta.severity);
    // Facts are redacted before judging, but a check may rebuild text from them (the shell
    // reader removes quotes and `\`-newlines, which can join a token split across them): what
    // a finding says is redacted again.
    let redactor = crate::redact::Redactor::default();
    for f in &mut findings {
        for text in [&mut f.subject, &mut f.message] {
            if let std::borrow::Cow::Owned(clean) = redactor.text(text) {
                *text = clean;
            }
        }
        redactor.json(&mut f.evidence);
        // An explicit per-finding severity (e.g. informational notes) is kept; the override
        // replaces only the check's default.
        if f.severity == meta.severity {
            f.severity = severity;
        }
    }
    findings
}

/// For the checks' tests: runs one check on `facts` under the settings they carry.
#[cfg(test)]
pub(crate) fn run_on(check: &dyn Check, facts: &crate::Facts) -> Vec<Finding> {
    run_one(
        check,
        &Context::new(facts, &facts.settings.resolve().unwrap()),
    )
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
