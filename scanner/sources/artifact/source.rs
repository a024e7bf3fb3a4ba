//! The release artifacts as an engine [`Source`]: one collection per artifact.

use checks::facts::Collection;
use checks::facts::artifact::Artifact;
#[cfg(feature = "artifact")]
use futures_util::FutureExt;

use crate::engine::{Collected, Context, Source};
#[cfg(feature = "artifact")]
use crate::engine::{Job, Reading};

pub struct Artifacts;

impl Source for Artifacts {
    fn kind(&self) -> &'static str {
        "artifact"
    }

    fn configured(&self, settings: &checks::Settings) -> Vec<String> {
        (settings.target.artifact.iter())
            .map(|t| t.name.clone())
            .collect()
    }

    #[cfg(feature = "artifact")]
    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let targets = job.pick(&cx.settings.target.artifact, |t| &t.name);
            let outcome = super::collect::collect(targets, cx.options, &job.progress).await;
            deposit(outcome.artifacts, outcome.error.as_deref(), cx.live_at)
        }
        .boxed()
    }

    fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
        let artifacts = (cx.settings.target.artifact.iter())
            .filter(|t| targets.contains(&t.name))
            .map(|t| super::unreadable(t, format!("{}: {cause}", t.name)))
            .collect();
        deposit(artifacts, Some(cause), cx.live_at)
    }
}

/// One collection per artifact (its error, or the run's), then the facts.
fn deposit(artifacts: Vec<Artifact>, error: Option<&str>, live_at: &str) -> Collected {
    let collections = (artifacts.iter())
        .map(|a| Collection {
            source: "artifact".to_owned(),
            target: a.name.clone(),
            origin: match (a.size, &a.sha256) {
                (Some(size), Some(sha)) => format!("{} ({size} bytes, sha256 {sha})", a.location),
                _ => a.location.clone(),
            },
            collected_at: live_at.to_owned(),
            error: a.error.clone().or_else(|| error.map(str::to_owned)),
        })
        .collect();
    Collected::new(collections, move |facts| facts.artifacts.extend(artifacts))
}
