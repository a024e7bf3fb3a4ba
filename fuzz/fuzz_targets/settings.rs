//! vouch.toml: parsing into `Settings` and validating it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && checks::parse::nesting::check(text, checks::parse::nesting::Syntax::Toml).is_ok()
        && let Ok(settings) = toml::from_str::<checks::Settings>(text)
    {
        let _ = checks::resolve::resolve(&settings);
    }
});
