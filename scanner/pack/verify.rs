//! `vouch verify DIR`: every hash, the signature, the chain link, and that report.json follows
//! from facts.json when re-judged by this vouch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use checks::Facts;
use checks::facts::FACTS_SCHEMA;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::manifest::{MANIFEST, MANIFEST_SCHEMA, Manifest, SIGNATURE, sha256_hex};
use super::sign;
use crate::bounded::{self, PACK_FILE_MAX, PACK_MANIFEST_MAX, PACK_SIGNATURE_MAX, ReadError};

pub struct Request<'a> {
    pub dir: &'a Path,
    pub key: Option<&'a Path>,
    pub previous: Option<&'a Path>,
}

/// What verification found: `ok` lines say what holds, `problems` what does not (each names
/// the file concerned). The pack verifies when `problems` is empty.
#[derive(Debug, Default)]
pub struct Outcome {
    pub ok: Vec<String>,
    pub notes: Vec<String>,
    pub problems: Vec<String>,
}

/// Verifies the pack. `Err` means verification could not run (no such directory, an unusable
/// key or previous pack): exit 2, distinct from a pack that fails (exit 1).
pub fn verify(req: &Request<'_>) -> Result<Outcome> {
    if !req.dir.is_dir() {
        bail!("{} is not a directory", req.dir.display());
    }
    let key = match req.key {
        Some(path) => {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read public key {}", path.display()))?;
            Some(sign::public_key(&pem).with_context(|| path.display().to_string())?)
        }
        None => None,
    };
    let previous_sha = match req.previous {
        Some(dir) => Some(super::manifest::previous_manifest_sha256(dir)?),
        None => None,
    };

    let mut out = Outcome::default();
    let manifest_bytes = match read_pack_file(req.dir, MANIFEST, PACK_MANIFEST_MAX) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            out.problems
                .push(format!("{MANIFEST}: missing: this is not a vouch pack"));
            return Ok(out);
        }
        Err(problem) => {
            out.problems.push(problem);
            return Ok(out);
        }
    };
    check_signature(req.dir, key.as_ref(), &manifest_bytes, &mut out);
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            out.problems
                .push(format!("{MANIFEST}: not a vouch manifest: {e}"));
            return Ok(out);
        }
    };
    if manifest.schema != MANIFEST_SCHEMA {
        out.problems.push(format!(
            "{MANIFEST}: schema {:?}, expected {MANIFEST_SCHEMA:?}",
            manifest.schema
        ));
    }
    check_files(req.dir, &manifest, &mut out)?;
    if let Some(expected) = previous_sha {
        check_chain(&manifest, &expected, &mut out);
    }
    check_rejudge(req.dir, &manifest, &mut out);
    Ok(out)
}

/// A file of the pack, `None` when absent. A hostile pack cannot make verification hang or
/// exhaust memory: a symbolic link, a FIFO or a file over `cap` is a problem of the pack
/// (named in the `Err`), and nothing of it is read.
fn read_pack_file(dir: &Path, name: &str, cap: u64) -> Result<Option<Vec<u8>>, String> {
    match bounded::read_regular(&dir.join(name), cap) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(ReadError::NotFound) => Ok(None),
        Err(e) => Err(format!("{name}: {e}")),
    }
}

fn check_signature(dir: &Path, key: Option<&sign::PublicKey>, manifest: &[u8], out: &mut Outcome) {
    let signature = match read_pack_file(dir, SIGNATURE, PACK_SIGNATURE_MAX) {
        Ok(s) => s,
        Err(problem) => {
            out.problems.push(problem);
            return;
        }
    };
    match (key, signature) {
        (Some(key), Some(sig)) => {
            if sign::verify(key, manifest, &sig) {
                out.ok
                    .push(format!("{SIGNATURE}: valid signature of {MANIFEST}"));
            } else {
                out.problems.push(format!(
                    "{SIGNATURE}: not a valid signature of {MANIFEST} with this key ({MANIFEST} or {SIGNATURE} changed, or another key signed it)"
                ));
            }
        }
        (Some(_), None) => out.problems.push(format!(
            "{SIGNATURE}: missing, but --key requires a signed pack"
        )),
        (None, Some(_)) => out.notes.push(format!(
            "{SIGNATURE} present but not checked: give --key PUB to verify the signature"
        )),
        (None, None) => out
            .notes
            .push("unsigned pack: hashes verified, authorship not".to_owned()),
    }
}

/// Every file on disk, relative with forward slashes, except the manifest and signature.
fn files_on_disk(dir: &Path, out: &mut Outcome) -> Result<BTreeMap<String, PathBuf>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if entry.file_type().is_dir() || rel == MANIFEST || rel == SIGNATURE {
            continue;
        }
        if !entry.file_type().is_file() {
            out.problems.push(format!(
                "{rel}: not a regular file (a pack holds only files)"
            ));
            continue;
        }
        files.insert(rel, entry.into_path());
    }
    Ok(files)
}

fn check_files(dir: &Path, manifest: &Manifest, out: &mut Outcome) -> Result<()> {
    let mut on_disk = files_on_disk(dir, out)?;
    let before = out.problems.len();
    for entry in &manifest.files {
        let Some(path) = on_disk.remove(&entry.path) else {
            out.problems
                .push(format!("{}: missing (listed in {MANIFEST})", entry.path));
            continue;
        };
        let bytes = match bounded::read_regular(&path, PACK_FILE_MAX) {
            Ok(bytes) => bytes,
            Err(e) => {
                out.problems.push(format!("{}: {e}", entry.path));
                continue;
            }
        };
        let sha = sha256_hex(&bytes);
        if sha != entry.sha256 || bytes.len() as u64 != entry.size {
            out.problems.push(format!(
                "{}: changed ({} bytes, sha256 {sha}; {MANIFEST} says {} bytes, sha256 {})",
                entry.path,
                bytes.len(),
                entry.size,
                entry.sha256
            ));
        }
    }
    for extra in on_disk.keys() {
        out.problems
            .push(format!("{extra}: added (not listed in {MANIFEST})"));
    }
    if out.problems.len() == before {
        out.ok.push(format!(
            "{} files match the hashes in {MANIFEST}",
            manifest.files.len()
        ));
    }
    Ok(())
}

fn check_chain(manifest: &Manifest, expected: &str, out: &mut Outcome) {
    match &manifest.previous_manifest_sha256 {
        Some(link) if link == expected => out
            .ok
            .push("chain: previous_manifest_sha256 matches the previous pack".to_owned()),
        Some(link) => out.problems.push(format!(
            "{MANIFEST}: previous_manifest_sha256 {link} does not match the previous pack's {MANIFEST} (sha256 {expected})"
        )),
        None => out.problems.push(format!(
            "{MANIFEST}: no previous_manifest_sha256, but --previous was given"
        )),
    }
}

/// Re-judges facts.json with this vouch at the manifest's recorded clock; the rebuilt report
/// must equal report.json byte for byte.
fn check_rejudge(dir: &Path, manifest: &Manifest, out: &mut Outcome) {
    let facts_json = match read_pack_file(dir, "facts.json", PACK_FILE_MAX) {
        Ok(Some(b)) => b,
        Ok(None) => {
            out.problems
                .push("facts.json: cannot be read to re-judge: missing".to_owned());
            return;
        }
        Err(problem) => {
            out.problems
                .push(format!("{problem} (cannot be re-judged)"));
            return;
        }
    };
    let facts = match parse_facts(&facts_json) {
        Ok(f) => f,
        Err(e) => {
            out.problems.push(format!("facts.json: {e}"));
            return;
        }
    };
    // The saved settings are judged as `vouch check --facts` judges them: resolved, or refused.
    let options = match facts.settings.resolve() {
        Ok(options) => options,
        Err(errors) => {
            for e in errors {
                out.problems.push(format!(
                    "facts.json: settings.{}: {} (cannot be re-judged)",
                    e.at, e.message
                ));
            }
            return;
        }
    };
    let clock = match OffsetDateTime::parse(&manifest.scan.judged_at, &Rfc3339) {
        Ok(at) => {
            let mut clock = crate::clock::clock_at(at);
            if !manifest.scan.judged_on.is_empty() {
                clock.today.clone_from(&manifest.scan.judged_on);
            }
            if clock.date().is_none() {
                // Waiver expiry is judged against this day: one that is not a date would apply
                // none of them, and the rebuilt report could not be trusted to mean anything.
                out.problems.push(format!(
                    "{MANIFEST}: scan.judged_on {:?} is not a YYYY-MM-DD date",
                    manifest.scan.judged_on
                ));
                return;
            }
            clock
        }
        Err(e) => {
            out.problems.push(format!(
                "{MANIFEST}: scan.judged_at {:?} is not RFC 3339: {e}",
                manifest.scan.judged_at
            ));
            return;
        }
    };
    let report = super::judge(&facts, &options, &clock);
    // Packs made before provenance existed carry none; one that does must agree.
    if manifest.provenance.is_some()
        && (manifest.provenance != report.provenance || manifest.scope != report.scope)
    {
        out.problems.push(format!(
            "{MANIFEST}: provenance or scope does not follow from facts.json"
        ));
    }
    let derived = match super::derive(
        &facts_json,
        &report,
        &crate::templates::bundled_report(),
        &manifest.scan.started,
        &manifest.scan.finished,
    ) {
        Ok(d) => d,
        Err(e) => {
            out.problems
                .push(format!("cannot re-derive the pack: {e:#}"));
            return;
        }
    };
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for required in ["facts.json", "report.json"] {
        if !listed.contains(&required) {
            out.problems.push(format!(
                "{required}: not in {MANIFEST}: every pack holds it"
            ));
        }
    }
    for (name, rebuilt) in &derived.files {
        // A file the manifest does not list is already reported (missing or not made).
        if !listed.contains(&name.as_str()) {
            continue;
        }
        // Unreadable (a link, a FIFO, too large) is already reported by `check_files`.
        let Ok(Some(stored)) = read_pack_file(dir, name, PACK_FILE_MAX) else {
            continue;
        };
        compare_derived(name, &stored, rebuilt, manifest, out);
    }
}

/// One derived file against its re-derivation. report.html is the exception: a pack made with
/// `--templates` legitimately differs from the bundled rendering, so that is a note.
fn compare_derived(
    name: &str,
    stored: &[u8],
    rebuilt: &[u8],
    manifest: &Manifest,
    out: &mut Outcome,
) {
    let same = stored == rebuilt;
    match (name, same) {
        ("report.json", true) => out.ok.push(format!(
            "report.json follows from facts.json (re-judged by vouch {} at {})",
            super::VERSION,
            manifest.scan.judged_at
        )),
        ("report.json", false) => out.problems.push(format!(
            "report.json: does not follow from facts.json re-judged by vouch {}: {}",
            super::VERSION,
            first_difference(stored, rebuilt)
        )),
        ("report.html", false) => out.notes.push(
            "report.html differs from the bundled template's rendering (made with --templates?): its hash is verified, its content not re-derived".to_owned(),
        ),
        (_, true) => out.ok.push(format!("{name} follows from the re-judged report")),
        (_, false) => out.problems.push(format!(
            "{name}: does not follow from the report re-judged from facts.json"
        )),
    }
}

fn parse_facts(bytes: &[u8]) -> Result<Facts> {
    let facts: Facts = serde_json::from_slice(bytes).context("not a vouch facts file")?;
    if facts.schema != FACTS_SCHEMA {
        bail!("schema {:?}, expected {FACTS_SCHEMA:?}", facts.schema);
    }
    Ok(facts)
}

/// Names the first thing that differs: a top-level field, or a finding by check and subject.
fn first_difference(stored: &[u8], rebuilt: &[u8]) -> String {
    let (Ok(a), Ok(b)) = (
        serde_json::from_slice::<Value>(stored),
        serde_json::from_slice::<Value>(rebuilt),
    ) else {
        return "report.json is not JSON".to_owned();
    };
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "report.json is not a JSON object".to_owned();
    };
    let fields: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for field in fields {
        if a.get(field) == b.get(field) {
            continue;
        }
        if field == "findings" {
            return findings_difference(&a["findings"], &b["findings"]);
        }
        return format!("`{field}` differs");
    }
    "the bytes differ (formatting)".to_owned()
}

fn findings_difference(stored: &Value, rebuilt: &Value) -> String {
    let empty = Vec::new();
    let stored = stored.as_array().unwrap_or(&empty);
    let rebuilt = rebuilt.as_array().unwrap_or(&empty);
    let name = |f: &Value| format!("{} {}", f["check"].as_str().unwrap_or("?"), f["subject"]);
    for i in 0..stored.len().max(rebuilt.len()) {
        match (stored.get(i), rebuilt.get(i)) {
            (Some(s), Some(r)) if s != r => {
                return format!("finding {} differs from the re-judged {}", name(s), name(r));
            }
            (Some(s), None) => {
                return format!("finding {} is not in the re-judged report", name(s));
            }
            (None, Some(r)) => {
                return format!("re-judging finds {}, which report.json lacks", name(r));
            }
            _ => {}
        }
    }
    "findings differ".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify_dir(dir: &Path) -> Outcome {
        verify(&Request {
            dir,
            key: None,
            previous: None,
        })
        .unwrap()
    }

    #[test]
    fn a_manifest_linked_to_dev_zero_is_a_problem_and_is_never_read() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(MANIFEST)).unwrap();
        let out = verify_dir(dir.path());
        assert_eq!(
            out.problems,
            vec![format!(
                "{MANIFEST}: is a symbolic link, not a regular file"
            )]
        );
    }

    #[test]
    fn a_fifo_as_facts_json_is_reported_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = serde_json::json!({
            "schema": MANIFEST_SCHEMA,
            "tool": {"name": "vouch", "version": "0"},
            "targets": [],
            "files": [{"path": "facts.json", "sha256": "00", "size": 0}],
            "scan": {"judged_at": "2026-01-01T00:00:00Z", "started": "", "finished": ""}
        });
        std::fs::write(dir.path().join(MANIFEST), manifest.to_string()).unwrap();
        let fifo = dir.path().join("facts.json");
        crate::bounded::tests::mkfifo(&fifo);
        // Before the fix, opening the FIFO blocked verification forever.
        let out = verify_dir(dir.path());
        let fifo_problems = out
            .problems
            .iter()
            .filter(|p| p.starts_with("facts.json: ") && p.contains("FIFO"))
            .count();
        assert!(fifo_problems >= 1, "{:?}", out.problems);
    }
}
