//! `[[evidence.vulnerabilities]]`: vulnerability scanner outputs produced by CI (Trivy, Grype,
//! osv-scanner JSON or SARIF), read and parsed. No judgement here, and no vulnerability
//! database: the checks judge what the scanner reported.

use std::path::Path;

use checks::facts::vuln::VulnReport;
use checks::settings::Settings;

use crate::bounded;

mod source;
pub use source::ScannerOutputs;

/// Reads every configured file; a relative path is relative to the scanned root. A file that
/// cannot be read or parsed yields a report carrying the cause (an `error` verdict), never an
/// empty one.
pub fn collect(root: &Path, settings: &Settings, read_at: &str) -> Vec<VulnReport> {
    settings
        .evidence
        .vulnerabilities
        .iter()
        .map(|e| {
            let mut report = VulnReport {
                path: e.path.clone(),
                collected_at: read_at.to_owned(),
                max_age_days: e.max_age_days,
                ..VulnReport::default()
            };
            let outcome = inside(root, &e.path)
                .and_then(|path| {
                    bounded::read_text(&path, bounded::REPORT_MAX)
                        .map_err(|err| format!("it {err}"))
                })
                .and_then(|text| checks::parse::vuln::parse(&text, &mut report));
            if let Err(cause) = outcome {
                report.findings.clear();
                report.error = Some(cause);
            }
            report
        })
        .collect()
}

/// The evidence file, which must lie inside the scanned tree: the configuration comes with the
/// repository (a pull request can change it), so it must not make vouch read, say, a runner's
/// key file through an absolute path, `..` or a symlink leading out.
fn inside(root: &Path, configured: &str) -> Result<std::path::PathBuf, String> {
    let outside = || "it is not a path inside the scanned repository".to_owned();
    let relative = Path::new(configured);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(outside());
    }
    let path = root.join(relative);
    // A missing file is reported by the read below, with its own cause.
    let (Ok(real), Ok(real_root)) = (path.canonicalize(), root.canonicalize()) else {
        return Ok(path);
    };
    if real.starts_with(&real_root) {
        Ok(path)
    } else {
        Err(outside())
    }
}

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn evidence_paths_stay_inside_the_scanned_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("ci")).unwrap();
        std::fs::write(root.join("ci/trivy.json"), "{}").unwrap();
        std::fs::write(dir.path().join("secret.key"), "key").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.key"), root.join("ci/link.json"))
            .unwrap();
        assert!(inside(&root, "ci/trivy.json").is_ok());
        for escape in [
            "/etc/passwd",
            "../secret.key",
            "ci/../../secret.key",
            "ci/link.json",
        ] {
            let err = inside(&root, escape).unwrap_err();
            assert!(err.contains("not a path inside"), "{escape}: {err}");
        }
    }
}
