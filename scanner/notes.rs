//! What vouch says on stderr besides errors and the report: notes (left out with `--quiet`)
//! and details of what was read and written (only with `--verbose`).

use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};

const QUIET: u8 = 0;
const NORMAL: u8 = 1;
const VERBOSE: u8 = 2;

static LEVEL: AtomicU8 = AtomicU8::new(NORMAL);

/// Set once, from the command line, before anything is printed.
pub fn set(quiet: bool, verbose: bool) {
    let level = if quiet {
        QUIET
    } else if verbose {
        VERBOSE
    } else {
        NORMAL
    };
    LEVEL.store(level, Ordering::Relaxed);
}

/// `--quiet`: no notes, and no progress lines.
pub fn quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) == QUIET
}

/// Something a user should know (a source skipped, where a pack went).
pub fn note(message: impl Display) {
    if LEVEL.load(Ordering::Relaxed) >= NORMAL {
        crate::engine::progress::println(&format!("vouch: {message}"));
    }
}

/// A detail of what was read or written, for `--verbose`.
pub fn detail(message: impl Display) {
    if LEVEL.load(Ordering::Relaxed) >= VERBOSE {
        crate::engine::progress::println(&format!("vouch: {message}"));
    }
}
