//! Every lockfile reader (behind the nesting pre-check, as the scan runs them). The first
//! byte picks the lockfile name.
#![no_main]

use libfuzzer_sys::fuzz_target;
#[path = "named.rs"]
mod named;

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
    let Some((name, text)) = named::picked_text(NAMES, data) else {
        return;
    };
    let _ = checks::parse::lockfile::parse(name, text);
});
