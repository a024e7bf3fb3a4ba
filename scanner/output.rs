//! Writing a report in the requested formats, to files or stdout.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use reports::Report;
use reports::render;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Grouped by control, for people (colour on a terminal; NO_COLOR honoured).
    Text,
    /// report/v1, the contract other tools read.
    Json,
    /// SARIF 2.1.0, for code scanning dashboards.
    Sarif,
    /// Markdown, for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// JUnit XML, for CI test tabs.
    Junit,
}

/// Renders one format. `color` only affects text.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => render::text::render(report, &render::text::Style { color }),
        Format::Json => render::json::render(report),
        Format::Sarif => render::sarif::render(report),
        Format::Markdown => render::markdown::render(report),
        Format::Junit => render::junit::render(report),
    }
}

/// Pairs `--format` and `--output` by position: the n-th output file receives the n-th format;
/// formats without a file go to stdout (at most one may).
pub fn write_all(report: &Report, formats: &[Format], outputs: &[PathBuf]) -> Result<()> {
    if outputs.len() > formats.len() {
        bail!(
            "{} --output files given for {} --format values: give one --format per --output",
            outputs.len(),
            formats.len()
        );
    }
    if formats.len() - outputs.len() > 1 {
        bail!("only one format can go to stdout: give an --output file for each other --format");
    }
    for (i, format) in formats.iter().enumerate() {
        if let Some(path) = outputs.get(i) {
            let text = render(report, *format, false);
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        } else {
            let stdout = std::io::stdout();
            let color = *format == Format::Text
                && stdout.is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let text = render(report, *format, color);
            stdout
                .lock()
                .write_all(text.as_bytes())
                .context("cannot write to stdout")?;
        }
    }
    Ok(())
}
