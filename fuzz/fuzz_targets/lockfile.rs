//! Every lockfile reader (behind the nesting pre-check, as the scan runs them). The first
//! byte picks the lockfile name.
#![no_main]

use checks::parse::nesting;
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "go.sum",
    "Gemfile.lock",
    "composer.lock",
    "pubspec.lock",
    "mix.lock",
    "Pipfile.lock",
    "packages.lock.json",
    "gradle.lockfile",
    "gradle/verification-metadata.xml",
    "Package.resolved",
    "requirements.lock",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Some(syntax) = nesting::syntax_of(name)
        && nesting::check(text, syntax).is_err()
    {
        return;
    }
    let _ = checks::parse::lockfile::parse(name, text);
});
