//! The nesting pre-check itself, in all three syntaxes: it must never panic and stay linear.
#![no_main]

use checks::parse::nesting::{Syntax, check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for syntax in [Syntax::Yaml, Syntax::Json5, Syntax::Toml] {
            let _ = check(text, syntax);
        }
    }
});
