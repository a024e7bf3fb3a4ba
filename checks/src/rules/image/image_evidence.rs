//! What `image-signed` and `image-sbom-attested` share: both judge one [`Evidence`] of each
//! registry image (its cosign signatures or its attestations) the same way.

use serde_json::json;

use crate::facts::image::{Evidence, Image, Verified};
use crate::model::{Context, Findings, Location};
use crate::resolve::ImageOptions;

/// One of the two kinds of evidence attached to an image under the cosign tag scheme.
pub(crate) struct Judged {
    /// `signature` / `attestation`, in messages.
    pub noun: &'static str,
    /// The cosign tag suffix it is attached under (`sig`, `att`).
    pub tag_suffix: &'static str,
    /// Some trust that can verify this kind is configured.
    pub trust_configured: fn(&ImageOptions) -> bool,
    /// The error's cause when it is missing.
    pub no_trust: &'static str,
    pub evidence: fn(&Image) -> &Evidence,
    /// An entry that verified counts only when this also holds (e.g. an SBOM predicate, a
    /// trusted builder); `Err` says why it does not.
    pub counts: fn(&Verified, &ImageOptions) -> Result<(), String>,
    /// What a counted entry is, in the pass message (default: its signer).
    pub describe: fn(&Verified) -> String,
    /// Said when entries verified but none counts.
    pub uncounted: &'static str,
}

/// Judges every image: `error` when it could not be read or no trust is configured, `pass` when
/// one entry verifies (and counts), else `fail` saying how many were found and why.
pub(crate) fn judge_images(cx: &Context<'_>, out: &mut Findings, judged: &Judged) {
    let trusted = judged.trust_configured;
    // A cluster (or a list in it) that could not be read hides the images it runs.
    if cx.options.image.workload_images {
        crate::rules::kube_faults(cx, out);
    }
    for image in &cx.facts.images {
        let location = Location::resource(image.uri.clone());
        let subject = image.reference.clone();
        let evidence = (judged.evidence)(image);
        let base = json!({
            "image": image.reference,
            "digest": image.digest,
            "used_by": image.used_by,
            "entries": evidence.entries,
        });
        if let Some(error) = &image.error {
            out.error(subject, location, error.clone(), base);
        } else if !trusted(&cx.options.image) {
            out.error(
                subject,
                location,
                format!(
                    "cannot verify the {}s of {}: {}",
                    judged.noun, image.reference, judged.no_trust
                ),
                base,
            );
        } else if let Some(error) = &evidence.error {
            out.error(subject, location, error.clone(), base);
        } else if !evidence.checked {
            out.error(
                subject,
                location,
                format!("{}s of {} were not looked up", judged.noun, image.reference),
                base,
            );
        } else {
            let verdict = Verdict {
                subject,
                location,
                base,
            };
            judge_entries(image, evidence, judged, &cx.options.image, verdict, out);
        }
    }
}

/// The finding's subject, location and base evidence.
struct Verdict {
    subject: String,
    location: Location,
    base: serde_json::Value,
}

/// The signer of an entry: the default [`Judged::describe`].
pub(crate) fn signer(entry: &Verified) -> String {
    format!("signed by {}", entry.signer)
}

fn judge_entries(
    image: &Image,
    evidence: &Evidence,
    judged: &Judged,
    settings: &ImageOptions,
    verdict: Verdict,
    out: &mut Findings,
) {
    let Verdict {
        subject,
        location,
        base,
    } = verdict;
    let good: Vec<&Verified> = evidence
        .entries
        .iter()
        .filter(|e| e.verified && (judged.counts)(e, settings).is_ok())
        .collect();
    if !good.is_empty() {
        let mut described: Vec<String> = good.iter().map(|e| (judged.describe)(e)).collect();
        described.sort_unstable();
        described.dedup();
        let message = format!("{} verified, {}", judged.noun, described.join("; "));
        out.pass(subject, location, message, base);
        return;
    }
    let uncounted: Vec<String> = evidence
        .entries
        .iter()
        .filter(|e| e.verified)
        .filter_map(|e| (judged.counts)(e, settings).err())
        .collect();
    let digest = image.digest.as_deref().unwrap_or("?");
    let message = if evidence.entries.is_empty() {
        format!(
            "{} has no {} attached (no {}.{} tag, no sigstore bundle referrer)",
            image.reference,
            judged.noun,
            digest.replace(':', "-"),
            judged.tag_suffix
        )
    } else if !uncounted.is_empty() {
        let mut reasons = uncounted;
        reasons.sort_unstable();
        reasons.dedup();
        format!(
            "{}: {} ({})",
            image.reference,
            judged.uncounted,
            reasons.join("; ")
        )
    } else {
        let reasons: Vec<String> = evidence
            .entries
            .iter()
            .map(|e| format!("{}: {}", short(&e.digest), e.reason))
            .collect();
        format!(
            "{} {}(s) attached to {}, none verifies ({})",
            evidence.entries.len(),
            judged.noun,
            image.reference,
            reasons.join("; ")
        )
    };
    out.fail(subject, location, message, base);
}

/// `sha256:0123456789ab` — enough of a digest to tell entries apart in a message.
fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}
