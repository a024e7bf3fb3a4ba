//! The SQL splitter, statement parser and migration fold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = checks::parse::sql::parse_file("db/migrations/0001_fuzz.sql", text);
    let _ = checks::parse::sql::fold("fuzz", [&parsed]);
});
