//! The repository as an engine [`Source`]: one walk of the tree feeds the repository facts and
//! the migration sets folded from its `.sql` files. Static: read on every scan.

use checks::facts::Collection;
use checks::facts::repo::{FileKind, RepoFacts, Unreadable};
use futures_util::FutureExt;

use crate::engine::{Collected, Context, Job, Reading, Source};
use crate::sources::migrations;

pub struct Repository;

impl Source for Repository {
    fn kind(&self) -> &'static str {
        "repo"
    }

    fn live(&self) -> bool {
        false
    }

    fn targets(&self, cx: &Context<'_>) -> Vec<String> {
        vec![cx.root.display().to_string()]
    }

    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        async move {
            let root = cx.root.to_path_buf();
            let globs = cx.options.postgres.migrations.clone();
            let exclude = cx.options.scan_exclude.clone();
            let read = crate::engine::blocking(move || {
                let walked = super::walk_excluding(&root, &exclude);
                let migrations =
                    migrations::collect_reporting_skipped(&root, &globs, &walked.sql_files);
                (walked.facts, migrations)
            })
            .await;
            job.progress.target_done();
            match read {
                Ok((repo, migrations)) => deposit(cx, repo, migrations),
                Err(e) => self.unreadable(cx, &[], &e.to_string()),
            }
        }
        .boxed()
    }

    /// The whole tree unreadable, as the walk records a root it cannot resolve.
    fn unreadable(&self, cx: &Context<'_>, _targets: &[String], cause: &str) -> Collected {
        let repo = RepoFacts {
            root: cx.root.display().to_string(),
            unreadable: vec![Unreadable {
                path: ".".to_owned(),
                kind: FileKind::Text,
                cause: cause.to_owned(),
            }],
            ..RepoFacts::default()
        };
        let mut collected = deposit(cx, repo, migrations::Collected::default());
        collected.collections[0].error = Some(cause.to_owned());
        collected
    }
}

/// The repository's collection, then one per migration set skipped as another engine's SQL
/// (named in the scope, not silently dropped).
fn deposit(cx: &Context<'_>, repo: RepoFacts, migrations: migrations::Collected) -> Collected {
    crate::notes::detail(format_args!(
        "read {} file(s) under {} ({} path(s) left out, see the report's scope)",
        repo.files_scanned,
        cx.root.display(),
        repo.scope.excluded.len()
    ));
    let root = cx.root.display().to_string();
    let mut collections = vec![Collection {
        source: "repo".to_owned(),
        target: root.clone(),
        origin: root,
        collected_at: cx.printed_at.to_owned(),
        error: None,
    }];
    collections.extend(migrations.skipped.into_iter().map(|(set, why)| Collection {
        source: "migrations".to_owned(),
        origin: format!("skipped {}: {why}", set.trim_start_matches("migrations:")),
        target: set,
        collected_at: cx.printed_at.to_owned(),
        error: None,
    }));
    let databases = migrations.databases;
    Collected::new(collections, move |facts| {
        facts.repo = Some(repo);
        facts.postgres.extend(databases);
    })
}
