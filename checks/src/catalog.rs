//! The control catalog, `checks/catalog.toml`, embedded at build time.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const CATALOG_TOML: &str = include_str!("../catalog.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    #[serde(rename = "framework")]
    pub frameworks: Vec<Framework>,
    #[serde(rename = "control")]
    pub controls: Vec<Control>,
}

/// A framework and version, keyed as in control references (`ccm-4.0`, `soc2-2017`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub key: String,
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Verified by checks.
    #[default]
    Checked,
    /// Verified by people; answered by attestations, never by vouch.
    Manual,
    /// A check is planned but not built.
    Planned,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    /// What the control achieves, in our own words.
    pub objective: String,
    #[serde(default)]
    pub mode: Mode,
    /// The crosswalk row this control comes from, when it does.
    #[serde(default)]
    pub row: Option<u32>,
    /// Framework key → reference ids in that framework.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// The references (a subset of `frameworks`) this control verifies on its own when it
    /// holds; every other reference is only supported by it (the control is part of the
    /// answer, not all of it). A questionnaire is answered automatically only through
    /// `verifies` references.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub verifies: BTreeMap<String, Vec<String>>,
}

/// How strongly a control backs a framework requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Part of the answer: the requirement asks for more than this control proves.
    Supports,
    /// The control, when it holds, meets the requirement.
    Verifies,
}

impl Control {
    /// How this control backs `framework`'s requirement `id`, if it is mapped at all.
    pub fn strength(&self, framework: &str, id: &str) -> Option<Strength> {
        let listed = |m: &BTreeMap<String, Vec<String>>| {
            m.get(framework)
                .is_some_and(|ids| ids.iter().any(|i| i == id))
        };
        if listed(&self.verifies) {
            Some(Strength::Verifies)
        } else if listed(&self.frameworks) {
            Some(Strength::Supports)
        } else {
            None
        }
    }
}

impl Catalog {
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }

    pub fn framework(&self, key: &str) -> Option<&Framework> {
        self.frameworks.iter().find(|f| f.key == key)
    }
}

/// The embedded catalog. It is part of the binary and covered by tests, so a malformed catalog
/// is a build defect, not an input error.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| toml::from_str(CATALOG_TOML).expect("checks/catalog.toml is valid"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::registry::ALL;

    #[test]
    fn control_ids_are_unique() {
        let mut seen = BTreeSet::new();
        for c in &catalog().controls {
            assert!(seen.insert(&c.id), "duplicate control id {}", c.id);
        }
    }

    #[test]
    fn every_crosswalk_row_is_covered() {
        let rows: BTreeSet<u32> = catalog().controls.iter().filter_map(|c| c.row).collect();
        let expected: BTreeSet<u32> = (1..=24).collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn references_use_declared_frameworks() {
        for c in &catalog().controls {
            assert!(
                !c.frameworks.is_empty(),
                "{} has no framework references",
                c.id
            );
            for key in c.frameworks.keys() {
                assert!(
                    catalog().framework(key).is_some(),
                    "{}: unknown framework {key}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn verified_references_are_references() {
        for c in &catalog().controls {
            for (key, ids) in &c.verifies {
                for id in ids {
                    assert!(
                        c.frameworks.get(key).is_some_and(|all| all.contains(id)),
                        "{}: verifies {key} {id}, which it does not reference",
                        c.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_check_names_existing_controls() {
        for check in ALL {
            let m = check.meta();
            assert!(!m.controls.is_empty(), "{} serves no control", m.id);
            for id in m.controls {
                assert!(
                    catalog().control(id).is_some(),
                    "{} names unknown control {id}",
                    m.id
                );
            }
        }
    }

    #[test]
    fn every_control_is_checked_manual_or_planned() {
        for c in &catalog().controls {
            let served = ALL
                .iter()
                .any(|k| k.meta().controls.contains(&c.id.as_str()));
            match c.mode {
                Mode::Checked => assert!(served, "{} is `checked` but no check serves it", c.id),
                Mode::Manual | Mode::Planned => assert!(
                    !served,
                    "{} is served by a check: drop its `mode = \"{:?}\"`",
                    c.id, c.mode
                ),
            }
        }
    }
}
