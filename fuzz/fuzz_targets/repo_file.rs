//! Any repository file through the same entry point the scan uses: classify, nesting
//! pre-check, parser. The first byte picks the file name (and so the parser).
#![no_main]

use checks::facts::repo::RepoFacts;
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    ".github/workflows/ci.yml",
    "action.yml",
    "Dockerfile",
    "k8s/deploy.yaml",
    "Cargo.toml",
    "Cargo.lock",
    "package.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "pyproject.toml",
    "requirements.txt",
    "go.mod",
    "go.sum",
    "Gemfile",
    "Gemfile.lock",
    "composer.json",
    "composer.lock",
    "renovate.json",
    "renovate.json5",
    ".github/dependabot.yml",
    "bom.json",
    "sbom.spdx.json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let path = PATHS[usize::from(pick) % PATHS.len()];
    let mut facts = RepoFacts::default();
    let _ = checks::parse::parse_into(checks::parse::classify(path), path, bytes, &mut facts);
});
