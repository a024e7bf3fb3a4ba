//! The AWS accounts as an engine [`Source`]: `[[target.aws]]`, one `aws` collection each.

use checks::facts::Collection;
use checks::facts::aws::Account;
#[cfg(feature = "aws")]
use futures_util::FutureExt;

use crate::engine::{Collected, Context, Source};
#[cfg(feature = "aws")]
use crate::engine::{Job, Reading};

pub struct Accounts;

impl Source for Accounts {
    fn kind(&self) -> &'static str {
        "aws"
    }

    fn configured(&self, settings: &checks::Settings) -> Vec<String> {
        (settings.target.aws.iter())
            .map(|t| t.name.clone())
            .collect()
    }

    #[cfg(feature = "aws")]
    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let selected = job.pick(&cx.settings.target.aws, |t| &t.name);
            let accounts = super::collect(selected, &cx.options.aws, job.progress).await;
            deposit(accounts, cx.live_at)
        }
        .boxed()
    }

    fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
        let accounts = (targets.iter())
            .map(|name| Account {
                target: name.clone(),
                error: Some(cause.to_owned()),
                ..Account::default()
            })
            .collect();
        deposit(accounts, cx.live_at)
    }
}

fn deposit(accounts: Vec<Account>, live_at: &str) -> Collected {
    let collections = (accounts.iter())
        .map(|a| Collection {
            source: "aws".to_owned(),
            target: a.target.clone(),
            origin: if a.account_id.is_empty() {
                format!("aws target {}", a.target)
            } else {
                format!("aws account {}", a.account_id)
            },
            collected_at: live_at.to_owned(),
            error: a.error.clone(),
        })
        .collect();
    Collected::new(collections, move |facts| {
        facts.aws.extend(accounts);
    })
}
