//! Progress on stderr while the sources run: one line per source with its targets done and
//! the units it counts (calls, requests), e.g. `aws  1/2 target(s), 153 call(s), reading
//! account 123456789012`. Drawn only when stderr is a terminal and `--quiet` is off; otherwise
//! every handle is a no-op, so sources report progress unconditionally.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The drawing area of one collection: the bars of every running source.
pub struct Board {
    multi: MultiProgress,
}

/// The board being drawn, so notes printed meanwhile do not tear the bars.
static DRAWING: OnceLock<Mutex<Option<MultiProgress>>> = OnceLock::new();

impl Board {
    /// Drawn on stderr when it is a terminal and notes are not silenced.
    pub fn for_stderr() -> Board {
        let visible =
            std::io::IsTerminal::is_terminal(&std::io::stderr()) && !crate::notes::quiet();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        if visible && let Ok(mut drawing) = DRAWING.get_or_init(Mutex::default).lock() {
            *drawing = Some(multi.clone());
        }
        Board { multi }
    }

    /// A line for `kind`, which reads `targets` targets.
    pub fn add(&self, kind: &str, targets: usize) -> Progress {
        let bar = self.multi.add(ProgressBar::new(targets as u64));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:<10} {pos}/{len} target(s){msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(kind.to_owned());
        if !self.multi.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Progress {
            inner: Arc::new(Inner {
                bar,
                units: AtomicU64::new(0),
                unit: Mutex::new(None),
                doing: Mutex::new(String::new()),
            }),
        }
    }

    /// Removes every line (the report follows on stdout or stderr).
    pub fn clear(&self) {
        let _ = self.multi.clear();
        if let Some(lock) = DRAWING.get()
            && let Ok(mut drawing) = lock.lock()
        {
            *drawing = None;
        }
    }
}

/// Prints `line` on stderr without tearing the progress lines being drawn.
pub fn println(line: &str) {
    let drawing = DRAWING
        .get()
        .and_then(|lock| lock.lock().ok().and_then(|d| d.clone()));
    match drawing {
        Some(multi) => multi.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// One source's line. Cheap to clone; every clone updates the same line.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    bar: ProgressBar,
    units: AtomicU64,
    /// What the units are (`call`, `request`), once a source counts any.
    unit: Mutex<Option<&'static str>>,
    /// What the source is doing now.
    doing: Mutex<String>,
}

impl Progress {
    /// A line drawn nowhere (tests, and sources run outside the engine).
    pub fn hidden() -> Progress {
        Board {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
        }
        .add("", 0)
    }

    /// One more target read (or given up on).
    pub fn target_done(&self) {
        self.inner.bar.inc(1);
    }

    /// `n` more units of work done, named `unit` (`call`, `request`).
    pub fn count(&self, unit: &'static str, n: u64) {
        self.inner.units.fetch_add(n, Ordering::Relaxed);
        if let Ok(mut u) = self.inner.unit.lock() {
            *u = Some(unit);
        }
        self.redraw();
    }

    /// What the source is doing now (`reading account 123456789012`).
    pub fn doing(&self, what: impl Into<Cow<'static, str>>) {
        if let Ok(mut d) = self.inner.doing.lock() {
            *d = what.into().into_owned();
        }
        self.redraw();
    }

    /// Stops the spinner; the line stays, with its final counts, until the board is cleared.
    pub(super) fn finish(&self) {
        self.inner.bar.finish();
    }

    fn redraw(&self) {
        if self.inner.bar.is_hidden() {
            return;
        }
        let units = self.inner.units.load(Ordering::Relaxed);
        let unit = self.inner.unit.lock().ok().and_then(|u| *u);
        let doing = self
            .inner
            .doing
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default();
        let mut msg = String::new();
        if let Some(unit) = unit {
            let _ = write!(msg, ", {units} {unit}(s)");
        }
        if !doing.is_empty() {
            msg.push_str(", ");
            msg.push_str(&doing);
        }
        self.inner.bar.set_message(msg);
    }
}
