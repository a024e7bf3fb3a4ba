//! SARIF 2.1.0, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).
//!
//! One rule per check in [`checks::ALL`] with the check's documentation as help; one result
//! per finding. Results about files form the first run; results about live resources a second
//! run (category `vouch/live/`) unless [`Options::files_only`] leaves them out. Passes are left
//! out unless asked for ([`Options::passes`], `--sarif-passes`), then included as
//! `kind: "pass"`. With a baseline every problem carries
//! `baselineState`, and the known problems that are gone are `absent` results of kind `pass`.
//! Waived findings carry an accepted external suppression with the waiver's reason; expired and
//! unused waivers become tool-configuration notifications.

use std::fmt::Write;

use checks::{Check, Location, Severity};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::baseline::KnownFinding;
use crate::model::{FindingStatus, Report, ReportFinding, WaiverResult, WaiverState};

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where `%SRCROOT%`-relative artifact URIs are anchored.
const SRCROOT: &str = "%SRCROOT%";

/// Characters escaped in a relative path to make it a valid URI reference (RFC 3986): controls,
/// space, and the delimiters that would otherwise end or change the path.
const PATH_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// GitHub code scanning rejects a result with more locations than this.
const MAX_RELATED_LOCATIONS: usize = 1_000;

/// What goes into the SARIF beyond the problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Include passing findings as `kind: "pass"` results (code scanning ignores them).
    pub passes: bool,
    /// Leave out results about live resources (`--sarif-files-only`) instead of putting them
    /// in a run of their own.
    pub files_only: bool,
}

/// SARIF for the report, with a rule for every registered check, passes left out.
pub fn render(report: &Report) -> String {
    render_with(report, checks::ALL, Options::default())
}

/// SARIF for the report with rules for exactly these checks (tests pin the list), passes kept.
pub fn render_with_checks(report: &Report, checks: &[&dyn Check]) -> String {
    render_with(
        report,
        checks,
        Options {
            passes: true,
            files_only: false,
        },
    )
}

/// SARIF for the report with rules for exactly these checks.
pub fn render_with(report: &Report, checks: &[&dyn Check], options: Options) -> String {
    let rules: Vec<Value> = checks.iter().map(|c| rule(*c)).collect();
    // Passes are evidence, but not at the price of an upload code scanning would reject: past
    // its limit they are left out (the JSON report keeps them) and a notification says so.
    let within_limit = report.findings.len() <= MAX_RESULTS;
    let keep_passes = options.passes && within_limit;
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| keep_passes || f.status != FindingStatus::Pass)
        .map(|f| result(f, rule_index(checks, &f.check)))
        .collect();
    if let Some(baseline) = &report.baseline {
        results.extend(
            baseline
                .absent_findings
                .iter()
                .map(|k| absent_result(k, rule_index(checks, &k.check))),
        );
    }
    let mut execution_notes = Vec::new();
    if options.passes && !within_limit {
        execution_notes.push(json!({
            "level": "note",
            "message": { "text": format!(
                "{} passing results were left out to stay within code scanning's {MAX_RESULTS}-result limit; the JSON report has them.",
                report.summary.pass
            ) },
        }));
    }
    let mut notifications: Vec<Value> = report
        .waivers
        .iter()
        .filter_map(|w| waiver_notification(w, rule_index(checks, &w.check)))
        .collect();
    notifications.extend(report.scope.severity_overrides.iter().map(|o| {
        let mut n = json!({
            "level": "warning",
            "message": { "text": format!(
                "[severity] sets {} to {} (its own severity: {}).",
                o.check, o.configured, o.default
            ) },
            "descriptor": { "id": "severity-override" },
            "associatedRule": { "id": o.check },
        });
        if let Some(i) = rule_index(checks, &o.check) {
            n["associatedRule"]["index"] = json!(i);
        }
        n
    }));

    let mut driver = json!({
        "name": report.tool.name,
        "version": report.tool.version,
        "semanticVersion": report.tool.version,
        "rules": rules,
    });
    // Only a real, declared address: the package's `repository` when Cargo.toml sets it.
    let information_uri = env!("CARGO_PKG_REPOSITORY");
    if !information_uri.is_empty() {
        driver["informationUri"] = json!(information_uri);
    }

    // Code scanning shows what points at code: results about live resources (a database, an
    // endpoint, a bucket) go into a run of their own, with its own category, or are left out.
    let (results, live): (Vec<Value>, Vec<Value>) = results.into_iter().partition(is_about_files);
    let live_run = (!options.files_only && !live.is_empty()).then(|| {
        json!({
            "tool": { "driver": driver.clone() },
            "automationDetails": { "id": LIVE_CATEGORY },
            "results": live,
            "properties": { "reportSchema": report.schema },
        })
    });
    let sarif = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "originalUriBaseIds": {
                SRCROOT: { "description": { "text": "The root of the scanned repository." } }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": execution_notes,
                "toolConfigurationNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "reportSchema": report.schema,
                "summary": report.summary,
                "waivers": report.waivers,
            },
        }],
    });
    let mut sarif = sarif;
    if let Some(p) = &report.provenance {
        let run = &mut sarif["runs"][0];
        if let Some(vcs) = version_control(p) {
            run["versionControlProvenance"] = json!([vcs]);
        }
        run["properties"]["provenance"] = json!(p);
        run["properties"]["scope"] = json!(report.scope);
    }
    if let Some(live_run) = live_run {
        sarif["runs"][0]["automationDetails"] = json!({ "id": FILES_CATEGORY });
        sarif["runs"]
            .as_array_mut()
            .expect("runs is an array")
            .push(live_run);
    }
    let mut s = serde_json::to_string_pretty(&sarif).expect("SARIF values always serialize");
    s.push('\n');
    s
}

/// The categories (`automationDetails.id`) of the two runs, when there are two: code scanning
/// needs a distinct one per run of the same tool.
const FILES_CATEGORY: &str = "vouch/files/";
const LIVE_CATEGORY: &str = "vouch/live/";

/// Whether a result's location is a file of the repository (not a live resource).
fn is_about_files(result: &Value) -> bool {
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == SRCROOT
}

fn rule_index(checks: &[&dyn Check], id: &str) -> Option<usize> {
    checks.iter().position(|c| c.meta().id == id)
}

fn rule(check: &dyn Check) -> Value {
    let m = check.meta();
    let help = super::check_help(check);
    let mut tags = vec!["security".to_owned(), m.source.as_str().to_owned()];
    tags.extend(m.controls.iter().map(|c| (*c).to_owned()));
    let mut rule = json!({
        "id": m.id,
        "name": upper_camel(m.id),
        "shortDescription": { "text": m.title },
        "fullDescription": { "text": full_description(m.docs, m.title) },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": level(m.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(m.severity),
            "severity": m.severity,
            "controls": m.controls,
        },
    });
    if let Some(uri) = help_uri(m.id) {
        rule["helpUri"] = json!(uri);
    }
    rule
}

/// The check's section of the generated reference (`docs/reference/checks.md`, anchored
/// `check-ID` by `vouch docs`), when Cargo.toml declares where the repository lives.
fn help_uri(id: &str) -> Option<String> {
    let repository = env!("CARGO_PKG_REPOSITORY");
    (!repository.is_empty()).then(|| {
        format!(
            "{}/blob/main/docs/reference/checks.md#check-{id}",
            repository.trim_end_matches('/')
        )
    })
}

/// The first paragraph of the docs' "Why" section, or the title when there is none.
fn full_description(docs: &str, title: &str) -> String {
    let why = docs
        .split("## ")
        .find_map(|section| section.strip_prefix("Why"))
        .unwrap_or("");
    let paragraph = why
        .trim()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if paragraph.is_empty() {
        title.to_owned()
    } else {
        paragraph
    }
}

/// `gha-action-pinned` → `GhaActionPinned`.
fn upper_camel(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's convention: a CVSS-like score as a string; it buckets >= 9.0 as critical,
/// >= 7.0 high, >= 4.0 medium, > 0 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn result(f: &ReportFinding, rule_index: Option<usize>) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.check));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    // Errors are failures to prove the property: they gate like failures (fail closed), so
    // they are reported as failing results at the finding's severity.
    let (kind, level) = match f.status {
        FindingStatus::Pass => ("pass", "none"),
        FindingStatus::Fail | FindingStatus::Error | FindingStatus::Waived => {
            ("fail", level(f.severity))
        }
    };
    r.insert("kind".into(), json!(kind));
    r.insert("level".into(), json!(level));
    r.insert("message".into(), json!({ "text": message_text(f) }));
    r.insert("locations".into(), json!([location(&f.location, None)]));
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .take(MAX_RELATED_LOCATIONS - 1)
            .enumerate()
            .map(|(i, r)| {
                let mut loc = location(&r.location, Some(i));
                if let Some(note) = &r.note {
                    loc["message"] = json!({ "text": note });
                }
                loc
            })
            .collect();
        r.insert("relatedLocations".into(), json!(related));
    }
    r.insert(
        "partialFingerprints".into(),
        json!({ "vouchFingerprint/v1": f.fingerprint }),
    );
    if let Some(state) = f.baseline_state {
        r.insert("baselineState".into(), json!(state.as_str()));
    }
    if let Some((w, at)) = f
        .waiver
        .as_ref()
        .and_then(|w| Some((w, w.inline.as_ref()?)))
    {
        r.insert(
            "suppressions".into(),
            json!([{
                "kind": "inSource",
                "status": "accepted",
                "justification": format!("{} (vouch:ignore at {at})", w.reason),
                "location": location(at, None),
            }]),
        );
    } else if let Some(w) = &f.waiver {
        let mut justification = format!("{} (approved by {}", w.reason, w.approved_by);
        if !w.ticket.is_empty() {
            let _ = write!(justification, ", {}", w.ticket);
        }
        let _ = write!(justification, ", until {})", w.expires);
        r.insert(
            "suppressions".into(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": justification,
                "properties": { "waiver": w },
            }]),
        );
    }
    r.insert(
        "properties".into(),
        json!({
            "status": f.status,
            "severity": f.severity,
            "subject": f.subject,
            "controls": f.controls,
            "evidence": f.evidence,
        }),
    );
    if let Some(default) = f.severity_overridden_from {
        r["properties"]["severityOverriddenFrom"] = json!(default);
    }
    Value::Object(r)
}

/// A known problem of the baseline that this scan no longer reports.
fn absent_result(k: &KnownFinding, rule_index: Option<usize>) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(k.check));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("kind".into(), json!("pass"));
    r.insert("level".into(), json!("none"));
    r.insert(
        "message".into(),
        json!({ "text": format!("{}: no longer reported (was: {})", k.subject, k.message) }),
    );
    r.insert("locations".into(), json!([location(&k.location, None)]));
    r.insert(
        "partialFingerprints".into(),
        json!({ "vouchFingerprint/v1": k.fingerprint }),
    );
    r.insert("baselineState".into(), json!("absent"));
    r.insert(
        "properties".into(),
        json!({ "status": "absent", "severity": k.severity, "subject": k.subject }),
    );
    Value::Object(r)
}

/// SARIF `versionControlDetails` for a git work tree with a remote and a commit (both are
/// required by the schema's meaning: which repository, which revision).
fn version_control(p: &crate::Provenance) -> Option<Value> {
    let git = p.repository.as_ref()?.git.as_ref()?;
    let mut vcs = json!({ "repositoryUri": sarif_uri(git.remote.as_deref()?) });
    if let Some(commit) = &git.commit {
        vcs["revisionId"] = json!(commit);
    }
    if let Some(branch) = &git.branch {
        vcs["branch"] = json!(branch);
    }
    vcs["mappedTo"] = json!({ "uriBaseId": SRCROOT });
    vcs["properties"] = json!({ "dirty": git.dirty, "modified": git.modified });
    Some(vcs)
}

/// An scp-like remote (`host:org/repo.git`) as the `ssh://` URI it stands for, a local path as
/// a `file://` URI, a URL as is.
fn sarif_uri(remote: &str) -> String {
    if remote.contains("://") {
        return remote.to_owned();
    }
    match remote.split_once(':') {
        Some((host, path)) if !host.contains('/') => format!("ssh://{host}/{path}"),
        _ if remote.starts_with('/') => format!("file://{remote}"),
        _ => remote.to_owned(),
    }
}

fn message_text(f: &ReportFinding) -> String {
    match f.status {
        FindingStatus::Error => format!("{}: could not be evaluated: {}", f.subject, f.message),
        _ => format!("{}: {}", f.subject, f.message),
    }
}

fn location(l: &Location, id: Option<usize>) -> Value {
    let mut loc = match l {
        Location::File { path, line, column } => {
            let mut physical = json!({
                "artifactLocation": {
                    "uri": utf8_percent_encode(path, PATH_ESCAPES).to_string(),
                    "uriBaseId": SRCROOT,
                },
            });
            if *line > 0 {
                physical["region"] = match column {
                    Some(column) => json!({ "startLine": line, "startColumn": column }),
                    None => json!({ "startLine": line }),
                };
            }
            json!({ "physicalLocation": physical })
        }
        // A live resource: its URI as an absolute artifact location (what dashboards need to
        // show something) and as a logical location (what it really is).
        Location::Resource { uri } => json!({
            "physicalLocation": { "artifactLocation": { "uri": uri } },
            "logicalLocations": [{ "fullyQualifiedName": uri, "kind": "resource" }],
        }),
    };
    if let Some(id) = id {
        loc["id"] = json!(id);
    }
    loc
}

fn waiver_notification(w: &WaiverResult, rule_index: Option<usize>) -> Option<Value> {
    let (level, text) = match w.state {
        WaiverState::Active => return None,
        WaiverState::Expired => (
            "warning",
            format!(
                "The waiver for {} `{}` expired on {}: it no longer applies ({} finding(s) matched).",
                w.check, w.subject, w.expires, w.matched
            ),
        ),
        WaiverState::Unused => (
            "note",
            format!(
                "The waiver for {} `{}` matched no failing finding: it may be stale.",
                w.check, w.subject
            ),
        ),
    };
    let mut rule = json!({ "id": w.check });
    if let Some(i) = rule_index {
        rule["index"] = json!(i);
    }
    Some(json!({
        "level": level,
        "message": { "text": text },
        "associatedRule": rule,
        "properties": { "waiver": w },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample::{sample_checks, sample_report};

    /// Every result of every run (files first, then live resources).
    fn all_results(doc: &Value) -> Vec<Value> {
        (doc["runs"].as_array().unwrap().iter())
            .flat_map(|run| run["results"].as_array().unwrap().clone())
            .collect()
    }

    fn sample_sarif() -> Value {
        serde_json::from_str(&render_with_checks(&sample_report(), &sample_checks())).unwrap()
    }

    pub(crate) fn assert_valid_sarif(doc: &Value) {
        let schema: Value = serde_json::from_str(include_str!(
            "../../../tests/schemas/sarif-schema-2.1.0.json"
        ))
        .unwrap();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles offline");
        let errors: Vec<String> = validator
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render_with_checks(&sample_report(), &sample_checks()));
    }

    #[test]
    fn every_status_and_location_shape_validates_against_the_schema() {
        assert_valid_sarif(&sample_sarif());
    }

    #[test]
    fn columns_and_related_notes_reach_the_sarif() {
        let doc = sample_sarif();
        let results = all_results(&doc);
        let failed = results
            .iter()
            .find(|r| {
                r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("actions/setup-node")
            })
            .unwrap();
        let region = &failed["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(11), Some(15))
        );
        let related = results
            .iter()
            .find_map(|r| r["relatedLocations"].as_array())
            .expect("the sample keeps a related location");
        assert_eq!(related[0]["message"]["text"], "the same subject, also here");
        assert_eq!(related[0]["physicalLocation"]["region"]["startColumn"], 15);
        // Without a column, no startColumn (SARIF's default would be column 1).
        let no_column = results
            .iter()
            .filter_map(|r| r["locations"][0]["physicalLocation"]["region"].as_object())
            .find(|region| region["startLine"] == 7)
            .unwrap();
        assert!(!no_column.contains_key("startColumn"));
    }

    #[test]
    fn the_validator_rejects_broken_sarif() {
        // Guards the validation test itself: a result without a message is not SARIF.
        let mut doc = sample_sarif();
        doc["runs"][0]["results"][0]
            .as_object_mut()
            .unwrap()
            .remove("message");
        let schema: Value = serde_json::from_str(include_str!(
            "../../../tests/schemas/sarif-schema-2.1.0.json"
        ))
        .unwrap();
        assert!(!jsonschema::is_valid(&schema, &doc));
    }

    #[test]
    fn registered_checks_all_become_rules_and_validate() {
        let doc: Value = serde_json::from_str(&render(&sample_report())).unwrap();
        let rules = doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), checks::ALL.len());
        for (rule, check) in rules.iter().zip(checks::ALL) {
            assert_eq!(rule["id"], check.meta().id);
            assert!(
                rule["help"]["markdown"]
                    .as_str()
                    .unwrap()
                    .contains(check.meta().docs.trim())
            );
        }
        assert_valid_sarif(&doc);
    }

    #[test]
    fn statuses_map_to_kind_level_and_suppressions() {
        let doc = sample_sarif();
        let results = all_results(&doc);
        let by_subject = |s: &str| {
            results
                .iter()
                .find(|r| r["properties"]["subject"] == s)
                .unwrap()
        };
        let pass = by_subject("public.accounts");
        assert_eq!(
            (pass["kind"].as_str(), pass["level"].as_str()),
            (Some("pass"), Some("none"))
        );
        let waived = by_subject("acme-corp/platform/.github/workflows/deploy.yml@main");
        assert_eq!(waived["suppressions"][0]["status"], "accepted");
        assert!(
            waived["suppressions"][0]["justification"]
                .as_str()
                .unwrap()
                .starts_with("internal reusable workflow")
        );
        let error = by_subject(".github/workflows/broken file.yml");
        assert_eq!(error["kind"], "fail");
        let physical = &error["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            ".github/workflows/broken%20file.yml"
        );
        assert!(physical.get("region").is_none(), "line 0 has no region");
        let live = by_subject("public.orders");
        assert_eq!(live["ruleIndex"], 1);
        assert_eq!(live["level"], "error");
        assert_eq!(
            live["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "postgres://127.0.0.1:5432/app/public.orders"
        );
        let notes = doc["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
            .as_array()
            .unwrap();
        assert_eq!(notes.len(), 2, "the expired and the unused waiver");
        assert!(
            notes[0]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("expired on 2025-06-30")
        );
    }

    #[test]
    fn passes_are_left_out_past_the_code_scanning_limit() {
        let mut report = sample_report();
        let pass = report.findings[0].clone();
        let fail = report.findings[2].clone();
        report.findings = (0..=MAX_RESULTS)
            .map(|i| {
                let mut f = if i == 0 { fail.clone() } else { pass.clone() };
                f.subject = format!("owner/action-{i}@v1");
                f
            })
            .collect();
        report.summary.pass = MAX_RESULTS;
        let doc: Value =
            serde_json::from_str(&render_with_checks(&report, &sample_checks())).unwrap();
        let run = &doc["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), 1);
        assert_eq!(run["results"][0]["kind"], "fail");
        let note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap();
        assert!(
            note.starts_with("25000 passing results were left out"),
            "{note}"
        );
    }

    #[test]
    fn passes_are_left_out_unless_asked_for() {
        let report = sample_report();
        let without: Value =
            serde_json::from_str(&render_with(&report, &sample_checks(), Options::default()))
                .unwrap();
        let results = all_results(&without);
        assert_eq!(results.len(), 4, "error, fail, waived, live fail");
        // The live resource's result is a run of its own, with its own category.
        let runs = without["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0]["automationDetails"]["id"], FILES_CATEGORY);
        assert_eq!(runs[1]["automationDetails"]["id"], LIVE_CATEGORY);
        assert_eq!(runs[0]["results"].as_array().unwrap().len(), 3);
        let live = runs[1]["results"].as_array().unwrap();
        assert_eq!(live.len(), 1);
        assert!(
            live[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("postgres://"),
            "{}",
            live[0]
        );
        let files_only: Value = serde_json::from_str(&render_with(
            &report,
            &sample_checks(),
            Options {
                passes: false,
                files_only: true,
            },
        ))
        .unwrap();
        assert_eq!(files_only["runs"].as_array().unwrap().len(), 1);
        assert!(files_only["runs"][0]["automationDetails"].is_null());
        assert_eq!(all_results(&files_only).len(), 3);
        assert_valid_sarif(&files_only);
        assert!(results.iter().all(|r| r["kind"] == "fail"));
        assert!(
            without["runs"][0]["invocations"][0]["toolExecutionNotifications"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_valid_sarif(&without);
        let with: Value = serde_json::from_str(&render_with(
            &report,
            &sample_checks(),
            Options {
                passes: true,
                files_only: false,
            },
        ))
        .unwrap();
        assert_eq!(all_results(&with).len(), 6);
    }

    #[test]
    fn baseline_states_are_set_and_fixed_problems_are_absent() {
        let mut report = sample_report();
        let mut baseline = crate::Baseline::of(&report);
        let mut gone = baseline.findings[0].clone();
        gone.fingerprint = "e".repeat(32);
        gone.subject = "old/action@v1".into();
        baseline.findings.push(gone);
        baseline
            .findings
            .retain(|k| k.subject != "actions/setup-node@v4");
        report.apply_baseline(&baseline, "file b.json");
        let doc: Value =
            serde_json::from_str(&render_with(&report, &sample_checks(), Options::default()))
                .unwrap();
        assert_valid_sarif(&doc);
        let results = all_results(&doc);
        let state = |subject: &str| {
            results
                .iter()
                .find(|r| r["properties"]["subject"] == subject)
                .map(|r| r["baselineState"].clone())
                .unwrap()
        };
        assert_eq!(state("actions/setup-node@v4"), "new");
        assert_eq!(state("public.orders"), "unchanged");
        assert_eq!(state("old/action@v1"), "absent");
        let absent = results
            .iter()
            .find(|r| r["baselineState"] == "absent")
            .unwrap();
        assert_eq!(absent["kind"], "pass");
    }

    #[test]
    fn rule_metadata_follows_github_conventions() {
        let doc = sample_sarif();
        let rule = &doc["runs"][0]["tool"]["driver"]["rules"][1];
        assert_eq!(rule["name"], "PgRlsForced");
        // Each rule links to its section of the generated reference, under the repository
        // Cargo.toml declares; the driver links to the repository itself.
        let repository = env!("CARGO_PKG_REPOSITORY");
        assert!(
            !repository.is_empty(),
            "reports/Cargo.toml inherits the repository"
        );
        assert_eq!(
            rule["helpUri"],
            format!("{repository}/blob/main/docs/reference/checks.md#check-pg-rls-forced")
        );
        assert_eq!(
            doc["runs"][0]["tool"]["driver"]["informationUri"],
            repository
        );
        assert_eq!(rule["properties"]["security-severity"], "9.5");
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        assert_eq!(
            rule["fullDescription"]["text"],
            "A table without forced RLS leaks rows across tenants."
        );
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("TEN-01"))
        );
    }
}
