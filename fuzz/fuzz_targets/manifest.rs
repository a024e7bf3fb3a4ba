//! Every manifest reader and the update configs (behind the nesting pre-check, as the scan
//! runs them). The first byte picks the file name.
#![no_main]

use checks::parse::nesting;
use libfuzzer_sys::fuzz_target;

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
    if name.contains("renovate") || name.contains("dependabot") {
        let _ = checks::parse::update_config::parse(name, text);
    } else {
        let _ = checks::parse::manifest::parse(name, text);
    }
});
