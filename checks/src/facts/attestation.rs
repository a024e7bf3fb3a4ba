//! Human attestations (`attestations.toml`): statements by people about controls vouch cannot
//! verify. They are reported as "attested", never as verified.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Attestation {
    /// The catalog control it speaks for (`LOG-01`).
    pub control: String,
    /// What is attested, in the attester's words.
    pub statement: String,
    pub attested_by: String,
    /// `YYYY-MM-DD` the statement was made.
    pub date: String,
    /// `YYYY-MM-DD` after which it counts as missing.
    pub expires: String,
    /// A link to supporting evidence (a document, a ticket).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub evidence: String,
}

/// The file's shape: `[[attestation]]` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AttestationFile {
    pub attestation: Vec<Attestation>,
}

impl AttestationFile {
    /// Problems serde cannot see, one sentence each naming the entry.
    pub fn problems(&self) -> Vec<String> {
        self.errors().into_iter().map(|e| e.message).collect()
    }

    /// [`Self::problems`], each with the key it is about.
    pub fn errors(&self) -> Vec<crate::resolve::ConfigError> {
        use crate::resolve::{Key, KeyPath};
        let mut errors = Vec::new();
        let mut push = |i: usize, key: &str, message: String| {
            errors.push(crate::resolve::ConfigError {
                at: KeyPath(vec![
                    Key::from("attestation"),
                    Key::Index(i),
                    Key::from(key),
                ]),
                message,
            });
        };
        for (i, a) in self.attestation.iter().enumerate() {
            let n = i + 1;
            if crate::catalog::catalog().control(&a.control).is_none() {
                push(
                    i,
                    "control",
                    format!("attestation #{n} names unknown control `{}`", a.control),
                );
            }
            if a.statement.trim().is_empty() || a.attested_by.trim().is_empty() {
                let key = if a.statement.trim().is_empty() {
                    "statement"
                } else {
                    "attested_by"
                };
                push(
                    i,
                    key,
                    format!("attestation #{n} needs a `statement` and `attested_by`"),
                );
            }
            for (key, value) in [("date", &a.date), ("expires", &a.expires)] {
                if crate::resolve::Date::parse(value).is_none() {
                    push(
                        i,
                        key,
                        format!("attestation #{n} `{key} = \"{value}\"` is not a YYYY-MM-DD date"),
                    );
                }
            }
        }
        errors
    }
}
