//! Loading `vouch.toml` into [`checks::Settings`].

use std::path::Path;

use anyhow::{Result, bail};
use checks::Settings;

use crate::bounded::{self, ReadError};

/// Loads the configuration. A missing file at the default location means defaults; a missing
/// file the user named, unreadable TOML, an unknown key or an invalid value is an error whose
/// one line names the file, the line and the cause.
pub fn load(path: &Path, explicit: bool) -> Result<Settings> {
    let text = match bounded::read_text(path, bounded::CONFIG_MAX) {
        Ok(t) => t,
        Err(ReadError::NotFound) if !explicit => return Ok(Settings::default()),
        Err(e) => bail!("cannot read config {}: it {e}", path.display()),
    };
    let settings: Settings = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        // Typed errors may quote a value (`invalid type: string "…"`): bounded, no quotes.
        let msg = checks::redact::bounded_reason(e.message());
        match line {
            Some(l) => anyhow::anyhow!("{}:{l}: {msg}", path.display()),
            None => anyhow::anyhow!("{}: {msg}", path.display()),
        }
    })?;
    if let Some(problem) = settings.problems().into_iter().next() {
        bail!("{}: {problem}", path.display());
    }
    Ok(settings)
}

/// Loads `attestations.toml`. Missing at the default location means none; every other problem
/// is an error naming the file.
pub fn load_attestations(
    path: &Path,
    explicit: bool,
) -> Result<Vec<checks::facts::attestation::Attestation>> {
    let text = match bounded::read_text(path, bounded::CONFIG_MAX) {
        Ok(t) => t,
        Err(ReadError::NotFound) if !explicit => return Ok(Vec::new()),
        Err(e) => bail!("cannot read attestations {}: it {e}", path.display()),
    };
    let file: checks::facts::attestation::AttestationFile = toml::from_str(&text).map_err(|e| {
        let reason = checks::redact::bounded_reason(e.message());
        anyhow::anyhow!("{}: {reason}", path.display())
    })?;
    if let Some(problem) = file.problems().into_iter().next() {
        bail!("{}: {problem}", path.display());
    }
    Ok(file.attestation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vouch.toml");
        std::fs::write(&p, "[postgres]\nruntime_roles = [\"app\"]\nbogus = 1\n").unwrap();
        let err = load(&p, true).unwrap_err().to_string();
        assert!(err.contains("vouch.toml:3:"), "{err}");
        assert!(err.contains("bogus"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn missing_default_is_defaults_but_missing_explicit_is_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vouch.toml");
        assert_eq!(load(&p, false).unwrap(), Settings::default());
        assert!(load(&p, true).is_err());
    }
}
