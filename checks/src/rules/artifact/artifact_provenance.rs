use super::artifact_evidence::{Judged, judge_artifacts};
use crate::facts::image::Verified;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct ArtifactProvenance;

static JUDGED: Judged = Judged {
    noun: "provenance",
    trust_configured: crate::resolve::ImageOptions::provenance_trust_configured,
    no_trust: crate::rules::image::image_provenance::NO_PROVENANCE_TRUST,
    counts: crate::rules::image::image_provenance::trusted_provenance,
    describe,
    uncounted: "no verified SLSA provenance from a trusted builder and source",
};

impl Rule for ArtifactProvenance {
    const META: Meta = Meta {
        id: "artifact-provenance",
        title: "Release artifacts carry signed SLSA provenance from a trusted builder and source",
        severity: Severity::High,
        controls: &["SUP-07"],
        source: Source::Artifact,
        docs: r#"
## Why
A signature says who released a binary, not how it was made. SLSA provenance, signed by the
build platform, records which builder produced these exact bytes from which source repository
and ref: a binary built on a laptop, in a fork or from an unreviewed branch is told apart from
one built by the release workflow from `main` or a release tag.

## What is judged
The same artifacts and bundles as `artifact-signed`. Of the bundles that verify for the
artifact's SHA-256 (a DSSE in-toto statement naming it as a subject, signed by a key of `[image]
keys` or keyless by an identity of `[[image.identities]]` under `[image] trust_root`, its log
entry proven), a SLSA provenance predicate (`https://slsa.dev/provenance/v0.2` or `/v1`) passes
when its builder id is one of `[image] trusted_builders` and its source repository and ref match
one of `[[image.source_repositories]]`: the same trust as `image-provenance`, since one release
pipeline builds both. Fails when no bundle is found, none verifies (a modified artifact's digest
is no longer the attested subject), or the verified ones are no provenance or name another
builder, repository or ref (quoted); `error` when the artifact or a bundle that exists could not
be read, or when no trust, no trusted builder or no source repository is configured.

## How to fix
Build the release in a SLSA builder that signs provenance for the artifact's digest (the SLSA
GitHub generator, `actions/attest-build-provenance`), publish the bundle beside the artifact
(`app.sigstore.json` or `app.bundle`, or name it with `bundle`), and list the builder and the
repository in `vouch.toml`:

```toml
[image]
trusted_builders = ["https://github.com/actions/runner/github-hosted"]
[[image.source_repositories]]
repository = "https://github.com/acme/app"
refs = ["refs/tags/v*"]
```

## Evidence
The artifact's name, where it was read, its SHA-256 and size, and every bundle with its predicate
type, signer, and for provenance the builder id, build type, source repository, ref and commit,
and the invocation.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        judge_artifacts(cx, out, &JUDGED);
    }
}

/// The builder, source and invocation of a counted provenance bundle.
fn describe(entry: &Verified) -> String {
    let Some(p) = &entry.provenance else {
        return crate::rules::image::image_evidence::signer(entry);
    };
    let commit = if p.source_digest.is_empty() {
        String::new()
    } else {
        format!(" ({})", p.source_digest)
    };
    let invocation = if p.invocation.is_empty() {
        String::new()
    } else {
        format!(", invocation {}", p.invocation)
    };
    format!(
        "built by {} from {}@{}{commit}{invocation}, signed by {}",
        p.builder_id, p.source_repository, p.source_ref, entry.signer
    )
}
