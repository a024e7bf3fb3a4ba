use super::image_evidence::{Judged, judge_images};
use crate::facts::image::Verified;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};
use crate::resolve::ImageOptions;

pub struct ImageProvenance;

static JUDGED: Judged = Judged {
    noun: "provenance attestation",
    tag_suffix: "att",
    trust_configured: ImageOptions::provenance_trust_configured,
    no_trust: NO_PROVENANCE_TRUST,
    evidence: |image| &image.attestations,
    counts: trusted_provenance,
    describe,
    uncounted: "no verified SLSA provenance from a trusted builder and source",
};

impl Rule for ImageProvenance {
    const META: Meta = Meta {
        id: "image-provenance",
        title: "Container images carry signed SLSA provenance from a trusted builder and source",
        severity: Severity::High,
        controls: &["SUP-07"],
        source: Source::Image,
        docs: r#"
## Why
A signature says who released an image, not how it was made. SLSA provenance, signed by the
build platform, records which builder produced these exact bytes from which source repository
and ref: an image built on a laptop, in a fork or from an unreviewed branch is told apart from
one built by the release workflow from `main` or a release tag.

## What is judged
The same images as `image-signed`. Every in-toto attestation attached to the image's digest (the
cosign `.att` tag, or a sigstore bundle found through the OCI referrers API, every page of its answer, or its fallback
`sha256-<hex>` tag) is verified as for `image-sbom-attested`: a DSSE signature by a key of
`[image] keys`, or keyless (a Fulcio certificate chaining to `[image] trust_root` at the time its
transparency log entry proves, an identity of `[[image.identities]]`), and a statement whose
subject is the image's digest. Of those that verify, a SLSA provenance predicate
(`https://slsa.dev/provenance/v0.2` or `/v1`) passes when its builder id is one of
`[image] trusted_builders` and its source repository and ref match one of
`[[image.source_repositories]]`. Fails when no provenance is attached, none verifies, or the
verified ones name another builder, repository or ref (quoted); `error` when the image or its
attestations could not be read, or when no trust, no trusted builder or no source repository is
configured.

## How to fix
Build the release in a SLSA builder (the SLSA GitHub generator, GitHub artifact attestations,
Tekton Chains) that signs provenance for the image digest, and list the builder and the
repository in `vouch.toml`:

```toml
[image]
trusted_builders = ["https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v*"]
[[image.source_repositories]]
repository = "https://github.com/acme/api"
refs = ["refs/heads/main", "refs/tags/v*"]
```

## Evidence
The image reference, its digest, the workloads using it, and every attestation with its
predicate type, signer, and for provenance the builder id, build type, source repository, ref
and commit, and the invocation.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        judge_images(cx, out, &JUDGED);
    }
}

/// Why provenance cannot be judged when [`ImageOptions::provenance_trust_configured`] is false.
pub(crate) const NO_PROVENANCE_TRUST: &str = "it needs a trusted key or identity ([image] keys, \
     [[image.identities]]), [image] trusted_builders and [[image.source_repositories]]";

/// A verified attestation counts when it is SLSA provenance from a trusted builder and source.
pub(crate) fn trusted_provenance(entry: &Verified, options: &ImageOptions) -> Result<(), String> {
    let Some(provenance) = &entry.provenance else {
        return Err(if entry.predicate_type.is_empty() {
            "a signature without an in-toto statement is not SLSA provenance".to_owned()
        } else {
            format!("{} is not SLSA provenance", entry.predicate_type)
        });
    };
    if !(options.trusted_builders.iter()).any(|b| b.matches(&provenance.builder_id)) {
        return Err(format!(
            "builder {:?} is not in [image] trusted_builders",
            provenance.builder_id
        ));
    }
    if !(options.source_repositories.iter())
        .any(|s| s.matches(&provenance.source_repository, &provenance.source_ref))
    {
        return Err(format!(
            "source {:?} at {:?} is not in [[image.source_repositories]]",
            provenance.source_repository, provenance.source_ref
        ));
    }
    Ok(())
}

fn describe(entry: &Verified) -> String {
    let Some(p) = &entry.provenance else {
        return super::image_evidence::signer(entry);
    };
    format!(
        "built by {} from {}@{}, signed by {}",
        p.builder_id, p.source_repository, p.source_ref, entry.signer
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::image::Provenance;

    const BUILDER: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0";

    fn settings() -> ImageOptions {
        let mut settings = crate::Settings::default();
        settings.image.trusted_builders = vec![BUILDER.to_owned()];
        settings.image.source_repositories = vec![crate::settings::SourceRepository {
            repository: "https://github.com/acme/api".to_owned(),
            refs: vec!["refs/heads/main".to_owned(), "refs/tags/v*".to_owned()],
        }];
        crate::resolve::resolve(&settings).unwrap().image
    }

    fn entry(builder: &str, repository: &str, git_ref: &str) -> Verified {
        Verified {
            verified: true,
            predicate_type: "https://slsa.dev/provenance/v1".to_owned(),
            provenance: Some(Provenance {
                builder_id: builder.to_owned(),
                source_repository: repository.to_owned(),
                source_ref: git_ref.to_owned(),
                ..Provenance::default()
            }),
            ..Verified::default()
        }
    }

    #[test]
    fn trusted_builder_and_source_count_in_any_spelling_of_the_repository() {
        let s = settings();
        let ok = |e: Verified| trusted_provenance(&e, &s);
        assert_eq!(
            ok(entry(
                BUILDER,
                "git+https://github.com/acme/api",
                "refs/heads/main"
            )),
            Ok(())
        );
        assert_eq!(
            ok(entry(
                BUILDER,
                "https://GitHub.com/acme/api.git",
                "refs/tags/v1.4.0"
            )),
            Ok(())
        );
    }

    #[test]
    fn another_builder_repository_or_ref_is_quoted() {
        let s = settings();
        let why = |e: Verified| trusted_provenance(&e, &s).unwrap_err();
        let laptop = why(entry(
            "https://example.com/laptop",
            "https://github.com/acme/api",
            "refs/heads/main",
        ));
        assert!(
            laptop.contains("laptop") && laptop.contains("trusted_builders"),
            "{laptop}"
        );
        let fork = why(entry(
            BUILDER,
            "https://github.com/mallory/api",
            "refs/heads/main",
        ));
        assert!(fork.contains("mallory/api"), "{fork}");
        let branch = why(entry(
            BUILDER,
            "https://github.com/acme/api",
            "refs/heads/feature",
        ));
        assert!(branch.contains("refs/heads/feature"), "{branch}");
        // A prefix of the repository is not the repository.
        let prefix = why(entry(
            BUILDER,
            "https://github.com/acme/api-evil",
            "refs/heads/main",
        ));
        assert!(prefix.contains("api-evil"), "{prefix}");
    }

    #[test]
    fn an_sbom_is_not_provenance() {
        let sbom = Verified {
            verified: true,
            predicate_type: "https://cyclonedx.org/bom".to_owned(),
            ..Verified::default()
        };
        let why = trusted_provenance(&sbom, &settings()).unwrap_err();
        assert!(why.contains("not SLSA provenance"), "{why}");
    }
}
