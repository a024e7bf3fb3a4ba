//! OSCAL 1.1.3 assessment-results: one result per scan.
//!
//! - every finding becomes an observation whose relevant evidence points into the pack
//!   (`../report.json#/findings/N`, a JSON pointer, and `../facts.json`);
//! - every control with a failing finding becomes an OSCAL finding targeting our control id,
//!   `not-satisfied`, linked to the failing observations;
//! - every such finding carries the framework control ids its control maps to (props named
//!   `framework-control`, class = framework key), and `reviewed-controls` holds, besides our own
//!   control ids, one selection per framework ([`OSCAL_FRAMEWORKS`]) with the framework's ids
//!   for the judged controls (NIST ids in the OSCAL catalog form, `AC-6(1)` → `ac-6.1`), so GRC
//!   tools can attach the results to NIST 800-53, SOC 2 and ISO 27001;
//! - `import-ap` points at a back-matter resource, because vouch's catalog is the plan;
//! - UUIDs are version 5 (SHA-1, RFC 9562) under [`NAMESPACE`], named by the pack content
//!   (the sha256 of report.json) plus the object's role, so the same pack always yields the
//!   same file.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::{ControlStatus, FindingStatus, Report};

pub const OSCAL_VERSION: &str = "1.1.3";

/// The namespace of every UUID vouch writes in OSCAL: the v5 UUID of the URL
/// `urn:vouch:oscal` in the RFC 9562 URL namespace (`b2e68f51-a479-52d7-b6c5-70fa0ed8f661`, see the test).
pub const NAMESPACE: Uuid = Uuid::from_u128(0xb2e6_8f51_a479_52d7_b6c5_70fa_0ed8_f661);

/// Property namespace for vouch's own props.
const PROP_NS: &str = "urn:vouch:oscal";

/// The frameworks whose control ids the results reference (catalog keys).
pub const OSCAL_FRAMEWORKS: &[&str] = &["nist-800-53-r5", "soc2-2017", "iso27001-2022"];

/// A framework id as an OSCAL control id: NIST SP 800-53 in the form of NIST's OSCAL catalog
/// (`AC-6(1)` → `ac-6.1`), others as written; `None` when it is not a valid OSCAL token.
fn oscal_control_id(framework: &str, id: &str) -> Option<String> {
    let id = if framework == "nist-800-53-r5" {
        id.to_ascii_lowercase().replace('(', ".").replace(')', "")
    } else {
        id.to_owned()
    };
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
    (first_ok && rest_ok).then_some(id)
}

/// `framework-control` props of a control: one per mapped id in [`OSCAL_FRAMEWORKS`].
fn framework_props(control: &crate::ControlResult) -> Vec<Value> {
    OSCAL_FRAMEWORKS
        .iter()
        .flat_map(|key| {
            control
                .frameworks
                .get(*key)
                .into_iter()
                .flatten()
                .filter_map(move |id| oscal_control_id(key, id).map(|oid| (key, oid)))
        })
        .map(|(key, oid)| json!({ "name": "framework-control", "ns": PROP_NS, "class": key, "value": oid }))
        .collect()
}

/// What the pack knows beyond the report: where the evidence files are and their hashes.
pub struct PackContext<'a> {
    /// sha256 (hex) of report.json: names every UUID.
    pub report_sha256: &'a str,
    /// sha256 (hex) of facts.json.
    pub facts_sha256: &'a str,
    /// RFC 3339: when the scan started and ended.
    pub start: &'a str,
    pub end: &'a str,
}

struct Ids<'a> {
    seed: &'a str,
}

impl Ids<'_> {
    fn uuid(&self, role: &str) -> String {
        Uuid::new_v5(&NAMESPACE, format!("{}/{role}", self.seed).as_bytes()).to_string()
    }
}

/// assessment-results JSON, pretty-printed with a trailing newline.
pub fn render(report: &Report, pack: &PackContext<'_>) -> String {
    let ids = Ids {
        seed: pack.report_sha256,
    };
    let plan = ids.uuid("back-matter/assessment-plan");
    let mut doc = json!({
        "assessment-results": {
            "uuid": ids.uuid("assessment-results"),
            "metadata": {
                "title": "vouch assessment results",
                "last-modified": report.generated_at,
                "version": report.tool.version,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": { "href": format!("#{plan}") },
            "results": [result(report, pack, &ids)],
            "back-matter": { "resources": [
                {
                    "uuid": plan,
                    "title": "Assessment plan: the vouch control catalog",
                    "description": "vouch assesses the controls of its own catalog (`vouch list controls`) with the checks that serve them (`vouch list checks`); there is no separate OSCAL assessment plan.",
                },
                evidence_resource(&ids, "report.json", "The report (vouch.report/v1) these results were derived from.", pack.report_sha256),
                evidence_resource(&ids, "facts.json", "Everything vouch collected (secrets redacted); `vouch verify` re-judges it.", pack.facts_sha256),
            ]},
        }
    });
    let props = provenance_props(report);
    if !props.is_empty() {
        doc["assessment-results"]["metadata"]["props"] = json!(props);
    }
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// Who and what the results are about (organisation, system, repository, commit, branch,
/// dirty flag) as vouch-namespaced metadata props; empty values are left out (OSCAL forbids
/// them).
fn provenance_props(report: &Report) -> Vec<Value> {
    let Some(p) = &report.provenance else {
        return Vec::new();
    };
    let git = p.repository.as_ref().and_then(|r| r.git.as_ref());
    let pairs = [
        ("organisation", p.organisation.clone()),
        ("system", p.system.clone()),
        (
            "repository",
            git.and_then(|g| g.remote.clone()).unwrap_or_default(),
        ),
        (
            "commit",
            git.and_then(|g| g.commit.clone()).unwrap_or_default(),
        ),
        (
            "branch",
            git.and_then(|g| g.branch.clone()).unwrap_or_default(),
        ),
        (
            "dirty",
            git.map(|g| g.dirty.to_string()).unwrap_or_default(),
        ),
    ];
    pairs
        .into_iter()
        .map(|(name, value)| (name, value.trim().to_owned()))
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| json!({ "name": name, "ns": PROP_NS, "value": value }))
        .collect()
}

fn evidence_resource(ids: &Ids<'_>, file: &str, description: &str, sha256: &str) -> Value {
    json!({
        "uuid": ids.uuid(&format!("back-matter/{file}")),
        "title": file,
        "description": description,
        "rlinks": [{
            "href": format!("../{file}"),
            "media-type": "application/json",
            "hashes": [{ "algorithm": "SHA-256", "value": sha256 }],
        }],
    })
}

fn observation_props(f: &crate::ReportFinding) -> Vec<Value> {
    let mut props = vec![
        json!({ "name": "status", "ns": PROP_NS, "value": f.status.as_str() }),
        json!({ "name": "severity", "ns": PROP_NS, "value": f.severity.as_str() }),
        json!({ "name": "check", "ns": PROP_NS, "value": f.check }),
        json!({ "name": "fingerprint", "ns": PROP_NS, "value": f.fingerprint }),
    ];
    if let Some(own) = f.severity_overridden_from {
        // The severity above was set by `[severity]`; this is the check's own.
        props.push(
            json!({ "name": "severity-overridden-from", "ns": PROP_NS, "value": own.as_str() }),
        );
    }
    props
}

fn result(report: &Report, pack: &PackContext<'_>, ids: &Ids<'_>) -> Value {
    let observations: Vec<Value> = report
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let failing = matches!(f.status, FindingStatus::Fail | FindingStatus::Waived);
            json!({
                "uuid": ids.uuid(&format!("observation/{}", f.fingerprint)),
                "title": format!("{}: {}", f.check, f.subject),
                "description": f.message,
                "props": observation_props(f),
                "methods": ["TEST"],
                "types": [if failing { "finding" } else { "control-objective" }],
                "relevant-evidence": [
                    {
                        "href": format!("../report.json#/findings/{i}"),
                        "description": format!("The finding with its evidence, judged at {}.", f.location),
                    },
                    {
                        "href": "../facts.json",
                        "description": "The collected facts the finding was judged from.",
                    },
                ],
                "collected": report.generated_at,
            })
        })
        .collect();

    let findings: Vec<Value> = report
        .controls
        .iter()
        .filter(|c| c.status == ControlStatus::Fail)
        .map(|c| {
            let related: Vec<Value> = report
                .findings
                .iter()
                .filter(|f| f.status == FindingStatus::Fail && f.controls.contains(&c.id))
                .map(|f| json!({ "observation-uuid": ids.uuid(&format!("observation/{}", f.fingerprint)) }))
                .collect();
            let mut finding = json!({
                "uuid": ids.uuid(&format!("finding/{}", c.id)),
                "title": format!("{} {}", c.id, c.title),
                "description": format!("{} failing finding(s) for control {}.", related.len(), c.id),
                "target": {
                    "type": "objective-id",
                    "target-id": c.id,
                    "status": { "state": "not-satisfied", "reason": "fail" },
                },
                "related-observations": related,
            });
            let props = framework_props(c);
            if !props.is_empty() {
                finding["props"] = Value::Array(props);
            }
            finding
        })
        .collect();

    let mut result = json!({
        "uuid": ids.uuid("result"),
        "title": format!("vouch scan {}", report.generated_at),
        "description": format!(
            "{} findings: {} pass, {} fail, {} error, {} waived.",
            report.findings.len(), report.summary.pass, report.summary.fail,
            report.summary.error, report.summary.waived
        ),
        "start": pack.start,
        "end": pack.end,
        "reviewed-controls": { "control-selections": reviewed_selections(report) },
    });
    // OSCAL arrays must not be empty: leave them out instead.
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    if !findings.is_empty() {
        result["findings"] = Value::Array(findings);
    }
    result
}

/// Our own controls, then per framework the ids those controls map to.
fn reviewed_selections(report: &Report) -> Vec<Value> {
    let mut selections = vec![reviewed(report)];
    for key in OSCAL_FRAMEWORKS {
        let mut ids: Vec<String> = judged(report)
            .flat_map(|c| c.frameworks.get(*key).into_iter().flatten())
            .filter_map(|id| oscal_control_id(key, id))
            .collect();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            continue;
        }
        let name = checks::catalog::catalog().framework(key).map_or_else(
            || (*key).to_owned(),
            |f| format!("{} {}", f.name, f.version),
        );
        selections.push(json!({
            "description": format!("{name}: the requirements the judged vouch controls map to."),
            "props": [{ "name": "framework", "ns": PROP_NS, "value": key }],
            "include-controls": ids.into_iter().map(|id| json!({ "control-id": id })).collect::<Vec<_>>(),
        }));
    }
    selections
}

fn judged(report: &Report) -> impl Iterator<Item = &crate::ControlResult> {
    report.controls.iter().filter(|c| {
        matches!(
            c.status,
            ControlStatus::Pass | ControlStatus::Fail | ControlStatus::Error
        )
    })
}

/// The controls some check judged; all of them when none was (nothing judged is still a scan).
fn reviewed(report: &Report) -> Value {
    let judged: Vec<Value> = report
        .controls
        .iter()
        .filter(|c| {
            matches!(
                c.status,
                ControlStatus::Pass | ControlStatus::Fail | ControlStatus::Error
            )
        })
        .map(|c| json!({ "control-id": c.id }))
        .collect();
    if judged.is_empty() {
        json!({ "include-all": {} })
    } else {
        json!({ "include-controls": judged })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{finding, report_of};
    use checks::{Location, Severity, Status};

    fn report(statuses: &[Status]) -> Report {
        let findings = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| {
                finding(
                    "gha-action-pinned",
                    *s,
                    Severity::High,
                    &format!("acme/tool{i}@v1"),
                    Location::file(".github/workflows/ci.yml", 3),
                )
            })
            .collect();
        report_of(findings, "0.1.0", "2026-01-01")
    }

    fn pack() -> PackContext<'static> {
        PackContext {
            report_sha256: "aa",
            facts_sha256: "bb",
            start: "2026-01-01T00:00:00Z",
            end: "2026-01-01T00:00:00Z",
        }
    }

    #[test]
    fn namespace_is_the_documented_v5_uuid() {
        assert_eq!(
            NAMESPACE,
            Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:vouch:oscal")
        );
    }

    #[test]
    fn failing_control_becomes_a_finding_linked_to_its_observation() {
        let doc: Value =
            serde_json::from_str(&render(&report(&[Status::Pass, Status::Fail]), &pack())).unwrap();
        let ar = &doc["assessment-results"];
        assert_eq!(ar["metadata"]["oscal-version"], "1.1.3");
        let plan = ar["back-matter"]["resources"][0]["uuid"].as_str().unwrap();
        assert_eq!(ar["import-ap"]["href"], format!("#{plan}"));
        let result = &ar["results"][0];
        assert_eq!(result["observations"].as_array().unwrap().len(), 2);
        let finding = &result["findings"][0];
        assert_eq!(finding["target"]["target-id"], "SUP-05");
        assert_eq!(finding["target"]["status"]["state"], "not-satisfied");
        // SUP-05 maps to NIST CM-5, SR-3…: the framework ids ride along for GRC tools.
        let props = finding["props"].as_array().unwrap();
        assert!(
            props
                .iter()
                .any(|p| p["class"] == "nist-800-53-r5" && p["name"] == "framework-control"),
            "{props:?}"
        );
        let selections = result["reviewed-controls"]["control-selections"]
            .as_array()
            .unwrap();
        assert!(selections.len() > 1);
        assert_eq!(selections[1]["props"][0]["value"], "nist-800-53-r5");
        let linked = finding["related-observations"][0]["observation-uuid"].clone();
        let failing = result["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["uuid"] == linked)
            .unwrap();
        assert_eq!(failing["props"][0]["value"], "fail");
    }

    #[test]
    fn framework_ids_become_oscal_tokens() {
        assert_eq!(
            oscal_control_id("nist-800-53-r5", "AC-6(10)").as_deref(),
            Some("ac-6.10")
        );
        assert_eq!(
            oscal_control_id("soc2-2017", "CC6.1").as_deref(),
            Some("CC6.1")
        );
        assert_eq!(
            oscal_control_id("iso27001-2022", "A.8.3").as_deref(),
            Some("A.8.3")
        );
        assert_eq!(oscal_control_id("cis-aws-3.0", "3.2"), None);
    }

    #[test]
    fn uuids_are_deterministic_and_follow_the_content() {
        let r = report(&[Status::Fail]);
        assert_eq!(render(&r, &pack()), render(&r, &pack()));
        let other = PackContext {
            report_sha256: "cc",
            ..pack()
        };
        let a: Value = serde_json::from_str(&render(&r, &pack())).unwrap();
        let b: Value = serde_json::from_str(&render(&r, &other)).unwrap();
        assert_ne!(
            a["assessment-results"]["uuid"],
            b["assessment-results"]["uuid"]
        );
    }

    #[test]
    fn a_scan_with_no_findings_has_no_empty_arrays() {
        let doc: Value = serde_json::from_str(&render(&report(&[]), &pack())).unwrap();
        let result = &doc["assessment-results"]["results"][0];
        assert!(result.get("observations").is_none());
        assert!(result.get("findings").is_none());
        assert!(result["reviewed-controls"]["control-selections"][0]["include-all"].is_object());
    }
}
