//! A small hand-built report with every status, location shape and waiver state, shared by the
//! renderers' snapshot tests. Built by hand (not with `Report::build`) so snapshots do not churn
//! when the catalog or the list of checks grows.

use std::collections::BTreeMap;

use checks::{Check, Context, Findings, Location, Meta, Rule, Severity, Source};
use serde_json::json;

use crate::model::{
    AppliedWaiver, ControlResult, ControlStatus, FindingStatus, REPORT_SCHEMA, Report,
    ReportFinding, Summary, Tool, WaiverResult, WaiverState,
};

/// A resource-judging check that exists only for these tests.
pub struct SampleLiveCheck;

impl Rule for SampleLiveCheck {
    const META: Meta = Meta {
        id: "pg-rls-forced",
        title: "Row-level security is enabled and forced on tenant tables",
        severity: Severity::Critical,
        controls: &["TEN-01"],
        source: Source::Postgres,
        docs: "\n## Why\nA table without forced RLS leaks rows across tenants.\n\n## How to fix\n`ALTER TABLE t FORCE ROW LEVEL SECURITY;`\n",
    };

    fn run(&self, _cx: &Context<'_>, _out: &mut Findings) {}
}

/// The checks the sample's findings come from, in rule order.
pub fn sample_checks() -> Vec<&'static dyn Check> {
    let gha = checks::find("gha-action-pinned").expect("the reference check exists");
    vec![gha, &SampleLiveCheck]
}

fn finding(
    check: &str,
    status: FindingStatus,
    severity: Severity,
    subject: &str,
    message: &str,
    location: Location,
) -> ReportFinding {
    ReportFinding {
        fingerprint: format!("{:032x}", subject.len() * 7919 + check.len()),
        check: check.to_owned(),
        status,
        severity,
        controls: vec![
            if check.starts_with("pg-") {
                "TEN-01"
            } else {
                "SUP-05"
            }
            .to_owned(),
        ],
        subject: subject.to_owned(),
        message: message.to_owned(),
        location,
        related: vec![],
        evidence: json!({ "subject": subject }),
        waiver: None,
        severity_overridden_from: None,
        baseline_state: None,
    }
}

pub fn sample_report() -> Report {
    let gha = "gha-action-pinned";
    let mut pass = finding(
        gha,
        FindingStatus::Pass,
        Severity::High,
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
        "pinned to a full commit SHA",
        Location::file(".github/workflows/ci.yml", 7),
    );
    pass.related = vec![checks::Related::new(
        Location::file_at(".github/workflows/release.yml", 12, Some(15)),
        "the same subject, also here",
    )];
    let fail = finding(
        gha,
        FindingStatus::Fail,
        Severity::High,
        NEW_PROBLEM,
        "pinned to tag `v4`, which can be moved | not a commit SHA",
        Location::file_at(".github/workflows/ci.yml", 11, Some(15)),
    );
    let error = finding(
        gha,
        FindingStatus::Error,
        Severity::High,
        ".github/workflows/broken file.yml",
        "cannot be parsed:\ninvalid YAML at line 3 <mapping>",
        Location::file(".github/workflows/broken file.yml", 0),
    );
    let mut waived = finding(
        gha,
        FindingStatus::Waived,
        Severity::High,
        "acme-corp/platform/.github/workflows/deploy.yml@main",
        "pinned to branch `main`",
        Location::file(".github/workflows/deploy.yml", 9),
    );
    waived.waiver = Some(AppliedWaiver {
        reason: "internal reusable workflow, protected branch".to_owned(),
        approved_by: "security@acme.example".to_owned(),
        expires: "2099-12-31".to_owned(),
        ticket: "SEC-142".to_owned(),
        inline: None,
    });
    let live_fail = finding(
        "pg-rls-forced",
        FindingStatus::Fail,
        Severity::Critical,
        "public.orders",
        "RLS is enabled but not forced: the table owner bypasses it",
        Location::resource("postgres://127.0.0.1:5432/app/public.orders"),
    );
    let live_pass = finding(
        "pg-rls-forced",
        FindingStatus::Pass,
        Severity::Critical,
        "public.accounts",
        "RLS enabled and forced",
        Location::resource("postgres://127.0.0.1:5432/app/public.accounts"),
    );
    let findings = vec![pass, error, fail, waived, live_pass, live_fail];
    Report {
        schema: REPORT_SCHEMA.to_owned(),
        tool: Tool {
            name: "vouch".to_owned(),
            version: "0.0.0-test".to_owned(),
        },
        generated_at: "2026-01-01T00:00:00Z".to_owned(),
        summary: Summary {
            pass: 2,
            fail: 2,
            error: 1,
            waived: 1,
        },
        controls: sample_controls(),
        findings,
        waivers: sample_waivers(),
        attestations: Vec::new(),
        baseline: None,
        suppressions: Vec::new(),
        provenance: None,
        scope: crate::model::Scope::default(),
    }
}

/// The subject of the sample's failing `gha-action-pinned` finding.
pub const NEW_PROBLEM: &str = "actions/setup-node@v4";

/// The sample report judged against a baseline (named `source`) of itself without
/// [`NEW_PROBLEM`], which is thus the one new problem.
pub fn sample_report_with_one_new_problem(source: &str) -> Report {
    let mut report = sample_report();
    let mut baseline = crate::Baseline::of(&report);
    baseline.findings.retain(|k| k.subject != NEW_PROBLEM);
    report.apply_baseline(&baseline, source);
    report
}

/// The sample report with its findings replaced by `count` copies of its failing
/// `gha-action-pinned` finding, the i-th about `subject(i)`: for the caps on long reports.
pub fn sample_report_with_copies(count: usize, subject: impl Fn(usize) -> String) -> Report {
    let mut report = sample_report();
    let template = report.findings[2].clone();
    report.findings = (0..count)
        .map(|i| ReportFinding {
            subject: subject(i),
            ..template.clone()
        })
        .collect();
    report
}

fn sample_controls() -> Vec<ControlResult> {
    let refs = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect()
    };
    vec![
        ControlResult {
            id: "SUP-05".to_owned(),
            title: "CI actions | images are pinned".to_owned(),
            status: ControlStatus::Fail,
            frameworks: refs(&[("ccm-4.0", &["CCC-04"]), ("soc2-2017", &["CC8.1"])]),
            checks: vec!["gha-action-pinned".to_owned()],
            counts: Summary {
                pass: 1,
                fail: 1,
                error: 1,
                waived: 1,
            },
            notes: 0,
            attestation: None,
        },
        ControlResult {
            id: "TEN-01".to_owned(),
            title: "Tenant data is isolated by row-level security".to_owned(),
            status: ControlStatus::Fail,
            frameworks: refs(&[("ccm-4.0", &["DSP-01", "IVS-06"])]),
            checks: vec!["pg-rls-forced".to_owned()],
            counts: Summary {
                pass: 1,
                fail: 1,
                error: 0,
                waived: 0,
            },
            notes: 0,
            attestation: None,
        },
        ControlResult {
            id: "LOG-01".to_owned(),
            title: "Security events are logged".to_owned(),
            status: ControlStatus::Manual,
            frameworks: refs(&[("iso27001-2022", &["A.8.15"])]),
            checks: vec![],
            counts: Summary::default(),
            notes: 0,
            attestation: None,
        },
        ControlResult {
            id: "NET-02".to_owned(),
            title: "TLS 1.2 floor".to_owned(),
            status: ControlStatus::Planned,
            frameworks: BTreeMap::new(),
            checks: vec![],
            counts: Summary::default(),
            notes: 0,
            attestation: None,
        },
    ]
}

fn sample_waivers() -> Vec<WaiverResult> {
    let waiver = |subject: &str, expires: &str, state: WaiverState, matched: usize| WaiverResult {
        check: "gha-action-pinned".to_owned(),
        subject: subject.to_owned(),
        path: String::new(),
        reason: format!("reason for {subject}"),
        expires: expires.to_owned(),
        approved_by: "security@acme.example".to_owned(),
        ticket: "SEC-142".to_owned(),
        state,
        matched,
    };
    vec![
        waiver("acme-corp/platform/*", "2099-12-31", WaiverState::Active, 1),
        waiver(
            "actions/setup-python@*",
            "2025-06-30",
            WaiverState::Expired,
            0,
        ),
        waiver("legacy/*", "2099-12-31", WaiverState::Unused, 0),
    ]
}
