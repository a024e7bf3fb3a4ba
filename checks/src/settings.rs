//! The raw configuration: the shape of `vouch.toml`, documented field by field (the reference
//! and `vouch.schema.json` are generated from these types). [`Settings::resolve`] turns it into
//! the typed effective settings of [`crate::resolve`], or into every error with its key.
//!
//! It lives in the pure crate because checks read it and because it is saved inside
//! [`crate::Facts`], so `vouch check --facts` re-judges with exactly the settings of the scan.
//! Every table denies unknown keys: a setting vouch does not know is an error, not ignored.
//! Nothing here may hold a secret: targets name environment variables, never values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Severity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Per-check severity overrides: `[severity] docker-minimal-base = "medium"`.
    pub severity: BTreeMap<String, Severity>,
    pub docker: DockerSettings,
    pub postgres: PostgresSettings,
    pub endpoint: EndpointSettings,
    pub aws: AwsSettings,
    pub image: ImageSettings,
    pub artifact: ArtifactSettings,
    pub target: Targets,
    pub waiver: Vec<Waiver>,
    /// `[waivers]`: how exceptions may be granted.
    #[serde(skip_serializing_if = "WaiverSettings::is_default")]
    pub waivers: WaiverSettings,
    /// `[scan]`: what the repository walk leaves out.
    #[serde(skip_serializing_if = "ScanSettings::is_default")]
    pub scan: ScanSettings,
    /// `[checks]`: checks turned off.
    #[serde(skip_serializing_if = "ChecksSettings::is_default")]
    pub checks: ChecksSettings,
    pub report: ReportSettings,
    /// `[[evidence.vulnerabilities]]`: scanner outputs produced by CI, judged as evidence.
    pub evidence: EvidenceSettings,
    /// `[vulnerabilities]`: the patching SLA those outputs are judged against.
    pub vulnerabilities: VulnSettings,
}

/// `[evidence]`: files other tools produced that vouch reads as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceSettings {
    pub vulnerabilities: Vec<VulnEvidence>,
}

/// One vulnerability scanner output: Trivy JSON, Grype JSON, osv-scanner JSON or SARIF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VulnEvidence {
    /// The file, relative to the scanned root (or absolute).
    pub path: String,
    /// Oldest acceptable scan, in days, when the output does not name the scanned commit.
    pub max_age_days: u32,
}

impl Default for VulnEvidence {
    fn default() -> Self {
        VulnEvidence {
            path: String::new(),
            max_age_days: 7,
        }
    }
}

/// `[vulnerabilities]`: days a fixable vulnerability may stay open, per severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VulnSettings {
    /// `sla_days = { critical = 15, high = 30 }`; severities not named are not judged.
    pub sla_days: BTreeMap<String, u32>,
}

impl Default for VulnSettings {
    /// CISA BOD 19-02's remediation windows: critical 15 days, high 30 days.
    fn default() -> Self {
        VulnSettings {
            sla_days: BTreeMap::from([("critical".to_owned(), 15), ("high".to_owned(), 30)]),
        }
    }
}

/// `[report]`: who and what the report is about, printed in every format's header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// The organisation the evidence is for (`Acme Inc.`).
    pub organisation: String,
    /// The system under audit (`Acme billing platform`).
    pub system: String,
}

/// `[waivers]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WaiverSettings {
    /// Whether `vouch:ignore[...]` comments in files may waive findings (default true). When
    /// false they waive nothing and are reported as invalid.
    pub inline: bool,
}

impl Default for WaiverSettings {
    fn default() -> Self {
        WaiverSettings { inline: true }
    }
}

impl WaiverSettings {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// `[scan]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSettings {
    /// Globs over paths relative to the scanned root that are never read (vendored trees,
    /// generated code): `vendor/**`, `third_party/**`. Listed in the report's scope.
    pub exclude: Vec<String>,
}

impl ScanSettings {
    fn is_default(&self) -> bool {
        self.exclude.is_empty()
    }
}

/// `[checks]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChecksSettings {
    /// Check ids that are not run (their findings are dropped). Listed in the report's scope.
    pub disable: Vec<String>,
}

impl ChecksSettings {
    fn is_default(&self) -> bool {
        self.disable.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DockerSettings {
    /// Image name globs accepted as minimal bases by `docker-minimal-base`, in addition to
    /// distroless, Chainguard, Microsoft and Ubuntu chiseled, Red Hat UBI micro and `scratch`.
    pub minimal_bases: Vec<String>,
    /// Globs over Dockerfile paths that build shipped images. When set, exactly these are
    /// judged by `docker-non-root` and `docker-minimal-base`; when empty, vouch decides from
    /// release workflows and paths (see `docker-non-root`'s docs). Every Dockerfile is judged on
    /// pinning and baked secrets either way.
    pub shipped: Vec<String>,
}

/// `[postgres]`: settings for every `pg-*` check, static or live.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresSettings {
    /// Columns that mark a table as tenant-scoped; unset means the built-in defaults, `[]`
    /// means none.
    pub tenant_columns: Option<Vec<String>>,
    /// Roles the application connects as. Unset: inferred from the migrations' table grants;
    /// `[]`: none.
    pub runtime_roles: Option<Vec<String>>,
    /// Append-only audit tables; unset means the built-in defaults, `[]` means none.
    pub audit_tables: Option<Vec<String>>,
    /// Globs overriding migration discovery (relative to the scanned root). Each glob is one
    /// migration set, applied in natural order of path (`V2` before `V10`).
    pub migrations: Vec<String>,
    /// `[postgres.audit_chain]`: how live audit-table hash chains are verified.
    pub audit_chain: AuditChainSettings,
    /// A table whose foreign keys mark tenant tables (`public.tenants` or `tenants`): a table
    /// referencing it is a tenant table even without a tenant column. Empty: none.
    pub tenant_table: String,
    /// Globs over `schema.table` always treated as tenant tables (`public.*_events`).
    pub include_tables: Vec<String>,
    /// Globs over `schema.table` never treated as tenant tables (wins over everything).
    pub exclude_tables: Vec<String>,
    /// Globs over `schema.table` declared global: every tenant may see all their rows
    /// (`public.countries`, `public.plans`). `pg-table-classified` fails a table the runtime
    /// roles reach that is neither tenant nor global. A tenant column wins over this list (use
    /// `exclude_tables` to declare such a table non-tenant).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub global_tables: Vec<String>,
    /// A table whose only tenant link is a foreign-key chain (`endpoint.app_id ->
    /// application.org_id`) is a tenant table through that path, and its policies must follow
    /// it. Absent: on.
    pub tenant_paths: Option<bool>,
    /// Column names carrying an audit row's own hash; empty means `hash`, `row_hash`,
    /// `entry_hash`.
    pub audit_hash_columns: Vec<String>,
    /// Column names carrying the previous row's hash; empty means `prev_hash`,
    /// `previous_hash`.
    pub audit_prev_hash_columns: Vec<String>,
    /// `current_setting` keys (globs, case-insensitive) that carry the session's tenant, for
    /// `pg-rls-policy-tenant`. Absent: [`DEFAULT_TENANT_SETTINGS`]; `[]`: none.
    pub tenant_settings: Option<Vec<String>>,
    /// Functions (`schema.name`, or a bare name matching any schema) that return the session's
    /// tenant, or decide membership when given a tenant column (`basejump.has_role_on_account`).
    /// Absent: [`DEFAULT_TENANT_FUNCTIONS`]; `[]`: none.
    pub tenant_functions: Option<Vec<String>>,
    /// Columns naming the one user a row belongs to: a policy keying them on the session's user
    /// is user-scoped, stricter than tenant-scoped. Absent: [`DEFAULT_USER_COLUMNS`]; `[]`: none.
    pub user_columns: Option<Vec<String>>,
    /// `current_setting` keys (globs) that carry the session's user. Absent:
    /// [`DEFAULT_USER_SETTINGS`]; `[]`: none.
    pub user_settings: Option<Vec<String>>,
    /// Functions returning the session's user. Absent: [`DEFAULT_USER_FUNCTIONS`]; `[]`: none.
    pub user_functions: Option<Vec<String>>,
    /// Accepted break-glass switches: `current_setting` keys (globs) or function names. A
    /// policy branch that admits every row when such a switch says so passes (and is reported
    /// in the evidence). Default: none, so every such bypass fails.
    pub break_glass: Vec<String>,
    /// Declares that every user belongs to exactly one tenant and that the tenant column of a
    /// row a user writes always holds that user's tenant (a column default or trigger sets it
    /// from the user). A user-scoped `WITH CHECK (user_id = auth.uid())` on a table with its own
    /// tenant column then isolates writes; without it (or a composite foreign key binding the
    /// tenant and user columns) such a policy fails `pg-rls-policy-tenant`. Default: false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub single_tenant_users: bool,
    /// How tenants are kept apart: `rls` (default: row-level security in one database),
    /// `database` (a database per tenant) or `schema` (a schema per tenant). With `database` or
    /// `schema` the RLS checks are not applicable and `pg-tenant-isolation` judges the live
    /// targets that name their `tenant`.
    pub isolation: Isolation,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[derive(strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum Isolation {
    #[default]
    Rls,
    Database,
    Schema,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// `[postgres.audit_chain]`: the hash-chain scheme `pg-audit-chain-valid` verifies. By default
/// each row's `hash` is the lower-case hex SHA-256 of its `prev_hash` (empty when NULL)
/// followed by the compact JSON object of every other column in column order, values as
/// PostgreSQL text; the keys below describe the other common schemes.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuditChainSettings {
    // The hash and previous-hash columns are `[postgres] audit_hash_columns` and
    // `audit_prev_hash_columns` (the first that exists), shared with `pg-audit-hash-chained`.
    /// Columns giving the chain's order; default: the primary key.
    pub order_by: Vec<String>,
    /// Columns left out of the hashed JSON (e.g. filled after insertion).
    pub exclude_columns: Vec<String>,
    /// The digest: `sha256` (default), `sha384` or `sha512`.
    pub algorithm: ChainAlgorithm,
    /// How the digest is written in the hash column: `hex` (default, any case) or `base64`.
    pub encoding: ChainEncoding,
    /// What is hashed besides the previous hash: `json` (default), `json_sorted` or `columns`.
    pub payload: ChainPayload,
    /// For `payload = "columns"`: the columns hashed, in this order, as text (NULL: empty).
    pub columns: Vec<String>,
    /// For `payload = "columns"`: what joins the column values.
    pub separator: String,
    /// Where the previous hash goes: `prefix` (default), `suffix`, or the name of the
    /// previous-hash column, which is then hashed inside the payload like any other column.
    pub prev_included: String,
    /// The first row's previous-hash value: `empty` (NULL or ''), `null`, or a literal.
    /// Unset: NULL, '' or 64 zeros.
    pub genesis: Option<String>,
}

impl Default for AuditChainSettings {
    fn default() -> Self {
        AuditChainSettings {
            order_by: Vec::new(),
            exclude_columns: Vec::new(),
            algorithm: ChainAlgorithm::default(),
            encoding: ChainEncoding::default(),
            payload: ChainPayload::default(),
            columns: Vec::new(),
            separator: "|".to_owned(),
            prev_included: "prefix".to_owned(),
            genesis: None,
        }
    }
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[derive(strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum ChainAlgorithm {
    #[default]
    Sha256,
    Sha384,
    Sha512,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[derive(strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum ChainEncoding {
    #[default]
    Hex,
    Base64,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum ChainPayload {
    #[default]
    Json,
    JsonSorted,
    Columns,
}

impl ChainAlgorithm {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl ChainEncoding {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl ChainPayload {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Built-in tenant columns (matched ignoring case and `_`, so `tenantId` counts).
pub const DEFAULT_TENANT_COLUMNS: &[&str] = &[
    "tenant_id",
    "org_id",
    "organization_id",
    "account_id",
    "workspace_id",
    "team_id",
    "firm_id",
    "customer_id",
];
/// Built-in audit table names (globs over the table name, any schema).
pub const DEFAULT_AUDIT_TABLES: &[&str] = &[
    "audit_log",
    "audit_logs",
    "audit_events",
    "audit_event",
    "audit_trail",
    "audit_trails",
    "audit_entries",
    "audit_records",
    "auditlog",
    "auditlogs",
    "*_audit",
    "*_audits",
    "*_audit_log",
    "*_audit_logs",
];
/// Built-in `current_setting` keys carrying the session's tenant: the common `app.*` names and
/// PostgREST's JWT claims (`request.jwt.claims` JSON, and the older `request.jwt.claim.*`).
pub const DEFAULT_TENANT_SETTINGS: &[&str] = &[
    "app.tenant_id",
    "app.tenant",
    "app.current_tenant",
    "app.current_tenant_id",
    "app.org_id",
    "app.organization_id",
    "app.current_org_id",
    "app.account_id",
    "app.workspace_id",
    "app.team_id",
    "request.jwt.claims",
    "request.jwt.claim.*",
];
/// Built-in tenant functions: Supabase's `auth.uid()` (the user is the tenant) and `auth.jwt()`.
pub const DEFAULT_TENANT_FUNCTIONS: &[&str] = &["auth.uid", "auth.jwt"];
/// Built-in columns naming a row's one user.
pub const DEFAULT_USER_COLUMNS: &[&str] = &["user_id", "owner_id"];
/// Built-in `current_setting` keys carrying the session's user.
pub const DEFAULT_USER_SETTINGS: &[&str] = &[
    "app.user_id",
    "app.current_user_id",
    "request.jwt.claim.sub",
];
/// Built-in functions returning the session's user (Supabase).
pub const DEFAULT_USER_FUNCTIONS: &[&str] = &["auth.uid"];
pub const DEFAULT_AUDIT_HASH_COLUMNS: &[&str] = &["hash", "row_hash", "entry_hash"];
pub const DEFAULT_AUDIT_PREV_HASH_COLUMNS: &[&str] = &["prev_hash", "previous_hash"];

impl PostgresSettings {
    /// The configured list, or the defaults when it is empty.
    fn or_default(list: &[String], defaults: &[&str]) -> Vec<String> {
        if list.is_empty() {
            defaults.iter().map(|s| (*s).to_owned()).collect()
        } else {
            list.to_vec()
        }
    }

    /// The configured list (even empty: "none"), or the defaults when unset.
    fn or_defaults_if_unset(list: Option<&Vec<String>>, defaults: &[&str]) -> Vec<String> {
        match list {
            Some(list) => list.clone(),
            None => defaults.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    pub(crate) fn effective_tenant_columns(&self) -> Vec<String> {
        Self::or_defaults_if_unset(self.tenant_columns.as_ref(), DEFAULT_TENANT_COLUMNS)
    }

    pub(crate) fn effective_tenant_settings(&self) -> Vec<String> {
        Self::or_defaults_if_unset(self.tenant_settings.as_ref(), DEFAULT_TENANT_SETTINGS)
    }

    pub(crate) fn effective_tenant_functions(&self) -> Vec<String> {
        Self::or_defaults_if_unset(self.tenant_functions.as_ref(), DEFAULT_TENANT_FUNCTIONS)
    }

    pub(crate) fn effective_user_columns(&self) -> Vec<String> {
        Self::or_defaults_if_unset(self.user_columns.as_ref(), DEFAULT_USER_COLUMNS)
    }

    pub(crate) fn effective_user_settings(&self) -> Vec<String> {
        Self::or_defaults_if_unset(self.user_settings.as_ref(), DEFAULT_USER_SETTINGS)
    }

    pub(crate) fn effective_user_functions(&self) -> Vec<String> {
        Self::or_defaults_if_unset(self.user_functions.as_ref(), DEFAULT_USER_FUNCTIONS)
    }

    pub(crate) fn effective_audit_tables(&self) -> Vec<String> {
        Self::or_defaults_if_unset(self.audit_tables.as_ref(), DEFAULT_AUDIT_TABLES)
    }

    pub(crate) fn effective_audit_hash_columns(&self) -> Vec<String> {
        Self::or_default(&self.audit_hash_columns, DEFAULT_AUDIT_HASH_COLUMNS)
    }

    pub(crate) fn effective_audit_prev_hash_columns(&self) -> Vec<String> {
        Self::or_default(
            &self.audit_prev_hash_columns,
            DEFAULT_AUDIT_PREV_HASH_COLUMNS,
        )
    }
}

/// Live targets, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    pub postgres: Vec<PostgresTarget>,
    pub endpoint: Vec<EndpointTarget>,
    pub aws: Vec<AwsTarget>,
    pub kube: Vec<KubeTarget>,
    pub image: Vec<ImageTarget>,
    pub artifact: Vec<ArtifactTarget>,
}

/// `[endpoint]`: defaults for every live endpoint probe and `tls-*`/`http-*` check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointSettings {
    /// Lowest TLS version that may be accepted: `1.0`, `1.1`, `1.2` or `1.3`.
    pub tls_floor: String,
    /// A certificate expiring within this many days is a low-severity failure.
    pub expiry_warning_days: u32,
    /// Require the HSTS `preload` directive on every endpoint.
    pub require_preload: bool,
    /// Paths whose Set-Cookie headers `http-cookies-secure` judges (the URL's own path always).
    pub cookie_paths: Vec<String>,
    /// Per-probe timeout (connect, handshake, one HTTP exchange), in milliseconds.
    pub timeout_ms: u64,
    /// Endpoints probed at the same time.
    pub concurrency: usize,
}

impl Default for EndpointSettings {
    fn default() -> Self {
        EndpointSettings {
            tls_floor: "1.2".to_owned(),
            expiry_warning_days: 30,
            require_preload: false,
            cookie_paths: Vec::new(),
            timeout_ms: 10_000,
            concurrency: 16,
        }
    }
}

/// `[[target.endpoint]]`: one live HTTPS endpoint.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointTarget {
    /// `https://host[:port][/path]`.
    pub url: String,
    /// PEM file of the CA(s) to trust instead of the system roots.
    pub ca_file: Option<String>,
    /// Extra paths whose cookies are judged, added to `[endpoint] cookie_paths`.
    pub cookie_paths: Vec<String>,
    /// Overrides `[endpoint] require_preload` for this endpoint.
    pub require_preload: Option<bool>,
    /// The plain-HTTP URL expected to redirect (default: `http://host/path`, port 80).
    pub http_url: Option<String>,
    /// A rate limit to prove live (`http-rate-limited`): vouch then SENDS a bounded burst of
    /// requests to that path. Never probed unless set.
    pub rate_limit: Option<crate::rate_limit::RateLimitClaim>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresTarget {
    pub name: String,
    /// The environment variable holding the DSN (never the DSN itself).
    pub dsn_env: String,
    /// `disable`, `prefer`, `require`, `verify-ca` or `verify-full`; overrides the DSN's
    /// `sslmode`; default `prefer` as in libpq.
    pub sslmode: Option<String>,
    /// PEM file of the CA that signed the server certificate (verify-ca / verify-full).
    pub ca_file: Option<String>,
    /// Seconds to wait for the connection (TCP, TLS and authentication); default 10.
    pub connect_timeout: Option<u64>,
    /// Seconds any one statement may run; default 60.
    pub statement_timeout: Option<u64>,
    /// Override `[postgres]` for this target when given.
    pub runtime_roles: Option<Vec<String>>,
    pub audit_tables: Option<Vec<String>>,
    pub tenant_columns: Option<Vec<String>>,
    /// The tenant whose database (or schema) this target is, for `[postgres] isolation =
    /// "database"` or `"schema"`: it must refuse every other tenant's runtime roles.
    pub tenant: Option<String>,
    /// With `isolation = "schema"`: the tenant's schema (default: the tenant's name).
    pub tenant_schema: Option<String>,
}

/// A `[[target.postgres]]` that names its tenant, with what the isolation judgement needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantTarget {
    /// The target's `name`.
    pub target: String,
    pub tenant: String,
    /// The roles this tenant's application connects as: the target's `runtime_roles`, else
    /// `[postgres] runtime_roles`.
    pub runtime_roles: Vec<String>,
    /// The tenant's schema (`tenant_schema`, default the tenant's name).
    pub schema: String,
}

/// `[[target.aws]]`: one AWS account, read with the standard credential chain.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AwsTarget {
    pub name: String,
    /// A profile of `~/.aws/config` (default: the standard chain: env, profile, IMDS…).
    pub profile: Option<String>,
    /// Regions whose RDS resources are audited (S3 is global). Empty: the chain's region.
    pub regions: Vec<String>,
    /// An emulator or VPC endpoint (`AWS_ENDPOINT_URL` also works); S3 then uses path-style.
    pub endpoint_url: Option<String>,
}

/// `[[target.kube]]`: one Kubernetes cluster, read through its API with a kubeconfig context.
/// Read-only: vouch only lists workloads and asks for discovery and the server version.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KubeTarget {
    pub name: String,
    /// The kubeconfig context (default: the kubeconfig's `current-context`).
    pub context: Option<String>,
    /// The kubeconfig file (default: `KUBECONFIG`, else `~/.kube/config`, as kubectl does).
    /// Credentials stay in that file; only its path is recorded. Each kubeconfig file is read
    /// only if it is a regular file of at most 16 MiB, and the certificate and key files its
    /// context names of at most 4 MiB: anything else is an error for the target. An `exec`
    /// credential plugin runs without a terminal and is stopped after twice `timeout`.
    pub kubeconfig: Option<String>,
    /// Namespaces whose workloads are read. Empty: all namespaces.
    pub namespaces: Vec<String>,
    /// Seconds for connecting and for each read of an API request; default 30. A whole request
    /// (connect and answer) may take twice this, however slowly the server sends its answer,
    /// and its answer may hold at most 64 MiB (a LIST page of 500 objects is far smaller).
    pub timeout: Option<u64>,
}

/// Seconds a Kubernetes API request may take when `[[target.kube]] timeout` is not given.
pub const DEFAULT_KUBE_TIMEOUT_SECS: u64 = 30;

/// `[aws]`: settings for every `rds-*` and `s3-*` check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AwsSettings {
    /// Minimum automated backup retention, in days (RDS keeps at most 35).
    pub backup_retention_days: i64,
    /// What `s3-default-encryption` accepts: `any` (SSE-S3 or SSE-KMS) or `kms` (SSE-KMS only).
    pub s3_encryption: S3Encryption,
    /// Bucket name globs that hold evidence or audit logs and must use Object Lock.
    pub evidence_buckets: Vec<String>,
    /// API calls in flight at once, over all accounts and regions.
    pub max_in_flight: usize,
    /// Security group ids of the application tier: when set, `sg-db-ingress-restricted`
    /// accepts database-port ingress only from these groups.
    pub app_security_groups: Vec<String>,
    /// Minimum CloudWatch Logs retention, in days (`logs-encrypted-retained`).
    pub log_retention_days: i64,
    /// Metric names an error alarm may watch (`cloudwatch-error-alarm`).
    pub error_alarm_metrics: Vec<String>,
    /// AWS managed rule groups (by name) every web ACL must include and enforce.
    pub waf_required_rule_groups: Vec<String>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            backup_retention_days: 7,
            s3_encryption: S3Encryption::Any,
            evidence_buckets: Vec::new(),
            max_in_flight: 32,
            app_security_groups: Vec::new(),
            log_retention_days: 365,
            error_alarm_metrics: [
                "HTTPCode_Target_5XX_Count",
                "HTTPCode_ELB_5XX_Count",
                "5XXError",
                "5xxErrorRate",
                "Errors",
            ]
            .map(str::to_owned)
            .to_vec(),
            waf_required_rule_groups: vec![
                "AWSManagedRulesCommonRuleSet".to_owned(),
                "AWSManagedRulesKnownBadInputsRuleSet".to_owned(),
            ],
        }
    }
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum S3Encryption {
    #[default]
    Any,
    Kms,
}

/// `[image]`: how registry images are resolved and their cosign signatures and attestations
/// verified (`image-signed`, `image-sbom-attested`). Image collection is live work: it runs only
/// with `--all-targets` or when `--target` selects a `[[target.kube]]` or `[[target.image]]`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImageSettings {
    /// Cosign public keys (PKIX PEM files) trusted to sign images and attestations; each key's
    /// name, reported as the signer, is its file stem (`keys/release.pub` is `release`).
    pub keys: Vec<String>,
    /// Keyless signing identities trusted for image signatures (Fulcio certificates), checked
    /// offline against `trust_root`.
    pub identities: Vec<ImageIdentity>,
    /// PEM file with the Fulcio CA certificate(s) keyless certificates must chain to and the
    /// Rekor public key(s) whose signed entry timestamps prove when they signed.
    pub trust_root: Option<String>,
    /// Registries (`host:port`) spoken to over plain HTTP instead of HTTPS.
    pub insecure_registries: Vec<String>,
    /// PEM file of extra CA certificates trusted for HTTPS registries.
    pub ca_file: Option<String>,
    /// Docker `config.json` whose `auths` give registry credentials (default:
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`). Credentials are used, never
    /// recorded.
    pub docker_config: Option<String>,
    /// Verify the images of every collected Kubernetes workload (manifests and live clusters).
    pub workload_images: bool,
    /// Verify the image each Dockerfile's final stage builds on (its `FROM`, followed through
    /// `FROM <earlier stage>` links to the real base).
    pub dockerfile_images: bool,
    /// Images resolved and verified at the same time.
    pub concurrency: usize,
    /// Per registry request timeout, in milliseconds: for connecting and for each read. One
    /// registry operation (its token exchange, its request and a fallback request) must also
    /// finish within three times this, however slowly the registry sends its answer; reading a
    /// blob gets one more second per 256 KiB its descriptor declares.
    pub timeout_ms: u64,
    /// SLSA builder ids (`builder.id`) trusted to produce provenance (`image-provenance`),
    /// exactly, e.g. `https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0`.
    /// A trailing `*` matches any rest (`…generator_container_slsa3.yml@refs/tags/v*`).
    pub trusted_builders: Vec<String>,
    /// Source repositories (and refs) a release may be built from (`image-provenance`).
    pub source_repositories: Vec<SourceRepository>,
}

/// `[[image.source_repositories]]`: a repository releases are built from, and its refs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SourceRepository {
    /// The repository, compared without `git+`, the scheme, and a trailing `.git`
    /// (`https://github.com/acme/api` and `git+https://github.com/acme/api.git` are the same).
    pub repository: String,
    /// Refs it may be built from (`refs/heads/main`, `refs/tags/v*`: a trailing `*` matches any
    /// rest). Empty: any ref.
    pub refs: Vec<String>,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            keys: Vec::new(),
            identities: Vec::new(),
            trust_root: None,
            insecure_registries: Vec::new(),
            ca_file: None,
            docker_config: None,
            workload_images: true,
            dockerfile_images: false,
            concurrency: 16,
            timeout_ms: 10_000,
            trusted_builders: Vec::new(),
            source_repositories: Vec::new(),
        }
    }
}

/// `[[image.identities]]`: a keyless signer, as cosign's `--certificate-identity` (or
/// `--certificate-identity-regexp`) and `--certificate-oidc-issuer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImageIdentity {
    /// The certificate's subject alternative name (e-mail or URI), exactly.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// A regular expression the whole subject alternative name must match.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject_regexp: String,
    /// The OIDC issuer recorded in the certificate (`https://token.actions.githubusercontent.com`).
    pub issuer: String,
}

/// `[[target.image]]`: one image verified in its registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImageTarget {
    /// Default: the reference itself.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `registry/repo:tag` or `registry/repo@sha256:…`.
    #[serde(rename = "ref")]
    pub reference: String,
}

impl ImageTarget {
    /// The name `--target` selects it by.
    pub fn name(&self) -> &str {
        if self.name.is_empty() {
            &self.reference
        } else {
            &self.name
        }
    }
}

/// `[artifact]`: how release artifacts (`[[target.artifact]]`) and their sigstore bundles are
/// read. Their signatures and provenance are verified against the `[image]` trust (`keys`,
/// `trust_root`, `[[image.identities]]`, `trusted_builders`, `[[image.source_repositories]]`):
/// one release pipeline, one trust policy. Artifacts are live targets: read only with
/// `--target NAME` or `--all-targets`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ArtifactSettings {
    /// The largest artifact read, in bytes (a file or a download); a larger one is an error.
    /// The whole artifact is held in memory while its digest and signatures are checked.
    pub max_bytes: u64,
    /// Per download timeout (the whole request, redirects included), in milliseconds.
    pub timeout_ms: u64,
    /// Artifacts read at the same time.
    pub concurrency: usize,
    /// PEM file of extra CA certificates trusted for `https://` artifacts and bundles, instead
    /// of the system roots.
    pub ca_file: Option<String>,
}

impl Default for ArtifactSettings {
    fn default() -> Self {
        ArtifactSettings {
            max_bytes: 512 * 1024 * 1024,
            timeout_ms: 60_000,
            concurrency: 4,
            ca_file: None,
        }
    }
}

/// `[[target.artifact]]`: one release artifact (a binary, an archive) and the sigstore bundle
/// published beside it (`artifact-signed`, `artifact-provenance`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ArtifactTarget {
    /// The name `--target` selects it by, and the findings' subject.
    pub name: String,
    /// A local file: relative to the configuration file's directory, or absolute. Exactly one
    /// of `path` and `url`.
    pub path: Option<String>,
    /// An `https://` URL, downloaded (redirects followed, HTTPS only) within `[artifact]
    /// max_bytes` and `timeout_ms`. Exactly one of `path` and `url`.
    pub url: Option<String>,
    /// The sigstore bundle: a path (relative to the configuration file's directory) or an
    /// `https://` URL. Default: the artifact's path or URL with `.sigstore.json` appended
    /// (cosign `sign-blob --bundle`, sigstore-python), else with `.bundle` (cosign
    /// `attest-blob`, GitHub artifact attestations).
    pub bundle: Option<String>,
}

impl ArtifactTarget {
    /// Where the artifact is read from: the path or the URL.
    pub fn location(&self) -> &str {
        self.path
            .as_deref()
            .or(self.url.as_deref())
            .unwrap_or_default()
    }

    /// The bundle locations to try, in order: the configured one, or the two default names:
    /// the artifact's path with `.sigstore.json` or `.bundle` added (for a URL, to its path,
    /// before any `?query` or `#fragment`).
    pub fn bundle_candidates(&self) -> Vec<String> {
        let location = self.location();
        let (base, rest) = match location.find(['?', '#']) {
            Some(at) if location.contains("://") => location.split_at(at),
            _ => (location, ""),
        };
        match &self.bundle {
            Some(bundle) => vec![bundle.clone()],
            None => [".sigstore.json", ".bundle"]
                .iter()
                .map(|suffix| format!("{base}{suffix}{rest}"))
                .collect(),
        }
    }

    /// Problems with the entry, each one line naming it.
    pub(crate) fn problems(&self, index: usize) -> Vec<(&'static str, String)> {
        let entry = if self.name.trim().is_empty() {
            format!("[[target.artifact]] #{index}")
        } else {
            format!("[[target.artifact]] `{}`", self.name)
        };
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(("name", format!("{entry} has no `name`")));
        }
        match (&self.path, &self.url) {
            (Some(_), Some(_)) => {
                problems.push((
                    "url",
                    format!("{entry} has both `path` and `url`; give exactly one"),
                ));
            }
            (None, None) => problems.push(("path", format!("{entry} needs a `path` or a `url`"))),
            (Some(path), None) if path.trim().is_empty() => {
                problems.push(("path", format!("{entry} has an empty `path`")));
            }
            _ => {}
        }
        if let Some(url) = &self.url {
            problems.extend(https_problem(&entry, "url", url).map(|p| ("url", p)));
        }
        if let Some(bundle) = &self.bundle {
            if bundle.trim().is_empty() {
                problems.push(("bundle", format!("{entry} has an empty `bundle`")));
            } else if bundle.contains("://") {
                problems.extend(https_problem(&entry, "bundle", bundle).map(|p| ("bundle", p)));
            }
        }
        problems
    }
}

/// An `https://` URL without credentials, or the one-line problem naming `entry` and `key`.
pub(crate) fn https_problem(entry: &str, key: &str, url: &str) -> Option<String> {
    let authority = url.split("://").nth(1).unwrap_or("").split('/').next();
    // Before the query and fragment, an `@` is user-info wherever it stands: a password may
    // hold a `/` (`https://u:pa/ss@host/`), which would end the authority above too early.
    let before_query = url.split(['?', '#']).next().unwrap_or(url);
    if authority.is_some_and(|a| a.contains('@')) || before_query.contains('@') {
        // Never echo it: the part before `@` may be a password.
        Some(format!(
            "{entry} {key} carries credentials (`user@`); vouch needs none and would otherwise \
             print them"
        ))
    } else if !url.starts_with("https://") || authority.is_none_or(str::is_empty) {
        // Not echoed either: a query may hold a token, and a malformed URL may hide credentials
        // where the redactor does not look for them.
        Some(format!(
            "{entry} {key} is not an https:// URL naming a host"
        ))
    } else {
        None
    }
}

/// An accepted, time-boxed exception. Applied once, when the report is built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Waiver {
    /// The check id it applies to.
    pub check: String,
    /// A glob over the finding's subject (`node:*`, `public.legacy_*`). Empty: any subject.
    pub subject: String,
    /// A glob over the path of the finding's location (`tools/**`); a finding about a live
    /// resource has no path and never matches. Empty: any location. At least one of `subject`
    /// and `path` is required.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    pub reason: String,
    /// `YYYY-MM-DD`; the waiver stops applying after this day.
    pub expires: String,
    pub approved_by: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ticket: String,
}

impl Settings {
    /// The `[[target.endpoint]]` entry for a URL, if configured.
    pub fn endpoint_target(&self, url: &str) -> Option<&EndpointTarget> {
        self.target.endpoint.iter().find(|t| t.url == url)
    }

    /// Resolves the raw settings into the typed effective ones, or every error, each naming
    /// its key (see [`crate::resolve`]).
    pub fn resolve(&self) -> Result<crate::resolve::Resolved, Vec<crate::resolve::ConfigError>> {
        crate::resolve::resolve(self)
    }
}

/// TLS versions vouch probes, oldest first.
pub const TLS_VERSIONS: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_refused_wherever_it_ends() {
        for url in [
            "https://user:pw@host/app.tgz",
            "https://user:pa/ss@host/app.tgz",
            // An `@` in the path is refused too: it cannot be told from a password with a `/`.
            "https://host/x@y/app.tgz",
        ] {
            let problem = https_problem("[[target.artifact]] `a`", "url", url).unwrap();
            assert!(problem.contains("credentials"), "{url}: {problem}");
            assert!(
                !problem.contains("pa/ss") && !problem.contains("pw"),
                "{problem}"
            );
        }
        // An `@` in the query is not user-info.
        assert_eq!(https_problem("e", "url", "https://host/app?by=a@b"), None);
    }

    /// The messages of the resolution's errors.
    fn problems_of(settings: &Settings) -> Vec<String> {
        crate::resolve::resolve(settings)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn default_bundle_names_go_before_a_query() {
        let target = ArtifactTarget {
            url: Some("https://h.example/app.tgz?raw=true".to_owned()),
            ..ArtifactTarget::default()
        };
        assert_eq!(
            target.bundle_candidates(),
            [
                "https://h.example/app.tgz.sigstore.json?raw=true",
                "https://h.example/app.tgz.bundle?raw=true"
            ]
        );
        let file = ArtifactTarget {
            path: Some("dist/app?.tgz".to_owned()),
            ..ArtifactTarget::default()
        };
        assert_eq!(file.bundle_candidates()[0], "dist/app?.tgz.sigstore.json");
    }

    #[test]
    fn waivers_need_a_subject_or_a_path_and_unknown_ids_get_a_suggestion() {
        let settings: Settings = toml::from_str(
            "[[waiver]]\ncheck = \"docker-base-pined\"\nreason = \"r\"\napproved_by = \"a\"\n\
             expires = \"2099-01-01\"\n\n[[waiver]]\ncheck = \"docker-base-pinned\"\n\
             path = \"tools/**\"\nreason = \"r\"\napproved_by = \"a\"\nexpires = \"2099-01-01\"\n\n\
             [checks]\ndisable = [\"sbom-presnt\"]\n\n[severity]\nzzzz-nothing-like-it = \"low\"\n",
        )
        .unwrap();
        let problems = problems_of(&settings);
        assert!(
            problems.contains(&"waiver #1 names unknown check `docker-base-pined` (did you mean `docker-base-pinned`?)".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(
                &"waiver #1 needs a `subject` or a `path` glob (use subject = \"*\" for all)"
                    .to_owned()
            ),
            "{problems:?}"
        );
        assert!(
            !problems.iter().any(|p| p.starts_with("waiver #2")),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"[checks] disable names unknown check `sbom-presnt` (did you mean `sbom-present`?)".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"[severity] names unknown check `zzzz-nothing-like-it`".to_owned()),
            "no suggestion when nothing is close: {problems:?}"
        );
    }

    #[test]
    fn new_tables_default_quietly_and_are_not_serialized_when_default() {
        let settings = Settings::default();
        assert!(settings.waivers.inline);
        let json = serde_json::to_string(&settings).unwrap();
        assert!(
            !json.contains("waivers") && !json.contains("\"scan\"") && !json.contains("\"checks\""),
            "{json}"
        );
        let set: Settings =
            toml::from_str("[waivers]\ninline = false\n[scan]\nexclude = [\"vendor/**\"]\n")
                .unwrap();
        assert!(!set.waivers.inline);
        assert_eq!(set.scan.exclude, ["vendor/**"]);
        let bad: Settings = toml::from_str("[scan]\nexclude = [\"a/[\"]\n").unwrap();
        assert!(problems_of(&bad)[0].starts_with("[scan] exclude: `a/[` is not a valid glob"));
    }

    #[test]
    fn iso_dates() {
        let iso = |s: &str| crate::resolve::Date::parse(s).is_some();
        assert!(iso("2027-03-31"));
        assert!(!iso("2027-3-31"));
        assert!(!iso("2027-13-01"));
        assert!(!iso("31/03/2027"));
        assert!(!iso("2099-02-30"));
        assert!(!iso("2027-04-31"));
        assert!(!iso("2100-02-29"));
        assert!(iso("2028-02-29"));
        assert!(iso("2000-02-29"));
    }

    #[test]
    fn target_keys_override_the_postgres_section_for_that_target_only() {
        let settings: Settings = toml::from_str(
            "[postgres]\nruntime_roles = [\"app\"]\n\n[[target.postgres]]\nname = \"prod\"\n\
             dsn_env = \"PROD_DSN\"\nruntime_roles = [\"svc\"]\n",
        )
        .unwrap();
        let resolved = settings.resolve().unwrap();
        let live = |name: &str| crate::facts::pg::Database {
            origin: crate::facts::pg::Origin::Live,
            name: name.to_owned(),
            ..Default::default()
        };
        assert_eq!(
            resolved
                .postgres_for(&live("prod"))
                .configured_runtime_roles(),
            ["svc"]
        );
        assert_eq!(
            resolved
                .postgres_for(&live("other"))
                .configured_runtime_roles(),
            ["app"]
        );
    }

    #[test]
    fn keyless_identities_need_a_trust_root_and_one_subject_form() {
        let settings: Settings = toml::from_str(
            "[[image.identities]]\nsubject = \"a@example.com\"\nsubject_regexp = \".*\"\n\
             issuer = \"https://issuer\"\n",
        )
        .unwrap();
        let problems = problems_of(&settings).join("\n");
        assert!(problems.contains("needs `issuer` and one of"), "{problems}");
        assert!(problems.contains("need a `trust_root`"), "{problems}");
        let image: ImageTarget = toml::from_str("ref = \"r/x:1\"").unwrap();
        assert_eq!(image.name(), "r/x:1");
    }

    #[test]
    fn kube_targets_parse_and_need_a_name_and_a_timeout_above_zero() {
        let settings: Settings = toml::from_str(
            "[[target.kube]]\nname = \"prod\"\ncontext = \"prod-admin\"\n\
             namespaces = [\"shop\"]\n\n[[target.kube]]\nname = \"\"\ntimeout = 0\n",
        )
        .unwrap();
        let prod = &settings.target.kube[0];
        assert_eq!(prod.context.as_deref(), Some("prod-admin"));
        assert_eq!((prod.kubeconfig.as_ref(), prod.timeout), (None, None));
        assert_eq!(prod.namespaces, ["shop"]);
        let problems = problems_of(&settings);
        assert!(
            problems.iter().any(|p| p.contains("#2 has no `name`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("timeout must be above 0")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_glob_that_does_not_compile_is_a_configuration_problem() {
        let settings: Settings =
            toml::from_str("[postgres]\nexclude_tables = [\"public.[oops\"]\n").unwrap();
        let problems = problems_of(&settings).join("\n");
        assert!(
            problems.contains("[postgres] exclude_tables: `public.[oops`"),
            "{problems}"
        );
    }

    #[test]
    fn session_value_lists_default_when_absent_and_mean_none_when_empty() {
        let absent: Settings = toml::from_str("[postgres]\n").unwrap();
        assert!(
            absent
                .postgres
                .effective_tenant_settings()
                .contains(&"app.tenant_id".to_owned())
        );
        assert_eq!(
            absent.postgres.effective_tenant_functions(),
            ["auth.uid", "auth.jwt"]
        );
        let given: Settings = toml::from_str(
            "[postgres]\ntenant_settings = [\"app.firm\"]\ntenant_functions = []\n\
             user_columns = []\nuser_settings = [\"app.me\"]\nuser_functions = [\"me\"]\n\
             break_glass = [\"app.bypass_rls\"]\n",
        )
        .unwrap();
        let pg = &given.postgres;
        assert_eq!(pg.effective_tenant_settings(), ["app.firm"]);
        assert!(pg.effective_tenant_functions().is_empty());
        assert!(pg.effective_user_columns().is_empty());
        assert_eq!(pg.effective_user_settings(), ["app.me"]);
        assert_eq!(pg.effective_user_functions(), ["me"]);
        assert_eq!(pg.break_glass, ["app.bypass_rls"]);
        let bad: Settings = toml::from_str("[postgres]\ntenant_settings = [\"app.[x\"]\n").unwrap();
        assert!(
            problems_of(&bad)
                .join("\n")
                .contains("[postgres] tenant_settings: `app.[x`")
        );
    }

    #[test]
    fn an_explicitly_empty_list_means_none_and_unset_means_the_defaults() {
        let empty: Settings = toml::from_str(
            "[postgres]\ntenant_columns = []\naudit_tables = []\nruntime_roles = []\n",
        )
        .unwrap();
        assert!(empty.postgres.effective_tenant_columns().is_empty());
        assert!(empty.postgres.effective_audit_tables().is_empty());
        assert!(empty.postgres.runtime_roles.is_some());
        let unset = Settings::default();
        assert!(
            unset
                .postgres
                .effective_tenant_columns()
                .contains(&"team_id".to_owned())
        );
        assert!(
            unset
                .postgres
                .effective_audit_tables()
                .contains(&"audit_logs".to_owned())
        );
        assert!(unset.postgres.runtime_roles.is_none());
    }

    #[test]
    fn isolation_tenants_and_chain_schemes_parse_and_inconsistencies_are_problems() {
        let settings: Settings = toml::from_str(
            "[postgres]\nisolation = \"schema\"\nruntime_roles = [\"shared\"]\n\n\
             [postgres.audit_chain]\nalgorithm = \"sha512\"\nencoding = \"base64\"\n\
             payload = \"columns\"\n\n\
             [[target.postgres]]\nname = \"a\"\ndsn_env = \"A\"\ntenant = \"acme\"\n\
             runtime_roles = [\"acme_app\"]\n\n\
             [[target.postgres]]\nname = \"b\"\ndsn_env = \"B\"\ntenant = \"globex\"\n\
             tenant_schema = \"t_globex\"\n",
        )
        .unwrap();
        let tenants = crate::resolve::resolve(&Settings {
            postgres: PostgresSettings {
                audit_chain: AuditChainSettings::default(),
                ..settings.postgres.clone()
            },
            ..settings.clone()
        })
        .unwrap()
        .tenant_targets;
        assert_eq!(
            (
                tenants[0].schema.as_str(),
                tenants[0].runtime_roles.as_slice()
            ),
            ("acme", ["acme_app".to_owned()].as_slice())
        );
        assert_eq!(
            (
                tenants[1].schema.as_str(),
                tenants[1].runtime_roles.as_slice()
            ),
            ("t_globex", ["shared".to_owned()].as_slice()),
            "a target without runtime_roles uses [postgres]'s"
        );
        assert_eq!(
            settings.postgres.audit_chain.algorithm,
            ChainAlgorithm::Sha512
        );
        let problems = problems_of(&settings).join("\n");
        assert!(
            problems.contains("needs a non-empty `columns` list"),
            "{problems}"
        );
        let mut rls = settings.clone();
        rls.postgres.isolation = Isolation::Rls;
        assert!(
            problems_of(&rls)
                .join("\n")
                .contains("`a` names a `tenant`, which is only read with")
        );
        let bad = toml::from_str::<Settings>("[postgres]\nisolation = \"cluster\"\n").unwrap_err();
        assert!(bad.to_string().contains("cluster"), "{bad}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<Settings>("[postgres]\ntenant_colums = []\n").unwrap_err();
        assert!(err.to_string().contains("tenant_colums"), "{err}");
    }
}
