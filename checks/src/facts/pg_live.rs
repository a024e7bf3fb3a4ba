//! What only a running PostgreSQL server can tell: server settings, `pg_hba.conf` rules, how
//! role passwords are hashed, partitioning, and the result of verifying each audit table's
//! hash chain. Filled by the live collector into [`super::pg::Database::live`]; migrations
//! never fill it.
//!
//! A part the auditing role could not read carries its cause in an `*_error` field: the checks
//! turn it into `error`, never `pass`. Nothing here holds a secret: password hashes are reduced
//! to their method on the server and never leave it.

use serde::{Deserialize, Serialize};

use crate::model::Location;

/// The live-only part of one database's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveState {
    /// `postgres://HOST:PORT/DB`: never a user or a password.
    pub uri: String,
    pub server_version: String,
    /// The role vouch connected as.
    pub connected_as: String,
    /// Whether vouch's own session ran over TLS.
    pub tls_in_use: bool,
    /// Server settings vouch judges (`ssl`, `password_encryption`, `log_connections`…).
    pub settings: Vec<ServerSetting>,
    pub settings_error: Option<String>,
    /// `pg_hba_file_rules`, in file order.
    pub hba_rules: Vec<HbaRule>,
    /// Why `pg_hba_file_rules` could not be read (it needs a grant: see docs/guide/postgres.md).
    pub hba_error: Option<String>,
    /// How each role's password is stored (method only).
    pub passwords: Vec<RolePassword>,
    /// Why `pg_authid` could not be read (it needs superuser or a column grant).
    pub passwords_error: Option<String>,
    /// Partitioned tables and partitions (ordinary tables are not listed).
    pub partitions: Vec<PartitionInfo>,
    /// One verification per audit table found or configured.
    pub audit_chains: Vec<AuditChain>,
    /// For a target that names its `tenant`: what this database grants the runtime roles of
    /// every tenant (`pg-tenant-isolation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_access: Option<TenantAccess>,
}

/// What one tenant's database (or schema) grants the runtime roles of every declared tenant.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantAccess {
    pub tenant: String,
    /// `current_database()`.
    pub database: String,
    /// Whether PUBLIC holds CONNECT on the database (the default for a new database).
    pub public_connect: bool,
    /// With schema isolation: the tenant's schema, whether it exists, and whether PUBLIC holds
    /// USAGE on it.
    pub schema: Option<String>,
    pub schema_exists: bool,
    pub public_schema_usage: bool,
    /// One entry per runtime role of any tenant target.
    pub roles: Vec<RoleAccess>,
    /// Why the grants could not be read.
    pub error: Option<String>,
}

/// What PostgreSQL itself answers for one role (`has_database_privilege`,
/// `has_schema_privilege`: membership, PUBLIC and superuser included).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoleAccess {
    pub role: String,
    /// The role exists on this server.
    pub exists: bool,
    pub superuser: bool,
    pub can_connect: bool,
    /// USAGE on the tenant's schema (schema isolation only).
    pub schema_usage: Option<bool>,
    /// The role's `search_path` settings (`ALTER ROLE … SET search_path`), for every database
    /// and this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub search_path: Vec<String>,
}

impl LiveState {
    /// The value of a collected server setting.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSetting {
    pub name: String,
    pub value: String,
}

/// One line of `pg_hba.conf` as PostgreSQL parsed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HbaRule {
    pub line: u32,
    /// `local`, `host`, `hostssl`, `hostnossl`, `hostgssenc`, `hostnogssenc`.
    pub kind: String,
    #[serde(default)]
    pub databases: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// `scram-sha-256`, `md5`, `trust`, `reject`, `cert`…
    pub auth_method: String,
    /// PostgreSQL's own complaint about the line, if any.
    #[serde(default)]
    pub error: Option<String>,
}

/// How a role's password is stored: `scram-sha-256`, `md5`, `none` or `other`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePassword {
    pub role: String,
    pub method: String,
    #[serde(default)]
    pub login: bool,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionInfo {
    /// `schema.table`.
    pub table: String,
    /// `partitioned` (a parent) or `partition` (a child).
    pub kind: String,
    /// For a partition: its parent `schema.table`.
    #[serde(default)]
    pub parent: Option<String>,
}

/// The result of walking one audit table's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditChain {
    /// `schema.table`.
    pub table: String,
    pub location: Location,
    pub hash_column: Option<String>,
    pub prev_hash_column: Option<String>,
    /// The columns the chain is ordered by.
    #[serde(default)]
    pub order_by: Vec<String>,
    /// The hashing scheme applied (see `pg-audit-chain-valid`).
    pub scheme: String,
    pub rows_checked: u64,
    /// Rows whose link or hash did not verify.
    #[serde(default)]
    pub broken_rows: u64,
    #[serde(default)]
    pub first_broken: Option<BrokenRow>,
    /// When the configured scheme did not verify the first rows but another common scheme
    /// did: that scheme (`sha512/base64, payload json_sorted, previous hash as suffix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifies_as: Option<String>,
    /// Why the chain could not be verified (no SELECT, no hash column…).
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokenRow {
    /// The row's primary key (or `order_by` values), comma-separated, as text.
    pub key: String,
    /// `prev_hash` or `hash`: which link failed.
    pub reason: String,
    pub expected: String,
    pub found: String,
}

/// Which tables are audit tables: one rule for the collector (whose hash chains it walks) and
/// the checks (which tables they judge as audit tables). A pattern with a `.` matches
/// `schema.name`, any other the bare table name (so `audit*` never matches every table of a
/// schema named `audit…`). Compiled once, when the configuration resolves
/// (`PostgresOptions::audit`, from `audit_tables`: unset, the defaults; an empty list, none).
#[derive(Debug, Clone)]
pub struct AuditTables {
    /// The patterns as configured (the collector reports each exact name it does not find).
    patterns: Vec<String>,
    qualified: globset::GlobSet,
    bare: globset::GlobSet,
}

impl AuditTables {
    /// No audit table.
    pub fn none() -> AuditTables {
        AuditTables {
            patterns: Vec::new(),
            qualified: globset::GlobSet::empty(),
            bare: globset::GlobSet::empty(),
        }
    }

    /// The matcher of `patterns`, or why one does not compile (naming it).
    pub fn compile(patterns: &[String]) -> Result<AuditTables, String> {
        let set = |qualified: bool| -> Result<globset::GlobSet, String> {
            let mut set = globset::GlobSetBuilder::new();
            for p in patterns.iter().filter(|p| p.contains('.') == qualified) {
                set.add(
                    globset::Glob::new(p).map_err(|e| format!("`{p}` is not a valid glob: {e}"))?,
                );
            }
            set.build()
                .map_err(|e| format!("the globs do not compile: {e}"))
        };
        Ok(AuditTables {
            patterns: patterns.to_vec(),
            qualified: set(true)?,
            bare: set(false)?,
        })
    }

    /// The patterns the matcher was compiled from, as configured.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn matches(&self, name: &str, qualified: &str) -> bool {
        self.bare.is_match(name) || self.qualified.is_match(qualified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_table_matching() {
        let new = |patterns: &[String]| AuditTables::compile(patterns).unwrap();
        let defaults = crate::resolve::PostgresOptions::default().audit;
        assert!(defaults.matches("audit_events", "public.audit_events"));
        assert!(defaults.matches("billing_audit", "app.billing_audit"));
        assert!(!defaults.matches("orders", "public.orders"));
        let qualified = new(&["app.events".to_owned()]);
        assert!(qualified.matches("events", "app.events"));
        assert!(!qualified.matches("events", "public.events"));
        assert!(!qualified.matches("audit_events", "public.audit_events"));
        assert!(!new(&[]).matches("audit_events", "public.audit_events"));
        assert!(
            AuditTables::compile(&["a[".to_owned()])
                .unwrap_err()
                .contains("`a[`")
        );
        // A bare pattern never matches through the schema's name.
        let bare = new(&["audit*".to_owned()]);
        assert!(!bare.matches("orders", "audit_schema.orders"));
        assert!(bare.matches("audit_log", "app.audit_log"));
    }
}
