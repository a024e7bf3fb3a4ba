//! What `artifact-signed` and `artifact-provenance` share: both judge the sigstore bundles found
//! beside each release artifact, verified for its digest against the `[image]` trust.

use serde_json::json;

use crate::facts::artifact::Artifact;
use crate::facts::image::Verified;
use crate::model::{Context, Findings, Location};
use crate::resolve::ImageOptions;

pub(crate) struct Judged {
    /// What a counted bundle is, in messages (`signature`, `provenance attestation`).
    pub noun: &'static str,
    /// Some trust that can verify this kind is configured.
    pub trust_configured: fn(&ImageOptions) -> bool,
    /// The error's cause when it is missing.
    pub no_trust: &'static str,
    /// A verified bundle counts only when this also holds; `Err` says why it does not.
    pub counts: fn(&Verified, &ImageOptions) -> Result<(), String>,
    /// What a counted bundle is, in the pass message.
    pub describe: fn(&Verified) -> String,
    /// Said when bundles verified but none counts.
    pub uncounted: &'static str,
}

/// Where a finding about `artifact` points: the file, or the URL.
fn location(artifact: &Artifact) -> Location {
    if artifact.location.contains("://") {
        Location::resource(artifact.location.clone())
    } else {
        Location::file(artifact.location.clone(), 0)
    }
}

/// Judges every artifact: `pass` when a bundle verifies (and counts); else `error` when the
/// artifact or a bundle could not be read or no trust is configured; else `fail` saying why.
pub(crate) fn judge_artifacts(cx: &Context<'_>, out: &mut Findings, judged: &Judged) {
    let settings = &cx.options.image;
    for artifact in &cx.facts.artifacts {
        let subject = artifact.name.clone();
        let location = location(artifact);
        let mut base = json!({
            "artifact": artifact.name,
            "location": artifact.location,
            "sha256": artifact.sha256,
            "size": artifact.size,
            "looked_for": artifact.looked_for,
            "bundles": artifact.bundles.entries,
        });
        let bundles = &artifact.bundles;
        if let Some(unread) = &bundles.error {
            // Kept even when another bundle passes: the evidence says what was not read.
            base["bundles_unread"] = json!(unread);
        }
        let what = format!("{} ({})", artifact.name, artifact.location);
        if let Some(error) = &artifact.error {
            out.error(subject, location, error.clone(), base);
        } else if !(judged.trust_configured)(settings) {
            let message = format!(
                "cannot verify the {}s of {what}: {}",
                judged.noun, judged.no_trust
            );
            out.error(subject, location, message, base);
        } else if !bundles.checked || artifact.sha256.is_none() {
            let message = format!("the bundles of {what} were not looked up");
            out.error(subject, location, message, base);
        } else {
            // A bundle that proves it passes even if another could not be read; without one,
            // an unread bundle might have been it: `error`, never `fail` or `pass`.
            match (verdict(artifact, &what, judged, settings), &bundles.error) {
                ((true, message), _) => out.pass(subject, location, message, base),
                (_, Some(error)) => out.error(subject, location, error.clone(), base),
                ((false, message), None) => out.fail(subject, location, message, base),
            }
        }
    }
}

fn verdict(
    artifact: &Artifact,
    what: &str,
    judged: &Judged,
    settings: &ImageOptions,
) -> (bool, String) {
    let entries = &artifact.bundles.entries;
    let digest = artifact.sha256.as_deref().unwrap_or("?");
    let mut good: Vec<String> = entries
        .iter()
        .filter(|e| e.verified && (judged.counts)(e, settings).is_ok())
        .map(|e| (judged.describe)(e))
        .collect();
    if !good.is_empty() {
        good.sort_unstable();
        good.dedup();
        let message = format!(
            "{} verified for sha256 {digest}, {}",
            judged.noun,
            good.join("; ")
        );
        return (true, message);
    }
    if entries.is_empty() {
        let message = format!(
            "{what} has no sigstore bundle (looked for {})",
            artifact.looked_for.join(", ")
        );
        return (false, message);
    }
    let mut uncounted: Vec<String> = entries
        .iter()
        .filter(|e| e.verified)
        .filter_map(|e| (judged.counts)(e, settings).err())
        .collect();
    if !uncounted.is_empty() {
        uncounted.sort_unstable();
        uncounted.dedup();
        return (
            false,
            format!("{what}: {} ({})", judged.uncounted, uncounted.join("; ")),
        );
    }
    let reasons: Vec<String> = entries
        .iter()
        .map(|e| format!("{}: {}", e.digest, e.reason))
        .collect();
    let message = format!(
        "{} bundle(s) beside {what}, none verifies for sha256 {digest} ({})",
        entries.len(),
        reasons.join("; ")
    );
    (false, message)
}
