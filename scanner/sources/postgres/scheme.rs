//! Hash-chain schemes: how one audit row's hash is computed from its previous hash and its
//! columns (`[postgres.audit_chain]`, documented in `pg-audit-chain-valid`).
//!
//! A row reaches a scheme as its non-hash columns in table order (`fields`), each value as
//! PostgreSQL's text output or NULL; the previous-hash column is one of them.

use base64::Engine as _;
use checks::settings::{AuditChainSettings, ChainAlgorithm, ChainEncoding, ChainPayload};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Where the previous hash enters the hashed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrevPlace {
    Prefix,
    Suffix,
    /// As a column of the payload (its stored value, NULL included).
    InPayload,
}

impl PrevPlace {
    fn as_str(self) -> &'static str {
        match self {
            PrevPlace::Prefix => "prefix",
            PrevPlace::Suffix => "suffix",
            PrevPlace::InPayload => "in the payload",
        }
    }
}

/// One scheme, resolved against a table's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub algorithm: ChainAlgorithm,
    pub encoding: ChainEncoding,
    pub payload: ChainPayload,
    pub separator: String,
    pub prev: PrevPlace,
    /// Indexes into the row's fields of the hashed columns, in payload order (before sorting).
    pub hashed: Vec<usize>,
}

impl Scheme {
    /// The configured scheme. `names`: the row's fields; `prev`: the index of the
    /// previous-hash column among them; `json_columns`: the fields a JSON payload hashes
    /// (every field but the previous hash and `exclude_columns`).
    pub fn configured(
        cfg: &AuditChainSettings,
        names: &[String],
        prev: usize,
        json_columns: &[usize],
    ) -> Result<Scheme, String> {
        let place = match cfg.prev_included.as_str() {
            "prefix" => PrevPlace::Prefix,
            "suffix" => PrevPlace::Suffix,
            _ => PrevPlace::InPayload,
        };
        let hashed = match cfg.payload {
            ChainPayload::Columns => cfg
                .columns
                .iter()
                .map(|c| {
                    names.iter().position(|n| n == c).ok_or_else(|| {
                        format!(
                            "[postgres.audit_chain] columns names `{c}`, which it does not have"
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            ChainPayload::Json | ChainPayload::JsonSorted => {
                let mut hashed = json_columns.to_vec();
                if place == PrevPlace::InPayload {
                    hashed.push(prev);
                    hashed.sort_unstable();
                }
                hashed
            }
        };
        Ok(Scheme {
            algorithm: cfg.algorithm,
            encoding: cfg.encoding,
            payload: cfg.payload,
            separator: cfg.separator.clone(),
            prev: place,
            hashed,
        })
    }

    /// `sha512/base64, payload json_sorted, previous hash as suffix`.
    pub fn label(&self) -> String {
        let payload = match self.payload {
            ChainPayload::Columns => format!("payload columns joined by {:?}", self.separator),
            other => format!("payload {}", other.as_str()),
        };
        format!(
            "{}/{}, {payload}, previous hash {}",
            self.algorithm.as_str(),
            self.encoding.as_str(),
            match self.prev {
                PrevPlace::InPayload => self.prev.as_str().to_owned(),
                other => format!("as {}", other.as_str()),
            }
        )
    }

    /// The other schemes a team commonly uses (every algorithm and encoding, JSON payloads in
    /// column or sorted order, the previous hash first or last), for telling a wrong
    /// configuration from tampering. Bounded: 24 schemes.
    pub fn alternatives(&self, json_columns: &[usize]) -> Vec<Scheme> {
        let mut all = Vec::new();
        for algorithm in [
            ChainAlgorithm::Sha256,
            ChainAlgorithm::Sha384,
            ChainAlgorithm::Sha512,
        ] {
            for encoding in [ChainEncoding::Hex, ChainEncoding::Base64] {
                for payload in [ChainPayload::Json, ChainPayload::JsonSorted] {
                    for prev in [PrevPlace::Prefix, PrevPlace::Suffix] {
                        let s = Scheme {
                            algorithm,
                            encoding,
                            payload,
                            separator: String::new(),
                            prev,
                            hashed: json_columns.to_vec(),
                        };
                        let same = (s.algorithm, s.encoding, s.payload, s.prev, &s.hashed)
                            == (
                                self.algorithm,
                                self.encoding,
                                self.payload,
                                self.prev,
                                &self.hashed,
                            );
                        if !same {
                            all.push(s);
                        }
                    }
                }
            }
        }
        all
    }

    /// The encoded hash of one row: `fields` are its values, `prev_text` its previous hash as
    /// text (empty when NULL).
    pub fn row_hash(&self, names: &[String], fields: &[Option<&str>], prev_text: &str) -> String {
        let payload = self.payload_text(names, fields);
        // Joined values take the previous hash as one more value; JSON is simply concatenated.
        let sep = if self.payload == ChainPayload::Columns {
            self.separator.as_str()
        } else {
            ""
        };
        let bytes = match self.prev {
            PrevPlace::Prefix => format!("{prev_text}{sep}{payload}"),
            PrevPlace::Suffix => format!("{payload}{sep}{prev_text}"),
            PrevPlace::InPayload => payload,
        };
        encode(self.encoding, &digest(self.algorithm, bytes.as_bytes()))
    }

    /// Whether a stored hash is the computed one (hex in any case; base64 exactly).
    pub fn same(&self, computed: &str, stored: &str) -> bool {
        match self.encoding {
            ChainEncoding::Hex => computed.eq_ignore_ascii_case(stored),
            ChainEncoding::Base64 => computed == stored,
        }
    }

    fn payload_text(&self, names: &[String], fields: &[Option<&str>]) -> String {
        let mut pairs: Vec<(&str, Option<&str>)> = self
            .hashed
            .iter()
            .map(|&i| (names[i].as_str(), fields[i]))
            .collect();
        match self.payload {
            ChainPayload::Columns => pairs
                .iter()
                .map(|(_, v)| v.unwrap_or(""))
                .collect::<Vec<_>>()
                .join(&self.separator),
            ChainPayload::Json => json_object(&pairs),
            ChainPayload::JsonSorted => {
                pairs.sort_by(|a, b| a.0.cmp(b.0));
                json_object(&pairs)
            }
        }
    }
}

/// Compact JSON: `{"id":"1","note":null}`, non-ASCII characters as UTF-8 (not escaped).
fn json_object(pairs: &[(&str, Option<&str>)]) -> String {
    let mut json = String::from("{");
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&serde_json::to_string(name).unwrap_or_default());
        json.push(':');
        match value {
            Some(v) => json.push_str(&serde_json::to_string(v).unwrap_or_default()),
            None => json.push_str("null"),
        }
    }
    json.push('}');
    json
}

fn digest(algorithm: ChainAlgorithm, bytes: &[u8]) -> Vec<u8> {
    match algorithm {
        ChainAlgorithm::Sha256 => Sha256::digest(bytes).to_vec(),
        ChainAlgorithm::Sha384 => Sha384::digest(bytes).to_vec(),
        ChainAlgorithm::Sha512 => Sha512::digest(bytes).to_vec(),
    }
}

fn encode(encoding: ChainEncoding, digest: &[u8]) -> String {
    match encoding {
        ChainEncoding::Hex => hex::encode(digest),
        ChainEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(digest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Expected values from Python's hashlib and base64 (see the comments).
    #[test]
    fn schemes_agree_with_pythons_hashlib() {
        let names = names(&["id", "prev_hash", "note", "action"]);
        let fields = [Some("1"), None, None, Some("login")];
        let scheme = |text: &str| {
            let cfg: AuditChainSettings = toml::from_str(text).unwrap();
            Scheme::configured(&cfg, &names, 1, &[0, 3]).unwrap()
        };
        // hashlib.sha256(b'{"id":"1","action":"login"}').hexdigest()
        assert_eq!(
            scheme("").row_hash(&names, &fields, ""),
            "de7ba5d06a19792c640f70a26cd739b88e65786201ed28b46c9dac4b974b7906"
        );
        // base64.b64encode(hashlib.sha512(b'{"action":"login","id":"1"}ab').digest())
        let sorted = scheme(
            "payload = \"json_sorted\"\nalgorithm = \"sha512\"\nencoding = \"base64\"\n\
             prev_included = \"suffix\"",
        );
        assert_eq!(
            sorted.row_hash(&names, &fields, "ab"),
            "ingblS9uIM9uKSuvUpqEVew6e8ILsY1bi2ZffMnciwwR3QS5WPAnPI0DDi8Z5l5wv1q59xFCHPOPf8fLtfCW+Q=="
        );
        // hashlib.sha384(b'p0|1||login').hexdigest(): the previous hash is joined as the first
        // value, NULL as an empty one.
        let columns = scheme(
            "payload = \"columns\"\ncolumns = [\"id\", \"note\", \"action\"]\nalgorithm = \"sha384\"",
        );
        assert_eq!(
            columns.row_hash(&names, &fields, "p0"),
            "9ab758a2e5181fe40ade85bcffab266dca4a386aa8c2e94db03159b8fab39ee34d88a6c68864ac2d0ed3643b5803fd8f"
        );
        assert!(columns.same("9AB758", "9ab758"), "hex compares in any case");
    }

    #[test]
    fn a_previous_hash_in_the_payload_is_hashed_as_its_column() {
        let names = names(&["id", "prev_hash"]);
        let cfg: AuditChainSettings =
            toml::from_str("prev_included = \"prev_hash\"\npayload = \"json_sorted\"").unwrap();
        let s = Scheme::configured(&cfg, &names, 1, &[0]).unwrap();
        assert_eq!(s.hashed, [0, 1]);
        assert_eq!(
            s.payload_text(&names, &[Some("1"), None]),
            r#"{"id":"1","prev_hash":null}"#
        );
        assert_eq!(
            s.alternatives(&[0]).len(),
            24,
            "an in-payload scheme is not among them"
        );
        let unknown: AuditChainSettings =
            toml::from_str("payload = \"columns\"\ncolumns = [\"nope\"]").unwrap();
        let err = Scheme::configured(&unknown, &names, 1, &[0]).unwrap_err();
        assert!(err.contains("`nope`"), "{err}");
    }
}
