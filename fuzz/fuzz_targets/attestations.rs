//! attestations.toml: parsing and the problems serde cannot see (unknown controls, dates).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && checks::parse::nesting::check(text, checks::parse::nesting::Syntax::Toml).is_ok()
        && let Ok(file) = toml::from_str::<checks::facts::attestation::AttestationFile>(text)
    {
        let _ = file.problems();
    }
});
