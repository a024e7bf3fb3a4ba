//! Facts fixtures of live sources, produced by the real services the e2e tests start.
//!
//! A test that has scanned a real service (`--dump-facts`) cuts the fragment a fixture case
//! holds ([`Fragment`]: the source's records for the named targets and the settings that differ
//! from the defaults), replaces the volatile values (free ports, temp paths, the server's patch
//! version) by stable placeholders, and compares it with the committed
//! `fixtures/facts/<check>/<expect>/<case>.json`: a difference fails the test, naming the file
//! and showing the diff. With `VOUCH_REGEN_FIXTURES=1` the committed file is rewritten instead
//! (`scripts/regen-fixtures`). `fixtures/facts/ORIGINS.toml` must name the test as the case's
//! origin, so the manifest and the tests cannot disagree.

// Test helpers: a panic with the value is the clearest failure report.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::harness::fixture;

/// The part of a scan's facts one fixture keeps.
pub struct Fragment<'a> {
    facts: &'a Value,
    /// The `Facts` field of the source (`postgres`, `endpoints`, `aws`…).
    field: &'static str,
    /// The records kept, by `name` (all when empty).
    names: Vec<String>,
    /// Volatile text and its placeholder, applied to every string.
    replace: Vec<(String, String)>,
    /// When set, the record fields kept (besides its identity); the rest is another check's.
    fields: Option<Vec<&'static str>>,
    /// Free port numbers and their stable stand-ins (`port` fields).
    ports: Vec<(u16, u16)>,
    /// Record fields set to a stable value (`collected_at` of a probe judged without dates).
    set: Vec<(&'static str, Value)>,
    /// Values inside each record (a JSON pointer) set to a stable value where present: a
    /// burst's duration.
    set_at: Vec<(&'static str, Value)>,
    /// Arrays inside each record (a JSON pointer, `*` for every element) cut to the items
    /// whose `field` is one of the names: the case's resources among everything collected.
    items: Vec<(&'static str, &'static str, Vec<String>)>,
    /// Keys whose string values are per-call noise (a request id, a response time), and the
    /// stable value that replaces them.
    noise: Vec<(&'static str, &'static str)>,
    /// Replace every UUID by a stable one, numbered in order of appearance.
    uuids: bool,
    /// Random resource ids (`sg-0386ffffe3389ce68`) by prefix, made stable the same way.
    ids: Vec<&'static str>,
    /// Replace the digests of the signature and attestation entries (manifests and layers
    /// holding a fresh signature) by stable ones, numbered in order of appearance.
    entry_digests: bool,
}

impl<'a> Fragment<'a> {
    pub fn new(facts: &'a Value, field: &'static str) -> Fragment<'a> {
        Fragment {
            facts,
            field,
            names: Vec::new(),
            replace: Vec::new(),
            fields: None,
            ports: Vec::new(),
            set: Vec::new(),
            set_at: Vec::new(),
            items: Vec::new(),
            noise: Vec::new(),
            uuids: false,
            ids: Vec::new(),
            entry_digests: false,
        }
    }

    /// Every digest of a signature or attestation entry (`signatures`/`attestations`
    /// `entries[].digest` of an image: a manifest or layer holding a signature made in this
    /// run) becomes `sha256:` and a number padded to 64 digits, by order of first appearance,
    /// wherever it is written. The image digests, of content the test pushes, stay.
    #[cfg_attr(not(feature = "image"), allow(dead_code))]
    pub fn entry_digests(mut self) -> Self {
        self.entry_digests = true;
        self
    }

    /// Every `<prefix>-<hex>` resource id (an emulator's random `sg-…`, `vpc-…`) becomes
    /// `<prefix>-` and a number padded to 17 digits, by order of first appearance.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    pub fn ids(mut self, prefixes: &[&'static str]) -> Self {
        self.ids.extend_from_slice(prefixes);
        self
    }

    /// Keeps, in the array at `pointer` of each record (`*` matches every element on the way),
    /// only the items whose `field` is one of `names`.
    #[cfg_attr(not(any(feature = "aws", feature = "kube")), allow(dead_code))]
    pub fn items(mut self, pointer: &'static str, field: &'static str, names: &[&str]) -> Self {
        self.items.push((
            pointer,
            field,
            names.iter().map(|n| (*n).to_owned()).collect(),
        ));
        self
    }

    /// String values of this key, anywhere, are per-call noise (request ids, response times):
    /// each becomes `stable`.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    pub fn noise(mut self, key: &'static str, stable: &'static str) -> Self {
        self.noise.push((key, stable));
        self
    }

    /// Every UUID (random key ids) becomes `00000000-0000-4000-8000-00000000000N`, N by order
    /// of first appearance.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    pub fn uuids(mut self) -> Self {
        self.uuids = true;
        self
    }

    /// Keeps only these fields of each record, besides its identity (`name`, `url`, `host`,
    /// `port`, `origin`, `error`): what the case's check reads.
    #[cfg(any(feature = "aws", feature = "endpoint", feature = "image"))]
    pub fn fields(mut self, fields: &[&'static str]) -> Self {
        self.fields = Some(fields.to_vec());
        self
    }

    /// Sets a field of each record to a stable value.
    #[cfg_attr(not(feature = "endpoint"), allow(dead_code))]
    pub fn set(mut self, field: &'static str, value: impl Into<Value>) -> Self {
        self.set.push((field, value.into()));
        self
    }

    /// Sets the value at `pointer` inside each record, where there is one, to a stable value
    /// (`/rate_limit/elapsed_ms`: a duration the verdict does not depend on).
    #[cfg_attr(not(feature = "endpoint"), allow(dead_code))]
    pub fn set_at(mut self, pointer: &'static str, value: impl Into<Value>) -> Self {
        self.set_at.push((pointer, value.into()));
        self
    }

    /// Keeps only the records (and configured targets) with this name.
    pub fn target(mut self, name: &str) -> Self {
        self.names.push(name.to_owned());
        self
    }

    /// Replaces `volatile` (a free port, a temp path…) by `placeholder` in every string.
    pub fn replace(mut self, volatile: impl Into<String>, placeholder: &str) -> Self {
        self.replace.push((volatile.into(), placeholder.to_owned()));
        self
    }

    /// `127.0.0.1:PORT` for a free port.
    pub fn port(self, port: u16) -> Self {
        self.replace(format!("127.0.0.1:{port}"), "127.0.0.1:PORT")
    }

    /// A free port written as a stable one (`localhost:8443`, `127.0.0.1:8443`, a `port`
    /// number): for records whose subject is `host:port`, so two ports stay two subjects.
    #[cfg_attr(not(feature = "endpoint"), allow(dead_code))]
    pub fn port_as(mut self, port: u16, stable: u16) -> Self {
        for host in ["localhost", "127.0.0.1"] {
            self = self.replace(format!("{host}:{port}"), &format!("{host}:{stable}"));
        }
        self.ports.push((port, stable));
        self
    }

    /// A record (or a configured target) is kept by its `name`, or its `url` when it has none
    /// (an image record by its `reference`, an image target by its `ref`).
    fn keeps(&self, record: &Value) -> bool {
        let id = record["name"]
            .as_str()
            .or_else(|| record["url"].as_str())
            .or_else(|| record["target"].as_str())
            .or_else(|| record["reference"].as_str());
        let image_ref = record["ref"].as_str();
        self.names.is_empty()
            || [id, image_ref]
                .into_iter()
                .flatten()
                .any(|n| self.names.iter().any(|k| k == n))
    }

    /// The record with only the kept fields, and the stable values set.
    fn cut(&self, record: &Value) -> Value {
        let mut record = record.clone();
        if let (Some(fields), Some(map)) = (&self.fields, record.as_object_mut()) {
            const IDENTITY: [&str; 9] = [
                "name",
                "url",
                "host",
                "port",
                "origin",
                "error",
                "target",
                "account_id",
                "partition",
            ];
            // An image is the reference, who uses it, and the digest it resolved to.
            const IMAGE: [&str; 4] = ["reference", "used_by", "digest", "uri"];
            let image = self.field == "images";
            map.retain(|k, _| {
                IDENTITY.contains(&k.as_str())
                    || (image && IMAGE.contains(&k.as_str()))
                    || fields.contains(&k.as_str())
            });
        }
        for (pointer, field, names) in &self.items {
            let segments: Vec<&str> = pointer.split('/').skip(1).collect();
            retain_items(&mut record, &segments, field, names);
        }
        if let Some(map) = record.as_object_mut() {
            for (k, v) in &self.set {
                map.insert((*k).to_owned(), v.clone());
            }
        }
        for (pointer, v) in &self.set_at {
            if let Some(slot) = record.pointer_mut(pointer) {
                *slot = v.clone();
            }
        }
        record
    }

    /// The fixture text: the settings that differ from the defaults, the kept records.
    fn render(&self) -> Value {
        let mut out = Map::new();
        let defaults = serde_json::to_value(checks::settings::Settings::default()).unwrap();
        let mut settings = self.facts["settings"].clone();
        // Configured targets of this source other than the kept ones are not the case's.
        if let Some(targets) = settings
            .pointer_mut(&format!("/target/{}", target_key(self.field)))
            .and_then(Value::as_array_mut)
        {
            targets.retain(|t| self.keeps(t));
        }
        if let Some(pruned) = prune(&settings, &defaults) {
            out.insert("settings".into(), pruned);
        }
        let records: Vec<Value> = self.facts[self.field]
            .as_array()
            .unwrap_or_else(|| panic!("no `{}` in the facts", self.field))
            .iter()
            .filter(|r| self.keeps(r))
            .map(|r| self.cut(r))
            .collect();
        assert!(
            !records.is_empty(),
            "no {} record named {:?}",
            self.field,
            self.names
        );
        out.insert(self.field.into(), Value::Array(records));
        let mut value = Value::Object(out);
        normalise(&mut value, &self.replace, &self.ports);
        // What is cut must still be what was collected: the fragment re-reads as the same
        // settings and records (a pruned default is the default again). Compared before ids
        // are made stable, which renames them in the settings and the records alike.
        let facts: checks::Facts = serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("the fragment is not Facts: {e}"));
        assert_eq!(
            serde_json::to_value(&facts.settings).unwrap(),
            {
                let mut s = settings;
                normalise(&mut s, &self.replace, &self.ports);
                s
            },
            "the settings survive pruning"
        );
        if !self.noise.is_empty() {
            silence(&mut value, &self.noise);
        }
        if self.uuids {
            let mut seen = Vec::new();
            stable_uuids(&mut value, &mut seen);
        }
        for prefix in &self.ids {
            stable_ids(&mut value, prefix, &mut Vec::new());
        }
        if self.entry_digests {
            let mut seen = Vec::new();
            for record in value[self.field].as_array().into_iter().flatten() {
                for kind in ["signatures", "attestations"] {
                    for entry in record[kind]["entries"].as_array().into_iter().flatten() {
                        if let Some(d) = entry["digest"].as_str()
                            && !seen.iter().any(|s| s == d)
                        {
                            seen.push(d.to_owned());
                        }
                    }
                }
            }
            let stable: Vec<(String, String)> = seen
                .into_iter()
                .enumerate()
                .map(|(i, d)| (d, format!("sha256:{:064}", i + 1)))
                .collect();
            normalise(&mut value, &stable, &[]);
        }
        serde_json::from_value::<checks::Facts>(value.clone())
            .unwrap_or_else(|e| panic!("the stable fragment is not Facts: {e}"));
        value
    }

    /// Compares the fragment with the committed `<check>/<expect>/<case>.json` (or rewrites it
    /// under `VOUCH_REGEN_FIXTURES=1`); `test` is the e2e test that produced it, as
    /// ORIGINS.toml names it.
    pub fn assert_fixture(&self, test: &str, case: &str) {
        let origin = origins()
            .get("regenerated")
            .and_then(|t| t.get(case))
            .and_then(toml::Value::as_str)
            .map(str::to_owned);
        assert_eq!(
            origin.as_deref(),
            Some(test),
            "fixtures/facts/ORIGINS.toml: [regenerated] \"{case}\" = \"{test}\" is missing"
        );
        let path = path_of(case);
        let text = serde_json::to_string_pretty(&self.render()).unwrap() + "\n";
        let in_ci = crate::harness::in_ci();
        let regenerate = std::env::var_os("VOUCH_REGEN_FIXTURES").is_some_and(|v| v == "1");
        // Under CI a fixture is compared, never rewritten: a rewrite passes whatever it holds.
        assert!(
            !(regenerate && in_ci),
            "VOUCH_REGEN_FIXTURES=1 under CI: fixtures are regenerated by hand (scripts/regen-fixtures)"
        );
        if regenerate {
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let same = serde_json::from_str::<Value>(&committed)
            .is_ok_and(|c| c == serde_json::from_str::<Value>(&text).unwrap());
        assert!(
            same,
            "{} differs from what the real service produced (VOUCH_REGEN_FIXTURES=1 \
             scripts/regen-fixtures rewrites it; review the verdict):\n{}",
            path.display(),
            diff(&committed, &text)
        );
    }
}

/// `[[target.<key>]]` of a Facts field.
fn target_key(field: &str) -> &str {
    match field {
        "endpoints" => "endpoint",
        "images" => "image",
        "artifacts" => "artifact",
        other => other,
    }
}

fn path_of(case: &str) -> PathBuf {
    fixture("facts").join(format!("{case}.json"))
}

pub fn origins() -> toml::Table {
    let path = fixture("facts/ORIGINS.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `value` without what equals `default` (objects compared key by key); `None` when nothing
/// differs.
fn prune(value: &Value, default: &Value) -> Option<Value> {
    match (value, default) {
        (Value::Object(v), Value::Object(d)) => {
            let kept: Map<String, Value> = v
                .iter()
                .filter_map(|(k, x)| match d.get(k) {
                    Some(dx) => prune(x, dx).map(|p| (k.clone(), p)),
                    None if x.is_null() => None,
                    None => Some((k.clone(), x.clone())),
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        _ if value == default => None,
        _ => Some(value.clone()),
    }
}

/// Placeholders for volatile values: the replacements in every string, and the server's
/// version cut to its major number (a Debian point release must not fail the suite).
fn normalise(value: &mut Value, replace: &[(String, String)], ports: &[(u16, u16)]) {
    match value {
        Value::String(s) => {
            for (from, to) in replace {
                if s.contains(from.as_str()) {
                    *s = replace_whole(s, from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalise(v, replace, ports)),
        Value::Object(map) => {
            // A response header whose value changes by the request: the date, the file's
            // mtime, the server's build.
            if let Some(name) = map.get("name").and_then(Value::as_str)
                && VOLATILE_HEADERS.contains(&name)
                && map.get("value").is_some_and(Value::is_string)
            {
                map.insert("value".into(), Value::String(format!("<{name}>")));
            }
            for (k, v) in map.iter_mut() {
                if k == "port"
                    && let Some(n) = v.as_u64()
                    && let Some((_, to)) = ports.iter().find(|(from, _)| u64::from(*from) == n)
                {
                    *v = Value::from(*to);
                    continue;
                }
                if k == "server_version"
                    && let Some(s) = v.as_str()
                {
                    let major = s.split(['.', ' ']).next().unwrap_or(s).to_owned();
                    *v = Value::String(format!("{major}.x"));
                    continue;
                }
                normalise(v, replace, ports);
            }
        }
        _ => {}
    }
}

/// Cuts the array at `path` (below `value`) to the items whose `field` (a string, or an array
/// of strings: one of them) is in `names`.
fn retain_items(value: &mut Value, path: &[&str], field: &str, names: &[String]) {
    match path.split_first() {
        None => {
            if let Some(items) = value.as_array_mut() {
                let named = |v: &Value| v.as_str().is_some_and(|n| names.iter().any(|k| k == n));
                items.retain(|i| {
                    named(&i[field]) || i[field].as_array().is_some_and(|a| a.iter().any(named))
                });
            }
        }
        Some((&"*", rest)) => {
            if let Some(items) = value.as_array_mut() {
                for item in items {
                    retain_items(item, rest, field, names);
                }
            }
        }
        Some((key, rest)) => {
            if let Some(inner) = value.get_mut(*key) {
                retain_items(inner, rest, field, names);
            }
        }
    }
}

/// The string values of these keys, anywhere, replaced by their stable value.
fn silence(value: &mut Value, keys: &[(&str, &str)]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| silence(v, keys)),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if let Some((_, stable)) = keys.iter().find(|(key, _)| key == k)
                    && v.is_string()
                {
                    *v = Value::String((*stable).to_owned());
                } else {
                    silence(v, keys);
                }
            }
        }
        _ => {}
    }
}

/// Every UUID in a string replaced by a stable one, numbered by first appearance.
fn stable_uuids(value: &mut Value, seen: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(at) = find_uuid(rest) {
                let uuid = rest[at..at + 36].to_owned();
                let n = if let Some(i) = seen.iter().position(|u| *u == uuid) {
                    i + 1
                } else {
                    seen.push(uuid);
                    seen.len()
                };
                out.push_str(&rest[..at]);
                let _ = write!(out, "00000000-0000-4000-8000-{n:012}");
                rest = &rest[at + 36..];
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| stable_uuids(v, seen)),
        Value::Object(map) => map.values_mut().for_each(|v| stable_uuids(v, seen)),
        _ => {}
    }
}

/// Every `<prefix>-<8 to 17 hex digits>` id in a string replaced by a numbered stable one.
fn stable_ids(value: &mut Value, prefix: &str, seen: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let head = format!("{prefix}-");
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(at) = rest.find(&head) {
                let start = at + head.len();
                let len = rest[start..]
                    .bytes()
                    .take_while(u8::is_ascii_hexdigit)
                    .count();
                let boundary = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
                out.push_str(&rest[..at]);
                if boundary && (8..=17).contains(&len) {
                    let id = rest[at..start + len].to_owned();
                    let n = if let Some(i) = seen.iter().position(|u| *u == id) {
                        i + 1
                    } else {
                        seen.push(id);
                        seen.len()
                    };
                    let _ = write!(out, "{head}{n:017}");
                    rest = &rest[start + len..];
                } else {
                    out.push_str(&head);
                    rest = &rest[start..];
                }
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| stable_ids(v, prefix, seen)),
        Value::Object(map) => map.values_mut().for_each(|v| stable_ids(v, prefix, seen)),
        _ => {}
    }
}

/// Where the first `8-4-4-4-12` hex UUID starts.
fn find_uuid(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(35)).find(|&i| {
        bytes[i..i + 36].iter().enumerate().all(|(j, b)| match j {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
    })
}

/// `text` with `from` replaced where no digit follows it (port 443 is not the start of 4431).
fn replace_whole(text: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Response headers whose value differs from one request to the next.
const VOLATILE_HEADERS: [&str; 4] = ["date", "last-modified", "etag", "server"];

/// The lines that differ, between the first and the last line the two texts share.
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = format!("@@ line {} @@\n", head + 1);
    for l in &a[head..a.len() - tail] {
        let _ = writeln!(out, "- {l}");
    }
    for l in &b[head..b.len() - tail] {
        let _ = writeln!(out, "+ {l}");
    }
    out
}

#[test]
fn pruning_keeps_what_differs_and_diff_shows_it() {
    let v = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
    let d = serde_json::json!({"a": 1, "b": {"c": 2, "d": 4}, "e": []});
    assert_eq!(
        prune(&v, &d),
        Some(serde_json::json!({"b": {"d": 3}, "e": [1]}))
    );
    assert_eq!(prune(&d, &d), None);
    assert_eq!(replace_whole("a:443 a:4431", "a:443", "a:1"), "a:1 a:4431");
    let mut keys = serde_json::json!([
        "arn:key/0f8fad5b-d9cb-469f-a165-70867728950e",
        "ab 7c9e6679-7425-40de-944b-e07fc1f90ae7 0f8fad5b-d9cb-469f-a165-70867728950e"
    ]);
    stable_uuids(&mut keys, &mut Vec::new());
    assert_eq!(
        keys,
        serde_json::json!([
            "arn:key/00000000-0000-4000-8000-000000000001",
            "ab 00000000-0000-4000-8000-000000000002 00000000-0000-4000-8000-000000000001"
        ])
    );
    let mut groups = serde_json::json!([
        "sg-0386ffffe3389ce68",
        "sg-cda1e850 sg-0386ffffe3389ce68 xsg-12345678"
    ]);
    stable_ids(&mut groups, "sg", &mut Vec::new());
    assert_eq!(
        groups,
        serde_json::json!([
            "sg-00000000000000001",
            "sg-00000000000000002 sg-00000000000000001 xsg-12345678"
        ])
    );
    let mut record = serde_json::json!({"b": {"items": [{"name": "x"}, {"name": "y"}]}});
    retain_items(&mut record, &["b", "items"], "name", &["y".to_owned()]);
    assert_eq!(record, serde_json::json!({"b": {"items": [{"name": "y"}]}}));
    let mut record = serde_json::json!([{"vpcs": ["a", "b"]}, {"vpcs": ["c"]}, {"vpcs": "b"}]);
    retain_items(&mut record, &[], "vpcs", &["b".to_owned()]);
    assert_eq!(
        record,
        serde_json::json!([{"vpcs": ["a", "b"]}, {"vpcs": "b"}])
    );
    let out = diff("x\ny\nz\n", "x\nY\nz\n");
    assert_eq!(out, "@@ line 2 @@\n- y\n+ Y\n");
    let mut s = serde_json::json!({"uri": "postgres://127.0.0.1:5555/app", "server_version": "15.14 (Debian)"});
    normalise(
        &mut s,
        &[("127.0.0.1:5555".into(), "127.0.0.1:PORT".into())],
        &[],
    );
    assert_eq!(
        s,
        serde_json::json!({"uri": "postgres://127.0.0.1:PORT/app", "server_version": "15.x"})
    );
}
