//! A report.json given to `vouch check`, `trust`, `gate` and `answer` (or read back from a
//! pack): parsed, then rendered in every format. The JSON rendering must be stable: what is
//! rendered and read back renders to the same bytes.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use reports::render;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if checks::parse::nesting::check(text, checks::parse::nesting::Syntax::Json5).is_err() {
        return;
    }
    let Ok(report) = serde_json::from_str::<reports::Report>(text) else {
        return;
    };
    let json = render::json::render(&report);
    let again: reports::Report =
        serde_json::from_str(&json).expect("vouch's own JSON rendering reads back");
    assert_eq!(
        render::json::render(&again),
        json,
        "JSON rendering is not stable"
    );
    let _ = render::text::render(&report, &render::text::Style { color: false });
    let _ = render::markdown::render(&report);
    let _ = render::junit::render(&report);
    let _ = render::github::render(&report);
    let _ = render::sarif::render(&report);
    let bundled = include_str!("../../templates/report.html.hbs");
    let templates = BTreeMap::from([(render::html::ENTRY.to_owned(), bundled.to_owned())]);
    let _ = render::html::render(&report, &templates);
});
