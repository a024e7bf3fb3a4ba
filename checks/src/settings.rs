//! The effective configuration: the shape of `vouch.toml`.
//!
//! It lives in the pure crate because checks read it and because it is saved inside
//! [`crate::Facts`], so `vouch check --facts` re-judges with exactly the settings of the scan.
//! Every table denies unknown keys: a setting vouch does not know is an error, not ignored.
//! Nothing here may hold a secret: targets name environment variables, never values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Severity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Per-check severity overrides: `[severity] docker-minimal-base = "medium"`.
    pub severity: BTreeMap<String, Severity>,
    pub docker: DockerSettings,
    pub postgres: PostgresSettings,
    pub aws: AwsSettings,
    pub target: Targets,
    pub waiver: Vec<Waiver>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DockerSettings {
    /// Image name globs accepted as minimal bases by `docker-minimal-base`, in addition to
    /// distroless, Chainguard and `scratch`.
    pub minimal_bases: Vec<String>,
}

/// `[postgres]`: settings for every `pg-*` check, static or live.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresSettings {
    /// Columns that mark a table as tenant-scoped; empty means the built-in defaults.
    pub tenant_columns: Vec<String>,
    /// Roles the application connects as.
    pub runtime_roles: Vec<String>,
    /// Append-only audit tables; empty means the built-in defaults.
    pub audit_tables: Vec<String>,
    /// Globs overriding migration discovery.
    pub migrations: Vec<String>,
}

/// Live targets, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    pub postgres: Vec<PostgresTarget>,
    pub aws: Vec<AwsTarget>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresTarget {
    pub name: String,
    /// The environment variable holding the DSN (never the DSN itself).
    pub dsn_env: String,
}

/// `[[target.aws]]`: one AWS account, read with the standard credential chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsTarget {
    pub name: String,
    /// A profile of `~/.aws/config` (default: the standard chain: env, profile, IMDS…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Regions whose RDS resources are audited (S3 is global). Empty: the chain's region.
    pub regions: Vec<String>,
    /// An emulator or VPC endpoint (`AWS_ENDPOINT_URL` also works); S3 then uses path-style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

/// `[aws]`: settings for every `rds-*` and `s3-*` check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsSettings {
    /// Minimum automated backup retention, in days.
    pub backup_retention_days: i64,
    /// What `s3-default-encryption` accepts: `any` (SSE-S3 or SSE-KMS) or `kms` (SSE-KMS only).
    pub s3_encryption: S3Encryption,
    /// Bucket name globs that hold evidence or audit logs and must use Object Lock.
    pub evidence_buckets: Vec<String>,
    /// API calls in flight at once, over all accounts and regions.
    pub max_in_flight: usize,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            backup_retention_days: 7,
            s3_encryption: S3Encryption::Any,
            evidence_buckets: Vec::new(),
            max_in_flight: 32,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum S3Encryption {
    #[default]
    Any,
    Kms,
}

/// An accepted, time-boxed exception. Applied once, when the report is built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Waiver {
    /// The check id it applies to.
    pub check: String,
    /// A glob over the finding's subject (`tools/*`, `public.legacy_*`).
    pub subject: String,
    pub reason: String,
    /// `YYYY-MM-DD`; the waiver stops applying after this day.
    pub expires: String,
    pub approved_by: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ticket: String,
}

impl Settings {
    /// The severity of a check after `[severity]` overrides.
    pub fn severity_of(&self, check: &str, default: Severity) -> Severity {
        self.severity.get(check).copied().unwrap_or(default)
    }

    /// Problems that serde cannot see: unknown check ids, malformed waiver dates. Each is one
    /// sentence naming the offending key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for check in self.severity.keys() {
            if crate::find(check).is_none() {
                problems.push(format!("[severity] names unknown check `{check}`"));
            }
        }
        for (i, w) in self.waiver.iter().enumerate() {
            let n = i + 1;
            if crate::find(&w.check).is_none() {
                problems.push(format!("waiver #{n} names unknown check `{}`", w.check));
            }
            if w.subject.is_empty() {
                problems.push(format!("waiver #{n} has no `subject` (use \"*\" for all)"));
            }
            if w.reason.trim().is_empty() || w.approved_by.trim().is_empty() {
                problems.push(format!("waiver #{n} needs a `reason` and `approved_by`"));
            }
            if !is_iso_date(&w.expires) {
                problems.push(format!(
                    "waiver #{n} `expires = \"{}\"` is not a YYYY-MM-DD date",
                    w.expires
                ));
            }
        }
        for (i, t) in self.target.aws.iter().enumerate() {
            if t.name.trim().is_empty() {
                problems.push(format!("[[target.aws]] #{} has no `name`", i + 1));
            }
        }
        if self.aws.max_in_flight == 0 {
            problems.push("[aws] `max_in_flight` must be at least 1".to_owned());
        }
        problems
    }
}

/// `YYYY-MM-DD` with a plausible month and day; such dates compare correctly as strings.
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| s[r].bytes().all(|c| c.is_ascii_digit());
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert!(is_iso_date("2027-03-31"));
        assert!(!is_iso_date("2027-3-31"));
        assert!(!is_iso_date("2027-13-01"));
        assert!(!is_iso_date("31/03/2027"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<Settings>("[postgres]\ntenant_colums = []\n").unwrap_err();
        assert!(err.to_string().contains("tenant_colums"), "{err}");
    }
}
