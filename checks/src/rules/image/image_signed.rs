use super::image_evidence::{Judged, judge_images};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};
use crate::resolve::ImageOptions;

pub struct ImageSigned;

static JUDGED: Judged = Judged {
    noun: "signature",
    tag_suffix: "sig",
    trust_configured: ImageOptions::has_trust,
    no_trust: "no trusted key or identity configured ([image] keys, [[image.identities]])",
    evidence: |image| &image.signatures,
    counts: |_, _| Ok(()),
    describe: super::image_evidence::signer,
    uncounted: "no signature verifies",
};

impl Rule for ImageSigned {
    const META: Meta = Meta {
        id: "image-signed",
        title: "Container images are cosign-signed by a trusted key",
        severity: Severity::High,
        controls: &["SUP-01"],
        source: Source::Image,
        docs: r#"
## Why
An image that is not signed by the release identity may have been built anywhere: pushed by a
compromised CI job, a developer laptop or an attacker holding registry credentials. A cosign
signature over the image's digest, checked against the release key, proves the bytes that run
are the bytes the release pipeline produced.

## What is judged
Every distinct image reference from the collected Kubernetes workloads (manifests and live
clusters), `[[target.image]]` entries and, with `[image] dockerfile_images = true`, each
Dockerfile's final `FROM` image; collected only with `--all-targets` or when `--target` selects a
cluster or image target. The reference is resolved to its digest in the registry, the cosign signature
manifest (`sha256-<digest>.sig`) is read, and each signature layer is verified against every key
in `[image] keys`: the ECDSA signature must verify over the simple-signing payload and the
payload's `critical.image.docker-manifest-digest` must be the image's digest. A keyless
signature (a Fulcio certificate in `dev.sigstore.cosign/certificate`) verifies offline when the
certificate chains to a CA of `[image] trust_root` (code-signing usage) at the time proven by
the Rekor bundle (`dev.sigstore.cosign/bundle`, its signed entry timestamp verified against a
Rekor key of the trust root, its entry bound to this signature and payload), and its subject and
OIDC issuer match one of `[[image.identities]]`. Signatures attached as sigstore bundles (v0.1 to
v0.3, found through the OCI referrers API, every page of its answer, or its `sha256-<hex>` fallback tag; cosign v3's
default) count too: a DSSE statement of cosign's signing predicate naming the image's digest,
verified offline by key or keyless against the transparency log entry's signed entry timestamp
and inclusion proof (see the images guide). Passes when one signature verifies; fails when
none is attached or none verifies (each one's reason is given); `error` when the image or its
signatures or referrers could not be read, or when no key or identity is configured.

## How to fix
Sign at release time with `cosign sign --key release.key REGISTRY/REPO@sha256:…` (or keyless in
CI) and list the public key in `[image] keys`. Enforce at admission with Kyverno or
policy-controller.

## Evidence
The image reference, its digest, the workloads using it, and every signature found with its
layer digest, signer (the key's name, or the certificate subject and issuer) and, when it
failed, the reason.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        judge_images(cx, out, &JUDGED);
    }
}
