//! The HTTPS endpoints as an engine [`Source`]: `[[target.endpoint]]` and `--endpoint URL`,
//! selected by their URL, one `endpoint` collection each.

use checks::facts::Collection;
use checks::facts::endpoint::Endpoint;
#[cfg(feature = "endpoint")]
use futures_util::FutureExt;

use crate::engine::{Collected, Context, Source};
#[cfg(feature = "endpoint")]
use crate::engine::{Job, Reading};

pub struct Endpoints;

impl Source for Endpoints {
    fn kind(&self) -> &'static str {
        "endpoint"
    }

    fn configured(&self, settings: &checks::Settings) -> Vec<String> {
        (settings.target.endpoint.iter())
            .map(|t| t.url.clone())
            .collect()
    }

    #[cfg(feature = "endpoint")]
    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let defaults = &cx.options.endpoint;
            let selected = job.pick(&super::targets(cx.settings, defaults), |t| &t.url);
            let concurrency = defaults.concurrency.get();
            deposit(super::probe::all(selected, concurrency, cx.live_at, &job.progress).await)
        }
        .boxed()
    }

    fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
        let endpoints = (targets.iter())
            .map(|url| Endpoint {
                url: url.clone(),
                collected_at: cx.live_at.to_owned(),
                error: Some(cause.to_owned()),
                ..Endpoint::default()
            })
            .collect();
        deposit(endpoints)
    }
}

fn deposit(endpoints: Vec<Endpoint>) -> Collected {
    let collections = (endpoints.iter())
        .map(|ep| Collection {
            source: "endpoint".to_owned(),
            target: ep.url.clone(),
            origin: ep.subject(),
            collected_at: ep.collected_at.clone(),
            error: ep.error.clone(),
        })
        .collect();
    Collected::new(collections, move |facts| {
        facts.endpoints.extend(endpoints);
    })
}
