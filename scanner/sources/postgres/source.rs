//! The live PostgreSQL databases as an engine [`Source`]: `[[target.postgres]]`, one
//! `postgres` collection each, their databases after the ones folded from migrations.

use futures_util::FutureExt;

use crate::engine::{Collected, Context, Job, Reading, Source};

pub struct Databases;

impl Source for Databases {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn configured(&self, settings: &checks::Settings) -> Vec<String> {
        (settings.target.postgres.iter())
            .map(|t| t.name.clone())
            .collect()
    }

    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let selected = job.pick(&cx.settings.target.postgres, |t| &t.name);
            let read = super::collect(&selected, cx.options, cx.live_at, &job.progress).await;
            deposit(read)
        }
        .boxed()
    }

    fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
        let failed = (cx.settings.target.postgres.iter())
            .filter(|t| targets.contains(&t.name))
            .map(|t| super::failed(t, None, cause, cx.live_at))
            .collect();
        deposit(failed)
    }
}

fn deposit(read: Vec<(checks::facts::Collection, checks::facts::pg::Database)>) -> Collected {
    let (collections, databases): (Vec<_>, Vec<_>) = read.into_iter().unzip();
    Collected::new(collections, move |facts| {
        facts.postgres.extend(databases);
    })
}
