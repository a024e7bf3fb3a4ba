//! The registry images as an engine [`Source`]. It runs after the others: besides the selected
//! `[[target.image]]`s it verifies the images of the workloads and Dockerfiles they collected,
//! for `--all-targets` or when a selected target is a cluster or an image (selecting only a
//! database never sends the scan to a registry). One `images` collection for all of them.

use std::collections::BTreeMap;

use checks::facts::Collection;
use checks::facts::image::Image;
use checks::settings::ImageTarget;
#[cfg(feature = "image")]
use futures_util::FutureExt;

use crate::engine::{Collected, Context, Source, Stage};
#[cfg(feature = "image")]
use crate::engine::{Job, Reading};

pub struct Images;

impl Source for Images {
    fn kind(&self) -> &'static str {
        "image"
    }

    fn stage(&self) -> Stage {
        Stage::AfterOthers
    }

    fn configured(&self, settings: &checks::Settings) -> Vec<String> {
        (settings.target.image.iter())
            .map(|t| t.name().to_owned())
            .collect()
    }

    /// The image references to verify.
    fn targets(&self, cx: &Context<'_>) -> Vec<String> {
        if !wants_registry(cx) {
            return Vec::new();
        }
        let (wanted, skipped) = wanted(cx);
        if skipped > 0 {
            crate::notes::note(format_args!(
                "{skipped} registry image(s) of workloads and Dockerfiles not verified: no \
                 `[image] keys` or `identities` are configured, so no registry was contacted \
                 for them"
            ));
        }
        wanted.into_keys().collect()
    }

    #[cfg(feature = "image")]
    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let wanted = wanted_among(cx, &job.targets);
            let outcome = super::collect(wanted, &cx.options.image).await;
            job.progress.count("request", outcome.requests);
            deposit(outcome.images, outcome.requests, outcome.error, cx.live_at)
        }
        .boxed()
    }

    fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
        let images = (wanted_among(cx, targets).into_iter())
            .map(|(reference, used_by)| {
                let error = format!("{reference}: {cause}");
                super::collect::unresolved(&reference, used_by, error)
            })
            .collect();
        deposit(images, 0, Some(cause.to_owned()), cx.live_at)
    }
}

/// Registry images are verified for `--all-targets`, or when a selected target is a cluster
/// or an image.
fn wants_registry(cx: &Context<'_>) -> bool {
    let selection = cx.selection;
    let targets = &cx.settings.target;
    !selection.static_only
        && (selection.all
            || selection.names.iter().any(|n| {
                targets.kube.iter().any(|t| &t.name == n)
                    || targets.image.iter().any(|t| t.name() == n)
            }))
}

fn selected<'a>(cx: &'a Context<'_>) -> Vec<&'a ImageTarget> {
    (cx.settings.target.image.iter())
        .filter(|t| cx.selection.wants(t.name()))
        .collect()
}

/// Every reference to verify, with who uses each, and how many workload and Dockerfile images
/// were left out because nothing is configured to verify their signatures against (only the
/// images a target names are read then).
fn wanted(cx: &Context<'_>) -> (BTreeMap<String, Vec<String>>, usize) {
    let targets = selected(cx);
    let wanted = super::wanted(cx.earlier, &cx.options.image, &targets);
    if !cx.options.image.has_trust() {
        let named = super::wanted_targets(&targets);
        let skipped = wanted.len() - named.len();
        return (named, skipped);
    }
    (wanted, 0)
}

/// The references among `targets`, with who uses each.
fn wanted_among(cx: &Context<'_>, targets: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut wanted = wanted(cx).0;
    wanted.retain(|reference, _| targets.contains(reference));
    wanted
}

fn deposit(images: Vec<Image>, requests: u64, error: Option<String>, live_at: &str) -> Collected {
    let collection = Collection {
        source: "image".to_owned(),
        target: "images".to_owned(),
        origin: format!(
            "{} image reference(s), {requests} registry request(s)",
            images.len()
        ),
        collected_at: live_at.to_owned(),
        error,
    };
    Collected::new(vec![collection], move |facts| {
        facts.images.extend(images);
    })
}
