//! claims.toml: parsing, the problems serde cannot see, and the wording terms `gate --strict`
//! looks for.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && checks::parse::nesting::check(text, checks::parse::nesting::Syntax::Toml).is_ok()
        && let Ok(claims) = toml::from_str::<reports::trust::ClaimsFile>(text)
    {
        let _ = claims.problems();
        for claim in &claims.claim {
            let _ = claim.effective_checks();
            let _ = claim.unbacked_terms();
        }
    }
});
