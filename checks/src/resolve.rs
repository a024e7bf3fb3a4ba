//! Parse, don't validate: the raw options of `vouch.toml` ([`Settings`], the serde shape that
//! the reference and the JSON schema are generated from, and that `Facts` saves) resolve into
//! typed effective settings ([`Resolved`]), or into every error at once, each naming the key it
//! is about ([`ConfigError::at`]) so that the loader can print the file and line.
//!
//! Resolution is the one place where globs are compiled, dates parsed, closed sets of strings
//! turned into enums and defaults applied. A section whose consumers still read the raw
//! [`Settings`] is validated here all the same, so nothing that resolves can surprise them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};

use crate::model::Severity;
use crate::settings::{
    ArtifactTarget, AuditChainSettings, ChainPayload, Isolation, PostgresSettings, Settings,
    TLS_VERSIONS,
};

/// One step of a key path: a table key or an index into an array (of tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Name(String),
    Index(usize),
}

impl From<&str> for Key {
    fn from(name: &str) -> Self {
        Key::Name(name.to_owned())
    }
}

impl From<&String> for Key {
    fn from(name: &String) -> Self {
        Key::Name(name.clone())
    }
}

impl From<usize> for Key {
    fn from(index: usize) -> Self {
        Key::Index(index)
    }
}

/// Where in the document an error is: `waiver[1].expires`. A path may go deeper than the
/// document does (a required key that is missing); the loader then points at the deepest part
/// that exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Key>);

impl KeyPath {
    /// This path extended by `key`.
    #[must_use]
    pub fn join(&self, key: impl Into<Key>) -> KeyPath {
        let mut keys = self.0.clone();
        keys.push(key.into());
        KeyPath(keys)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, key) in self.0.iter().enumerate() {
            match key {
                Key::Name(name) if i == 0 => write!(f, "{name}")?,
                Key::Name(name) => write!(f, ".{name}")?,
                Key::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// `at!["waiver", i, "expires"]`: a [`KeyPath`].
macro_rules! at {
    ($($key:expr),* $(,)?) => { KeyPath(vec![$(Key::from($key)),*]) };
}

/// A semantic error of the configuration: one sentence naming the offending key, and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub at: KeyPath,
    pub message: String,
}

/// The errors of one resolution, in the order found.
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Vec<ConfigError>);

impl Errors {
    pub(crate) fn push(&mut self, at: KeyPath, message: impl Into<String>) {
        self.0.push(ConfigError {
            at,
            message: message.into(),
        });
    }

    /// Compiles every glob of `list` (at `at`); a bad one is an error, never skipped: the
    /// consumers would otherwise silently judge less than configured.
    fn globs(&mut self, at: &KeyPath, label: &str, list: &[String]) -> Vec<Glob> {
        list.iter()
            .enumerate()
            .filter_map(|(i, g)| match Glob::new(g) {
                Ok(glob) => Some(glob),
                Err(e) => {
                    self.push(
                        at.join(i),
                        format!("{label}: `{g}` is not a valid glob: {e}"),
                    );
                    None
                }
            })
            .collect()
    }

    fn glob_set(&mut self, at: &KeyPath, label: &str, list: &[String]) -> GlobSet {
        let mut set = GlobSetBuilder::new();
        for glob in self.globs(at, label, list) {
            set.add(glob);
        }
        set.build().unwrap_or_else(|_| GlobSet::empty())
    }

    /// A registered check id, or an error at `at`.
    fn check_id(&mut self, at: KeyPath, what: &str, id: &str) -> Option<&'static str> {
        let found = crate::find(id).map(|c| c.meta().id);
        if found.is_none() {
            self.push(at, format!("{what} names {}", crate::unknown_check(id)));
        }
        found
    }
}

/// The effective settings of the converted sections, typed.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// `[severity]`: overrides of registered checks.
    pub severity: BTreeMap<&'static str, Severity>,
    /// `[checks] disable`: registered checks that are not run.
    pub disabled: BTreeSet<&'static str>,
    /// `[scan] exclude`, compiled.
    pub scan_exclude: GlobSet,
    pub endpoint: EndpointOptions,
    /// `[[waiver]]`, in configuration order.
    pub waivers: Vec<WaiverRule>,
    /// `[vulnerabilities] sla_days`, by severity.
    pub sla_days: BTreeMap<Severity, u32>,
    pub postgres: PostgresOptions,
}

/// `[endpoint]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOptions {
    pub tls_floor: TlsVersion,
    pub expiry_warning_days: u32,
    pub require_preload: bool,
    pub cookie_paths: Vec<String>,
    pub timeout: Duration,
    pub concurrency: NonZeroUsize,
}

/// A TLS protocol version vouch probes, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 4] = [
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// `1.0` … `1.3`, as written in `tls_floor` ([`TLS_VERSIONS`]).
    pub fn as_str(self) -> &'static str {
        TLS_VERSIONS[self as usize]
    }

    pub fn parse(s: &str) -> Option<TlsVersion> {
        TLS_VERSIONS
            .iter()
            .position(|v| *v == s)
            .map(|i| Self::ALL[i])
    }
}

/// A `YYYY-MM-DD` calendar date; orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// `YYYY-MM-DD` with a plausible month and day (`2099-02-30` is no date).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| s[r].bytes().all(|c| c.is_ascii_digit());
        if !(digits(0..4) && digits(5..7) && digits(8..10)) {
            return None;
        }
        let year: u16 = s[0..4].parse().ok()?;
        let month: u8 = s[5..7].parse().ok()?;
        let day: u8 = s[8..10].parse().ok()?;
        ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day))
            .then_some(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// One `[[waiver]]`, resolved: a registered check, compiled globs, a parsed date.
#[derive(Debug, Clone)]
pub struct WaiverRule {
    pub check: &'static str,
    /// Over the finding's subject; `None`: any subject.
    pub subject: Option<GlobMatcher>,
    /// Over the path of the finding's location; `None`: any location.
    pub path: Option<GlobMatcher>,
    pub expires: Date,
    pub reason: String,
    pub approved_by: String,
    pub ticket: String,
}

/// `[postgres]` with its defaults applied: an unset list is the built-in one, `[]` is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    pub tenant_columns: Vec<String>,
    pub audit_tables: Vec<String>,
    pub tenant_settings: Vec<String>,
    pub tenant_functions: Vec<String>,
    pub user_columns: Vec<String>,
    pub user_settings: Vec<String>,
    pub user_functions: Vec<String>,
    pub audit_hash_columns: Vec<String>,
    pub audit_prev_hash_columns: Vec<String>,
    /// `None`: infer from the migrations' grants.
    pub runtime_roles: Option<Vec<String>>,
    pub tenant_paths: bool,
    pub isolation: Isolation,
}

impl PostgresOptions {
    /// The effective values of `[postgres]` (defaults applied by its `effective_*` methods, the
    /// one place they are defined).
    pub fn of(pg: &PostgresSettings) -> PostgresOptions {
        PostgresOptions {
            tenant_columns: pg.effective_tenant_columns(),
            audit_tables: pg.effective_audit_tables(),
            tenant_settings: pg.effective_tenant_settings(),
            tenant_functions: pg.effective_tenant_functions(),
            user_columns: pg.effective_user_columns(),
            user_settings: pg.effective_user_settings(),
            user_functions: pg.effective_user_functions(),
            audit_hash_columns: pg.effective_audit_hash_columns(),
            audit_prev_hash_columns: pg.effective_audit_prev_hash_columns(),
            runtime_roles: pg.runtime_roles.clone(),
            tenant_paths: pg.tenant_paths_enabled(),
            isolation: pg.isolation,
        }
    }
}

/// Resolves the raw settings: the typed effective settings, or every error found.
pub fn resolve(raw: &Settings) -> Result<Resolved, Vec<ConfigError>> {
    let mut errors = Errors::default();
    let resolved = Resolved {
        severity: raw
            .severity
            .iter()
            .filter_map(|(id, severity)| {
                let id = errors.check_id(at!["severity", id], "[severity]", id)?;
                Some((id, *severity))
            })
            .collect(),
        disabled: raw
            .checks
            .disable
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                errors.check_id(at!["checks", "disable", i], "[checks] disable", id)
            })
            .collect(),
        scan_exclude: errors.glob_set(&at!["scan", "exclude"], "[scan] exclude", &raw.scan.exclude),
        endpoint: endpoint(raw, &mut errors),
        waivers: waivers(raw, &mut errors),
        sla_days: sla_days(raw, &mut errors),
        postgres: postgres(raw, &mut errors),
    };
    validate_rest(raw, &mut errors);
    if errors.0.is_empty() {
        Ok(resolved)
    } else {
        Err(errors.0)
    }
}

fn endpoint(raw: &Settings, errors: &mut Errors) -> EndpointOptions {
    let e = &raw.endpoint;
    let tls_floor = TlsVersion::parse(&e.tls_floor).unwrap_or_else(|| {
        errors.push(
            at!["endpoint", "tls_floor"],
            format!(
                "[endpoint] tls_floor = \"{}\" is not one of 1.0, 1.1, 1.2, 1.3",
                e.tls_floor
            ),
        );
        TlsVersion::Tls12
    });
    let concurrency = NonZeroUsize::new(e.concurrency);
    if concurrency.is_none() || e.timeout_ms == 0 {
        let key = if concurrency.is_none() {
            "concurrency"
        } else {
            "timeout_ms"
        };
        errors.push(
            at!["endpoint", key],
            "[endpoint] concurrency and timeout_ms must be above 0",
        );
    }
    for (i, t) in raw.target.endpoint.iter().enumerate() {
        let entry = at!["target", "endpoint", i];
        let name = format!("endpoint target #{}", i + 1);
        if let Some(problem) = crate::settings::https_problem(&name, "url", &t.url) {
            errors.push(entry.join("url"), problem);
        }
        if let Some(claim) = &t.rate_limit {
            for problem in claim.problems(&format!("endpoint target #{}", i + 1)) {
                errors.push(entry.join("rate_limit"), problem);
            }
        }
    }
    EndpointOptions {
        tls_floor,
        expiry_warning_days: e.expiry_warning_days,
        require_preload: e.require_preload,
        cookie_paths: e.cookie_paths.clone(),
        timeout: Duration::from_millis(e.timeout_ms),
        concurrency: concurrency.unwrap_or(NonZeroUsize::MIN),
    }
}

fn waivers(raw: &Settings, errors: &mut Errors) -> Vec<WaiverRule> {
    let mut rules = Vec::new();
    for (i, w) in raw.waiver.iter().enumerate() {
        let n = i + 1;
        let entry = at!["waiver", i];
        let check = errors.check_id(entry.join("check"), &format!("waiver #{n}"), &w.check);
        if w.subject.is_empty() && w.path.is_empty() {
            errors.push(
                entry.clone(),
                format!(
                    "waiver #{n} needs a `subject` or a `path` glob (use subject = \"*\" for all)"
                ),
            );
        }
        let mut matcher = |key: &str, glob: &str| -> Option<GlobMatcher> {
            match Glob::new(glob) {
                Ok(g) => Some(g.compile_matcher()),
                Err(e) => {
                    errors.push(
                        entry.join(key),
                        format!("waiver #{n} {key}: `{glob}` is not a valid glob: {e}"),
                    );
                    None
                }
            }
        };
        let subject = matcher("subject", &w.subject).filter(|_| !w.subject.is_empty());
        let path = matcher("path", &w.path).filter(|_| !w.path.is_empty());
        if w.reason.trim().is_empty() || w.approved_by.trim().is_empty() {
            let key = if w.reason.trim().is_empty() {
                "reason"
            } else {
                "approved_by"
            };
            errors.push(
                entry.join(key),
                format!("waiver #{n} needs a `reason` and `approved_by`"),
            );
        }
        let expires = Date::parse(&w.expires);
        if expires.is_none() {
            errors.push(
                entry.join("expires"),
                format!(
                    "waiver #{n} ({} `{}`) `expires = \"{}\"` is not a YYYY-MM-DD calendar date",
                    w.check, w.subject, w.expires
                ),
            );
        }
        if let (Some(check), Some(expires)) = (check, expires) {
            rules.push(WaiverRule {
                check,
                subject,
                path,
                expires,
                reason: w.reason.clone(),
                approved_by: w.approved_by.clone(),
                ticket: w.ticket.clone(),
            });
        }
    }
    rules
}

fn sla_days(raw: &Settings, errors: &mut Errors) -> BTreeMap<Severity, u32> {
    let mut sla = BTreeMap::new();
    for (name, days) in &raw.vulnerabilities.sla_days {
        let severity = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .into_iter()
        .find(|s| s.as_str() == name.as_str());
        match severity {
            Some(s) => {
                sla.insert(s, *days);
            }
            None => errors.push(
                at!["vulnerabilities", "sla_days", name],
                format!(
                    "[vulnerabilities] sla_days names `{name}`, not one of critical, high, medium, low"
                ),
            ),
        }
    }
    sla
}

fn postgres(raw: &Settings, errors: &mut Errors) -> PostgresOptions {
    let pg = &raw.postgres;
    let section = at!["postgres"];
    let lists: [(&str, &[String]); 6] = [
        (
            "audit_tables",
            pg.audit_tables.as_deref().unwrap_or_default(),
        ),
        ("migrations", &pg.migrations),
        ("include_tables", &pg.include_tables),
        ("exclude_tables", &pg.exclude_tables),
        ("global_tables", &pg.global_tables),
        ("break_glass", &pg.break_glass),
    ];
    for (key, list) in lists {
        errors.globs(&section.join(key), &format!("[postgres] {key}"), list);
    }
    for (key, list) in [
        ("tenant_settings", &pg.tenant_settings),
        ("user_settings", &pg.user_settings),
    ] {
        if let Some(list) = list {
            errors.globs(&section.join(key), &format!("[postgres] {key}"), list);
        }
    }
    audit_chain(&pg.audit_chain, errors);
    for (i, t) in raw.target.postgres.iter().enumerate() {
        let entry = at!["target", "postgres", i];
        if let Some(tables) = &t.audit_tables {
            errors.globs(
                &entry.join("audit_tables"),
                "[[target.postgres]] audit_tables",
                tables,
            );
        }
        if pg.isolation == Isolation::Rls && t.tenant.is_some() {
            // Otherwise the tenant would be silently ignored: nothing judges it under RLS.
            errors.push(
                entry.join("tenant"),
                format!(
                    "[[target.postgres]] `{}` names a `tenant`, which is only read with \
                     [postgres] isolation = \"database\" or \"schema\"",
                    t.name
                ),
            );
        }
    }
    PostgresOptions::of(pg)
}

fn audit_chain(chain: &AuditChainSettings, errors: &mut Errors) {
    let at = at!["postgres", "audit_chain"];
    if chain.payload == ChainPayload::Columns && chain.columns.is_empty() {
        errors.push(
            at.join("payload"),
            "[postgres.audit_chain] payload = \"columns\" needs a non-empty `columns` list",
        );
    }
    if chain.payload != ChainPayload::Columns && !chain.columns.is_empty() {
        errors.push(
            at.join("columns"),
            "[postgres.audit_chain] `columns` is only read with payload = \"columns\"",
        );
    }
    if chain.prev_included.trim().is_empty() {
        errors.push(
            at.join("prev_included"),
            "[postgres.audit_chain] prev_included must be `prefix`, `suffix` or a column name",
        );
    }
}

/// The sections not converted yet: validated (located), still read raw by their consumers.
fn validate_rest(raw: &Settings, errors: &mut Errors) {
    for (key, list) in [
        ("minimal_bases", &raw.docker.minimal_bases),
        ("shipped", &raw.docker.shipped),
    ] {
        errors.globs(&at!["docker", key], &format!("[docker] {key}"), list);
    }
    errors.globs(
        &at!["aws", "evidence_buckets"],
        "[aws] evidence_buckets",
        &raw.aws.evidence_buckets,
    );
    for (i, e) in raw.evidence.vulnerabilities.iter().enumerate() {
        if e.path.trim().is_empty() {
            errors.push(
                at!["evidence", "vulnerabilities", i, "path"],
                "[[evidence.vulnerabilities]] needs a `path`",
            );
        }
    }
    for (i, t) in raw.target.aws.iter().enumerate() {
        if t.name.trim().is_empty() {
            errors.push(
                at!["target", "aws", i, "name"],
                format!("[[target.aws]] #{} has no `name`", i + 1),
            );
        }
    }
    for (i, t) in raw.target.kube.iter().enumerate() {
        if t.name.trim().is_empty() {
            errors.push(
                at!["target", "kube", i, "name"],
                format!("[[target.kube]] #{} has no `name`", i + 1),
            );
        }
        if t.timeout == Some(0) {
            errors.push(
                at!["target", "kube", i, "timeout"],
                format!("[[target.kube]] `{}` timeout must be above 0", t.name),
            );
        }
    }
    for (i, t) in raw.target.image.iter().enumerate() {
        if t.reference.trim().is_empty() {
            errors.push(
                at!["target", "image", i, "ref"],
                format!("[[target.image]] #{} has no `ref`", i + 1),
            );
        }
    }
    artifacts(&raw.target.artifact, errors);
    let a = &raw.artifact;
    if let Some(key) = [
        ("concurrency", a.concurrency == 0),
        ("timeout_ms", a.timeout_ms == 0),
        ("max_bytes", a.max_bytes == 0),
    ]
    .into_iter()
    .find_map(|(key, zero)| zero.then_some(key))
    {
        errors.push(
            at!["artifact", key],
            "[artifact] concurrency, timeout_ms and max_bytes must be above 0",
        );
    }
    for (i, id) in raw.image.identities.iter().enumerate() {
        if id.subject.is_empty() == id.subject_regexp.is_empty() || id.issuer.is_empty() {
            errors.push(
                at!["image", "identities", i],
                format!(
                    "[[image.identities]] #{} needs `issuer` and one of `subject`, `subject_regexp`",
                    i + 1
                ),
            );
        }
    }
    if !raw.image.identities.is_empty() && raw.image.trust_root.is_none() {
        errors.push(
            at!["image", "identities"],
            "[image] identities need a `trust_root` file",
        );
    }
    let image = &raw.image;
    if image.concurrency == 0 || image.timeout_ms == 0 {
        let key = if image.concurrency == 0 {
            "concurrency"
        } else {
            "timeout_ms"
        };
        errors.push(
            at!["image", key],
            "[image] concurrency and timeout_ms must be above 0",
        );
    }
    let aws = &raw.aws;
    if aws.max_in_flight == 0 {
        errors.push(
            at!["aws", "max_in_flight"],
            "[aws] `max_in_flight` must be at least 1",
        );
    }
    if aws.log_retention_days < 1 {
        errors.push(
            at!["aws", "log_retention_days"],
            "[aws] `log_retention_days` must be at least 1",
        );
    }
    for (i, id) in aws.app_security_groups.iter().enumerate() {
        if !id.starts_with("sg-") {
            errors.push(
                at!["aws", "app_security_groups", i],
                format!("[aws] app_security_groups: `{id}` is not a security group id (sg-…)"),
            );
        }
    }
}

fn artifacts(targets: &[ArtifactTarget], errors: &mut Errors) {
    let mut names = BTreeSet::new();
    for (i, t) in targets.iter().enumerate() {
        let entry = at!["target", "artifact", i];
        for (key, problem) in t.problems(i + 1) {
            errors.push(entry.join(key), problem);
        }
        if !t.name.trim().is_empty() && !names.insert(t.name.as_str()) {
            errors.push(
                entry.join("name"),
                format!(
                    "[[target.artifact]] `{}` is named twice; names select targets",
                    t.name
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Settings {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn every_error_is_reported_with_its_key() {
        let errors = resolve(&parse(
            "[severity]\nno-such-check = \"low\"\n[endpoint]\ntls_floor = \"1.4\"\n\
             [[waiver]]\ncheck = \"sbom-present\"\nsubject = \"*\"\nreason = \"r\"\n\
             approved_by = \"a\"\nexpires = \"2027-02-30\"\n",
        ))
        .unwrap_err();
        let got: Vec<(String, &str)> = errors
            .iter()
            .map(|e| (e.at.to_string(), e.message.as_str()))
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, "severity.no-such-check");
        assert!(
            got[0]
                .1
                .starts_with("[severity] names unknown check `no-such-check`")
        );
        assert_eq!(got[1].0, "endpoint.tls_floor");
        assert_eq!(got[2].0, "waiver[0].expires");
        assert!(got[2].1.contains("not a YYYY-MM-DD"), "{got:?}");
    }

    #[test]
    fn a_valid_configuration_resolves_to_typed_effective_values() {
        let r = resolve(&parse(
            "[severity]\nsbom-present = \"low\"\n[checks]\ndisable = [\"docker-non-root\"]\n\
             [scan]\nexclude = [\"vendor/**\"]\n[endpoint]\ntls_floor = \"1.3\"\ntimeout_ms = 500\n\
             [vulnerabilities]\nsla_days = { critical = 7 }\n[postgres]\ntenant_functions = []\n\
             [[waiver]]\ncheck = \"sbom-present\"\npath = \"tools/**\"\nreason = \"r\"\n\
             approved_by = \"a\"\nexpires = \"2028-02-29\"\n",
        ))
        .unwrap();
        assert_eq!(r.severity["sbom-present"], Severity::Low);
        assert!(r.disabled.contains("docker-non-root"));
        assert!(r.scan_exclude.is_match("vendor/x/y.go") && !r.scan_exclude.is_match("src/a"));
        assert_eq!(r.endpoint.tls_floor, TlsVersion::Tls13);
        assert_eq!(r.endpoint.timeout, Duration::from_millis(500));
        assert_eq!(r.endpoint.concurrency.get(), 16, "the default");
        assert_eq!(r.sla_days, BTreeMap::from([(Severity::Critical, 7)]));
        assert!(r.postgres.tenant_functions.is_empty());
        assert!(r.postgres.tenant_columns.contains(&"tenant_id".to_owned()));
        let w = &r.waivers[0];
        assert_eq!(
            (w.check, w.expires.to_string()),
            ("sbom-present", "2028-02-29".into())
        );
        assert!(w.subject.is_none() && w.path.as_ref().unwrap().is_match("tools/a/b"));
    }

    #[test]
    fn the_defaults_resolve_to_the_documented_values() {
        let r = resolve(&Settings::default()).unwrap();
        assert_eq!(r.endpoint.tls_floor, TlsVersion::Tls12);
        assert_eq!(r.endpoint.timeout, Duration::from_secs(10));
        assert_eq!(
            r.sla_days,
            BTreeMap::from([(Severity::Critical, 15), (Severity::High, 30)])
        );
        assert_eq!(
            r.postgres,
            PostgresOptions::of(&PostgresSettings::default())
        );
        assert!(r.postgres.tenant_paths && r.postgres.runtime_roles.is_none());
    }

    #[test]
    fn dates_order_chronologically_and_print_as_written() {
        let a = Date::parse("2027-12-31").unwrap();
        let b = Date::parse("2028-01-01").unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "2028-01-01");
        assert_eq!(Date::parse("2027-1-01"), None);
    }
}
