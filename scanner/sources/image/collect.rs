//! Runs the registry work: resolve each distinct reference, then verify each distinct digest
//! once, `[image] concurrency` at a time.

#[cfg(feature = "image")]
use std::collections::BTreeMap;

use checks::facts::image::Image;
#[cfg(feature = "image")]
use checks::resolve::ImageOptions;

#[cfg(feature = "image")]
use super::Outcome;

/// An image whose digest is unknown, with `error` set.
pub(super) fn unresolved(reference: &str, used_by: Vec<String>, error: String) -> Image {
    Image {
        reference: reference.to_owned(),
        used_by,
        uri: unresolved_uri(reference),
        error: Some(error),
        ..Image::default()
    }
}

/// `oci://REGISTRY/REPO:TAG` (the registry and tag made explicit) when the reference parses.
#[cfg(feature = "image")]
fn unresolved_uri(reference: &str) -> String {
    match reference.parse::<oci_client::Reference>() {
        Ok(r) => match (r.digest(), r.tag()) {
            (Some(digest), _) => checks::Location::oci(r.registry(), r.repository(), digest),
            (None, tag) => {
                checks::Location::oci_tag(r.registry(), r.repository(), tag.unwrap_or("latest"))
            }
        },
        Err(_) => checks::Location::oci_reference(reference),
    }
    .into_anchor()
}

#[cfg(not(feature = "image"))]
fn unresolved_uri(reference: &str) -> String {
    checks::Location::oci_reference(reference).into_anchor()
}

#[cfg(feature = "image")]
pub async fn collect(wanted: BTreeMap<String, Vec<String>>, settings: &ImageOptions) -> Outcome {
    let fail_all = |error: String| Outcome {
        images: wanted
            .iter()
            .map(|(r, u)| unresolved(r, u.clone(), format!("{r}: {error}")))
            .collect(),
        requests: 0,
        error: Some(error),
    };
    let (keys, keyless) = match super::trust(settings) {
        Ok(trust) => trust,
        Err(e) => return fail_all(e),
    };
    let registry = match super::docker_config::load(settings.docker_config.as_deref())
        .and_then(|credentials| super::registry::Registry::new(settings, credentials))
    {
        Ok(registry) => registry,
        Err(e) => return fail_all(e),
    };
    let run = live::Run {
        registry,
        keys,
        keyless,
        concurrency: settings.concurrency.get(),
    };
    let images = run.images(wanted).await;
    Outcome {
        images,
        requests: run.registry.requests(),
        error: None,
    }
}

#[cfg(feature = "image")]
mod live {
    use std::collections::{BTreeMap, HashMap};

    use checks::facts::image::{Evidence, Image, Verified};
    use futures_util::StreamExt;
    use futures_util::stream;
    use oci_client::Reference;

    use super::super::bundle::{self, Kind};
    use super::super::keyless::Keyless;
    use super::super::registry::Registry;
    use super::super::verify::{self, Key};
    use super::unresolved;

    pub struct Run {
        pub registry: Registry,
        pub keys: Vec<Key>,
        pub keyless: Option<Keyless>,
        pub concurrency: usize,
    }

    /// A reference resolved to `registry/repo` and a digest: the unit verified once.
    #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    struct Subject {
        registry: String,
        repository: String,
        digest: String,
    }

    impl Subject {
        fn uri(&self) -> String {
            checks::Location::oci(&self.registry, &self.repository, &self.digest).into_anchor()
        }

        /// The cosign tag (`sha256-<hex>.sig`) next to the image.
        fn cosign_tag(&self, suffix: &str) -> Reference {
            let tag = format!("{}.{suffix}", self.digest.replace(':', "-"));
            Reference::with_tag(self.registry.clone(), self.repository.clone(), tag)
        }
    }

    impl Run {
        pub async fn images(&self, wanted: BTreeMap<String, Vec<String>>) -> Vec<Image> {
            let resolved: Vec<(String, Vec<String>, Result<Subject, String>)> =
                stream::iter(wanted)
                    .map(|(reference, used_by)| async move {
                        let subject = self.resolve(&reference).await;
                        (reference, used_by, subject)
                    })
                    .buffer_unordered(self.concurrency)
                    .collect()
                    .await;
            let mut distinct: Vec<Subject> = resolved
                .iter()
                .filter_map(|(_, _, s)| s.as_ref().ok().cloned())
                .collect();
            distinct.sort();
            distinct.dedup();
            let verified: HashMap<Subject, (Evidence, Evidence)> = stream::iter(distinct)
                .map(|subject| async move {
                    let evidence = self.evidence(&subject).await;
                    (subject, evidence)
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let mut images: Vec<Image> = resolved
                .into_iter()
                .map(|(reference, used_by, subject)| match subject {
                    Err(e) => unresolved(&reference, used_by, format!("{reference}: {e}")),
                    Ok(subject) => {
                        let (signatures, attestations) =
                            verified.get(&subject).cloned().unwrap_or_default();
                        Image {
                            reference,
                            used_by,
                            digest: Some(subject.digest.clone()),
                            uri: subject.uri(),
                            error: None,
                            signatures,
                            attestations,
                        }
                    }
                })
                .collect();
            images.sort_by(|a, b| a.reference.cmp(&b.reference));
            images
        }

        async fn resolve(&self, reference: &str) -> Result<Subject, String> {
            let parsed: Reference = reference
                .parse()
                .map_err(|e| format!("not an image reference: {e}"))?;
            let digest = self
                .registry
                .digest(&parsed)
                .await
                .map_err(|e| format!("cannot resolve the digest: {e}"))?;
            Ok(Subject {
                registry: parsed.registry().to_owned(),
                repository: parsed.repository().to_owned(),
                digest,
            })
        }

        async fn evidence(&self, subject: &Subject) -> (Evidence, Evidence) {
            let signatures = self.read(subject, "sig");
            let attestations = self.read(subject, "att");
            let bundles = self.referred(subject);
            let (mut signatures, mut attestations, bundles) =
                futures_util::join!(signatures, attestations, bundles);
            match bundles {
                Ok(found) => {
                    for (kind, entry) in found {
                        match kind {
                            Kind::Signature => signatures.entries.push(entry),
                            Kind::Attestation => attestations.entries.push(entry),
                        }
                    }
                }
                // Unreadable referrers hide what they would have held: both kinds are unknown.
                Err(e) => {
                    signatures.error.get_or_insert_with(|| e.clone());
                    attestations.error.get_or_insert(e);
                }
            }
            (signatures, attestations)
        }

        /// Every sigstore bundle attached as a referrer (API or fallback tag), verified.
        async fn referred(&self, subject: &Subject) -> Result<Vec<(Kind, Verified)>, String> {
            let image = Reference::with_digest(
                subject.registry.clone(),
                subject.repository.clone(),
                subject.digest.clone(),
            );
            let where_ = || {
                format!(
                    "{}/{}@{}: referrers",
                    subject.registry, subject.repository, subject.digest
                )
            };
            let entries = self
                .registry
                .referrers(&image)
                .await
                .map_err(|e| format!("{}: cannot read: {e}", where_()))?;
            let mut found = Vec::new();
            for entry in entries {
                let is_bundle = entry
                    .artifact_type
                    .as_deref()
                    .is_some_and(bundle::is_bundle_media_type);
                if !is_bundle {
                    continue;
                }
                let referrer = Reference::with_digest(
                    subject.registry.clone(),
                    subject.repository.clone(),
                    entry.digest.clone(),
                );
                let manifest = match self.registry.manifest(&referrer).await {
                    Ok(Some(m)) => m,
                    Ok(None) => {
                        return Err(format!(
                            "{}: {} is listed but missing",
                            where_(),
                            entry.digest
                        ));
                    }
                    Err(e) => {
                        return Err(format!("{}: {}: cannot read: {e}", where_(), entry.digest));
                    }
                };
                let Some(layer) = manifest
                    .layers
                    .iter()
                    .find(|l| bundle::is_bundle_media_type(&l.media_type))
                else {
                    let reason = "referrer has no sigstore bundle layer".to_owned();
                    found.push((
                        Kind::Signature,
                        Verified {
                            digest: entry.digest,
                            reason,
                            format: "sigstore-bundle".to_owned(),
                            ..Verified::default()
                        },
                    ));
                    continue;
                };
                let bytes = self
                    .registry
                    .blob(&referrer, layer)
                    .await
                    .map_err(|e| format!("{}: {}: cannot read: {e}", where_(), entry.digest))?;
                let hex = subject
                    .digest
                    .strip_prefix("sha256:")
                    .unwrap_or(&subject.digest);
                let trust = bundle::Trust {
                    keys: &self.keys,
                    keyless: self.keyless.as_ref(),
                };
                let about = bundle::Subject {
                    sha256: hex,
                    bytes: None,
                };
                found.push(bundle::verify(&entry.digest, &bytes, &about, &trust));
            }
            Ok(found)
        }

        /// Everything under one cosign tag, each layer verified.
        async fn read(&self, subject: &Subject, suffix: &str) -> Evidence {
            let tag = subject.cosign_tag(suffix);
            let tag_name = tag.tag().unwrap_or_default().to_owned();
            let manifest = match self.registry.manifest(&tag).await {
                Ok(Some(m)) => m,
                Ok(None) => return checked(Vec::new()),
                Err(e) => return lookup_failed(subject, &tag_name, &e),
            };
            let mut entries = Vec::new();
            for layer in &manifest.layers {
                let bytes = match self.registry.blob(&tag, layer).await {
                    Ok(b) => b,
                    Err(e) => return lookup_failed(subject, &tag_name, &e),
                };
                entries.push(self.verify_layer(suffix, layer, &bytes, &subject.digest));
            }
            checked(entries)
        }

        fn verify_layer(
            &self,
            suffix: &str,
            layer: &oci_client::manifest::OciDescriptor,
            bytes: &[u8],
            digest: &str,
        ) -> Verified {
            if suffix == "att" {
                return verify::attestation(&layer.digest, bytes, digest, &self.keys);
            }
            verify::signature(layer, bytes, digest, &self.keys, self.keyless.as_ref())
        }
    }

    fn checked(entries: Vec<Verified>) -> Evidence {
        Evidence {
            checked: true,
            error: None,
            entries,
        }
    }

    fn lookup_failed(subject: &Subject, tag: &str, error: &str) -> Evidence {
        Evidence {
            checked: true,
            error: Some(format!(
                "{}/{}:{tag}: cannot read: {error}",
                subject.registry, subject.repository
            )),
            entries: Vec::new(),
        }
    }
}
