//! Findings and the [`Check`] trait.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::facts::Facts;
use crate::resolve::Resolved;
use crate::settings::Settings;

/// Declares a closed set of words of the report contract (`pass`, `high`, `not_tested`…): a
/// fieldless enum that serializes, parses, prints and is described in the JSON schemas as its
/// variants' snake_case names, ordered as declared, with `as_str` and the list of its variants.
/// One declaration keeps every such set spelt the same way in reports, SARIF and the schemas.
#[macro_export]
macro_rules! keyword_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            schemars::JsonSchema,
            strum::IntoStaticStr,
            strum::Display,
            strum::VariantArray,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}

keyword_enum! {
    /// The verdict on one subject.
    pub enum Status {
        Pass,
        /// The subject could not be read or the property could not be proven. Fails closed.
        Error,
        Fail,
    }
}

keyword_enum! {
    /// How much a failure matters. `Info` never gates.
    pub enum Severity {
        Info,
        Low,
        Medium,
        High,
        Critical,
    }
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
}

/// Where a finding points: a line of a file in the scanned tree, or a live resource.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(untagged)]
pub enum Location {
    /// `path` is relative to the scanned root with forward slashes; `line` is 1-based, 0 for a
    /// finding about a whole file or a missing file (whose expected path is then given);
    /// `column` is 1-based, in characters, present where the parser reports it (YAML).
    File {
        path: String,
        line: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<u32>,
    },
    /// A resource URI: `postgres://HOST:PORT/DB/public.orders`, `arn:aws:…`, `tls://host:443`…
    Resource { uri: String },
}

impl Location {
    pub fn file(path: impl Into<String>, line: u32) -> Self {
        Location::File {
            path: path.into(),
            line,
            column: None,
        }
    }

    /// A line and, when the parser knows it, a 1-based column (0 is taken as unknown).
    pub fn file_at(path: impl Into<String>, line: u32, column: Option<u32>) -> Self {
        Location::File {
            path: path.into(),
            line,
            column: column.filter(|&c| c > 0 && line > 0),
        }
    }

    pub fn resource(uri: impl Into<String>) -> Self {
        Location::Resource { uri: uri.into() }
    }

    // Typed constructors: one place per URI scheme, so every source and check writes a kind of
    // resource the same way.

    /// A Kubernetes object: `k8s://CONTEXT/NAMESPACE/KIND/NAME` (`object` is the workload's
    /// subject, `NAMESPACE/KIND/NAME`), or the cluster itself, `k8s://CONTEXT`, when `object` is
    /// empty.
    pub fn k8s(context: &str, object: &str) -> Self {
        if object.is_empty() {
            Location::resource(format!("k8s://{context}"))
        } else {
            Location::resource(format!("k8s://{context}/{object}"))
        }
    }

    /// An AWS resource, by its ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`).
    pub fn arn(arn: impl Into<String>) -> Self {
        Location::resource(arn)
    }

    /// An AWS resource by the parts of its ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`
    /// (`*` as `resource` for every resource of the service in the region).
    pub fn aws(
        partition: &str,
        service: &str,
        region: &str,
        account: &str,
        resource: &str,
    ) -> Self {
        Location::resource(format!(
            "arn:{partition}:{service}:{region}:{account}:{resource}"
        ))
    }

    /// A PostgreSQL database's URI, `postgres://HOST:PORT/DB`, the `database` of
    /// [`Location::postgres`].
    pub fn postgres_database(host: &str, port: u16, db: &str) -> Self {
        Location::resource(format!("postgres://{host}:{port}/{db}"))
    }

    /// A PostgreSQL database, `postgres://HOST:PORT/DB` (never a user or a password), or an
    /// object in it, `postgres://HOST:PORT/DB/SCHEMA.NAME`.
    pub fn postgres(database: &str, object: Option<&str>) -> Self {
        match object {
            Some(object) => Location::resource(format!("{database}/{object}")),
            None => Location::resource(database),
        }
    }

    /// A TLS service, `tls://HOST:PORT`.
    pub fn tls(host_port: &str) -> Self {
        Location::resource(format!("tls://{host_port}"))
    }

    /// An image in a registry, by digest: `oci://REGISTRY/REPOSITORY@DIGEST`.
    pub fn oci(registry: &str, repository: &str, digest: &str) -> Self {
        Location::resource(format!("oci://{registry}/{repository}@{digest}"))
    }

    /// An image in a registry, by tag: `oci://REGISTRY/REPOSITORY:TAG`.
    pub fn oci_tag(registry: &str, repository: &str, tag: &str) -> Self {
        Location::resource(format!("oci://{registry}/{repository}:{tag}"))
    }

    /// An image reference as written, when it does not parse into its parts: `oci://REFERENCE`.
    pub fn oci_reference(reference: &str) -> Self {
        Location::resource(format!("oci://{reference}"))
    }

    /// A web resource (an endpoint, a download), `https://…` or `http://…`, as given.
    pub fn url(url: impl Into<String>) -> Self {
        Location::resource(url)
    }

    /// A configured target that could not be read far enough to have an address of its own:
    /// `vouch-target:postgres/NAME`, `aws://target/NAME`… (the configuration names it).
    pub fn target(source: Source, name: &str) -> Self {
        match source {
            Source::Aws => Location::resource(format!("aws://target/{name}")),
            other => Location::resource(format!("vouch-target:{}/{name}", other.as_str())),
        }
    }

    /// The URI or path, owned (what a fact that keeps its location as text stores).
    pub fn into_anchor(self) -> String {
        match self {
            Location::File { path, .. } => path,
            Location::Resource { uri } => uri,
        }
    }

    /// The file path or URI, without the line: the stable part used in fingerprints.
    pub fn anchor(&self) -> &str {
        match self {
            Location::File { path, .. } => path,
            Location::Resource { uri } => uri,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line: 0, .. } => f.write_str(path),
            Location::File {
                path,
                line,
                column: Some(column),
            } => write!(f, "{path}:{line}:{column}"),
            Location::File { path, line, .. } => write!(f, "{path}:{line}"),
            Location::Resource { uri } => f.write_str(uri),
        }
    }
}

/// Another place a finding points at, and why (`note`). Serialized as the location's own keys
/// (`path`/`line`/`column` or `uri`) plus an optional `note`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Related {
    #[serde(flatten)]
    pub location: Location,
    /// Why this place is related (`the same subject, also here`, `the live resource`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Related {
    pub fn new(location: Location, note: impl Into<String>) -> Self {
        Related {
            location,
            note: Some(note.into()),
        }
    }
}

impl From<Location> for Related {
    fn from(location: Location) -> Self {
        Related {
            location,
            note: None,
        }
    }
}

keyword_enum! {
    /// Which kind of source a check judges; used to filter and to explain what must be scanned.
    pub enum Source {
        Repo,
        Postgres,
        Aws,
        Endpoint,
        Image,
        Kube,
        Artifact,
    }
}

/// Everything about a check that is not its logic. Written once, next to the check.
#[derive(Debug)]
pub struct Meta {
    /// Kebab-case, stable forever.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Catalog control ids this check serves.
    pub controls: &'static [&'static str],
    pub source: Source,
    /// Markdown: why it matters, how to fix it, what evidence is recorded. Rendered by
    /// `vouch explain` and used as SARIF rule help.
    pub docs: &'static str,
}

/// One verdict about one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub check: String,
    pub status: Status,
    pub severity: Severity,
    /// The thing judged, named the same way everywhere (see DESIGN.md).
    pub subject: String,
    pub message: String,
    pub location: Location,
    /// Other places the same subject was seen (the same action used in several workflows…),
    /// each with a note saying why it is listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// The fact that was judged.
    pub evidence: serde_json::Value,
}

/// What a check reads: the facts, the raw settings saved in them, and those settings resolved
/// into their typed effective values. A check reads an option from `options` when the resolved
/// settings hold it, and from `settings` only for the sections that are not resolved yet.
pub struct Context<'a> {
    pub facts: &'a Facts,
    pub settings: &'a Settings,
    /// `facts.settings`, resolved: the caller resolved them (and refused facts whose settings do
    /// not resolve) before judging.
    pub options: &'a Resolved,
    /// The scripts of the facts as the shell reader reads them, each read once per judgement.
    pub scripts: crate::parse::shell::Scripts<'a>,
}

impl<'a> Context<'a> {
    /// The context for judging `facts` with `options`, their settings resolved.
    pub fn new(facts: &'a Facts, options: &'a Resolved) -> Self {
        Context {
            facts,
            settings: &facts.settings,
            options,
            scripts: crate::parse::shell::Scripts::default(),
        }
    }
}

/// A check as the registry and the renderers hold it: pure judgement over [`Facts`], with its
/// [`Meta`]. Implemented for every [`Rule`]; a check is written as a `Rule`.
pub trait Check: Sync {
    fn meta(&self) -> &'static Meta;
    fn run(&self, cx: &Context<'_>, out: &mut Findings);
}

/// How a check is written: its [`Meta`] beside its logic, in one `impl` (see `rules/`).
pub trait Rule: Sync {
    const META: Meta;
    fn run(&self, cx: &Context<'_>, out: &mut Findings);
}

impl<R: Rule> Check for R {
    fn meta(&self) -> &'static Meta {
        // `Meta` holds only `'static` data, so the constant can be borrowed for ever.
        const { &R::META }
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        Rule::run(self, cx, out);
    }
}

/// The findings of one check, one per subject.
///
/// Pushing a second verdict for a subject merges it into the first: a gating verdict wins over
/// an informational one, then the worse status (fail over error over pass), then the higher
/// severity; the other location is kept in `related`, so that "one finding per (check,
/// subject)" holds without every check having to aggregate by hand.
pub struct Findings {
    meta: &'static Meta,
    by_subject: BTreeMap<String, Finding>,
    related_note: Option<&'static str>,
}

/// The note of a file location kept by a merge, unless the check says better.
pub const SAME_SUBJECT_NOTE: &str = "the same subject, also here";
/// The note of a resource location kept by a merge (a live copy of a declared subject).
pub const SAME_SUBJECT_LIVE_NOTE: &str = "the same subject, as read live";

impl Findings {
    pub fn new(meta: &'static Meta) -> Self {
        Findings {
            meta,
            by_subject: BTreeMap::new(),
            related_note: None,
        }
    }

    /// Says why the places of merged verdicts are related (`another workflow using this
    /// action`), for the notes of the locations a merge keeps from here on.
    pub fn relate_as(&mut self, note: &'static str) {
        self.related_note = Some(note);
    }

    /// Adds `location` to the finding already held for `subject`, with the reason; nothing when
    /// the subject has no finding yet or the place is its own location.
    pub fn relate(&mut self, subject: &str, location: Location, note: &str) {
        if let Some(f) = self.by_subject.get_mut(subject)
            && f.location != location
        {
            f.related.push(Related::new(location, note));
        }
    }

    pub fn pass(
        &mut self,
        subject: impl Into<String>,
        location: Location,
        message: impl Into<String>,
        evidence: serde_json::Value,
    ) {
        self.push(
            Status::Pass,
            subject.into(),
            location,
            message.into(),
            evidence,
        );
    }

    pub fn fail(
        &mut self,
        subject: impl Into<String>,
        location: Location,
        message: impl Into<String>,
        evidence: serde_json::Value,
    ) {
        self.push(
            Status::Fail,
            subject.into(),
            location,
            message.into(),
            evidence,
        );
    }

    pub fn error(
        &mut self,
        subject: impl Into<String>,
        location: Location,
        message: impl Into<String>,
        evidence: serde_json::Value,
    ) {
        self.push(
            Status::Error,
            subject.into(),
            location,
            message.into(),
            evidence,
        );
    }

    /// Records a verdict with an explicit severity (e.g. an informational note on a passing
    /// subject, such as `rds-iam-auth`).
    pub fn push_with_severity(
        &mut self,
        status: Status,
        severity: Severity,
        subject: impl Into<String>,
        location: Location,
        message: impl Into<String>,
        evidence: serde_json::Value,
    ) {
        let subject = subject.into();
        self.merge(Finding {
            check: self.meta.id.to_owned(),
            status,
            severity,
            subject,
            message: message.into(),
            location,
            related: Vec::new(),
            evidence,
        });
    }

    /// The check does not apply to this subject (row-level security under database-per-tenant
    /// isolation, a policy check on a table without RLS). There is no status for that in
    /// report/v1, so it is recorded the way every informational note is: status `fail` at
    /// severity `info`, which gates nothing, decides no control and is never a pass. The message
    /// starts with "not applicable:" and the evidence carries `not_applicable` with the reason.
    pub fn not_applicable(
        &mut self,
        subject: impl Into<String>,
        location: Location,
        reason: &str,
        evidence: serde_json::Value,
    ) {
        let mut evidence = evidence;
        if let Some(map) = evidence.as_object_mut() {
            map.insert("not_applicable".into(), reason.into());
        }
        self.push_with_severity(
            Status::Fail,
            Severity::Info,
            subject,
            location,
            format!("not applicable: {reason}"),
            evidence,
        );
    }

    pub fn push(
        &mut self,
        status: Status,
        subject: String,
        location: Location,
        message: String,
        evidence: serde_json::Value,
    ) {
        self.push_with_severity(
            status,
            self.meta.severity,
            subject,
            location,
            message,
            evidence,
        );
    }

    /// Merges a verdict into the one already held for its subject. The verdict that matters
    /// most survives (see [`rank`]); the other location is kept in `related`. The severity of a
    /// gating verdict is never lost in the merge: an informational note (a `secretKeyRef` in the
    /// live copy of a workload) cannot downgrade a critical failure (a literal secret in its
    /// manifest), whichever was pushed first.
    fn merge(&mut self, incoming: Finding) {
        let fixed = self.related_note;
        let Some(existing) = self.by_subject.get_mut(&incoming.subject) else {
            self.by_subject.insert(incoming.subject.clone(), incoming);
            return;
        };
        let worst_gating = [&*existing, &incoming]
            .into_iter()
            .filter(|f| gates(f))
            .map(|f| f.severity)
            .max();
        let note = |l: &Location| match fixed {
            Some(note) => note,
            None => match l {
                Location::File { .. } => SAME_SUBJECT_NOTE,
                Location::Resource { .. } => SAME_SUBJECT_LIVE_NOTE,
            },
        };
        if rank(&incoming) > rank(existing) {
            let demoted = std::mem::replace(existing, incoming);
            if demoted.location != existing.location {
                let n = note(&demoted.location);
                existing.related.push(Related::new(demoted.location, n));
            }
            existing.related.extend(demoted.related);
        } else if existing.location != incoming.location {
            let n = note(&incoming.location);
            existing.related.push(Related::new(incoming.location, n));
            existing.related.extend(incoming.related);
        }
        if let Some(worst) = worst_gating {
            existing.severity = existing.severity.max(worst);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_subject.is_empty()
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.by_subject
            .into_values()
            .map(|mut f| {
                f.related.retain(|r| r.location != f.location);
                f.related.sort();
                f.related.dedup_by(|a, b| a.location == b.location);
                f
            })
            .collect()
    }
}

/// A verdict that can gate: failed or unproven, above `info`.
fn gates(f: &Finding) -> bool {
    f.status != Status::Pass && f.severity != Severity::Info
}

/// Which of two verdicts on one subject survives a merge: a gating one over a note or a pass,
/// then the worse status (fail over error over pass), then the higher severity.
fn rank(f: &Finding) -> (bool, Status, Severity) {
    (gates(f), f.status, f.severity)
}

#[cfg(test)]
mod tests {
    use super::*;

    static META: Meta = Meta {
        id: "demo-check",
        title: "demo",
        severity: Severity::High,
        controls: &[],
        source: Source::Repo,
        docs: "",
    };

    #[test]
    fn typed_constructors_write_one_uri_per_scheme() {
        let uri = |l: Location| l.anchor().to_owned();
        assert_eq!(
            uri(Location::k8s("prod", "prod/Deployment/api")),
            "k8s://prod/prod/Deployment/api"
        );
        assert_eq!(uri(Location::k8s("prod", "")), "k8s://prod");
        assert_eq!(
            uri(Location::postgres(
                "postgres://h:5432/app",
                Some("public.orders")
            )),
            "postgres://h:5432/app/public.orders"
        );
        assert_eq!(
            uri(Location::postgres("postgres://h:5432/app", None)),
            "postgres://h:5432/app"
        );
        assert_eq!(uri(Location::tls("h:443")), "tls://h:443");
        assert_eq!(
            uri(Location::oci("ghcr.io", "a/b", "sha256:00")),
            "oci://ghcr.io/a/b@sha256:00"
        );
        assert_eq!(
            uri(Location::oci_tag("docker.io", "library/x", "1")),
            "oci://docker.io/library/x:1"
        );
        assert_eq!(uri(Location::oci_reference("x y")), "oci://x y");
        assert_eq!(
            uri(Location::aws("aws", "ec2", "eu-west-1", "1", "vpc/v")),
            "arn:aws:ec2:eu-west-1:1:vpc/v"
        );
        assert_eq!(
            uri(Location::postgres_database("h", 5432, "app")),
            "postgres://h:5432/app"
        );
        assert_eq!(uri(Location::url("https://x/y")), "https://x/y");
        assert_eq!(
            uri(Location::target(Source::Aws, "prod")),
            "aws://target/prod"
        );
        assert_eq!(
            uri(Location::target(Source::Postgres, "db")),
            "vouch-target:postgres/db"
        );
        assert!(matches!(
            Location::arn("arn:aws:s3:::b"),
            Location::Resource { .. }
        ));
    }

    #[test]
    fn worse_status_wins_and_keeps_other_location() {
        let mut out = Findings::new(&META);
        out.pass("a", Location::file("x", 1), "ok", serde_json::Value::Null);
        out.fail("a", Location::file("y", 2), "bad", serde_json::Value::Null);
        out.pass("a", Location::file("z", 3), "ok", serde_json::Value::Null);
        let v = out.into_vec();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].status, Status::Fail);
        assert_eq!(v[0].location, Location::file("y", 2));
        assert_eq!(
            v[0].related,
            vec![
                Related::new(Location::file("x", 1), SAME_SUBJECT_NOTE),
                Related::new(Location::file("z", 3), SAME_SUBJECT_NOTE)
            ]
        );
    }

    #[test]
    fn an_informational_note_never_downgrades_a_failure_it_is_merged_with() {
        // A literal secret in the manifest and a secretKeyRef (info) in the live copy of the
        // same workload: the merged finding is the critical failure, in either order.
        for literal_first in [true, false] {
            let mut out = Findings::new(&META);
            let literal = |out: &mut Findings| {
                out.push_with_severity(
                    Status::Fail,
                    Severity::Critical,
                    "prod/Deployment/api",
                    Location::file("deploy/api.yaml", 12),
                    "literal secret",
                    serde_json::Value::Null,
                );
            };
            let note = |out: &mut Findings| {
                out.push_with_severity(
                    Status::Fail,
                    Severity::Info,
                    "prod/Deployment/api",
                    Location::resource("k8s://prod/prod/Deployment/api"),
                    "secretKeyRef",
                    serde_json::Value::Null,
                );
            };
            if literal_first {
                literal(&mut out);
                note(&mut out);
            } else {
                note(&mut out);
                literal(&mut out);
            }
            let v = out.into_vec();
            assert_eq!(v.len(), 1);
            assert_eq!(
                v[0].severity,
                Severity::Critical,
                "literal first: {literal_first}"
            );
            assert_eq!(v[0].message, "literal secret");
            assert_eq!(
                v[0].related,
                vec![Related::new(
                    Location::resource("k8s://prod/prod/Deployment/api"),
                    SAME_SUBJECT_LIVE_NOTE
                )]
            );
        }
    }

    #[test]
    fn the_worst_gating_severity_survives_a_merge() {
        let mut out = Findings::new(&META);
        let push = |out: &mut Findings, status, severity, line| {
            out.push_with_severity(
                status,
                severity,
                "a",
                Location::file("x", line),
                "m",
                serde_json::Value::Null,
            );
        };
        push(&mut out, Status::Error, Severity::Critical, 1);
        push(&mut out, Status::Fail, Severity::Low, 2);
        push(&mut out, Status::Fail, Severity::Info, 3);
        let v = out.into_vec();
        assert_eq!(v[0].status, Status::Fail);
        assert_eq!(v[0].severity, Severity::Critical);
    }

    #[test]
    fn location_serializes_as_path_line_or_uri() {
        let f = serde_json::to_string(&Location::file("a/b", 3)).unwrap();
        assert_eq!(f, r#"{"path":"a/b","line":3}"#);
        let r = serde_json::to_string(&Location::resource("tls://h:443")).unwrap();
        assert_eq!(r, r#"{"uri":"tls://h:443"}"#);
        let c = Location::file_at("a/b", 3, Some(7));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"path":"a/b","line":3,"column":7}"#
        );
        assert_eq!(c.to_string(), "a/b:3:7");
        // The column is no part of the fingerprint's anchor.
        assert_eq!(c.anchor(), Location::file("a/b", 3).anchor());
        // Older reports (no column) still read.
        let old: Location = serde_json::from_str(r#"{"path":"a/b","line":3}"#).unwrap();
        assert_eq!(old, Location::file("a/b", 3));
        assert_eq!(Location::file_at("a", 0, Some(2)), Location::file("a", 0));
    }

    #[test]
    fn related_locations_keep_the_location_keys_and_add_a_note() {
        let cases = [
            (
                Related::new(Location::file_at("a.yml", 4, Some(9)), "why"),
                r#"{"path":"a.yml","line":4,"column":9,"note":"why"}"#,
            ),
            (
                Related::from(Location::file("a.yml", 4)),
                r#"{"path":"a.yml","line":4}"#,
            ),
            (
                Related::new(Location::tls("h:443"), "the live endpoint"),
                r#"{"uri":"tls://h:443","note":"the live endpoint"}"#,
            ),
            (
                Related::from(Location::resource("arn:aws:s3:::b")),
                r#"{"uri":"arn:aws:s3:::b"}"#,
            ),
        ];
        for (related, json) in cases {
            assert_eq!(serde_json::to_string(&related).unwrap(), json);
            let back: Related = serde_json::from_str(json).unwrap();
            assert_eq!(back, related, "{json}");
        }
    }

    #[test]
    fn a_check_says_why_merged_places_are_related() {
        let mut out = Findings::new(&META);
        out.relate_as("another workflow using this action");
        out.fail("a", Location::file("x", 1), "bad", serde_json::Value::Null);
        out.fail("a", Location::file("y", 2), "bad", serde_json::Value::Null);
        out.relate("a", Location::tls("h:443"), "the live endpoint");
        out.relate("a", Location::file("x", 1), "itself: not kept");
        out.relate("b", Location::file("z", 1), "no finding: not kept");
        let v = out.into_vec();
        assert_eq!(v.len(), 1);
        assert_eq!(
            v[0].related,
            vec![
                Related::new(Location::file("y", 2), "another workflow using this action"),
                Related::new(Location::tls("h:443"), "the live endpoint"),
            ]
        );
    }

    /// `as_str` (strum) says what serde writes, for every variant.
    fn assert_names_are_serde_names<T>()
    where
        T: strum::VariantArray + Serialize + Copy + Into<&'static str>,
    {
        for v in T::VARIANTS {
            let name: &'static str = (*v).into();
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
    }

    #[test]
    fn enum_names_are_their_serde_names() {
        use crate::settings::{ChainAlgorithm, ChainEncoding, ChainPayload, Isolation};
        assert_names_are_serde_names::<Status>();
        assert_names_are_serde_names::<Severity>();
        assert_names_are_serde_names::<Source>();
        assert_names_are_serde_names::<Isolation>();
        assert_names_are_serde_names::<ChainAlgorithm>();
        assert_names_are_serde_names::<ChainEncoding>();
        assert_names_are_serde_names::<ChainPayload>();
        assert_names_are_serde_names::<crate::facts::repo::Ecosystem>();
        assert_eq!(Severity::Critical.to_string(), "critical");
        assert_eq!(Status::Error.to_string(), "error");
    }
}
