//! Per framework requirement (SOC 2 `CC6.1`, NIST `AC-6`…): which vouch controls and checks
//! are mapped to it, and, given a report, whether it is verified, attested or not covered.
//!
//! Only the requirements the catalog maps are listed: vouch ships no framework's text or full
//! list of requirements, so a requirement no control maps is not shown (and is not covered).

use std::collections::BTreeMap;

use checks::catalog::{Catalog, Control, Framework, Mode, Strength};
use serde::Serialize;

use crate::model::{ControlStatus, Report};

/// One vouch control mapped to a requirement.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct MappedControl {
    pub id: String,
    pub title: String,
    pub strength: Strength,
    pub mode: Mode,
    /// The checks serving the control.
    pub checks: Vec<String>,
    /// Its state in the report, when one was given.
    pub status: Option<ControlStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Every mapped control passed and at least one verifies the requirement.
    Verified,
    /// Every mapped control passed or is attested, and some are attested (people's word).
    Attested,
    /// Every mapped control holds, but they only support the requirement.
    Supported,
    /// Some mapped controls hold, others were not tested, are manual or planned.
    Partial,
    /// A mapped control failed or could not be verified.
    Failing,
    /// Nothing mapped holds.
    NotCovered,
}

impl Coverage {
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Verified => "verified",
            Coverage::Attested => "attested",
            Coverage::Supported => "supported",
            Coverage::Partial => "partial",
            Coverage::Failing => "failing",
            Coverage::NotCovered => "not covered",
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// The framework key (`soc2-2017`).
    pub framework: String,
    /// The framework's own id (`CC6.1`).
    pub id: String,
    pub controls: Vec<MappedControl>,
    /// Set when judged against a report.
    pub coverage: Option<Coverage>,
}

/// The framework named by `name`: its key (`soc2-2017`), or a prefix of exactly one key
/// (`soc2`, `nist`), case-insensitive.
pub fn find_framework<'a>(catalog: &'a Catalog, name: &str) -> Result<&'a Framework, String> {
    let name = name.to_ascii_lowercase();
    if let Some(f) = catalog.frameworks.iter().find(|f| f.key == name) {
        return Ok(f);
    }
    let matching: Vec<&Framework> = catalog
        .frameworks
        .iter()
        .filter(|f| f.key.starts_with(&name))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        _ => Err(format!(
            "no framework `{name}` (one of: {})",
            catalog
                .frameworks
                .iter()
                .map(|f| f.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Every requirement of `framework` the catalog maps, in the framework's id order.
pub fn requirements(
    catalog: &Catalog,
    framework: &str,
    report: Option<&Report>,
) -> Vec<Requirement> {
    let mut by_id: BTreeMap<String, Vec<&Control>> = BTreeMap::new();
    for c in &catalog.controls {
        for id in c.frameworks.get(framework).into_iter().flatten() {
            by_id.entry(id.clone()).or_default().push(c);
        }
    }
    let mut out: Vec<Requirement> = by_id
        .into_iter()
        .map(|(id, controls)| requirement(framework, &id, &controls, report))
        .collect();
    out.sort_by_key(|r| natural_key(&r.id));
    out
}

/// Requirements in any framework whose id is `id` (case-insensitive): `CC6.1`, `AC-6`.
pub fn requirements_named(
    catalog: &Catalog,
    id: &str,
    report: Option<&Report>,
) -> Vec<Requirement> {
    catalog
        .frameworks
        .iter()
        .flat_map(|f| requirements(catalog, &f.key, report))
        .filter(|r| r.id.eq_ignore_ascii_case(id.trim()))
        .collect()
}

fn requirement(
    framework: &str,
    id: &str,
    controls: &[&Control],
    report: Option<&Report>,
) -> Requirement {
    let mapped: Vec<MappedControl> = controls
        .iter()
        .map(|c| MappedControl {
            id: c.id.clone(),
            title: c.title.clone(),
            strength: c.strength(framework, id).unwrap_or(Strength::Supports),
            mode: c.mode,
            checks: checks::ALL
                .iter()
                .filter(|k| k.meta().controls.contains(&c.id.as_str()))
                .map(|k| k.meta().id.to_owned())
                .collect(),
            status: report.and_then(|r| {
                r.controls
                    .iter()
                    .find(|rc| rc.id == c.id)
                    .map(|rc| rc.status)
            }),
        })
        .collect();
    let coverage = report.map(|_| judge(&mapped));
    Requirement {
        framework: framework.to_owned(),
        id: id.to_owned(),
        controls: mapped,
        coverage,
    }
}

fn judge(mapped: &[MappedControl]) -> Coverage {
    let holds = |c: &&MappedControl| {
        matches!(
            c.status,
            Some(ControlStatus::Pass | ControlStatus::Attested)
        )
    };
    if mapped
        .iter()
        .any(|c| matches!(c.status, Some(ControlStatus::Fail | ControlStatus::Error)))
    {
        return Coverage::Failing;
    }
    let holding = mapped.iter().filter(holds).count();
    if holding == 0 {
        return Coverage::NotCovered;
    }
    if holding < mapped.len() {
        return Coverage::Partial;
    }
    if mapped
        .iter()
        .any(|c| c.status == Some(ControlStatus::Attested))
    {
        Coverage::Attested
    } else if mapped.iter().any(|c| c.strength == Strength::Verifies) {
        Coverage::Verified
    } else {
        Coverage::Supported
    }
}

/// Sorts `CC6.10` after `CC6.2` and `AC-6(10)` after `AC-6(2)`.
fn natural_key(id: &str) -> Vec<(String, u64)> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for ch in id.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            if !digits.is_empty() || !text.is_empty() {
                parts.push((std::mem::take(&mut text), digits.parse().unwrap_or(0)));
                digits.clear();
            }
            text.push(ch);
        }
    }
    parts.push((text, digits.parse().unwrap_or(0)));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{finding, report_of};
    use checks::{Location, Severity, Status};

    fn report() -> Report {
        let f = finding(
            "pg-rls-enabled",
            Status::Pass,
            Severity::Critical,
            "public.orders",
            Location::file("db/0001.sql", 1),
        );
        report_of(vec![f], "0", "2026-01-01")
    }

    #[test]
    fn a_framework_id_lists_its_controls_and_checks() {
        let cat = checks::catalog::catalog();
        let cc61 = requirements_named(cat, "cc6.1", None);
        assert_eq!(cc61.len(), 1);
        assert_eq!(cc61[0].framework, "soc2-2017");
        let ten = cc61[0].controls.iter().find(|c| c.id == "TEN-01").unwrap();
        assert!(ten.checks.contains(&"pg-rls-enabled".to_owned()));
        assert!(cc61[0].coverage.is_none());
    }

    #[test]
    fn coverage_is_judged_per_requirement() {
        let cat = checks::catalog::catalog();
        let r = report();
        let ccm = requirements(cat, "ccm-4.0", Some(&r));
        let state = |id: &str| ccm.iter().find(|q| q.id == id).unwrap().coverage.unwrap();
        // IVS-06 is TEN-01 (passed, verifies) and NET-01 (not tested): partial.
        assert_eq!(state("IVS-06"), Coverage::Partial);
        assert_eq!(state("LOG-09"), Coverage::NotCovered);
        assert!(
            ccm.iter().position(|q| q.id == "AIS-02") < ccm.iter().position(|q| q.id == "TVM-05")
        );
    }

    #[test]
    fn frameworks_are_found_by_key_or_unique_prefix() {
        let cat = checks::catalog::catalog();
        assert_eq!(find_framework(cat, "SOC2").unwrap().key, "soc2-2017");
        assert_eq!(
            find_framework(cat, "nist-800-53-r5").unwrap().key,
            "nist-800-53-r5"
        );
        assert!(find_framework(cat, "cis").unwrap_err().contains("one of"));
    }

    #[test]
    fn natural_order() {
        let mut ids = vec!["CC6.10", "CC6.2", "AC-6(10)", "AC-6(2)", "AC-6"];
        ids.sort_by_key(|i| natural_key(i));
        assert_eq!(ids, ["AC-6", "AC-6(2)", "AC-6(10)", "CC6.2", "CC6.10"]);
    }
}
