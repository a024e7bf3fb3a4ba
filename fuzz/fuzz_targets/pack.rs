//! `vouch verify DIR` on a hostile pack. The input holds the pack's files one after another,
//! separated by a line `--8<-- NAME`; each becomes a file of a fresh directory (names are
//! reduced to safe single path components), then the pack is verified. Verification may find
//! any number of problems; it must not panic, hang or exhaust memory, and a pack it finds no
//! problem in must have had its report.json re-derived from its facts.json.
#![no_main]

use libfuzzer_sys::fuzz_target;
#[path = "scratch.rs"]
mod scratch;
use scratch::scratch_dir;
use vouch::pack::verify::{Request, verify};

const SEPARATOR: &[u8] = b"--8<-- ";

fuzz_target!(|data: &[u8]| {
    let dir = scratch_dir();
    for (name, bytes) in files(data) {
        let _ = std::fs::write(dir.path().join(name), bytes);
    }
    let outcome = verify(&Request {
        dir: dir.path(),
        key: None,
        previous: None,
    })
    .expect("an existing directory always verifies to an outcome");
    if outcome.problems.is_empty() {
        assert!(
            outcome
                .ok
                .iter()
                .any(|line| line.starts_with("report.json follows from facts.json")),
            "a pack verified without its report being re-judged: {:?}",
            outcome.ok
        );
    }
});


/// The input's files: the first section is MANIFEST.json, each later one is named by its
/// separator line.
fn files(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut out = Vec::new();
    let mut name = "MANIFEST.json".to_owned();
    let mut rest = data;
    loop {
        let (body, next) = match find(rest, SEPARATOR) {
            Some(at) => (&rest[..at], Some(&rest[at + SEPARATOR.len()..])),
            None => (rest, None),
        };
        out.push((name.clone(), body.strip_suffix(b"\n").unwrap_or(body)));
        let Some(next) = next else { break };
        let line_end = next.iter().position(|&b| b == b'\n').unwrap_or(next.len());
        name = safe_name(&next[..line_end]);
        rest = next.get(line_end + 1..).unwrap_or_default();
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One path component of letters, digits, `.`, `-`, `_` (never `.` or `..`).
fn safe_name(raw: &[u8]) -> String {
    let name: String = raw
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        .map(|&b| char::from(b))
        .take(64)
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        "unnamed".to_owned()
    } else {
        name
    }
}
