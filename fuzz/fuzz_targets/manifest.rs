//! Every manifest reader and the update configs (behind the nesting pre-check, as the scan
//! runs them). The first byte picks the file name.
#![no_main]

use libfuzzer_sys::fuzz_target;
#[path = "named.rs"]
mod named;

const NAMES: &[&str] = &[
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "requirements.txt",
    "go.mod",
    "Gemfile",
    "composer.json",
    "renovate.json",
    "renovate.json5",
    ".github/dependabot.yml",
    "pubspec.yaml",
    "mix.exs",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Package.swift",
    "Pipfile",
    "App.csproj",
    "Directory.Build.props",
    "requirements.in",
];

fuzz_target!(|data: &[u8]| {
    let Some((name, text)) = named::picked_text(NAMES, data) else {
        return;
    };
    if name.contains("renovate") || name.contains("dependabot") {
        let _ = checks::parse::update_config::parse(name, text);
    } else {
        let _ = checks::parse::manifest::parse(name, text);
    }
});
