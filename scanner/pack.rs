//! Evidence packs: a folder an auditor can verify byte for byte and re-judge offline.
//!
//! ```text
//! DIR/report.json                     report/v1
//! DIR/report.html                     one self-contained page (templates/report.html.hbs)
//! DIR/report.md, DIR/results.sarif    when this build renders those formats
//! DIR/facts.json                      everything collected, secrets redacted
//! DIR/oscal/assessment-results.json   OSCAL 1.1.3
//! DIR/MANIFEST.json                   tool, times, targets, {path, size, sha256} of each file
//! DIR/MANIFEST.json.sig               with --sign-key: cosign-compatible signature
//! ```
//!
//! Every file is a pure function of the facts, the report and the clock, so two packs made
//! from the same facts with `SOURCE_DATE_EPOCH` set are byte-identical (the signature aside:
//! ECDSA signatures are randomized).

mod manifest;
pub mod sign;
pub mod verify;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use checks::Facts;
use checks::catalog::catalog;
use reports::{Clock, Report};

use crate::output::{self, Format};
pub(crate) use manifest::sha256_hex;
use manifest::{FileEntry, MANIFEST_SCHEMA, ScanTimes};
pub use manifest::{MANIFEST, Manifest, SIGNATURE};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The one way vouch turns facts into a report; `vouch verify` re-judges through it too.
/// `options` are the facts' settings, resolved: the caller refuses facts whose settings do not
/// resolve.
pub fn judge(facts: &Facts, options: &checks::resolve::Resolved, clock: &Clock) -> Report {
    let findings = checks::judge(facts, options);
    let mut report = Report::build(findings, catalog(), &options.waivers, VERSION, clock);
    let inline = facts
        .repo
        .as_ref()
        .map_or(&[][..], |r| r.suppressions.as_slice());
    report.apply_inline_suppressions(inline, facts.settings.waivers.inline, catalog());
    report.apply_attestations(&facts.attestations, &clock.today);
    report.describe(facts, options);
    report
}

/// Where and how to write a pack.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dir: PathBuf,
    pub sign_key: Option<PathBuf>,
    pub previous: Option<PathBuf>,
    pub templates: Option<PathBuf>,
    /// Replace a signed pack already in `dir` (`--force`).
    pub force: bool,
}

/// Everything about a pack that can be refused, checked before any scanning starts: the
/// directory (a signed pack in it is only replaced with `--force`), the templates, the previous
/// pack and the signing key with its password.
pub fn preflight(opts: &Options) -> Result<()> {
    check_dir(&opts.dir, opts.force)?;
    crate::templates::load_report(opts.templates.as_deref())?;
    if let Some(previous) = &opts.previous {
        manifest::previous_manifest_sha256(previous)?;
    }
    if let Some(key) = &opts.sign_key {
        sign::Signer::load(key)?;
    }
    Ok(())
}

/// The names in `dir` when it can take a pack: it does not exist, is empty, or holds a pack
/// vouch wrote (signed ones only with `force`, so a signature is never replaced by accident).
fn check_dir(dir: &Path, force: bool) -> Result<Vec<String>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    if !dir.is_dir() {
        bail!("--pack {}: exists and is not a directory", dir.display());
    }
    let names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read pack directory {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if !names.is_empty() && !is_previous_pack(&names) {
        bail!(
            "pack directory {} is not empty and holds no vouch pack: give a new or empty directory",
            dir.display()
        );
    }
    if !force && names.iter().any(|n| n == SIGNATURE) {
        bail!(
            "--pack {} holds a signed evidence pack: give --force to replace it, or a new directory",
            dir.display()
        );
    }
    Ok(names)
}

/// Writes the pack; returns the paths written (relative, manifest and signature included).
pub fn write(
    opts: &Options,
    facts: &Facts,
    report: &Report,
    clock: &Clock,
    started: &str,
    finished: &str,
) -> Result<Vec<String>> {
    let dir = &opts.dir;
    // Read and render everything that can fail before creating anything.
    let templates = crate::templates::load_report(opts.templates.as_deref())?;
    let previous = match &opts.previous {
        Some(p) => Some(manifest::previous_manifest_sha256(p)?),
        None => None,
    };
    let signer = match &opts.sign_key {
        Some(key) => Some(sign::Signer::load(key)?),
        None => None,
    };
    let facts_json = serde_json::to_string_pretty(facts).context("cannot serialize facts")? + "\n";
    let derived = derive(facts_json.as_bytes(), report, &templates, started, finished)?;
    let mut contents = derived.files;
    contents.push(("facts.json".to_owned(), facts_json.into_bytes()));
    prepare_dir(dir, opts.force)?;
    let mut entries = Vec::with_capacity(contents.len());
    for (path, bytes) in &contents {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
        entries.push(FileEntry::of(path, bytes));
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.to_owned(),
        tool: report.tool.clone(),
        scan: ScanTimes {
            started: started.to_owned(),
            finished: finished.to_owned(),
            judged_at: report.generated_at.clone(),
            judged_on: clock.today.clone(),
        },
        targets: facts.collections.clone(),
        provenance: report.provenance.clone(),
        scope: report.scope.clone(),
        previous_manifest_sha256: previous,
        files: entries,
    };
    let manifest_bytes = manifest.to_bytes();
    let manifest_path = dir.join(MANIFEST);
    std::fs::write(&manifest_path, &manifest_bytes)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    let mut written: Vec<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
    written.push(MANIFEST.to_owned());

    if let Some(signer) = &signer {
        let signature = signer.sign(&manifest_bytes)?;
        let sig_path = dir.join(SIGNATURE);
        std::fs::write(&sig_path, signature)
            .with_context(|| format!("cannot write {}", sig_path.display()))?;
        written.push(SIGNATURE.to_owned());
    }
    Ok(written)
}

/// A pack goes into a new or empty directory: stale files would be unlisted "added" files.
fn prepare_dir(dir: &Path, force: bool) -> Result<()> {
    if !check_dir(dir, force)?.is_empty() {
        // Re-running the same command replaces the pack it wrote last time; anything else in
        // the directory is someone's data and is never deleted (`check_dir` refused it).
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot replace the pack in {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// A directory holding exactly the files a pack consists of (and a MANIFEST.json).
fn is_previous_pack(names: &[String]) -> bool {
    const PACK_FILES: &[&str] = &[
        "MANIFEST.json",
        "MANIFEST.json.sig",
        "report.json",
        "report.html",
        "report.md",
        "results.sarif",
        "facts.json",
        "oscal",
    ];
    names.iter().any(|n| n == "MANIFEST.json")
        && names.iter().all(|n| PACK_FILES.contains(&n.as_str()))
}

/// The files derived from the facts: everything in a pack but facts.json and the manifest.
pub(crate) struct Derived {
    /// (relative path, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

/// Renders every derived file from the report. `facts_json` is facts.json's exact bytes (the
/// OSCAL file records their hash). Pure given its inputs: `vouch verify` re-derives through it.
pub(crate) fn derive(
    facts_json: &[u8],
    report: &Report,
    templates: &std::collections::BTreeMap<String, String>,
    started: &str,
    finished: &str,
) -> Result<Derived> {
    let report_json = reports::render::json::render(report);
    let html = reports::render::html::render(report, templates)
        .map_err(|e| anyhow::anyhow!("cannot render report.html: {e}"))?;
    let oscal = reports::render::oscal::render(
        report,
        &reports::render::oscal::PackContext {
            report_sha256: &sha256_hex(report_json.as_bytes()),
            facts_sha256: &sha256_hex(facts_json),
            start: started,
            end: finished,
        },
    );
    let mut derived = Derived {
        files: vec![
            ("report.json".to_owned(), report_json.into_bytes()),
            ("report.html".to_owned(), html.into_bytes()),
            (
                "oscal/assessment-results.json".to_owned(),
                oscal.into_bytes(),
            ),
        ],
    };
    for (name, format) in [
        ("results.sarif", Format::Sarif),
        ("report.md", Format::Markdown),
    ] {
        // Evidence keeps the passes in the SARIF too (the CLI leaves them out by default).
        let options = output::RenderOptions {
            color: false,
            sarif_passes: true,
            sarif_files_only: false,
        };
        let text = output::render_with(report, format, options);
        derived.files.push((name.to_owned(), text.into_bytes()));
    }
    Ok(derived)
}
