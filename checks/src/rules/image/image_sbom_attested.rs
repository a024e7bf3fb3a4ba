use super::image_evidence::{Judged, judge_images};
use crate::facts::image::Verified;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};
use crate::resolve::ImageOptions;

pub struct ImageSbomAttested;

/// An in-toto predicate type that is an SBOM (any CycloneDX or SPDX version).
fn is_sbom(entry: &Verified) -> bool {
    let t = entry.predicate_type.as_str();
    t.starts_with("https://cyclonedx.org/bom") || t.starts_with("https://spdx.dev/Document")
}

static JUDGED: Judged = Judged {
    noun: "attestation",
    tag_suffix: "att",
    trust_configured: ImageOptions::has_trust,
    no_trust: "no trusted key or identity configured ([image] keys, [[image.identities]])",
    evidence: |image| &image.attestations,
    counts: |entry, _| {
        if is_sbom(entry) {
            Ok(())
        } else {
            Err(format!("{} is not an SBOM", entry.predicate_type))
        }
    },
    describe: super::image_evidence::signer,
    uncounted: "attestations verify but none is a CycloneDX or SPDX SBOM",
};

impl Rule for ImageSbomAttested {
    const META: Meta = Meta {
        id: "image-sbom-attested",
        title: "Container images carry a signed SBOM attestation",
        severity: Severity::Medium,
        controls: &["SUP-02"],
        source: Source::Image,
        docs: r#"
## Why
An SBOM lets you answer "are we running the vulnerable library?" for what is actually deployed,
not for what a repository says today. Attached to the image's digest as a signed in-toto
attestation, it is bound to exactly those bytes and cannot be swapped without the release key.

## What is judged
The same images as `image-signed` (workloads, `[[target.image]]`, optionally Dockerfiles; only
with `--all-targets` or a selected cluster or image target). The cosign attestation manifest (`sha256-<digest>.att`) is read;
each layer is a DSSE envelope whose signature must verify against a key in `[image] keys` over
the DSSE pre-authentication encoding, whose payload must be an in-toto Statement with a subject
of the image's digest. Attestations attached as sigstore bundles (OCI referrers, every page
of the registry's answer, or their fallback tag) verify the same way by key, or keyless against `[image] trust_root` and
`[[image.identities]]` (certificate chain at the log entry's signed time, inclusion proof). Passes when such an attestation has a CycloneDX
(`https://cyclonedx.org/bom…`) or SPDX (`https://spdx.dev/Document…`) predicate type; fails when
none is attached, none verifies, or only other predicates (e.g. SLSA provenance) verify; `error`
when the image, its attestations or its referrers could not be read, or when no key or identity
is configured.

## How to fix
Generate an SBOM in the release pipeline (`syft`, `cdxgen`, `trivy sbom`) and attach it with
`cosign attest --key release.key --type cyclonedx --predicate sbom.json REGISTRY/REPO@sha256:…`.

## Evidence
The image reference, its digest, the workloads using it, and every attestation found with its
layer digest, predicate type, signer and, when it failed, the reason.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        judge_images(cx, out, &JUDGED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbom_predicates_of_any_version_count_and_provenance_does_not() {
        let entry = |t: &str| Verified {
            predicate_type: t.to_owned(),
            ..Default::default()
        };
        assert!(is_sbom(&entry("https://cyclonedx.org/bom")));
        assert!(is_sbom(&entry("https://cyclonedx.org/bom/v1.5")));
        assert!(is_sbom(&entry("https://spdx.dev/Document/v2.3")));
        assert!(!is_sbom(&entry("https://slsa.dev/provenance/v1")));
    }
}
