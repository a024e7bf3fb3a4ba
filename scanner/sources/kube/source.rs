//! The Kubernetes clusters as an engine [`Source`]: `[[target.kube]]`, one `kube` collection
//! each.

use checks::facts::Collection;
use checks::facts::kube::Cluster;
#[cfg(feature = "kube")]
use futures_util::FutureExt;

use crate::engine::{Collected, Context, Source};
#[cfg(feature = "kube")]
use crate::engine::{Job, Reading};

pub struct Clusters;

impl Source for Clusters {
    fn kind(&self) -> &'static str {
        "kube"
    }

    fn configured(&self, settings: &checks::Settings) -> Vec<String> {
        (settings.target.kube.iter())
            .map(|t| t.name.clone())
            .collect()
    }

    #[cfg(feature = "kube")]
    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let selected = job.pick(&cx.settings.target.kube, |t| &t.name);
            deposit(super::collect(&selected, &job.progress).await, cx.live_at)
        }
        .boxed()
    }

    fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
        let clusters = (cx.settings.target.kube.iter())
            .filter(|t| targets.contains(&t.name))
            .map(|t| super::failure(t, cause))
            .collect();
        deposit(clusters, cx.live_at)
    }
}

fn deposit(clusters: Vec<Cluster>, live_at: &str) -> Collected {
    let collections = (clusters.iter())
        .map(|cluster| Collection {
            source: "kube".to_owned(),
            target: cluster.target.clone(),
            origin: if cluster.server.is_empty() {
                cluster.uri()
            } else {
                format!("{} ({})", cluster.uri(), cluster.server)
            },
            collected_at: live_at.to_owned(),
            error: cluster.error.clone(),
        })
        .collect();
    Collected::new(collections, move |facts| {
        facts.kube.extend(clusters);
    })
}
