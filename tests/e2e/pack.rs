//! Evidence packs: writing, signing, verifying (and rejecting every tampered variant),
//! determinism, templates, OSCAL validated by compliance-trestle, and the HTML report in
//! headless Chromium.

// Test helpers outside #[test] functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{
    array, findings, fixture, scan_refused, strings, text, venv_candidates, vouch,
};

const PASSWORD: &str = "correct horse battery staple";

/// Every file under `dir`, relative with forward slashes → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `vouch scan fixtures/demo --pack DIR EXTRA…`; the demo has a failing finding (exit 1).
fn scan_pack(dir: &Path, extra: &[&str]) {
    let out = vouch()
        .arg("scan")
        .arg(fixture("demo"))
        .arg("--pack")
        .arg(dir)
        .args(extra)
        .env("VOUCH_KEY_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("MANIFEST.json").is_file());
}

#[cfg(feature = "sign")]
fn keygen(prefix: &Path) -> (PathBuf, PathBuf) {
    vouch()
        .arg("keygen")
        .arg("--out")
        .arg(prefix)
        .env("VOUCH_KEY_PASSWORD", PASSWORD)
        .assert()
        .success();
    let key = prefix.with_extension("key");
    let public = prefix.with_extension("pub");
    assert!(key.is_file() && public.is_file());
    (key, public)
}

/// Runs `vouch verify DIR ARGS…`: (exit code, stdout).
fn verify(dir: &Path, args: &[&Path]) -> (i32, String) {
    let mut cmd = vouch();
    cmd.arg("verify").arg(dir);
    for pair in args.chunks(2) {
        cmd.arg(pair[0]).arg(pair[1]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[cfg(feature = "sign")]
fn copy_dir(from: &Path, to: &Path) {
    for (rel, bytes) in files(from) {
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[test]
fn pack_lists_exactly_its_files_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pack");
    let dumped = tmp.path().join("facts.json");
    scan_pack(&dir, &["--dump-facts", dumped.to_str().unwrap()]);

    let manifest = json_file(&dir.join("MANIFEST.json"));
    assert_eq!(manifest["schema"], "vouch.manifest/v1");
    assert_eq!(manifest["tool"]["name"], "vouch");
    assert_eq!(manifest["scan"]["started"], "2026-01-01T00:00:00Z");
    assert_eq!(manifest["targets"][0]["source"], "repo");
    assert!(manifest.get("previous_manifest_sha256").is_none());

    // The manifest lists every file but itself (unsigned: no signature), sorted, hashes right.
    let on_disk = files(&dir);
    let listed = strings(&manifest, "files", "path");
    let mut expected: Vec<&str> = on_disk
        .keys()
        .map(String::as_str)
        .filter(|p| *p != "MANIFEST.json")
        .collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    for core in [
        "facts.json",
        "report.json",
        "report.html",
        "oscal/assessment-results.json",
    ] {
        assert!(listed.contains(&core), "{core} missing from {listed:?}");
    }
    for entry in array(&manifest, "files") {
        let bytes = &on_disk[text(entry, "path")];
        assert_eq!(entry["size"], bytes.len());
        assert_eq!(entry["sha256"], sha256_hex(bytes));
    }

    // facts.json is what --dump-facts writes; report.json is report/v1.
    assert_eq!(on_disk["facts.json"], std::fs::read(&dumped).unwrap());
    let report = json_file(&dir.join("report.json"));
    assert_eq!(report["schema"], "vouch.report/v1");
    assert_eq!(report["generated_at"], manifest["scan"]["judged_at"]);

    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("unsigned pack"), "{out}");
    assert!(out.contains("report.json follows from facts.json"), "{out}");
}

// Requires the `reports` branch (SARIF and Markdown renderers wired into scanner/output.rs).
#[test]
fn pack_contains_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pack");
    scan_pack(&dir, &[]);
    let on_disk = files(&dir);
    for name in [
        "report.json",
        "report.html",
        "report.md",
        "results.sarif",
        "facts.json",
        "oscal/assessment-results.json",
        "MANIFEST.json",
    ] {
        assert!(on_disk.contains_key(name), "{name} not in the pack");
    }
    let sarif: Value = serde_json::from_slice(&on_disk["results.sarif"]).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(String::from_utf8_lossy(&on_disk["report.md"]).contains("gha-action-pinned"));
    let (code, out) = verify(&dir, &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
#[cfg(feature = "sign")]
fn signed_pack_verifies_and_every_flipped_byte_is_caught_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(&tmp.path().join("signer"));
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(key_text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    let pack = tmp.path().join("pack");
    scan_pack(&pack, &["--sign-key", key.to_str().unwrap()]);
    let signature = std::fs::read_to_string(pack.join("MANIFEST.json.sig")).unwrap();
    assert!(
        signature
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)),
        "not base64: {signature}"
    );

    let key_flag = Path::new("--key");
    let (code, out) = verify(&pack, &[key_flag, &public]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok    MANIFEST.json.sig: valid signature"),
        "{out}"
    );

    let names: Vec<String> = files(&pack).into_keys().collect();
    assert!(names.len() >= 6, "{names:?}");
    for name in &names {
        let copy = tmp
            .path()
            .join(format!("tampered-{}", name.replace('/', "_")));
        copy_dir(&pack, &copy);
        let path = copy.join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();

        let (code, out) = verify(&copy, &[key_flag, &public]);
        assert_eq!(code, 1, "flipping a byte of {name} went unnoticed:\n{out}");
        assert!(
            out.lines().any(|l| l.starts_with(&format!("FAIL  {name}"))),
            "no FAIL line names {name}:\n{out}"
        );
    }
}

#[test]
#[cfg(feature = "sign")]
fn added_missing_and_unsigned_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, public) = keygen(&tmp.path().join("k"));
    let pack = tmp.path().join("pack");
    scan_pack(&pack, &[]);
    std::fs::write(pack.join("notes.txt"), "slipped in").unwrap();
    std::fs::remove_file(pack.join("report.html")).unwrap();
    let (code, out) = verify(&pack, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  notes.txt: added"), "{out}");
    assert!(out.contains("FAIL  report.html: missing"), "{out}");

    // --key demands a signature.
    let (code, out) = verify(&pack, &[Path::new("--key"), &public]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  MANIFEST.json.sig: missing"), "{out}");
}

#[test]
fn verify_cannot_run_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out) = verify(&tmp.path().join("nope"), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a directory"), "{out}");

    let garbage = tmp.path().join("garbage.pub");
    std::fs::write(&garbage, "not a key").unwrap();
    let (code, out) = verify(tmp.path(), &[Path::new("--key"), &garbage]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("garbage.pub"), "{out}");
}

#[test]
#[cfg(feature = "sign")]
fn wrong_password_or_existing_key_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("k");
    let (key, _) = keygen(&prefix);
    // keygen never overwrites a key.
    vouch()
        .arg("keygen")
        .arg("--out")
        .arg(&prefix)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));

    let pack = tmp.path().join("pack");
    let out = vouch()
        .arg("scan")
        .arg(fixture("demo"))
        .arg("--pack")
        .arg(&pack)
        .arg("--sign-key")
        .arg(&key)
        .env("VOUCH_KEY_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("VOUCH_KEY_PASSWORD"), "{stderr}");
    assert!(!stderr.contains("wrong"), "the password leaked: {stderr}");
    assert!(!pack.exists(), "a pack was written with an unusable key");
}

/// Replaces `name` in an unsigned pack and fixes its hash and size in the manifest, as a forger
/// without the signing key could.
fn forge(pack: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(pack.join(name), bytes).unwrap();
    let manifest_path = pack.join("MANIFEST.json");
    let mut manifest = json_file(&manifest_path);
    for entry in manifest["files"].as_array_mut().unwrap() {
        if entry["path"] == name {
            entry["sha256"] = sha256_hex(bytes).into();
            entry["size"] = bytes.len().into();
        }
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap() + "\n",
    )
    .unwrap();
}

#[test]
fn report_that_does_not_follow_from_facts_is_rejected_even_with_right_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    scan_pack(&pack, &[]);

    // Forge: mark the failing finding as passing.
    let mut report = json_file(&pack.join("report.json"));
    let forged = report["findings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["status"] == "fail")
        .unwrap();
    forged["status"] = "pass".into();
    let forged_subject = forged["subject"].as_str().unwrap().to_owned();
    forge(
        &pack,
        "report.json",
        (serde_json::to_string_pretty(&report).unwrap() + "\n").as_bytes(),
    );
    // And the OSCAL file: claim the failing control is satisfied.
    let oscal_name = "oscal/assessment-results.json";
    let oscal = std::fs::read_to_string(pack.join(oscal_name)).unwrap();
    assert!(oscal.contains("not-satisfied"));
    forge(
        &pack,
        oscal_name,
        oscal.replace("not-satisfied", "satisfied").as_bytes(),
    );

    let (code, out) = verify(&pack, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("files match the hashes"), "{out}");
    assert!(
        out.contains("FAIL  report.json: does not follow from facts.json"),
        "{out}"
    );
    assert!(out.contains(&forged_subject), "{out}");
    assert!(
        out.contains(&format!("FAIL  {oscal_name}: does not follow")),
        "{out}"
    );
}

#[test]
fn packs_chain_to_their_previous_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let second = tmp.path().join("second");
    let other = tmp.path().join("other");
    scan_pack(&first, &[]);
    scan_pack(&second, &["--previous", first.to_str().unwrap()]);
    scan_pack(&other, &[]);
    std::fs::write(other.join("MANIFEST.json"), "{}\n").unwrap();

    let link = json_file(&second.join("MANIFEST.json"))["previous_manifest_sha256"].clone();
    assert_eq!(
        link,
        sha256_hex(&std::fs::read(first.join("MANIFEST.json")).unwrap())
    );
    let previous = Path::new("--previous");
    let (code, out) = verify(&second, &[previous, &first]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("chain: previous_manifest_sha256 matches"),
        "{out}"
    );

    let (code, out) = verify(&second, &[previous, &other]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  MANIFEST.json: previous_manifest_sha256"),
        "{out}"
    );

    let (code, out) = verify(&first, &[previous, &first]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no previous_manifest_sha256"), "{out}");
}

#[test]
#[cfg(feature = "sign")]
fn two_packs_from_the_same_facts_are_byte_identical_but_the_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let facts = tmp.path().join("facts.json");
    vouch()
        .arg("scan")
        .arg(fixture("demo"))
        .arg("--dump-facts")
        .arg(&facts)
        .assert()
        .code(1);
    let (key, public) = keygen(&tmp.path().join("k"));
    let make = |name: &str| {
        let dir = tmp.path().join(name);
        vouch()
            .arg("check")
            .arg("--facts")
            .arg(&facts)
            .arg("--pack")
            .arg(&dir)
            .arg("--sign-key")
            .arg(&key)
            .env("VOUCH_KEY_PASSWORD", PASSWORD)
            .assert()
            .code(1);
        dir
    };
    let (a, b) = (make("a"), make("b"));
    let (mut fa, mut fb) = (files(&a), files(&b));
    let (sa, sb) = (
        fa.remove("MANIFEST.json.sig").unwrap(),
        fb.remove("MANIFEST.json.sig").unwrap(),
    );
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between the two packs");
    }
    // ECDSA signatures are randomized; both still verify.
    assert_ne!(sa, sb);
    for dir in [&a, &b] {
        let (code, out) = verify(dir, &[Path::new("--key"), &public]);
        assert_eq!(code, 0, "{out}");
    }
}

#[test]
fn templates_dir_replaces_the_bundled_html_template() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("report.html.hbs"),
        "<p>{{summary.fail}} failing of {{len findings}}; {{> sig}}</p>\n",
    )
    .unwrap();
    std::fs::write(templates.join("sig.hbs"), "by {{tool.name}}").unwrap();
    let pack = tmp.path().join("pack");
    scan_pack(&pack, &["--templates", templates.to_str().unwrap()]);
    let report = json_file(&pack.join("report.json"));
    assert_eq!(
        std::fs::read_to_string(pack.join("report.html")).unwrap(),
        format!(
            "<p>{} failing of {}; by vouch</p>\n",
            report["summary"]["fail"],
            findings(&report).len()
        )
    );
    let (code, out) = verify(&pack, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("note  report.html differs from the bundled"),
        "{out}"
    );

    // A broken template is an error naming it, and nothing is written.
    std::fs::write(templates.join("report.html.hbs"), "{{#each findings}}").unwrap();
    let broken = tmp.path().join("broken");
    scan_refused(
        &fixture("demo"),
        &[
            "--pack",
            broken.to_str().unwrap(),
            "--templates",
            templates.to_str().unwrap(),
        ],
        "template report.html",
    );
    assert!(!broken.exists());
}

/// The Python of the venv `scripts/test` makes, with compliance-trestle installed.
fn trestle_python() -> PathBuf {
    let candidates = venv_candidates();
    for venv in &candidates {
        let python = venv.join("bin/python");
        let has_trestle = Process::new(&python)
            .args(["-c", "import trestle"])
            .output()
            .is_ok_and(|o| o.status.success());
        if has_trestle {
            return python;
        }
    }
    panic!(
        "compliance-trestle is not installed in any of {candidates:?}: run `scripts/test` (it \
         installs PY_NEEDS into a venv and exports VOUCH_TEST_VENV), or set VOUCH_TEST_VENV"
    );
}

const TRESTLE_PARSE: &str = "
import pathlib, sys
from trestle.oscal.assessment_results import AssessmentResults
def plain(v):
    while hasattr(v, 'root'):
        v = v.root
    return v
ar = AssessmentResults.oscal_read(pathlib.Path(sys.argv[1]))
r = ar.results[0]
sel = r.reviewed_controls.control_selections
fw = sorted(plain(s.props[0].value) for s in sel if s.props)
ids = sorted(plain(c.control_id) for s in sel if s.props and plain(s.props[0].value) == 'nist-800-53-r5' for c in s.include_controls)
print(plain(ar.metadata.oscal_version), len(r.observations or []), len(r.findings or []), plain(ar.import_ap.href), ','.join(fw), ','.join(ids))
";

#[test]
fn oscal_assessment_results_parse_with_compliance_trestle() {
    let python = trestle_python();
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    scan_pack(&pack, &[]);
    let path = pack.join("oscal/assessment-results.json");
    let out = Process::new(&python)
        .arg("-c")
        .arg(TRESTLE_PARSE)
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "trestle rejected the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_file(&pack.join("report.json"));
    let observations = findings(&report).len();
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields[0], "1.1.3", "{stdout}");
    assert_eq!(fields[1], observations.to_string(), "{stdout}");
    let failing_controls = array(&report, "controls")
        .iter()
        .filter(|c| c["status"] == "fail")
        .count();
    assert!(failing_controls > 0, "the scanned repository has failures");
    assert_eq!(
        fields[2],
        failing_controls.to_string(),
        "one OSCAL finding per failing control: {stdout}"
    );
    assert!(fields[3].starts_with('#'), "{stdout}");
    // The framework ids the judged controls map to, as trestle reads them back.
    assert_eq!(
        fields[4], "iso27001-2022,nist-800-53-r5,soc2-2017",
        "{stdout}"
    );
    assert!(fields[5].split(',').any(|id| id == "cm-5"), "{stdout}");

    // The oracle is strict: the same file without import-ap is rejected.
    let mut doc = json_file(&path);
    doc["assessment-results"]
        .as_object_mut()
        .unwrap()
        .remove("import-ap");
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, doc.to_string()).unwrap();
    let out = Process::new(&python)
        .arg("-c")
        .arg(TRESTLE_PARSE)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "trestle accepted a file without import-ap"
    );
}

// ---- headless Chromium (harness in browser.rs) ------------------------------------------

use crate::browser::run as chromium;

/// The number in the element `marker` opens (`data-count="pass">3<`).
fn number_after(dom: &str, marker: &str) -> u64 {
    let start = dom
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the DOM"))
        + marker.len();
    let digits: String = dom[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {marker}"))
}

#[test]
fn html_report_in_headless_chromium_counts_right_and_requests_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    scan_pack(&pack, &[]);
    let page = pack.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let report = json_file(&pack.join("report.json"));

    // Statically: nothing that loads (scripts, styles, images, fonts, frames) is external.
    for needle in [
        "<link",
        "<img",
        "<iframe",
        "src=",
        "@import",
        "url(",
        "@font-face",
    ] {
        assert!(!html.contains(needle), "report.html contains {needle}");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));

    // After the page's JavaScript ran: the visible counts are report.json's.
    let (dom, requests) = chromium(&page, &["--dump-dom".to_owned()]);
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script did not run"
    );
    let summary = &report["summary"];
    for status in ["pass", "fail", "error", "waived"] {
        assert_eq!(
            number_after(&dom, &format!("data-count=\"{status}\">")),
            summary[status].as_u64().unwrap(),
            "{status} count"
        );
        let rows = dom.matches(&format!("data-status=\"{status}\"")).count();
        assert_eq!(
            rows as u64,
            summary[status].as_u64().unwrap(),
            "{status} rows"
        );
    }
    // The coverage summary is counted in controls, and every control is listed and visible.
    let controls = array(&report, "controls");
    for status in [
        "pass",
        "fail",
        "error",
        "attested",
        "not_tested",
        "planned",
        "manual",
    ] {
        let n = controls.iter().filter(|c| c["status"] == status).count() as u64;
        assert_eq!(
            number_after(&dom, &format!("data-coverage=\"{status}\">")),
            n,
            "{status} controls"
        );
    }
    assert_eq!(
        number_after(&dom, "data-coverage=\"total\">"),
        controls.len() as u64
    );
    assert_eq!(
        dom.matches("<tr class=\"control\"").count(),
        controls.len(),
        "every control is shown by default (none hidden)"
    );
    // (No control of the shipped catalog is planned since NET-02 got `http-rate-limited`; the
    // demo attests both manual controls, so the statuses without a check are these two.)
    assert!(controls.iter().any(|c| c["status"] == "attested"));
    assert!(controls.iter().any(|c| c["status"] == "not_tested"));
    let total = findings(&report).len() as u64;
    assert!(total > 0);
    assert_eq!(number_after(&dom, "data-count=\"total\">"), total);
    assert_eq!(number_after(&dom, "id=\"shown\">"), total);
    assert!(requests.is_empty(), "the report requested {requests:?}");

    // A screenshot (kept in the target dir to look at) and a PDF print.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let png = shots.join("vouch-report.png");
    let pdf = tmp.path().join("report.pdf");
    chromium(
        &page,
        &[
            "--window-size=1280,1100".to_owned(),
            format!("--screenshot={}", png.display()),
        ],
    );
    let png_bytes = std::fs::read(&png).unwrap();
    assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n") && png_bytes.len() > 20_000);
    chromium(
        &page,
        &[
            "--no-pdf-header-footer".to_owned(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
}

#[test]
fn net_log_check_catches_a_page_that_loads_external_resources() {
    // The control for the test above: the same check does see requests when a page makes them.
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("leaky.html");
    std::fs::write(
        &page,
        "<html><head><link rel=stylesheet href=\"https://example.com/x.css\"></head>\
         <body><img src=\"http://example.org/i.png\"></body></html>",
    )
    .unwrap();
    let (_, requests) = chromium(&page, &["--dump-dom".to_owned()]);
    assert!(
        requests
            .iter()
            .any(|u| u.starts_with("https://example.com/")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|u| u.starts_with("http://example.org/")),
        "{requests:?}"
    );
}

#[test]
fn rerunning_into_the_same_pack_dir_replaces_the_pack_but_never_foreign_files() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    scan_pack(&pack, &[]);
    scan_pack(&pack, &[]);
    let (code, out) = verify(&pack, &[]);
    assert_eq!(code, 0, "{out}");

    let foreign = tmp.path().join("notes");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("todo.txt"), "mine").unwrap();
    scan_refused(
        &fixture("demo"),
        &["--pack", foreign.to_str().unwrap()],
        "holds no vouch pack",
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("todo.txt")).unwrap(),
        "mine"
    );
}
