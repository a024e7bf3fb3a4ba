//! Parse, don't validate: the raw options of `vouch.toml` ([`Settings`], the serde shape that
//! the reference and the JSON schema are generated from, and that `Facts` saves) resolve into
//! typed effective settings ([`Resolved`]), or into every error at once, each naming the key it
//! is about ([`ConfigError::at`]) so that the loader can print the file and line.
//!
//! Resolution is the one place where globs are compiled, dates parsed, closed sets of strings
//! turned into enums and defaults applied. What is left raw is already its effective form (the
//! `[report]` strings, `[waivers] inline`, the targets' own fields), validated here all the
//! same, so nothing that resolves can surprise a consumer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::facts::pg::{Database, Origin};
use crate::facts::pg_live::AuditTables;
use crate::model::Severity;
use crate::settings::{
    ArtifactSettings, ArtifactTarget, AuditChainSettings, AwsSettings, ChainPayload, ImageIdentity,
    ImageSettings, Isolation, PostgresSettings, S3Encryption, Settings, SourceRepository,
    TLS_VERSIONS, TenantTarget,
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
    /// consumers would otherwise silently judge less than configured. The list must also build
    /// into one set: a set that does not build (a regex over globset's size limit) is an error
    /// too, never an empty set that matches nothing.
    fn globs(&mut self, at: &KeyPath, label: &str, list: &[String]) {
        self.compiled(at, label, list, false);
    }

    /// [`Self::globs_of`] matching without case (session settings in the policy vocabulary).
    fn globs_of_any_case(&mut self, at: &KeyPath, label: &str, list: &[String]) -> Globs {
        let set = self.compiled(at, label, list, true);
        Globs {
            texts: list.into(),
            set: Arc::new(set.unwrap_or_else(GlobSet::empty)),
        }
    }

    /// A section's `concurrency` and `timeout_ms`, both above 0 (else an error at each key in
    /// error, and 1 in its place).
    fn limits(
        &mut self,
        section: &str,
        concurrency: usize,
        timeout_ms: u64,
    ) -> (NonZeroUsize, Duration) {
        let nonzero = NonZeroUsize::new(concurrency);
        for (key, zero) in [
            ("concurrency", nonzero.is_none()),
            ("timeout_ms", timeout_ms == 0),
        ] {
            if zero {
                self.push(
                    at![section, key],
                    format!("[{section}] {key} must be above 0"),
                );
            }
        }
        (
            nonzero.unwrap_or(NonZeroUsize::MIN),
            Duration::from_millis(timeout_ms.max(1)),
        )
    }

    /// [`Globs`] of `list`; when in error (reported, so resolution fails), matching nothing.
    fn globs_of(&mut self, at: &KeyPath, label: &str, list: &[String]) -> Globs {
        Globs {
            texts: list.into(),
            set: Arc::new(self.glob_set(at, label, list)),
        }
    }

    /// The compiled set of `list`; when it is in error (reported, so resolution fails), an
    /// empty set that nothing uses.
    fn glob_set(&mut self, at: &KeyPath, label: &str, list: &[String]) -> GlobSet {
        self.compiled(at, label, list, false)
            .unwrap_or_else(GlobSet::empty)
    }

    fn compiled(
        &mut self,
        at: &KeyPath,
        label: &str,
        list: &[String],
        any_case: bool,
    ) -> Option<GlobSet> {
        let globs: Vec<Glob> = list
            .iter()
            .enumerate()
            .filter_map(
                |(i, g)| match GlobBuilder::new(g).case_insensitive(any_case).build() {
                    Ok(glob) => Some(glob),
                    Err(e) => {
                        self.push(
                            at.join(i),
                            format!("{label}: `{g}` is not a valid glob: {e}"),
                        );
                        None
                    }
                },
            )
            .collect();
        if globs.len() < list.len() {
            return None;
        }
        build_set(&globs)
            .map_err(|e| {
                self.push(
                    at.clone(),
                    format!("{label}: the globs do not compile: {e}"),
                );
            })
            .ok()
    }

    /// One glob matched on its own (a waiver's `subject` or `path`), or an error at `at`.
    fn pattern(&mut self, at: KeyPath, label: &str, glob: &str) -> Option<Pattern> {
        Pattern::new(glob)
            .map_err(|e| self.push(at, format!("{label}: {e}")))
            .ok()
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

/// A set of compiled globs; the build can fail (a regex over the size limit), which is an error
/// of the configuration, never an empty set.
fn build_set(globs: &[Glob]) -> Result<GlobSet, globset::Error> {
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        set.add(glob.clone());
    }
    set.build()
}

/// One compiled glob and its text as written.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    set: GlobSet,
}

impl Pattern {
    /// One glob compiled on its own, or why it does not compile (naming it).
    pub fn new(glob: &str) -> Result<Pattern, String> {
        let compiled = Glob::new(glob)
            .map_err(|e| format!("`{glob}` is not a valid glob: {e}"))
            .and_then(|g| {
                build_set(std::slice::from_ref(&g))
                    .map_err(|e| format!("`{glob}` does not compile: {e}"))
            })?;
        Ok(Pattern {
            text: glob.to_owned(),
            set: compiled,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.set.is_match(text)
    }
}

/// A list of globs compiled into one set, and the globs as written (quoted in evidence).
#[derive(Debug, Clone)]
pub struct Globs {
    texts: Arc<[String]>,
    /// Shared: the policy vocabulary holds these per table.
    set: Arc<GlobSet>,
}

impl Globs {
    /// No globs: matches nothing.
    pub fn empty() -> Globs {
        Globs {
            texts: Arc::from([]),
            set: Arc::new(GlobSet::empty()),
        }
    }

    pub fn is_match(&self, text: impl AsRef<std::path::Path>) -> bool {
        self.set.is_match(text)
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The globs as configured.
    pub fn as_written(&self) -> &[String] {
        &self.texts
    }
}

impl serde::Serialize for Globs {
    /// As written: evidence quotes the configuration, not the compiled form.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.texts.serialize(serializer)
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
    /// `[postgres]`, for the migrations and every database no live target overrides.
    pub postgres: PostgresOptions,
    /// `[postgres]` with each `[[target.postgres]]`'s own keys applied, by target name.
    pub postgres_targets: BTreeMap<String, PostgresOptions>,
    /// Every `[[target.postgres]]` that names its tenant, in configuration order.
    pub tenant_targets: Vec<TenantTarget>,
    pub aws: AwsOptions,
    pub docker: DockerOptions,
    /// `[image]`: how registries are read, and the trust of images and release artifacts.
    pub image: ImageOptions,
    pub artifact: ArtifactOptions,
}

impl Resolved {
    /// The severity of a check after `[severity]` overrides.
    pub fn severity_of(&self, check: &str, default: Severity) -> Severity {
        self.severity.get(check).copied().unwrap_or(default)
    }

    /// The `[postgres]` options in force for one database: a live target's own keys override
    /// the section. Every pg check and the live collector judge a database with these.
    pub fn postgres_for(&self, db: &Database) -> &PostgresOptions {
        self.postgres_target(db.origin, &db.name)
    }

    /// [`Self::postgres_for`] by origin and target name.
    pub fn postgres_target(&self, origin: Origin, name: &str) -> &PostgresOptions {
        match origin {
            Origin::Live => self.postgres_targets.get(name).unwrap_or(&self.postgres),
            Origin::Migrations => &self.postgres,
        }
    }
}

/// `[endpoint]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOptions {
    pub tls_floor: TlsVersion,
    pub expiry_warning_days: u32,
    pub require_preload: bool,
    /// `[[target.endpoint]] require_preload`, by URL, where a target sets it.
    pub require_preload_by_url: BTreeMap<String, bool>,
    pub cookie_paths: Vec<String>,
    pub timeout: Duration,
    pub concurrency: NonZeroUsize,
}

impl EndpointOptions {
    /// Whether the endpoint at `url` must carry the HSTS `preload` directive: its target's
    /// `require_preload`, else `[endpoint]`'s.
    pub fn require_preload_for(&self, url: &str) -> bool {
        self.require_preload_by_url
            .get(url)
            .copied()
            .unwrap_or(self.require_preload)
    }
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

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    pub subject: Option<Pattern>,
    /// Over the path of the finding's location; `None`: any location.
    pub path: Option<Pattern>,
    pub expires: Date,
    pub reason: String,
    pub approved_by: String,
    pub ticket: String,
}

/// `[aws]`, resolved: the minimums the AWS checks judge by, checked for range.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    pub backup_retention_days: u32,
    pub s3_encryption: S3Encryption,
    /// The buckets that must have Object Lock.
    pub evidence_buckets: Globs,
    pub max_in_flight: NonZeroUsize,
    /// Security group ids (`sg-…`) of the application tier.
    pub app_security_groups: Vec<String>,
    pub log_retention_days: u32,
    pub error_alarm_metrics: Vec<String>,
    pub waf_required_rule_groups: Vec<String>,
}

impl Default for AwsOptions {
    /// The options of an empty `[aws]` section (which always resolves).
    fn default() -> Self {
        AwsOptions::of(&AwsSettings::default(), &mut Errors::default())
    }
}

impl AwsOptions {
    fn of(aws: &AwsSettings, errors: &mut Errors) -> AwsOptions {
        // A minimum retention, in days: at least `least` (a saved configuration above what
        // AWS allows still loads: its check fails, which is the truth).
        let days = |key: &str, value: i64, least: u32, errors: &mut Errors| -> u32 {
            match u32::try_from(value) {
                Ok(days) if days >= least => days,
                _ => {
                    errors.push(
                        at!["aws", key],
                        format!("[aws] `{key}` = {value}: a number of days, at least {least}"),
                    );
                    least
                }
            }
        };
        let max_in_flight = NonZeroUsize::new(aws.max_in_flight).unwrap_or_else(|| {
            errors.push(
                at!["aws", "max_in_flight"],
                "[aws] `max_in_flight` must be at least 1",
            );
            NonZeroUsize::MIN
        });
        for (i, id) in aws.app_security_groups.iter().enumerate() {
            if !id.starts_with("sg-") {
                errors.push(
                    at!["aws", "app_security_groups", i],
                    format!("[aws] app_security_groups: `{id}` is not a security group id (sg-…)"),
                );
            }
        }
        AwsOptions {
            backup_retention_days: days(
                "backup_retention_days",
                aws.backup_retention_days,
                0,
                errors,
            ),
            s3_encryption: aws.s3_encryption,
            evidence_buckets: errors.globs_of(
                &at!["aws", "evidence_buckets"],
                "[aws] evidence_buckets",
                &aws.evidence_buckets,
            ),
            max_in_flight,
            app_security_groups: aws.app_security_groups.clone(),
            log_retention_days: days("log_retention_days", aws.log_retention_days, 1, errors),
            error_alarm_metrics: aws.error_alarm_metrics.clone(),
            waf_required_rule_groups: aws.waf_required_rule_groups.clone(),
        }
    }
}

/// `[image]`, resolved. Its trust (keys, keyless identities, builders, sources) is also the
/// trust of release artifacts: one release pipeline, one policy.
#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// Cosign public key files (PKIX PEM).
    pub keys: Vec<String>,
    pub identities: Vec<Identity>,
    pub trust_root: Option<String>,
    pub insecure_registries: Vec<String>,
    pub ca_file: Option<String>,
    pub docker_config: Option<String>,
    pub workload_images: bool,
    pub dockerfile_images: bool,
    pub concurrency: NonZeroUsize,
    /// Per registry request.
    pub timeout: Duration,
    pub trusted_builders: Vec<Prefixed>,
    pub source_repositories: Vec<SourceRule>,
}

impl ImageOptions {
    /// Some key or keyless identity is trusted: without one nothing can verify (fail closed).
    pub fn has_trust(&self) -> bool {
        !self.keys.is_empty() || !self.identities.is_empty()
    }

    /// Provenance can be judged: a trusted signer, trusted builders and source repositories.
    pub fn provenance_trust_configured(&self) -> bool {
        self.has_trust()
            && !self.trusted_builders.is_empty()
            && !self.source_repositories.is_empty()
    }

    fn of(image: &ImageSettings, errors: &mut Errors) -> ImageOptions {
        let identities = (image.identities.iter().enumerate())
            .filter_map(|(i, id)| Identity::of(id, at!["image", "identities", i], i + 1, errors))
            .collect();
        if !image.identities.is_empty() && image.trust_root.is_none() {
            errors.push(
                at!["image", "identities"],
                "[image] identities need a `trust_root` file",
            );
        }
        let (concurrency, timeout) = errors.limits("image", image.concurrency, image.timeout_ms);
        ImageOptions {
            keys: image.keys.clone(),
            identities,
            trust_root: image.trust_root.clone(),
            insecure_registries: image.insecure_registries.clone(),
            ca_file: image.ca_file.clone(),
            docker_config: image.docker_config.clone(),
            workload_images: image.workload_images,
            dockerfile_images: image.dockerfile_images,
            concurrency,
            timeout,
            trusted_builders: image
                .trusted_builders
                .iter()
                .map(|b| Prefixed(b.clone()))
                .collect(),
            source_repositories: (image.source_repositories.iter())
                .map(SourceRule::of)
                .collect(),
        }
    }
}

impl Default for ImageOptions {
    /// The options of an empty `[image]` section (which always resolves).
    fn default() -> Self {
        ImageOptions::of(&ImageSettings::default(), &mut Errors::default())
    }
}

/// A keyless signer trusted (`[[image.identities]]`): its certificate's subject alternative
/// name, exactly or by an anchored regular expression, and its OIDC issuer.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: Subject,
    pub issuer: String,
}

#[derive(Debug, Clone)]
pub enum Subject {
    Exact(String),
    /// `subject_regexp`, anchored: it must match the whole name.
    Pattern(regex::Regex),
}

impl Identity {
    pub fn matches(&self, subject: &str, issuer: &str) -> bool {
        issuer == self.issuer
            && match &self.subject {
                Subject::Exact(s) => s == subject,
                Subject::Pattern(p) => p.is_match(subject),
            }
    }

    fn of(id: &ImageIdentity, at: KeyPath, n: usize, errors: &mut Errors) -> Option<Identity> {
        if id.subject.is_empty() == id.subject_regexp.is_empty() || id.issuer.is_empty() {
            errors.push(
                at,
                format!("[[image.identities]] #{n} needs `issuer` and one of `subject`, `subject_regexp`"),
            );
            return None;
        }
        let subject = if id.subject_regexp.is_empty() {
            Subject::Exact(id.subject.clone())
        } else {
            let anchored = format!("^(?:{})$", id.subject_regexp);
            match regex::Regex::new(&anchored) {
                Ok(pattern) => Subject::Pattern(pattern),
                Err(e) => {
                    errors.push(
                        at.join("subject_regexp"),
                        format!(
                            "[[image.identities]] #{n} subject_regexp {:?}: {e}",
                            id.subject_regexp
                        ),
                    );
                    return None;
                }
            }
        };
        Some(Identity {
            subject,
            issuer: id.issuer.clone(),
        })
    }
}

/// Text matched exactly, or by prefix when written with a trailing `*`
/// (`…generator_container_slsa3.yml@refs/tags/v*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefixed(String);

impl Prefixed {
    pub fn matches(&self, value: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => value.starts_with(prefix),
            None => self.0 == value,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `[[image.source_repositories]]`, resolved: the repository in its compared form and the refs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRule {
    /// Without `git+`, the scheme, a trailing `/` or `.git`, lower case.
    pub repository: String,
    /// Empty: any ref.
    pub refs: Vec<Prefixed>,
}

impl SourceRule {
    fn of(source: &SourceRepository) -> SourceRule {
        SourceRule {
            repository: normalise_repository(&source.repository),
            refs: source.refs.iter().map(|r| Prefixed(r.clone())).collect(),
        }
    }

    /// Whether a build from `repository` at `git_ref` is allowed.
    pub fn matches(&self, repository: &str, git_ref: &str) -> bool {
        !repository.is_empty()
            && normalise_repository(repository) == self.repository
            && (self.refs.is_empty() || self.refs.iter().any(|r| r.matches(git_ref)))
    }
}

/// `git+https://GitHub.com/acme/api.git/` → `github.com/acme/api`.
fn normalise_repository(repository: &str) -> String {
    let text = repository.trim().trim_start_matches("git+");
    let text = text.split_once("://").map_or(text, |(_, rest)| rest);
    let text = text.trim_end_matches('/');
    let text = text.strip_suffix(".git").unwrap_or(text);
    text.to_ascii_lowercase()
}

/// `[artifact]`, resolved.
#[derive(Debug, Clone)]
pub struct ArtifactOptions {
    /// The largest artifact read, in bytes (above 0).
    pub max_bytes: u64,
    /// Per download, redirects included.
    pub timeout: Duration,
    pub concurrency: NonZeroUsize,
    pub ca_file: Option<String>,
}

impl ArtifactOptions {
    fn of(a: &ArtifactSettings, errors: &mut Errors) -> ArtifactOptions {
        let (concurrency, timeout) = errors.limits("artifact", a.concurrency, a.timeout_ms);
        if a.max_bytes == 0 {
            errors.push(
                at!["artifact", "max_bytes"],
                "[artifact] max_bytes must be above 0",
            );
        }
        ArtifactOptions {
            max_bytes: a.max_bytes.max(1),
            timeout,
            concurrency,
            ca_file: a.ca_file.clone(),
        }
    }
}

impl Default for ArtifactOptions {
    fn default() -> Self {
        ArtifactOptions::of(&ArtifactSettings::default(), &mut Errors::default())
    }
}

/// `[docker]`, resolved: its globs compiled once.
#[derive(Debug, Clone)]
pub struct DockerOptions {
    /// Bases accepted as minimal besides the built-in list.
    pub minimal_bases: Globs,
    /// When not empty, the Dockerfiles that build shipped images, and only them.
    pub shipped: Globs,
}

impl Default for DockerOptions {
    fn default() -> Self {
        DockerOptions {
            minimal_bases: Globs::empty(),
            shipped: Globs::empty(),
        }
    }
}

/// `[postgres]` with its defaults applied: an unset list is the built-in one, `[]` is none. The
/// `effective_*` defaults of [`PostgresSettings`] are applied here and nowhere else.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    pub tenant_columns: Vec<String>,
    /// `migrations`, each glob compiled on its own (each is one migration set); empty: the
    /// sets are discovered.
    pub migrations: Vec<Pattern>,
    /// `audit_tables`, compiled, with the patterns as configured: one field, so the list and
    /// its matcher cannot disagree.
    pub audit: AuditTables,
    /// `audit_tables` was given (not the defaults): the live collector then reports each named
    /// table it does not find.
    pub audit_tables_given: bool,
    /// Session settings that carry the tenant, matched without case.
    pub tenant_settings: Globs,
    pub tenant_functions: Vec<String>,
    pub user_columns: Vec<String>,
    pub user_settings: Globs,
    pub user_functions: Vec<String>,
    pub audit_hash_columns: Vec<String>,
    pub audit_prev_hash_columns: Vec<String>,
    /// `None`: infer from the migrations' grants.
    pub runtime_roles: Option<Vec<String>>,
    pub tenant_paths: bool,
    pub isolation: Isolation,
    /// `tenant_table`, trimmed; empty: none.
    pub tenant_table: String,
    /// `include_tables`, `exclude_tables` and `global_tables`, compiled.
    pub include_tables: GlobSet,
    pub exclude_tables: GlobSet,
    pub global_tables: GlobSet,
    /// `break_glass`, matched without case against session setting keys.
    pub break_glass_settings: Globs,
    /// `break_glass` entries that are functions (`is_super_admin()`), without the `()`.
    pub break_glass_functions: Vec<String>,
    pub single_tenant_users: bool,
    pub audit_chain: AuditChainSettings,
}

impl PostgresOptions {
    /// The effective values of `[postgres]` (the one place its defaults are applied), its
    /// table globs compiled (those that do not compile are reported to `errors`).
    fn of(pg: &PostgresSettings, errors: &mut Errors) -> PostgresOptions {
        let section = at!["postgres"];
        let migrations = (pg.migrations.iter().enumerate())
            .filter_map(|(i, glob)| {
                errors.pattern(
                    section.join("migrations").join(i),
                    "[postgres] migrations",
                    glob,
                )
            })
            .collect();
        let audit_tables = pg.effective_audit_tables();
        // Each bad entry reported at its index; the matcher is built from a list that compiles.
        let reported = errors.0.len();
        errors.globs(
            &section.join("audit_tables"),
            "[postgres] audit_tables",
            &audit_tables,
        );
        let audit = if errors.0.len() > reported {
            AuditTables::none()
        } else {
            AuditTables::compile(&audit_tables).unwrap_or_else(|why| {
                errors.push(
                    section.join("audit_tables"),
                    format!("[postgres] audit_tables: {why}"),
                );
                AuditTables::none()
            })
        };
        // Matched without case by the policy vocabulary.
        let mut keys = |key: &str, list: &[String]| {
            errors.globs_of_any_case(&section.join(key), &format!("[postgres] {key}"), list)
        };
        let tenant_settings = keys("tenant_settings", &pg.effective_tenant_settings());
        let user_settings = keys("user_settings", &pg.effective_user_settings());
        // Compiled whole (so an error names the entry's own index); a `name()` entry matches
        // no setting key, which are GUC names.
        let break_glass_settings = keys("break_glass", &pg.break_glass);
        let mut set = |key: &str, list: &[String]| {
            errors.glob_set(&section.join(key), &format!("[postgres] {key}"), list)
        };
        PostgresOptions {
            tenant_columns: pg.effective_tenant_columns(),
            migrations,
            audit,
            audit_tables_given: pg.audit_tables.is_some(),
            tenant_settings,
            tenant_functions: pg.effective_tenant_functions(),
            user_columns: pg.effective_user_columns(),
            user_settings,
            user_functions: pg.effective_user_functions(),
            audit_hash_columns: pg.effective_audit_hash_columns(),
            audit_prev_hash_columns: pg.effective_audit_prev_hash_columns(),
            runtime_roles: pg.runtime_roles.clone(),
            tenant_paths: pg.tenant_paths.unwrap_or(true),
            isolation: pg.isolation,
            tenant_table: pg.tenant_table.trim().to_owned(),
            include_tables: set("include_tables", &pg.include_tables),
            exclude_tables: set("exclude_tables", &pg.exclude_tables),
            global_tables: set("global_tables", &pg.global_tables),
            break_glass_settings,
            break_glass_functions: (pg.break_glass.iter())
                .filter_map(|b| b.strip_suffix("()"))
                .map(str::to_owned)
                .collect(),
            single_tenant_users: pg.single_tenant_users,
            audit_chain: pg.audit_chain.clone(),
        }
    }

    /// The configured runtime roles; empty when unset (see `runtime_roles`).
    pub fn configured_runtime_roles(&self) -> &[String] {
        self.runtime_roles.as_deref().unwrap_or_default()
    }
}

impl Default for PostgresOptions {
    /// The options of an empty `[postgres]` section (which always resolves).
    fn default() -> Self {
        PostgresOptions::of(&PostgresSettings::default(), &mut Errors::default())
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
        postgres: PostgresOptions::of(&raw.postgres, &mut errors),
        postgres_targets: postgres_targets(raw, &mut errors),
        tenant_targets: tenant_targets(raw),
        aws: AwsOptions::of(&raw.aws, &mut errors),
        image: ImageOptions::of(&raw.image, &mut errors),
        artifact: ArtifactOptions::of(&raw.artifact, &mut errors),
        docker: DockerOptions {
            minimal_bases: errors.globs_of(
                &at!["docker", "minimal_bases"],
                "[docker] minimal_bases",
                &raw.docker.minimal_bases,
            ),
            shipped: errors.globs_of(
                &at!["docker", "shipped"],
                "[docker] shipped",
                &raw.docker.shipped,
            ),
        },
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
    let mut require_preload_by_url = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for t in &raw.target.endpoint {
        // The first entry of a URL is its target, as `Settings::endpoint_target` finds it.
        if seen.insert(t.url.as_str())
            && let Some(preload) = t.require_preload
        {
            require_preload_by_url.insert(t.url.clone(), preload);
        }
    }
    EndpointOptions {
        tls_floor,
        expiry_warning_days: e.expiry_warning_days,
        require_preload: e.require_preload,
        require_preload_by_url,
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
        let mut matcher = |key: &str, glob: &str| -> Result<Option<Pattern>, ()> {
            if glob.is_empty() {
                return Ok(None);
            }
            let label = format!("waiver #{n} {key}");
            errors
                .pattern(entry.join(key), &label, glob)
                .map(Some)
                .ok_or(())
        };
        let subject = matcher("subject", &w.subject);
        let path = matcher("path", &w.path);
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
        if let (Some(check), Some(expires), Ok(subject), Ok(path)) = (check, expires, subject, path)
        {
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

/// `[postgres]` for each `[[target.postgres]]`: the section with the target's own keys applied
/// (validated with the section, which [`PostgresOptions::of`] compiles).
fn postgres_targets(raw: &Settings, errors: &mut Errors) -> BTreeMap<String, PostgresOptions> {
    let pg = &raw.postgres;
    // The section's lists are compiled (and reported) by `PostgresOptions::of`.
    audit_chain(&pg.audit_chain, errors);
    let mut targets = BTreeMap::new();
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
        // A name selects a target and keys its options: two databases of one name would be
        // judged with the first one's runtime roles and tenant.
        if targets.contains_key(&t.name) {
            errors.push(
                entry.join("name"),
                format!(
                    "[[target.postgres]] `{}` is named twice; names select targets",
                    t.name
                ),
            );
        }
        targets.entry(t.name.clone()).or_insert_with(|| {
            let mut effective = pg.clone();
            if let Some(v) = &t.runtime_roles {
                effective.runtime_roles = Some(v.clone());
            }
            if let Some(v) = &t.audit_tables {
                effective.audit_tables = Some(v.clone());
            }
            if let Some(v) = &t.tenant_columns {
                effective.tenant_columns = Some(v.clone());
            }
            // The section's lists were compiled (and their errors reported) once already.
            PostgresOptions::of(&effective, &mut Errors::default())
        });
    }
    targets
}

/// Every target that names its tenant, in configuration order: its runtime roles are the
/// target's `runtime_roles`, else `[postgres] runtime_roles`.
fn tenant_targets(raw: &Settings) -> Vec<TenantTarget> {
    let section_roles = raw.postgres.runtime_roles.as_deref().unwrap_or_default();
    raw.target
        .postgres
        .iter()
        .filter_map(|t| {
            let tenant = t.tenant.clone()?;
            Some(TenantTarget {
                target: t.name.clone(),
                runtime_roles: t
                    .runtime_roles
                    .clone()
                    .unwrap_or_else(|| section_roles.to_vec()),
                schema: t.tenant_schema.clone().unwrap_or_else(|| tenant.clone()),
                tenant,
            })
        })
        .collect()
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
    fn aws_and_docker_sections_resolve_to_checked_values() {
        let r = resolve(&parse(
            "[aws]\nbackup_retention_days = 14\nevidence_buckets = [\"*-audit-*\"]\n\
             max_in_flight = 4\n[docker]\nshipped = [\"deploy/**\"]\n",
        ))
        .unwrap();
        assert_eq!(r.aws.backup_retention_days, 14);
        assert_eq!(r.aws.log_retention_days, 365, "the default");
        assert_eq!(r.aws.max_in_flight.get(), 4);
        assert!(r.aws.evidence_buckets.is_match("acme-audit-logs"));
        assert!(!r.aws.evidence_buckets.is_match("acme-assets"));
        assert_eq!(r.aws.evidence_buckets.as_written(), ["*-audit-*"]);
        assert!(r.docker.shipped.is_match("deploy/api/Dockerfile"));
        assert!(r.docker.minimal_bases.is_empty());

        // Out of range, not a group id, not a glob: each an error at its key, all at once.
        let errors = resolve(&parse(
            "[aws]\nbackup_retention_days = -1\nlog_retention_days = 0\nmax_in_flight = 0\n\
             app_security_groups = [\"web\"]\nevidence_buckets = [\"a[\"]\n\
             [docker]\nminimal_bases = [\"b[\"]\n",
        ))
        .unwrap_err();
        let at: Vec<String> = errors.iter().map(|e| e.at.to_string()).collect();
        assert_eq!(
            at,
            [
                "aws.max_in_flight",
                "aws.app_security_groups[0]",
                "aws.backup_retention_days",
                "aws.evidence_buckets[0]",
                "aws.log_retention_days",
                "docker.minimal_bases[0]",
            ],
            "{errors:?}"
        );
        assert!(
            errors[2]
                .message
                .contains("= -1: a number of days, at least 0"),
            "{errors:?}"
        );
        assert!(
            errors[4]
                .message
                .contains("= 0: a number of days, at least 1"),
            "{errors:?}"
        );
    }

    #[test]
    fn postgres_matchers_are_compiled_once_and_refused_when_invalid() {
        let r = resolve(&parse(
            "[postgres]\naudit_tables = [\"ops.*\"]\nbreak_glass = [\"is_admin()\", \"App.Bypass_*\"]\n",
        ))
        .unwrap();
        let pg = &r.postgres;
        assert!(
            pg.audit.matches("events", "ops.events") && !pg.audit.matches("events", "app.events")
        );
        assert!(
            pg.break_glass_settings.is_match("app.bypass_rls"),
            "without case"
        );
        assert_eq!(pg.break_glass_functions, ["is_admin"]);
        let r = resolve(&parse("[postgres]\nmigrations = [\"db/*.sql\"]\n")).unwrap();
        assert!(r.postgres.migrations[0].is_match("db/001.sql"));
        assert_eq!(r.postgres.migrations[0].as_str(), "db/*.sql");
        let errors = resolve(&parse(
            "[postgres]\nmigrations = [\"db/*.sql\", \"c[\"]\naudit_tables = [\"a[\"]\n\
             break_glass = [\"ok()\", \"b[\"]\n",
        ))
        .unwrap_err();
        let at: Vec<String> = errors.iter().map(|e| e.at.to_string()).collect();
        assert_eq!(
            at,
            [
                "postgres.migrations[1]",
                "postgres.audit_tables[0]",
                "postgres.break_glass[1]"
            ],
            "{errors:?}"
        );
        assert!(errors[1].message.contains("`a[`"), "{errors:?}");
    }

    #[test]
    fn builder_patterns_match_a_prefix_only_with_a_star() {
        let star = Prefixed("https://b/x@refs/tags/v*".to_owned());
        assert!(star.matches("https://b/x@refs/tags/v2"));
        let exact = Prefixed("https://b/x".to_owned());
        assert!(!exact.matches("https://b/x@refs/tags/v2") && exact.matches("https://b/x"));
    }

    #[test]
    fn image_identities_are_compiled_and_their_errors_keyed() {
        let r = resolve(&parse(
            "[image]\ntrust_root = \"root.pem\"\nconcurrency = 2\n[[image.identities]]\n\
             subject_regexp = \"https://github.com/acme/.*\"\nissuer = \"https://iss\"\n",
        ))
        .unwrap();
        let id = &r.image.identities[0];
        assert!(id.matches("https://github.com/acme/api", "https://iss"));
        assert!(!id.matches("https://github.com/acme/api", "https://other"));
        assert!(
            !id.matches("x https://github.com/acme/api", "https://iss"),
            "anchored"
        );
        assert_eq!(r.image.concurrency.get(), 2);
        let errors = resolve(&parse(
            "[image]\ntrust_root = \"r.pem\"\ntimeout_ms = 0\n[[image.identities]]\n\
             subject_regexp = \"(\"\nissuer = \"i\"\n[artifact]\nmax_bytes = 0\n",
        ))
        .unwrap_err();
        let at: Vec<String> = errors.iter().map(|e| e.at.to_string()).collect();
        assert_eq!(
            at,
            [
                "image.identities[0].subject_regexp",
                "image.timeout_ms",
                "artifact.max_bytes"
            ],
            "{errors:?}"
        );
    }

    #[test]
    fn a_postgres_target_named_twice_is_an_error() {
        let errors = resolve(&parse(
            "[[target.postgres]]\nname = \"prod\"\ndsn_env = \"A\"\nruntime_roles = [\"svc_a\"]\n\
             [[target.postgres]]\nname = \"prod\"\ndsn_env = \"B\"\nruntime_roles = [\"svc_b\"]\n",
        ))
        .unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].at.to_string(), "target.postgres[1].name");
        assert!(errors[0].message.contains("named twice"));
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
            r.postgres.tenant_columns,
            PostgresOptions::default().tenant_columns
        );
        assert!(r.postgres.tenant_paths && r.postgres.runtime_roles.is_none());
    }

    /// A glob that parses but whose set does not build (its regex is over globset's 10 MiB NFA
    /// limit; about 1 MB of text, well within a vouch.toml) used to resolve to an empty set:
    /// `[scan] exclude` then excluded nothing and `[postgres] include_tables` included nothing,
    /// silently. It is a configuration error, at its key, wherever a glob list is read.
    #[test]
    fn a_glob_list_that_does_not_build_is_an_error_not_an_empty_set() {
        let huge = "*[\u{a1}-\u{10ffff}]".repeat(100_000);
        assert!(Glob::new(&huge).is_ok(), "it parses");
        let mut raw = Settings::default();
        raw.scan.exclude = vec![huge.clone()];
        raw.postgres.include_tables = vec![huge.clone()];
        raw.waiver = vec![crate::settings::Waiver {
            check: "sbom-present".into(),
            subject: huge.clone(),
            reason: "r".into(),
            approved_by: "a".into(),
            expires: "2099-01-01".into(),
            ..Default::default()
        }];
        let errors = resolve(&raw).unwrap_err();
        let at: Vec<String> = errors.iter().map(|e| e.at.to_string()).collect();
        assert_eq!(
            at,
            [
                "scan.exclude",
                "waiver[0].subject",
                "postgres.include_tables"
            ],
            "{errors:?}"
        );
        assert!(
            errors.iter().all(|e| e.message.contains("not compile")),
            "{errors:?}"
        );
        // The same list, small, resolves.
        raw.scan.exclude = vec!["vendor/**".into()];
        raw.postgres.include_tables = vec!["public.*".into()];
        raw.waiver[0].subject = "*".into();
        assert!(resolve(&raw).is_ok());
    }

    /// A live target's own keys override `[postgres]` for that database only; the migrations
    /// and other targets keep the section's values, with the defaults applied once.
    #[test]
    fn each_live_target_resolves_its_own_postgres_options() {
        let r = resolve(&parse(
            "[postgres]\nruntime_roles = [\"app\"]\naudit_tables = [\"audit_log\"]\n\
             [[target.postgres]]\nname = \"prod\"\ndsn_env = \"P\"\n\
             runtime_roles = [\"svc\"]\ntenant_columns = [\"org_id\"]\n\
             [[target.postgres]]\nname = \"other\"\ndsn_env = \"O\"\n",
        ))
        .unwrap();
        let db = |origin, name: &str| crate::facts::pg::Database {
            origin,
            name: name.to_owned(),
            ..Default::default()
        };
        let prod = r.postgres_for(&db(Origin::Live, "prod"));
        assert_eq!(prod.configured_runtime_roles(), ["svc"]);
        assert_eq!(prod.tenant_columns, ["org_id"]);
        assert_eq!(
            prod.audit.patterns(),
            ["audit_log"],
            "the section's, not overridden"
        );
        let other = r.postgres_for(&db(Origin::Live, "other"));
        assert_eq!(other.configured_runtime_roles(), ["app"]);
        assert!(
            other.tenant_columns.contains(&"tenant_id".to_owned()),
            "defaults"
        );
        // Migrations named like a target are not that target.
        let migrations = r.postgres_for(&db(Origin::Migrations, "prod"));
        assert_eq!(migrations.configured_runtime_roles(), ["app"]);
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
