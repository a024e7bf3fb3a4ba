//! The engine: `collect(settings, selection) -> Facts`, then `judge(facts, clock) -> Report`.
//!
//! Every source implements [`Source`] and is listed once in [`crate::sources::ALL`]. The engine
//! asks each source for the targets it owns under the [`Selection`], runs the sources of a
//! stage concurrently on the one tokio runtime (each source bounds its own targets by its
//! configured limit: `[endpoint] concurrency`, `[aws] max_in_flight`, `[image] concurrency`…),
//! and deposits what they collected into [`Facts`] in registry order, so the facts and the
//! report never depend on which source finished first.
//!
//! Failing closed is the engine's job, not each source's: a source compiled out by its cargo
//! feature, or whose collector panicked, still yields every selected target as unreadable
//! (through [`Source::unreadable`]), so its checks say `error`, never nothing.

pub mod progress;

use std::path::Path;

use anyhow::{Result, bail};
use checks::Facts;
use checks::facts::{Collection, FACTS_SCHEMA};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

pub use progress::{Board, Progress};

/// What a source needs to read its targets: the scanned root, the effective settings, the
/// selection, the clocks, and (for a [`Stage::AfterOthers`] source) the facts collected before.
pub struct Context<'a> {
    pub root: &'a Path,
    pub settings: &'a checks::Settings,
    /// `settings`, resolved once when the configuration was loaded.
    pub options: &'a checks::resolve::Resolved,
    pub selection: &'a Selection,
    /// The printed time (`SOURCE_DATE_EPOCH` honoured): the repository's `collected_at`.
    pub printed_at: &'a str,
    /// The real time live evidence is stamped and judged with (never `SOURCE_DATE_EPOCH`).
    pub live_at: &'a str,
    /// What the sources of earlier stages collected (empty facts in the first stage).
    pub earlier: &'a Facts,
}

/// When a source runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Concurrently with every other first-stage source.
    First,
    /// After the first stage, reading what it collected (registry images of the workloads and
    /// Dockerfiles found in the repository and in live clusters).
    AfterOthers,
}

/// What a source read: its collection records (who read what, from where, when, or why not)
/// and how its facts go into [`Facts`].
pub struct Collected {
    pub collections: Vec<Collection>,
    pub deposit: Box<dyn FnOnce(&mut Facts) + Send>,
}

impl Collected {
    pub fn new(
        collections: Vec<Collection>,
        deposit: impl FnOnce(&mut Facts) + Send + 'static,
    ) -> Self {
        Collected {
            collections,
            deposit: Box::new(deposit),
        }
    }
}

/// One kind of target read into [`Facts`]. Sources do all I/O and judge nothing.
pub trait Source: Sync {
    /// The source's name: `repo`, `postgres`, `aws`… (its collections' `source`).
    fn kind(&self) -> &'static str;

    /// Whether it contacts a live system. A live source reads only the targets the command
    /// line selects; a static one reads the repository on every scan.
    fn live(&self) -> bool {
        true
    }

    fn stage(&self) -> Stage {
        Stage::First
    }

    /// The names `--target` selects its configured targets by (`[[target.<kind>]]` names; an
    /// endpoint's URL).
    fn configured(&self, _settings: &checks::Settings) -> Vec<String> {
        Vec::new()
    }

    /// The targets to read under `cx.selection`: by default the configured ones it selects.
    fn targets(&self, cx: &Context<'_>) -> Vec<String> {
        (self.configured(cx.settings).into_iter())
            .filter(|name| cx.selection.wants(name))
            .collect()
    }

    /// Reads the job's targets (never none), each at most once, concurrently within the
    /// source's configured limit, showing its progress. Every target ends up in the facts, read
    /// or marked unreadable. The default is for a build without the source's cargo feature,
    /// which is named like the source: a source behind a feature overrides `collect` under
    /// `#[cfg(feature = "<kind>")]` and nothing else.
    fn collect<'a>(&'a self, cx: &'a Context<'a>, job: Job) -> Reading<'a> {
        let cause = built_without(self.kind());
        async move { self.unreadable(cx, &job.targets, &cause) }.boxed()
    }

    /// `targets` as facts saying they could not be read, because `cause`: what the engine
    /// records when the source is compiled out or its collector stopped.
    fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected;
}

/// What [`Source::collect`] returns.
pub type Reading<'a> = BoxFuture<'a, Collected>;

/// One source's work in a scan: the targets to read, and the line showing its progress.
pub struct Job {
    pub targets: Vec<String>,
    pub progress: Progress,
}

impl Job {
    /// The configured entries among `items` that the job reads, by their `name`.
    pub fn pick<T: Clone>(&self, items: &[T], name: impl Fn(&T) -> &str) -> Vec<T> {
        (items.iter())
            .filter(|item| self.targets.iter().any(|t| t == name(item)))
            .cloned()
            .collect()
    }
}

/// The message for a target whose source this build lacks.
pub fn built_without(feature: &str) -> String {
    format!(
        "this vouch was built without the `{feature}` feature; rebuild with `--features {feature}`"
    )
}

/// The live targets the command line asked for. The rule: the repository is read on every
/// scan; a live target (database, account, cluster, image, endpoint) only when the command
/// line names it (`--target NAME`, `--endpoint URL`) or asks for all (`--all-targets`).
/// vouch.toml describes targets; on its own it never makes a scan contact anything.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub names: Vec<String>,
    pub all: bool,
    /// `--static-only`: nothing live, said out loud.
    pub static_only: bool,
}

impl Selection {
    pub fn wants(&self, name: &str) -> bool {
        !self.static_only && (self.all || self.names.iter().any(|n| n == name))
    }
}

/// Runs every registered source the selection asks for, on the caller's runtime. Live
/// evidence is stamped with the real time: checks judge it against that instant (a
/// certificate's validity), and `SOURCE_DATE_EPOCH` must never move a verdict.
pub async fn collect(
    root: &Path,
    settings: checks::Settings,
    options: &checks::resolve::Resolved,
    selection: &Selection,
    printed_at: &str,
) -> Result<Facts> {
    let live_at = crate::clock::real_now();
    let all = crate::sources::ALL;
    collect_judged_at(
        all, root, settings, options, selection, printed_at, &live_at,
    )
    .await
}

/// Runs the given sources, live evidence stamped and judged at `live_at`: the real time in
/// the binary ([`collect`]; `--since` reads a past revision with the repository source alone,
/// whose facts are not live), a fixed instant for the real-input cases (`tests/cases.rs`),
/// whose snapshots must not move with the calendar.
pub async fn collect_judged_at(
    sources: &[&dyn Source],
    root: &Path,
    settings: checks::Settings,
    options: &checks::resolve::Resolved,
    selection: &Selection,
    printed_at: &str,
    live_at: &str,
) -> Result<Facts> {
    check_names(sources, &settings, selection)?;
    note_unselected(sources, &settings, selection);
    let mut facts = Facts {
        schema: FACTS_SCHEMA.to_owned(),
        settings,
        ..Facts::default()
    };
    let board = Board::for_stderr();
    for stage in [Stage::First, Stage::AfterOthers] {
        let cx = Context {
            root,
            settings: &facts.settings,
            options,
            selection,
            printed_at,
            live_at,
            earlier: &facts,
        };
        let runs = sources
            .iter()
            .filter(|s| s.stage() == stage)
            .map(|source| run_source(*source, &cx, &board));
        let collected: Vec<Option<Collected>> = futures_util::future::join_all(runs).await;
        for c in collected.into_iter().flatten() {
            facts.collections.extend(c.collections);
            (c.deposit)(&mut facts);
        }
    }
    board.clear();
    Ok(facts)
}

/// One source over its selected targets; `None` when it has none. Compiled out (the default
/// [`Source::collect`]) or panicked, its targets are recorded as unreadable.
async fn run_source(source: &dyn Source, cx: &Context<'_>, board: &Board) -> Option<Collected> {
    let targets = source.targets(cx);
    if targets.is_empty() {
        return None;
    }
    let progress = board.add(source.kind(), targets.len());
    let job = Job {
        targets: targets.clone(),
        progress: progress.clone(),
    };
    let run = std::panic::AssertUnwindSafe(source.collect(cx, job));
    let collected = match run.catch_unwind().await {
        Ok(collected) => collected,
        Err(_) => source.unreadable(cx, &targets, "the collector stopped unexpectedly"),
    };
    progress.finish();
    Some(collected)
}

/// `--target NAME` must name a configured target.
fn check_names(
    sources: &[&dyn Source],
    settings: &checks::Settings,
    selection: &Selection,
) -> Result<()> {
    for name in &selection.names {
        let known = sources
            .iter()
            .any(|s| s.configured(settings).iter().any(|n| n == name));
        if !known {
            bail!("--target {name}: no target named `{name}` in the configuration");
        }
    }
    Ok(())
}

/// Says which configured live targets this scan leaves alone, so a scan that reads less than
/// vouch.toml describes is never mistaken for one that read everything.
fn note_unselected(sources: &[&dyn Source], settings: &checks::Settings, selection: &Selection) {
    let mut left: Vec<String> = Vec::new();
    let mut count = 0;
    for source in sources.iter().filter(|s| s.live()) {
        let n = (source.configured(settings).iter())
            .filter(|name| !selection.wants(name))
            .count();
        if n > 0 {
            count += n;
            left.push(format!("{} {n}", source.kind()));
        }
    }
    if count == 0 {
        return;
    }
    let which = left.join(", ");
    if selection.static_only {
        crate::notes::note(format_args!(
            "--static-only: {count} configured live target(s) not read ({which})"
        ));
    } else {
        crate::notes::note(format_args!(
            "{count} configured live target(s) not read ({which}): name them with --target NAME, \
             or use --all-targets"
        ));
    }
}

/// Judges collected facts at `clock`: the checks, then the report (waivers, suppressions,
/// attestations applied).
pub fn judge(
    facts: &Facts,
    options: &checks::resolve::Resolved,
    clock: &reports::Clock,
) -> reports::Report {
    crate::pack::judge(facts, options, clock)
}

/// The one tokio runtime of a vouch process, for the commands that collect.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}

/// Runs blocking work (a file walk, parsing) off the async threads, so it overlaps with the
/// live sources. A panic becomes `Err`.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(e) => bail!("the collector stopped unexpectedly: {e}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use checks::facts::endpoint::Endpoint;

    use super::*;

    /// A live source over the named targets; each read target becomes an endpoint fact.
    struct Fake {
        kind: &'static str,
        names: &'static [&'static str],
        delay: Duration,
        panics: bool,
        reads: AtomicUsize,
    }

    impl Fake {
        const fn new(kind: &'static str, names: &'static [&'static str]) -> Fake {
            Fake {
                kind,
                names,
                delay: Duration::ZERO,
                panics: false,
                reads: AtomicUsize::new(0),
            }
        }
    }

    fn record(kind: &str, targets: &[String], error: Option<&str>) -> Collected {
        let collections = (targets.iter())
            .map(|t| Collection {
                source: kind.to_owned(),
                target: t.clone(),
                error: error.map(str::to_owned),
                ..Collection::default()
            })
            .collect();
        let endpoints: Vec<Endpoint> = (targets.iter())
            .map(|t| Endpoint {
                url: t.clone(),
                error: error.map(str::to_owned),
                ..Endpoint::default()
            })
            .collect();
        Collected::new(collections, move |facts| facts.endpoints.extend(endpoints))
    }

    impl Source for Fake {
        fn kind(&self) -> &'static str {
            self.kind
        }
        fn configured(&self, _: &checks::Settings) -> Vec<String> {
            self.names.iter().map(ToString::to_string).collect()
        }
        fn collect<'a>(&'a self, _cx: &'a Context<'a>, job: Job) -> Reading<'a> {
            async move {
                self.reads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                assert!(!self.panics, "the fake collector panics");
                for _ in &job.targets {
                    job.progress.target_done();
                }
                record(self.kind, &job.targets, None)
            }
            .boxed()
        }
        fn unreadable(&self, _cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
            record(self.kind, targets, Some(cause))
        }
    }

    /// A source whose cargo feature this build lacks: it keeps the default `collect`.
    struct CompiledOut(Fake);

    impl Source for CompiledOut {
        fn kind(&self) -> &'static str {
            self.0.kind()
        }
        fn configured(&self, settings: &checks::Settings) -> Vec<String> {
            self.0.configured(settings)
        }
        fn unreadable(&self, cx: &Context<'_>, targets: &[String], cause: &str) -> Collected {
            self.0.unreadable(cx, targets, cause)
        }
    }

    fn run(sources: &[&dyn Source], selection: &Selection) -> Result<Facts> {
        let root = Path::new(".");
        let options = checks::Settings::default().resolve().unwrap();
        runtime()?.block_on(collect_judged_at(
            sources,
            root,
            checks::Settings::default(),
            &options,
            selection,
            "2023-11-14T22:13:20Z",
            "2023-11-14T22:13:20Z",
        ))
    }

    fn named(names: &[&str]) -> Selection {
        Selection {
            names: names.iter().map(ToString::to_string).collect(),
            ..Selection::default()
        }
    }

    fn read(facts: &Facts) -> Vec<(String, Option<String>)> {
        (facts.collections.iter())
            .map(|c| (format!("{}/{}", c.source, c.target), c.error.clone()))
            .collect()
    }

    #[test]
    fn a_compiled_out_source_records_each_selected_target_unreadable_once() {
        let source = CompiledOut(Fake::new("cloud", &["a", "b", "c"]));
        let facts = run(&[&source], &named(&["a", "c"])).unwrap();
        let cause = built_without("cloud");
        assert_eq!(
            read(&facts),
            [
                ("cloud/a".to_owned(), Some(cause.clone())),
                ("cloud/c".to_owned(), Some(cause.clone())),
            ]
        );
        assert_eq!(facts.endpoints.len(), 2, "the facts say it too");
    }

    #[test]
    fn a_collector_that_panics_leaves_its_targets_unreadable_and_the_others_read() {
        let broken = Fake {
            panics: true,
            ..Fake::new("broken", &["x"])
        };
        let fine = Fake::new("fine", &["y"]);
        let facts = run(&[&broken, &fine], &named(&["x", "y"])).unwrap();
        assert_eq!(
            read(&facts),
            [
                (
                    "broken/x".to_owned(),
                    Some("the collector stopped unexpectedly".to_owned())
                ),
                ("fine/y".to_owned(), None),
            ]
        );
    }

    #[test]
    fn facts_follow_the_registry_order_not_the_finishing_order() {
        let slow = Fake {
            delay: Duration::from_millis(200),
            ..Fake::new("slow", &["s"])
        };
        let fast = Fake::new("fast", &["f"]);
        let started = std::time::Instant::now();
        let facts = run(&[&slow, &fast], &named(&["s", "f"])).unwrap();
        assert_eq!(read(&facts)[0].0, "slow/s");
        assert_eq!(facts.endpoints[0].url, "s");
        assert_eq!(facts.endpoints[1].url, "f");
        let both = Fake {
            delay: Duration::from_millis(200),
            ..Fake::new("other", &["o"])
        };
        let started_both = std::time::Instant::now();
        run(&[&slow, &both], &named(&["s", "o"])).unwrap();
        // Two 200 ms sources side by side take about 200 ms, not 400: they run concurrently.
        assert!(
            started_both.elapsed() < Duration::from_millis(390),
            "{started:?}"
        );
    }

    #[test]
    fn live_targets_are_read_only_when_selected() {
        let source = Fake::new("db", &["a", "b"]);
        let facts = run(&[&source], &Selection::default()).unwrap();
        assert!(facts.collections.is_empty());
        assert_eq!(source.reads.load(Ordering::SeqCst), 0);
        let all = Selection {
            all: true,
            ..Selection::default()
        };
        assert_eq!(run(&[&source], &all).unwrap().collections.len(), 2);
        let static_only = Selection {
            all: true,
            static_only: true,
            ..Selection::default()
        };
        assert!(
            run(&[&source], &static_only)
                .unwrap()
                .collections
                .is_empty()
        );
    }

    #[test]
    fn an_unknown_target_name_is_an_error_naming_it() {
        let source = Fake::new("db", &["a"]);
        let err = run(&[&source], &named(&["nope"])).unwrap_err().to_string();
        assert!(err.contains("--target nope"), "{err}");
    }

    #[test]
    fn the_registry_lists_each_kind_once() {
        let mut kinds: Vec<_> = crate::sources::ALL.iter().map(|s| s.kind()).collect();
        let n = kinds.len();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), n, "{kinds:?}");
    }
}
