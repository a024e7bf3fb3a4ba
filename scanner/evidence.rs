//! Reading a report.json someone hands to `answer`, `trust` or `gate`, and citing it by hash.

use std::path::Path;

use anyhow::{Context, Result, bail};
use reports::Report;
use reports::view::EvidenceRef;

/// Loads a report/v1 file and the reference (path as given + sha256 of its bytes) that answers
/// and trust pages cite, so a reader can check they describe exactly this report.
pub fn load_report(path: &Path) -> Result<(Report, EvidenceRef)> {
    let bytes = crate::bounded::read_file(path, crate::bounded::REPORT_MAX)
        .with_context(|| format!("cannot read report {}", path.display()))?;
    let report: Report = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a vouch report", path.display()))?;
    if report.schema != reports::REPORT_SCHEMA {
        bail!(
            "{} has schema {:?}, expected {:?}",
            path.display(),
            report.schema,
            reports::REPORT_SCHEMA
        );
    }
    let evidence = EvidenceRef {
        file: path.display().to_string(),
        sha256: crate::pack::sha256_hex(&bytes),
    };
    Ok((report, evidence))
}
