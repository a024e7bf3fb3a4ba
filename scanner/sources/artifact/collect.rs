//! Reads every selected artifact, `[artifact] concurrency` at a time, off the async threads:
//! the bytes (digest and size), then the first bundle that exists, verified for that digest.

use std::sync::Arc;
use std::time::Duration;

use checks::Settings;
use checks::facts::artifact::Artifact;
use checks::facts::image::Evidence;
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
    settings: &Settings,
    progress: &Progress,
) -> Outcome {
    let (keys, keyless) = match crate::sources::image::trust(&settings.image) {
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
    let a = &settings.artifact;
    let run = Arc::new(Run {
        keys,
        keyless,
        client: Client::new(a.ca_file.as_deref(), Duration::from_millis(a.timeout_ms)),
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
        .buffer_unordered(a.concurrency.max(1))
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
        // The first bundle that exists; a later name is only asked for when an earlier one is
        // absent (a bundle that exists but cannot be read stops here: error, never a fallback).
        for candidate in &candidates {
            let shown = fetch_display(candidate);
            match self
                .client
                .read(candidate, &shown, BUNDLE_MAX.min(self.max_bytes))
            {
                Ok(bundle_bytes) => {
                    let (_, verified) = bundle::verify(&shown, &bundle_bytes, &subject, &trust);
                    artifact.bundles.entries.push(verified);
                    break;
                }
                Err(Unread::Absent(_)) => {}
                Err(Unread::Failed(m)) => {
                    artifact.bundles.error = Some(format!("{}: bundle {m}", target.name));
                    break;
                }
            }
        }
        artifact
    }
}
