//! `vouch answer` on a hostile questionnaire: the first input byte picks the format (even: CSV,
//! odd: xlsx), the rest is the workbook. It is filled from a fixed, real report (the demo's,
//! written by scripts/fuzz to fuzz/report.json). Reading may fail with an error; it must not
//! panic, hang or exhaust memory (a zip bomb is refused before it is inflated).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
#[path = "scratch.rs"]
mod scratch;
use scratch::scratch_dir;
use vouch::answer::{AnswerArgs, fill};

fuzz_target!(|data: &[u8]| {
    let Some((&kind, workbook)) = data.split_first() else {
        return;
    };
    let extension = if kind % 2 == 0 { "csv" } else { "xlsx" };
    let dir = scratch_dir();
    let input = dir.path().join(format!("questionnaire.{extension}"));
    std::fs::write(&input, workbook).expect("write the workbook");
    let out = dir.path().join(format!("filled.{extension}"));
    let args = AnswerArgs::new(input, report().clone(), out.clone());
    if let Ok(answered) = fill(&args) {
        assert!(out.exists(), "filled {} questions but wrote no copy", answered.questions());
    }
});

fn report() -> &'static PathBuf {
    static REPORT: OnceLock<PathBuf> = OnceLock::new();
    REPORT.get_or_init(|| {
        let path = PathBuf::from(
            std::env::var_os("VOUCH_FUZZ_REPORT").unwrap_or_else(|| "fuzz/report.json".into()),
        );
        assert!(
            path.is_file(),
            "{} missing: scripts/fuzz writes it (or set VOUCH_FUZZ_REPORT)",
            path.display()
        );
        path
    })
}
