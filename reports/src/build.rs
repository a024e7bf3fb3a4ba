use checks::catalog::{Catalog, Mode};
use checks::facts::attestation::Attestation;
use checks::resolve::{Date, WaiverRule};
use checks::{Finding, Severity, Status};
use sha2::{Digest, Sha256};

use crate::model::{
    AppliedWaiver, AttestationResult, AttestationState, ControlResult, ControlStatus,
    FindingStatus, REPORT_SCHEMA, Report, ReportFinding, Summary, Tool, WaiverResult, WaiverState,
};

/// The lowest severity of a finding that decides a control's state. Below it (`info`), a
/// finding is shown as a note and changes no control, claim or answer. A check's severity can
/// be lowered to `info` with `[severity]` in vouch.toml to make it informational.
pub const CONTROL_GATING_SEVERITY: Severity = Severity::Low;

/// The injected clock: the report never reads the time itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// RFC 3339, e.g. `2026-11-22T10:00:00Z`.
    pub now: String,
    /// `YYYY-MM-DD` of `now`, for waiver expiry.
    pub today: String,
}

impl Clock {
    /// `today` as a calendar date; `None` when it is not one (a clock read from an edited
    /// pack manifest), and then no waiver applies.
    pub fn date(&self) -> Option<Date> {
        Date::parse(&self.today)
    }
}

impl Report {
    /// Builds the report: applies waivers (once, here), derives control states, counts.
    pub fn build(
        findings: Vec<Finding>,
        catalog: &Catalog,
        waivers: &[WaiverRule],
        tool_version: &str,
        clock: &Clock,
    ) -> Report {
        let today = clock.date();
        let mut waiver_results: Vec<WaiverResult> =
            waivers.iter().map(|w| initial_state(w, today)).collect();

        let mut out: Vec<ReportFinding> = findings
            .into_iter()
            .map(|f| {
                let controls = controls_of(&f.check);
                let mut status = match f.status {
                    Status::Pass => FindingStatus::Pass,
                    Status::Fail => FindingStatus::Fail,
                    Status::Error => FindingStatus::Error,
                };
                let mut waiver = None;
                if status == FindingStatus::Fail {
                    for (i, w) in waivers.iter().enumerate() {
                        if w.check != f.check || !matches(w, &f) {
                            continue;
                        }
                        waiver_results[i].matched += 1;
                        if waiver_results[i].state != WaiverState::Expired && waiver.is_none() {
                            status = FindingStatus::Waived;
                            waiver = Some(AppliedWaiver {
                                reason: w.reason.clone(),
                                approved_by: w.approved_by.clone(),
                                expires: w.expires.to_string(),
                                ticket: w.ticket.clone(),
                                inline: None,
                            });
                        }
                    }
                }
                ReportFinding {
                    fingerprint: fingerprint(&f),
                    check: f.check,
                    status,
                    severity: f.severity,
                    controls,
                    subject: f.subject,
                    message: f.message,
                    location: f.location,
                    related: f.related,
                    evidence: f.evidence,
                    waiver,
                    severity_overridden_from: None,
                    baseline_state: None,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.check, &a.subject, &a.fingerprint).cmp(&(&b.check, &b.subject, &b.fingerprint))
        });

        for w in &mut waiver_results {
            if w.state == WaiverState::Active && w.matched == 0 {
                w.state = WaiverState::Unused;
            }
        }

        Report {
            schema: REPORT_SCHEMA.to_owned(),
            tool: Tool {
                name: "vouch".to_owned(),
                version: tool_version.to_owned(),
            },
            generated_at: clock.now.clone(),
            summary: count(out.iter().map(|f| f.status)),
            controls: control_results(catalog, &out),
            findings: out,
            waivers: waiver_results,
            attestations: Vec::new(),
            baseline: None,
            suppressions: Vec::new(),
            provenance: None,
            scope: crate::model::Scope::default(),
        }
    }

    /// Recounts the summary and re-derives control states after findings changed status.
    pub(crate) fn recount(&mut self, catalog: &Catalog) {
        self.summary = count(self.findings.iter().map(|f| f.status));
        self.controls = control_results(catalog, &self.findings);
    }

    /// Applies human attestations: a control that no check judged (manual, planned or not
    /// tested) becomes `attested` while its attestation is unexpired. A control with check
    /// results keeps them: a statement never overrides evidence.
    pub fn apply_attestations(&mut self, attestations: &[Attestation], today: &str) {
        for a in attestations {
            let control = self.controls.iter_mut().find(|c| c.id == a.control);
            let state = match control {
                _ if a.expires.as_str() < today => AttestationState::Expired,
                Some(c) if attestable(c.status) => {
                    c.status = ControlStatus::Attested;
                    c.attestation = Some(a.clone());
                    AttestationState::Applied
                }
                _ => AttestationState::Superseded,
            };
            self.attestations.push(AttestationResult {
                control: a.control.clone(),
                attested_by: a.attested_by.clone(),
                date: a.date.clone(),
                expires: a.expires.clone(),
                state,
            });
        }
    }
}

fn attestable(status: ControlStatus) -> bool {
    matches!(
        status,
        ControlStatus::Manual
            | ControlStatus::Planned
            | ControlStatus::NotTested
            | ControlStatus::Attested
    )
}

/// A waiver before any finding: active through its `expires` day (compared as dates), expired
/// after it, and expired when the clock has no date.
fn initial_state(w: &WaiverRule, today: Option<Date>) -> WaiverResult {
    WaiverResult {
        check: w.check.to_owned(),
        subject: w.subject.as_ref().map_or("", |p| p.as_str()).to_owned(),
        path: w.path.as_ref().map_or("", |p| p.as_str()).to_owned(),
        reason: w.reason.clone(),
        expires: w.expires.to_string(),
        approved_by: w.approved_by.clone(),
        ticket: w.ticket.clone(),
        state: match today {
            Some(today) if w.expires >= today => WaiverState::Active,
            _ => WaiverState::Expired,
        },
        matched: 0,
    }
}

/// Whether a waiver's `subject` and `path` globs match a finding: an absent one matches
/// anything; a finding about a live resource has no path, so a `path` glob never matches it.
fn matches(w: &WaiverRule, f: &Finding) -> bool {
    let path_ok = match (&w.path, &f.location) {
        (None, _) => true,
        (Some(glob), checks::Location::File { path, .. }) => glob.is_match(path),
        (Some(_), checks::Location::Resource { .. }) => false,
    };
    path_ok && w.subject.as_ref().is_none_or(|g| g.is_match(&f.subject))
}

fn controls_of(check: &str) -> Vec<String> {
    checks::find(check)
        .map(|c| c.meta().controls.iter().map(|s| (*s).to_owned()).collect())
        .unwrap_or_default()
}

fn fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    for part in [f.check.as_str(), f.subject.as_str(), f.location.anchor()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

fn count(statuses: impl Iterator<Item = FindingStatus>) -> Summary {
    let mut s = Summary::default();
    for st in statuses {
        match st {
            FindingStatus::Pass => s.pass += 1,
            FindingStatus::Fail => s.fail += 1,
            FindingStatus::Error => s.error += 1,
            FindingStatus::Waived => s.waived += 1,
        }
    }
    s
}

fn control_results(catalog: &Catalog, findings: &[ReportFinding]) -> Vec<ControlResult> {
    catalog
        .controls
        .iter()
        .map(|c| {
            let of_control: Vec<&ReportFinding> = findings
                .iter()
                .filter(|f| f.controls.contains(&c.id))
                .collect();
            let checks: Vec<String> = checks::ALL
                .iter()
                .filter(|k| k.meta().controls.contains(&c.id.as_str()))
                .map(|k| k.meta().id.to_owned())
                .collect();
            let status = match c.mode {
                Mode::Manual => ControlStatus::Manual,
                Mode::Planned => ControlStatus::Planned,
                Mode::Checked => judge_findings(of_control.iter().copied()),
            };
            ControlResult {
                id: c.id.clone(),
                title: c.title.clone(),
                status,
                frameworks: c.frameworks.clone(),
                checks,
                counts: count(of_control.iter().filter(|f| decides(f)).map(|f| f.status)),
                notes: of_control.iter().filter(|f| !decides(f)).count(),
                attestation: None,
            }
        })
        .collect()
}

/// Whether a finding decides the state of its controls (and of the claims and answers built
/// on them): only findings at or above [`CONTROL_GATING_SEVERITY`]. An `info` finding is a
/// note: it neither fails a control nor proves one (an informational check such as
/// `rds-iam-auth` verifies nothing about least privilege on its own).
pub fn decides(f: &ReportFinding) -> bool {
    f.severity >= CONTROL_GATING_SEVERITY
}

/// The state a set of findings gives a checked control: any deciding failure fails it;
/// otherwise any error makes it unproven; waived failures are accepted risk and count as
/// passing; nothing deciding (no finding, or notes only) means not tested.
pub fn judge_findings<'a>(findings: impl Iterator<Item = &'a ReportFinding>) -> ControlStatus {
    let statuses: Vec<FindingStatus> = findings.filter(|f| decides(f)).map(|f| f.status).collect();
    if statuses.contains(&FindingStatus::Fail) {
        ControlStatus::Fail
    } else if statuses.contains(&FindingStatus::Error) {
        ControlStatus::Error
    } else if statuses.is_empty() {
        ControlStatus::NotTested
    } else {
        ControlStatus::Pass
    }
}

#[cfg(test)]
mod tests {
    use checks::settings::Waiver;
    use checks::{Location, Severity};

    use super::*;

    fn finding(status: Status, subject: &str) -> Finding {
        let location = Location::file(".github/workflows/ci.yml", 3);
        crate::testing::finding(
            "gha-action-pinned",
            status,
            Severity::High,
            subject,
            location,
        )
    }

    /// Waivers as the configuration resolves them.
    fn rules(waivers: &[Waiver]) -> Vec<WaiverRule> {
        checks::Settings {
            waiver: waivers.to_vec(),
            ..checks::Settings::default()
        }
        .resolve()
        .expect("the waivers resolve")
        .waivers
    }

    fn waiver(subject: &str, expires: &str) -> Waiver {
        Waiver {
            check: "gha-action-pinned".into(),
            subject: subject.into(),
            path: String::new(),
            reason: "vendor action, reviewed".into(),
            expires: expires.into(),
            approved_by: "sec@example.com".into(),
            ticket: "SEC-1".into(),
        }
    }

    fn clock() -> Clock {
        crate::testing::clock("2026-11-22")
    }

    #[test]
    fn waiver_turns_fail_into_waived_and_stops_gating() {
        let findings = vec![
            finding(Status::Fail, "acme/tool@v1"),
            finding(Status::Fail, "other/x@v2"),
        ];
        let r = Report::build(
            findings,
            checks::catalog::catalog(),
            &rules(&[waiver("acme/*", "2027-01-01")]),
            "0",
            &clock(),
        );
        assert_eq!(
            r.summary,
            Summary {
                pass: 0,
                fail: 1,
                error: 0,
                waived: 1
            }
        );
        assert_eq!(r.waivers[0].state, WaiverState::Active);
        assert_eq!(r.gating(Severity::High).count(), 1);
        let sup05 = r.controls.iter().find(|c| c.id == "SUP-05").unwrap();
        assert_eq!(sup05.status, ControlStatus::Fail);
    }

    #[test]
    fn a_path_waiver_matches_the_location_and_both_globs_must_match() {
        let mut in_tools = finding(Status::Fail, "node:20");
        in_tools.location = Location::file("tools/build/Dockerfile", 1);
        let elsewhere = finding(Status::Fail, "node:20");
        let mut live = finding(Status::Fail, "node:20");
        live.location = Location::resource("oci://r/x");
        let mut by_path = waiver("", "2027-01-01");
        by_path.path = "tools/**".into();
        let r = Report::build(
            vec![in_tools.clone(), elsewhere, live],
            checks::catalog::catalog(),
            &rules(std::slice::from_ref(&by_path)),
            "0",
            &clock(),
        );
        let waived: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.location.anchor().to_owned(), f.status))
            .collect();
        assert!(waived.contains(&("tools/build/Dockerfile".into(), FindingStatus::Waived)));
        assert!(waived.contains(&(".github/workflows/ci.yml".into(), FindingStatus::Fail)));
        assert!(
            waived.contains(&("oci://r/x".into(), FindingStatus::Fail)),
            "no path"
        );
        assert_eq!(r.waivers[0].path, "tools/**");

        let mut both = by_path;
        both.subject = "python:*".into();
        let r = Report::build(
            vec![in_tools],
            checks::catalog::catalog(),
            &rules(&[both]),
            "0",
            &clock(),
        );
        assert_eq!(r.findings[0].status, FindingStatus::Fail);
        assert_eq!(r.waivers[0].state, WaiverState::Unused);
    }

    #[test]
    fn expired_waiver_no_longer_applies_and_is_reported() {
        let r = Report::build(
            vec![finding(Status::Fail, "acme/tool@v1")],
            checks::catalog::catalog(),
            &rules(&[waiver("acme/*", "2026-11-21")]),
            "0",
            &clock(),
        );
        assert_eq!(r.summary.fail, 1);
        assert_eq!(r.waivers[0].state, WaiverState::Expired);
        assert_eq!(r.waivers[0].matched, 1);
    }

    /// Expiry is a date comparison against the clock's date: a waiver applies through its
    /// `expires` day, not after it, and never when the clock's day is not a date (a pack
    /// manifest's `judged_on` edited to `0`: compared as text, `"2027-01-01" < "0"` is false, so
    /// the waiver would have stayed active).
    #[test]
    fn expiry_compares_dates_and_an_undated_clock_applies_no_waiver() {
        let judge = |expires: &str, today: &str| {
            let clock = Clock {
                now: "2026-11-22T00:00:00Z".into(),
                today: today.into(),
            };
            let r = Report::build(
                vec![finding(Status::Fail, "acme/tool@v1")],
                checks::catalog::catalog(),
                &rules(&[waiver("acme/*", expires)]),
                "0",
                &clock,
            );
            (r.waivers[0].state, r.findings[0].status)
        };
        assert_eq!(
            judge("2026-12-31", "2026-12-31"),
            (WaiverState::Active, FindingStatus::Waived),
            "the last day"
        );
        assert_eq!(
            judge("2026-12-31", "2027-01-01"),
            (WaiverState::Expired, FindingStatus::Fail),
            "the day after, across a year"
        );
        assert_eq!(
            judge("2027-01-01", "0"),
            (WaiverState::Expired, FindingStatus::Fail),
            "no date: no waiver"
        );
    }

    #[test]
    fn fingerprint_ignores_line_but_not_subject() {
        let a = finding(Status::Fail, "x@v1");
        let mut b = a.clone();
        b.location = Location::file(".github/workflows/ci.yml", 40);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&finding(Status::Fail, "y@v1")));
    }

    fn attestation(control: &str, expires: &str) -> Attestation {
        Attestation {
            control: control.into(),
            statement: "reviewed quarterly".into(),
            attested_by: "cto@example.com".into(),
            date: "2026-10-01".into(),
            expires: expires.into(),
            evidence: String::new(),
        }
    }

    #[test]
    fn attestations_apply_to_unjudged_controls_only_and_expire() {
        let mut r = Report::build(
            vec![finding(Status::Fail, "x@v1")],
            checks::catalog::catalog(),
            &[],
            "0",
            &clock(),
        );
        r.apply_attestations(
            &[
                attestation("LOG-01", "2027-01-01"),
                attestation("APP-03", "2026-11-01"),
                attestation("SUP-05", "2027-01-01"),
            ],
            "2026-11-22",
        );
        let status = |id: &str| r.controls.iter().find(|c| c.id == id).unwrap().status;
        assert_eq!(status("LOG-01"), ControlStatus::Attested);
        assert_eq!(
            status("APP-03"),
            ControlStatus::Manual,
            "expired attestation counts as missing"
        );
        assert_eq!(
            status("SUP-05"),
            ControlStatus::Fail,
            "evidence beats a statement"
        );
        let states: Vec<_> = r.attestations.iter().map(|a| a.state).collect();
        assert_eq!(
            states,
            vec![
                AttestationState::Applied,
                AttestationState::Expired,
                AttestationState::Superseded
            ]
        );
    }

    fn finding_of(check: &str, status: Status, severity: Severity, subject: &str) -> Finding {
        Finding {
            check: check.into(),
            severity,
            ..finding(status, subject)
        }
    }

    #[test]
    fn an_info_finding_neither_fails_nor_proves_a_control() {
        // A secretKeyRef note beside a passing literal-secret check: SEC-01 passes.
        let r = Report::build(
            vec![
                finding_of(
                    "k8s-secrets-not-in-env",
                    Status::Fail,
                    Severity::Info,
                    "prod/Deployment/api",
                ),
                finding_of(
                    "k8s-secrets-not-in-env",
                    Status::Pass,
                    Severity::Critical,
                    "prod/Deployment/web",
                ),
                // rds-iam-auth is informational: alone it says nothing about least privilege.
                finding_of("rds-iam-auth", Status::Fail, Severity::Info, "app-db"),
            ],
            checks::catalog::catalog(),
            &[],
            "0",
            &clock(),
        );
        let control = |id: &str| r.controls.iter().find(|c| c.id == id).unwrap();
        assert_eq!(control("SEC-01").status, ControlStatus::Pass);
        assert_eq!(control("SEC-01").counts.fail, 0);
        assert_eq!(control("SEC-01").notes, 1);
        assert_eq!(control("ACC-01").status, ControlStatus::NotTested);
        assert_eq!(control("ACC-01").notes, 1);
    }

    #[test]
    fn controls_without_findings_are_not_tested_or_planned() {
        // The shipped catalog has no planned control left (NET-02 got `http-rate-limited`);
        // the mode is still honoured.
        let mut catalog = checks::catalog::catalog().clone();
        let net02 = catalog
            .controls
            .iter_mut()
            .find(|c| c.id == "NET-02")
            .unwrap();
        net02.mode = checks::catalog::Mode::Planned;
        let r = Report::build(vec![], &catalog, &[], "0", &clock());
        let status = |id: &str| r.controls.iter().find(|c| c.id == id).unwrap().status;
        assert_eq!(status("SUP-05"), ControlStatus::NotTested);
        assert_eq!(status("NET-02"), ControlStatus::Planned);
        let shipped = Report::build(vec![], checks::catalog::catalog(), &[], "0", &clock());
        let net02 = shipped.controls.iter().find(|c| c.id == "NET-02").unwrap();
        assert_eq!(net02.status, ControlStatus::NotTested);
        assert_eq!(status("LOG-01"), ControlStatus::Manual);
    }
}
