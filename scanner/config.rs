//! Loading `vouch.toml` into [`checks::Settings`].

use std::path::Path;

use anyhow::{Result, bail};
use checks::Settings;
use checks::resolve::{ConfigError, Key, KeyPath, Resolved};

use crate::bounded::{self, ReadError};

/// A configuration: the raw settings (what the facts save) and the same settings resolved into
/// their typed effective values, once, when loaded.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub options: Resolved,
}

/// Loads the configuration. A missing file at the default location means defaults; a missing
/// file the user named, unreadable TOML or an unknown key is an error whose one line names the
/// file, the line and the cause. The raw settings must then resolve (see [`checks::resolve`]):
/// every semantic error is reported at once, one `file:line: problem` line each.
pub fn load(path: &Path, explicit: bool) -> Result<Loaded> {
    load_with_endpoints(path, explicit, &[])
}

/// [`load`], with the `--endpoint URL`s of the command line joining the configured endpoint
/// targets (once each) before the one resolution: they get the same validation (e.g. no
/// credentials), and their errors are `--endpoint: problem` lines.
pub fn load_with_endpoints(path: &Path, explicit: bool, endpoints: &[String]) -> Result<Loaded> {
    let (mut settings, text) = match bounded::read_text(path, bounded::CONFIG_MAX) {
        Ok(t) => (parse(path, &t)?, t),
        Err(ReadError::NotFound) if !explicit => (Settings::default(), String::new()),
        Err(e) => bail!("cannot read config {}: it {e}", path.display()),
    };
    let configured = settings.target.endpoint.len();
    add_cli_endpoints(&mut settings, endpoints);
    let options = match settings.resolve() {
        Ok(options) => options,
        Err(errors) => {
            let (cli, file): (Vec<ConfigError>, Vec<ConfigError>) =
                errors.into_iter().partition(|e| {
                    matches!(
                        e.at.0.as_slice(),
                        [Key::Name(t), Key::Name(kind), Key::Index(i), ..]
                            if t == "target" && kind == "endpoint" && *i >= configured
                    )
                });
            let mut lines = located(path, &text, file).0;
            lines.extend(
                cli.into_iter()
                    .map(|e| format!("--endpoint: {}", e.message)),
            );
            return Err(Errors(lines).into());
        }
    };
    resolve_artifact_paths(&mut settings, path.parent().unwrap_or(Path::new("")));
    Ok(Loaded { settings, options })
}

/// `--endpoint URL`s join the configured endpoint targets (once each).
fn add_cli_endpoints(settings: &mut Settings, urls: &[String]) {
    for url in urls {
        if settings.endpoint_target(url).is_none() {
            settings
                .target
                .endpoint
                .push(checks::settings::EndpointTarget {
                    url: url.clone(),
                    ..Default::default()
                });
        }
    }
}

/// Deserializes a TOML file: the first syntax, type or unknown-key error, on one line with the
/// file and line.
fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start));
        // Typed errors may quote a value (`invalid type: string "…"`): bounded, no quotes.
        let msg = checks::redact::bounded_reason(e.message());
        match line {
            Some(l) => anyhow::anyhow!("{}:{l}: {msg}", path.display()),
            None => anyhow::anyhow!("{}: {msg}", path.display()),
        }
    })
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Semantic errors of a configuration file, each `file:line: problem`, in the order of the file.
/// The CLI prints one error line per entry.
#[derive(Debug)]
pub struct Errors(pub Vec<String>);

impl std::fmt::Display for Errors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for Errors {}

/// Locates every error in `text` (see [`offset_of`]).
fn located(path: &Path, text: &str, errors: Vec<ConfigError>) -> Errors {
    let doc = toml::de::DeTable::parse(text).ok();
    let mut lines: Vec<(Option<usize>, String)> = errors
        .into_iter()
        .map(|e| {
            let line = doc
                .as_ref()
                .and_then(|d| offset_of(d.get_ref(), &e.at))
                .map(|o| line_at(text, o));
            (line, e.message)
        })
        .collect();
    // Stable: errors on one line keep the order they were found in.
    lines.sort_by_key(|(line, _)| line.unwrap_or(usize::MAX));
    Errors(
        lines
            .into_iter()
            .map(|(line, message)| match line {
                Some(l) => format!("{}:{l}: {message}", path.display()),
                None => format!("{}: {message}", path.display()),
            })
            .collect(),
    )
}

/// Where the deepest part of `at` that the document holds starts: a key's own position (a
/// value may span lines), an array element's, or an `[[array]]` entry's header.
fn offset_of(doc: &toml::de::DeTable<'_>, at: &KeyPath) -> Option<usize> {
    use toml::de::DeValue;
    let mut value: Option<&DeValue<'_>> = None;
    let mut offset = None;
    for key in &at.0 {
        let table = match value {
            None => Some(doc),
            Some(DeValue::Table(t)) => Some(t),
            _ => None,
        };
        let next = match (key, table, value) {
            (Key::Name(name), Some(t), _) => t
                .iter()
                .find(|(k, _)| k.get_ref() == name)
                .map(|(k, v)| (k.span().start, v)),
            (Key::Index(i), _, Some(DeValue::Array(a))) => a.get(*i).map(|v| (v.span().start, v)),
            _ => None,
        };
        let Some((start, found)) = next else {
            break;
        };
        offset = Some(start);
        value = Some(found.get_ref());
    }
    offset
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
    let file: checks::facts::attestation::AttestationFile = parse(path, &text)?;
    let errors = file.errors();
    if !errors.is_empty() {
        return Err(located(path, &text, errors).into());
    }
    Ok(file.attestation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` written as `name` in a fresh directory (kept alive by the returned guard).
    fn file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// The `file:line: problem` lines of a failed load.
    fn located_errors(err: &anyhow::Error) -> &[String] {
        &err.downcast_ref::<Errors>().expect("located errors").0
    }

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
    fn every_semantic_error_is_reported_with_its_line() {
        let (_dir, p) = file(
            "vouch.toml",
            "# header\n\
             [severity]\n\
             sbom-present = \"low\"\n\
             no-such-check = \"high\"\n\
             \n\
             [scan]\n\
             exclude = [\n  \"vendor/**\",\n  \"a/[\",\n]\n\
             \n\
             [[waiver]]\n\
             check = \"sbom-present\"\n\
             subject = \"*\"\n\
             reason = \"r\"\n\
             approved_by = \"a\"\n\
             expires = \"2027-02-30\"\n\
             \n\
             [[waiver]]\n\
             check = \"docker-non-root\"\n\
             expires = \"2099-01-01\"\n\
             \n\
             [endpoint]\n\
             tls_floor = \"1.4\"\n",
        );
        let err = load(&p, true).unwrap_err();
        let lines: Vec<String> = located_errors(&err)
            .iter()
            .map(|e| e.strip_prefix(&p.display().to_string()).unwrap().to_owned())
            .collect();
        assert_eq!(
            lines,
            [
                ":4: [severity] names unknown check `no-such-check`",
                ":9: [scan] exclude: `a/[` is not a valid glob: error parsing glob 'a/[': \
                 unclosed character class; missing ']'",
                ":17: waiver #1 (sbom-present `*`) `expires = \"2027-02-30\"` is not a \
                 YYYY-MM-DD calendar date",
                // The keys a waiver lacks: its `[[waiver]]` header.
                ":19: waiver #2 needs a `subject` or a `path` glob (use subject = \"*\" for all)",
                ":19: waiver #2 needs a `reason` and `approved_by`",
                ":24: [endpoint] tls_floor = \"1.4\" is not one of 1.0, 1.1, 1.2, 1.3",
            ]
        );
        let (_dir, attestations) = file(
            "attestations.toml",
            "[[attestation]]\ncontrol = \"NOPE-99\"\nstatement = \"s\"\nattested_by = \"a\"\n\
             date = \"2026-01-01\"\nexpires = \"2027-13-01\"\n",
        );
        let err = load_attestations(&attestations, true).unwrap_err();
        let errors = located_errors(&err);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0]
                .ends_with("attestations.toml:2: attestation #1 names unknown control `NOPE-99`"),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("attestations.toml:6: attestation #1 `expires"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_valid_configuration_keeps_its_effective_values() {
        let (_dir, p) = file(
            "vouch.toml",
            "[severity]\nsbom-present = \"low\"\n[postgres]\nruntime_roles = [\"app\"]\n\
             tenant_functions = []\n[endpoint]\ntls_floor = \"1.3\"\n[scan]\nexclude = [\"vendor/**\"]\n",
        );
        let Loaded {
            settings,
            options: resolved,
        } = load(&p, true).unwrap();
        // The raw settings (saved in the facts) are what they were written…
        assert_eq!(settings.severity["sbom-present"], checks::Severity::Low);
        assert_eq!(
            settings.postgres.runtime_roles.as_deref(),
            Some(["app".to_owned()].as_slice())
        );
        assert_eq!(settings.endpoint.tls_floor, "1.3");
        assert_eq!(settings.endpoint.timeout_ms, 10_000);
        // …and the resolved ones are their typed effective values, loaded once with them.
        assert_eq!(resolved.severity["sbom-present"], checks::Severity::Low);
        assert_eq!(
            resolved.postgres.runtime_roles.as_deref(),
            Some(["app".to_owned()].as_slice())
        );
        assert!(
            resolved
                .postgres
                .tenant_columns
                .contains(&"tenant_id".to_owned())
        );
        assert!(resolved.postgres.tenant_functions.is_empty());
        assert_eq!(resolved.endpoint.tls_floor.as_str(), "1.3");
        assert_eq!(
            resolved.endpoint.timeout,
            std::time::Duration::from_secs(10)
        );
        assert!(resolved.scan_exclude.is_match("vendor/a.go"));
    }

    #[test]
    fn every_vouch_toml_in_the_repository_loads_and_matches_the_generated_schema() {
        let schema = crate::reference::config_schema();
        let validator = jsonschema::options()
            .build(&schema)
            .expect("the generated schema compiles");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let configs: Vec<_> = [root.join("vouch.toml")]
            .into_iter()
            .chain(
                walkdir::WalkDir::new(root.join("fixtures"))
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name() == "vouch.toml")
                    .map(walkdir::DirEntry::into_path),
            )
            .collect();
        assert!(configs.len() > 20, "{configs:?}");
        for path in configs {
            load(&path, true).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let text = std::fs::read_to_string(&path).unwrap();
            let doc: serde_json::Value = toml::from_str(&text).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
    }

    #[test]
    fn missing_default_is_defaults_but_missing_explicit_is_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vouch.toml");
        assert_eq!(load(&p, false).unwrap().settings, Settings::default());
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
        let settings = load(&p, true).unwrap().settings;
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
                "`x` url is not an https:// URL",
            ),
            (
                "name = \"x\"\nurl = \"https://u:pw@h/a\"",
                "`x` url carries credentials",
            ),
            (
                "name = \"x\"\npath = \"a\"\nbundle = \"ftp://h/a\"",
                "`x` bundle is not an https:// URL",
            ),
        ] {
            std::fs::write(&p, format!("[[target.artifact]]\n{entry}\n")).unwrap();
            let err = load(&p, true).unwrap_err().to_string();
            assert!(err.contains(want), "{entry}: {err}");
            assert!(!err.contains('\n') && !err.contains("pw"), "{err}");
        }
    }
}
