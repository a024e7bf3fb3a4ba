use super::artifact_evidence::{Judged, judge_artifacts};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};
use crate::resolve::ImageOptions;

pub struct ArtifactSigned;

static JUDGED: Judged = Judged {
    noun: "signature",
    trust_configured: ImageOptions::has_trust,
    no_trust: "no trusted key or identity configured ([image] keys, [[image.identities]])",
    counts: |_, _| Ok(()),
    describe: crate::rules::image::image_evidence::signer,
    uncounted: "no bundle verifies",
};

impl Rule for ArtifactSigned {
    const META: Meta = Meta {
        id: "artifact-signed",
        title: "Release artifacts carry a sigstore signature by a trusted key or identity",
        severity: Severity::High,
        controls: &["SUP-01"],
        source: Source::Artifact,
        docs: r#"
## Why
A release binary or archive downloaded by customers, installers or deploy jobs is only as
trustworthy as the pipeline that produced it. A sigstore signature over the artifact's exact
bytes, by the release key or the release workflow's keyless identity and recorded in a
transparency log, proves the file is the one the release pipeline published, not a swapped
download or a build from a laptop.

## What is judged
Each `[[target.artifact]]` (a local `path` or an `https://` `url`), read only with `--target
NAME` or `--all-targets`. Its SHA-256 is computed over the bytes read, and the sigstore bundle
beside it (`bundle`, or by default the artifact's path or URL plus `.sigstore.json`, else plus
`.bundle`) is verified offline against the `[image]` trust, as for `image-signed`: a message
signature (`cosign sign-blob --bundle`, `sigstore sign`) whose digest is the artifact's and whose
signature verifies over its bytes, or a DSSE in-toto statement (`cosign attest-blob`, GitHub
artifact attestations) naming the artifact's sha256 as a subject; signed by a key of `[image]
keys`, or keyless (a Fulcio certificate chaining to `[image] trust_root` at the time the
transparency log entry's signed entry timestamp proves, an identity of `[[image.identities]]`),
with the log entry verified (SET and inclusion proof) and bound to this signature. Passes when a
bundle verifies; fails when no bundle is found or none verifies (a modified artifact fails: its
digest is no longer the signed one), each reason given; `error` when the artifact or a bundle
that exists could not be read (missing file, HTTP error, over `[artifact] max_bytes`, timeout),
or when no key or identity is configured.

## How to fix
Sign the artifact at release time and publish the bundle beside it:
`cosign sign-blob --bundle app.sigstore.json app` (keyless in CI, or `--key`), or
`sigstore sign app`, or a GitHub artifact attestation. Trust the signer in `vouch.toml`:

```toml
[image]
trust_root = "trust/sigstore.pem"
[[image.identities]]
subject_regexp = "^https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v"
issuer = "https://token.actions.githubusercontent.com"

[[target.artifact]]
name = "app-linux-amd64"
url = "https://github.com/acme/app/releases/download/v1.4.0/app-linux-amd64"
```

## Evidence
The artifact's name, where it was read, its SHA-256 and size, the bundle locations looked for,
and every bundle found with its format, predicate type, signer (the key's name, or the
certificate subject and issuer) and, when it failed, the reason.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        judge_artifacts(cx, out, &JUDGED);
    }
}
