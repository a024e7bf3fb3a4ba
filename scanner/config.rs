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
    let mut settings: Settings = toml::from_str(&text).map_err(|e| {
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
    resolve_artifact_paths(&mut settings, path.parent().unwrap_or(Path::new("")));
    Ok(settings)
}

/// `[[target.artifact]]` paths (the artifact's and a bundle's) are relative to the directory of
/// the configuration file that names them; URLs and absolute paths stay as written.
fn resolve_artifact_paths(settings: &mut Settings, dir: &Path) {
    let resolve = |p: &mut String| {
        if !p.contains("://") && Path::new(p.as_str()).is_relative() {
            *p = dir.join(p.as_str()).display().to_string();
        }
    };
    for target in &mut settings.target.artifact {
        if let Some(p) = &mut target.path {
            resolve(p);
        }
        if let Some(b) = &mut target.bundle {
            resolve(b);
        }
    }
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

    #[test]
    fn artifact_paths_are_relative_to_the_config_and_bad_entries_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vouch.toml");
        std::fs::write(
            &p,
            "[[target.artifact]]\nname = \"cli\"\npath = \"dist/cli\"\nbundle = \"/abs/cli.bundle\"\n\n\
             [[target.artifact]]\nname = \"web\"\nurl = \"https://example.com/cli\"\n",
        )
        .unwrap();
        let settings = load(&p, true).unwrap();
        let [cli, web] = settings.target.artifact.as_slice() else {
            panic!("two artifacts");
        };
        assert_eq!(
            cli.path.as_deref(),
            Some(dir.path().join("dist/cli").display().to_string().as_str())
        );
        assert_eq!(cli.bundle.as_deref(), Some("/abs/cli.bundle"));
        assert_eq!(web.url.as_deref(), Some("https://example.com/cli"));
        assert_eq!(
            web.bundle_candidates(),
            [
                "https://example.com/cli.sigstore.json",
                "https://example.com/cli.bundle"
            ]
        );

        for (entry, want) in [
            (
                "name = \"x\"\npath = \"a\"\nurl = \"https://h/a\"",
                "`x` has both",
            ),
            ("name = \"x\"", "`x` needs a `path` or a `url`"),
            ("path = \"a\"", "#1 has no `name`"),
            (
                "name = \"x\"\nurl = \"http://h/a\"",
                "`x` url = \"http://h/a\" is not an https",
            ),
            (
                "name = \"x\"\nurl = \"https://u:pw@h/a\"",
                "`x` url carries credentials",
            ),
            (
                "name = \"x\"\npath = \"a\"\nbundle = \"ftp://h/a\"",
                "`x` bundle = \"ftp://h/a\"",
            ),
        ] {
            std::fs::write(&p, format!("[[target.artifact]]\n{entry}\n")).unwrap();
            let err = load(&p, true).unwrap_err().to_string();
            assert!(err.contains(want), "{entry}: {err}");
            assert!(!err.contains('\n') && !err.contains("pw"), "{err}");
        }
    }
}
