//! Reads every selected artifact, `[artifact] concurrency` at a time (fewer when that many
//! files of `max_bytes` would not fit [`MEMORY_BUDGET`]), off the async threads: the bytes
//! (digest and size), then every bundle name, each bundle found verified for that digest.

use std::sync::Arc;

use checks::facts::artifact::Artifact;
use checks::facts::image::Evidence;
use checks::resolve::Resolved;
use checks::settings::ArtifactTarget;
use futures_util::StreamExt;
use futures_util::stream;

use super::fetch::{Client, Unread};
use super::{BUNDLE_MAX, fetch_display, unreadable};
use crate::engine::Progress;
use crate::pack::sha256_hex;
use crate::sources::image::bundle::{self, Subject, Trust};
use crate::sources::image::keyless::Keyless;
use crate::sources::image::verify::Key;

/// At most this many artifact bytes are held at once: `concurrency` is lowered so that
/// `concurrency × (max_bytes + BUNDLE_MAX)` fits (the default 512 MiB cap and 4 at a time would be
/// over 2 GiB).
const MEMORY_BUDGET: u64 = 2 << 30;

/// How many artifacts are read at once: the configured number, within [`MEMORY_BUDGET`].
fn concurrency(configured: usize, max_bytes: u64) -> usize {
    // An artifact's bytes are held while its bundles (up to BUNDLE_MAX each) are read.
    let per_artifact = max_bytes.saturating_add(BUNDLE_MAX).max(1);
    let fits = usize::try_from(MEMORY_BUDGET / per_artifact).unwrap_or(usize::MAX);
    configured.min(fits).max(1)
}

/// What one collection run produced.
pub struct Outcome {
    pub artifacts: Vec<Artifact>,
    /// A failure that stopped every artifact (an unusable `[image]` key or trust root).
    pub error: Option<String>,
}

struct Run {
    keys: Vec<Key>,
    keyless: Option<Keyless>,
    client: Client,
    max_bytes: u64,
}

pub async fn collect(
    targets: Vec<ArtifactTarget>,
    options: &Resolved,
    progress: &Progress,
) -> Outcome {
    let (keys, keyless) = match crate::sources::image::trust(&options.image) {
        Ok(trust) => trust,
        Err(e) => {
            let artifacts = (targets.iter())
                .map(|t| unreadable(t, format!("{}: {e}", t.name)))
                .collect();
            return Outcome {
                artifacts,
                error: Some(e),
            };
        }
    };
    let a = &options.artifact;
    let at_once = concurrency(a.concurrency.get(), a.max_bytes);
    if at_once < a.concurrency.get() {
        crate::notes::detail(format_args!(
            "[artifact] reads {at_once} artifact(s) at a time, not {}: {} of up to max_bytes \
             (and a bundle) each would hold more than 2 GiB",
            a.concurrency, a.concurrency
        ));
    }
    let run = Arc::new(Run {
        keys,
        keyless,
        client: Client::new(a.ca_file.as_deref(), a.timeout),
        max_bytes: a.max_bytes,
    });
    let mut artifacts: Vec<Artifact> = stream::iter(targets)
        .map(|target| {
            let run = Arc::clone(&run);
            async move {
                let name = target.name.clone();
                let work = crate::engine::blocking(move || run.read(&target));
                let artifact = match work.await {
                    Ok(artifact) => artifact,
                    Err(e) => Artifact {
                        name: name.clone(),
                        error: Some(format!("{name}: {e}")),
                        ..Artifact::default()
                    },
                };
                progress.target_done();
                artifact
            }
        })
        .buffer_unordered(at_once)
        .collect()
        .await;
    artifacts.sort_by(|x, y| x.name.cmp(&y.name));
    Outcome {
        artifacts,
        error: None,
    }
}

impl Run {
    fn read(&self, target: &ArtifactTarget) -> Artifact {
        let location = target.location();
        let shown = fetch_display(location);
        let bytes = match self.client.read(location, &shown, self.max_bytes) {
            Ok(bytes) => bytes,
            Err(e) => {
                let why = match e {
                    Unread::Absent(m) => format!("{m} (the artifact itself is missing)"),
                    Unread::Failed(m) => m,
                };
                return unreadable(target, format!("{}: {why}", target.name));
            }
        };
        let sha256 = sha256_hex(&bytes);
        let candidates = target.bundle_candidates();
        let mut artifact = Artifact {
            name: target.name.clone(),
            location: shown,
            sha256: Some(sha256.clone()),
            size: Some(bytes.len() as u64),
            error: None,
            looked_for: candidates.iter().map(|c| fetch_display(c)).collect(),
            bundles: Evidence {
                checked: true,
                ..Evidence::default()
            },
        };
        let trust = Trust {
            keys: &self.keys,
            keyless: self.keyless.as_ref(),
        };
        let subject = Subject {
            sha256: &sha256,
            bytes: Some(&bytes),
        };
        // Every name is asked for: a signature-only bundle under the first name must not hide
        // a provenance bundle under the second. A bundle that exists but cannot be read is
        // recorded, and the check says `error` unless another bundle proves what it asks.
        let mut failures = Vec::new();
        for candidate in &candidates {
            let shown = fetch_display(candidate);
            match self
                .client
                .read(candidate, &shown, BUNDLE_MAX.min(self.max_bytes))
            {
                Ok(bundle_bytes) => {
                    let (_, verified) = bundle::verify(&shown, &bundle_bytes, &subject, &trust);
                    artifact.bundles.entries.push(verified);
                }
                Err(Unread::Absent(_)) => {}
                Err(Unread::Failed(m)) => failures.push(format!("bundle {m}")),
            }
        }
        if !failures.is_empty() {
            artifact.bundles.error = Some(format!("{}: {}", target.name, failures.join("; ")));
        }
        artifact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_fits_the_memory_budget() {
        const MIB: u64 = 1 << 20;
        assert_eq!(concurrency(4, 64 * MIB), 4);
        // The defaults: 512 MiB and a 16 MiB bundle each, 3 within 2 GiB.
        assert_eq!(concurrency(4, 512 * MIB), 3);
        assert_eq!(concurrency(8, 2048 * MIB), 1);
        assert_eq!(concurrency(0, MIB), 1);
    }
}
