//! Baselines: which of today's problems were already there.
//!
//! A baseline is the set of problems (failed, errored or waived findings) of an earlier scan: an
//! earlier report.json, a slimmer file written by `--write-baseline`, or the repository judged at
//! a git revision (`--since`). Each problem of this scan is `new` when its fingerprint is not
//! among them, `unchanged` when it is with the same status, severity and message, `updated` when
//! it is but one of those changed. Known problems that are gone (fixed, or their thing removed)
//! are `absent`. The names are SARIF's `baselineState` values.
//!
//! Fingerprints hash the check, the subject and the file path or URI (never the line), so
//! inserting lines above a finding keeps it `unchanged`. A passing finding in the baseline is
//! not a known problem: when it fails now, the failure is `new`.

use std::collections::BTreeMap;

use checks::{Location, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{FindingStatus, REPORT_SCHEMA, Report, ReportFinding};

pub const BASELINE_SCHEMA: &str = "vouch.baseline/v1";

checks::keyword_enum! {
    pub enum BaselineState {
        /// Not a known problem: this is what a pull request added.
        New,
        /// A known problem, as it was.
        Unchanged,
        /// A known problem whose status, severity or message changed.
        Updated,
        /// A known problem that is no longer reported (fixed, or its subject is gone).
        Absent,
    }
}

impl BaselineState {
    /// `unchanged` and `updated` problems were already there: they do not gate a change.
    pub fn is_existing(self) -> bool {
        matches!(self, BaselineState::Unchanged | BaselineState::Updated)
    }
}

/// One known problem, as a baseline file stores it (the fields of a report/v1 finding that
/// identify and describe it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KnownFinding {
    pub fingerprint: String,
    pub check: String,
    pub subject: String,
    pub status: FindingStatus,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
}

impl KnownFinding {
    fn of(f: &ReportFinding) -> Self {
        KnownFinding {
            fingerprint: f.fingerprint.clone(),
            check: f.check.clone(),
            subject: f.subject.clone(),
            status: f.status,
            severity: f.severity,
            message: f.message.clone(),
            location: f.location.clone(),
        }
    }

    fn same_content(&self, f: &ReportFinding) -> bool {
        self.status == f.status && self.severity == f.severity && self.message == f.message
    }
}

/// The known problems of an earlier scan (`--write-baseline` writes this as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Baseline {
    pub schema: String,
    /// The vouch version and time of the scan it was taken from (informational).
    #[serde(default)]
    pub tool_version: String,
    #[serde(default)]
    pub generated_at: String,
    pub findings: Vec<KnownFinding>,
}

impl Baseline {
    /// The problems of a report: its failed, errored and waived findings.
    pub fn of(report: &Report) -> Self {
        Baseline {
            schema: BASELINE_SCHEMA.to_owned(),
            tool_version: report.tool.version.clone(),
            generated_at: report.generated_at.clone(),
            findings: report
                .findings
                .iter()
                .filter(|f| f.status != FindingStatus::Pass)
                .map(KnownFinding::of)
                .collect(),
        }
    }

    /// Reads a baseline file or a report/v1 JSON. The error is one sentence naming what is
    /// wrong (never quoting the content).
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("is not JSON ({e})"))?;
        let schema = value.get("schema").and_then(Value::as_str).unwrap_or("");
        if schema != REPORT_SCHEMA && schema != BASELINE_SCHEMA {
            return Err(format!(
                "is neither a vouch report ({REPORT_SCHEMA}) nor a baseline ({BASELINE_SCHEMA})"
            ));
        }
        let findings = value
            .get("findings")
            .and_then(Value::as_array)
            .ok_or_else(|| "has no `findings` list".to_owned())?;
        let mut known = Vec::with_capacity(findings.len());
        for (i, f) in findings.iter().enumerate() {
            let f: KnownFinding = serde_json::from_value(f.clone())
                .map_err(|e| format!("finding #{} is not a vouch finding ({e})", i + 1))?;
            if f.status != FindingStatus::Pass {
                known.push(f);
            }
        }
        let text_of = |key: &str| {
            value
                .pointer(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        Ok(Baseline {
            schema: BASELINE_SCHEMA.to_owned(),
            tool_version: text_of(if schema == REPORT_SCHEMA {
                "/tool/version"
            } else {
                "/tool_version"
            }),
            generated_at: text_of("/generated_at"),
            findings: known,
        })
    }

    /// JSON, pretty-printed, with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a baseline always serializes");
        s.push('\n');
        s
    }
}

/// How this scan compares to its baseline (report/v1 `baseline`, present only when one was given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineResult {
    /// What the baseline was: `file baseline.json` or `git HEAD~1 (3f2a…)`.
    pub source: String,
    pub new: usize,
    pub unchanged: usize,
    pub updated: usize,
    pub absent: usize,
    /// The known problems no longer reported (their `baseline_state` is `absent`).
    pub absent_findings: Vec<KnownFinding>,
}

impl BaselineResult {
    /// Known problems still present.
    pub fn existing(&self) -> usize {
        self.unchanged + self.updated
    }
}

impl Report {
    /// Marks every problem of this report `new`, `unchanged` or `updated` against the baseline
    /// and records the known problems that are gone. Passing findings get no state. When a
    /// fingerprint occurs more than once, the first ones (in report order) are matched.
    pub fn apply_baseline(&mut self, baseline: &Baseline, source: &str) {
        let mut known: BTreeMap<&str, Vec<&KnownFinding>> = BTreeMap::new();
        for k in baseline.findings.iter().rev() {
            known.entry(k.fingerprint.as_str()).or_default().push(k);
        }
        let mut result = BaselineResult {
            source: source.to_owned(),
            new: 0,
            unchanged: 0,
            updated: 0,
            absent: 0,
            absent_findings: Vec::new(),
        };
        for f in &mut self.findings {
            if f.status == FindingStatus::Pass {
                f.baseline_state = None;
                continue;
            }
            let matched = known.get_mut(f.fingerprint.as_str()).and_then(Vec::pop);
            let state = match matched {
                None => BaselineState::New,
                Some(k) if k.same_content(f) => BaselineState::Unchanged,
                Some(_) => BaselineState::Updated,
            };
            match state {
                BaselineState::New => result.new += 1,
                BaselineState::Unchanged => result.unchanged += 1,
                BaselineState::Updated => result.updated += 1,
                BaselineState::Absent => {}
            }
            f.baseline_state = Some(state);
        }
        let mut gone: Vec<KnownFinding> = known
            .into_values()
            .flat_map(|left| left.into_iter().rev().cloned())
            .collect();
        gone.sort_by(|a, b| {
            (&a.check, &a.subject, &a.fingerprint).cmp(&(&b.check, &b.subject, &b.fingerprint))
        });
        result.absent = gone.len();
        result.absent_findings = gone;
        self.baseline = Some(result);
    }

    /// Findings that gate at this threshold and were not known problems of the baseline (all
    /// gating findings when no baseline was applied).
    pub fn gating_new(&self, threshold: Severity) -> impl Iterator<Item = &ReportFinding> {
        self.gating(threshold)
            .filter(|f| !f.baseline_state.is_some_and(BaselineState::is_existing))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::render::sample::sample_report;

    fn problems(report: &Report) -> Vec<(&str, Option<BaselineState>)> {
        report
            .findings
            .iter()
            .filter(|f| f.status != FindingStatus::Pass)
            .map(|f| (f.subject.as_str(), f.baseline_state))
            .collect()
    }

    #[test]
    fn a_report_is_its_own_baseline_with_nothing_new() {
        let mut report = sample_report();
        let baseline = Baseline::of(&report);
        assert!(
            baseline
                .findings
                .iter()
                .all(|k| k.status != FindingStatus::Pass)
        );
        report.apply_baseline(&baseline, "file b.json");
        let result = report.baseline.as_ref().unwrap();
        assert_eq!((result.new, result.absent), (0, 0));
        assert_eq!(result.unchanged, baseline.findings.len());
        assert_eq!(report.gating_new(Severity::Low).count(), 0);
        assert!(report.gating(Severity::Low).count() > 0);
    }

    #[test]
    fn new_updated_and_absent_are_told_apart() {
        let old = sample_report();
        let mut baseline = Baseline::of(&old);
        // A problem fixed since: in the baseline, not in this scan.
        let mut fixed = baseline.findings[0].clone();
        fixed.fingerprint = "f".repeat(32);
        fixed.subject = "gone/action@v0".into();
        baseline.findings.push(fixed);
        let mut report = sample_report();
        // The first failure's message changed; a second copy of a finding is new.
        let first = report
            .findings
            .iter()
            .position(|f| f.status == FindingStatus::Fail)
            .unwrap();
        report.findings[first].message = "now worse".into();
        let mut added = report.findings[first].clone();
        added.fingerprint = "a".repeat(32);
        added.subject = "evil/new@v1".into();
        report.findings.push(added);

        report.apply_baseline(&baseline, "file b.json");
        let states = problems(&report);
        assert!(states.contains(&("evil/new@v1", Some(BaselineState::New))));
        let changed = report.findings[first].subject.clone();
        assert!(states.contains(&(changed.as_str(), Some(BaselineState::Updated))));
        let result = report.baseline.as_ref().unwrap();
        assert_eq!(result.new, 1);
        assert_eq!(result.updated, 1);
        assert_eq!(result.absent, 1);
        assert_eq!(result.absent_findings[0].subject, "gone/action@v0");
        let gating: Vec<_> = report
            .gating_new(Severity::Low)
            .map(|f| f.subject.as_str())
            .collect();
        assert_eq!(gating, ["evil/new@v1"]);
    }

    #[test]
    fn a_pass_in_the_baseline_does_not_excuse_a_failure_now() {
        let mut earlier = sample_report();
        for f in &mut earlier.findings {
            f.status = FindingStatus::Pass;
        }
        let json = crate::render::json::render(&earlier);
        let baseline = Baseline::parse(&json).unwrap();
        assert!(
            baseline.findings.is_empty(),
            "passes are not known problems"
        );
        let mut report = sample_report();
        report.apply_baseline(&baseline, "file report.json");
        assert!(
            problems(&report)
                .iter()
                .all(|(_, s)| *s == Some(BaselineState::New))
        );
    }

    #[test]
    fn parses_reports_and_baseline_files_and_refuses_others() {
        let report = sample_report();
        let from_report = Baseline::parse(&crate::render::json::render(&report)).unwrap();
        let written = Baseline::of(&report);
        assert_eq!(from_report.findings, written.findings);
        assert_eq!(Baseline::parse(&written.to_json()).unwrap(), written);

        let err = Baseline::parse(r#"{"schema":"other/v1","findings":[]}"#).unwrap_err();
        assert!(err.contains("neither a vouch report"), "{err}");
        let err = Baseline::parse("password=hunter2").unwrap_err();
        assert!(err.starts_with("is not JSON"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = Baseline::parse(&json!({"schema": BASELINE_SCHEMA}).to_string()).unwrap_err();
        assert!(err.contains("no `findings`"), "{err}");
    }

    #[test]
    fn the_json_carries_the_state_per_finding_and_the_counts() {
        let mut report = sample_report();
        let baseline = Baseline::of(&report);
        report.findings.retain(|f| f.status == FindingStatus::Pass);
        report.apply_baseline(&baseline, "file b.json");
        let v: Value = serde_json::from_str(&crate::render::json::render(&report)).unwrap();
        assert_eq!(v["baseline"]["absent"], json!(baseline.findings.len()));
        assert_eq!(v["baseline"]["source"], "file b.json");
        assert!(v["findings"][0].get("baseline_state").is_none(), "passes");

        let mut report = sample_report();
        report.apply_baseline(&Baseline::of(&sample_report()), "x");
        let v: Value = serde_json::from_str(&crate::render::json::render(&report)).unwrap();
        let states: Vec<_> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f.get("baseline_state"))
            .collect();
        assert!(!states.is_empty());
        assert!(states.iter().all(|s| *s == "unchanged"));
    }
}
