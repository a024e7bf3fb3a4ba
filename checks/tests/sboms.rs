//! SBOM files in `fixtures/sboms/{valid,invalid,not-sbom}/` are parsed as the repository source
//! parses them; the folder states the expectation (see its README).

// Test helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::{Path, PathBuf};

use checks::parse::sbom;

fn files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/sboms")
        .join(folder);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixture in {}", dir.display());
    out
}

fn parse(path: &Path) -> Result<Option<checks::facts::repo::Sbom>, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    sbom::parse(&name, &text)
}

#[test]
fn generator_output_and_hand_written_sboms_are_valid() {
    for path in files("valid") {
        let sbom = parse(&path).unwrap().expect("an SBOM");
        assert!(
            sbom.problems.is_empty(),
            "{}: {:?}",
            path.display(),
            sbom.problems
        );
        assert!(!sbom.components.is_empty(), "{}", path.display());
    }
}

#[test]
fn near_misses_are_invalid_with_reasons() {
    for path in files("invalid") {
        let sbom = parse(&path).unwrap().expect("an SBOM");
        assert!(!sbom.problems.is_empty(), "{} passed", path.display());
    }
}

#[test]
fn json_that_is_no_sbom_is_ignored_without_error() {
    for path in files("not-sbom") {
        assert_eq!(parse(&path), Ok(None), "{}", path.display());
    }
}
