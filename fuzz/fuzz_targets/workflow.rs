//! `checks::parse::workflow::parse` on arbitrary UTF-8 text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = checks::parse::nesting::check(text, checks::parse::nesting::Syntax::Yaml)
            .map(|()| checks::parse::workflow::parse(".github/workflows/ci.yml", text));
    }
});
