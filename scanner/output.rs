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

/// Where one rendered format goes: a file, or stdout when `None`.
pub type Destination = (Format, Option<PathBuf>);

/// Pairs each `--output` with the `--format` given just before it on the command line
/// (`--format text --format json --output r.json` writes JSON to `r.json` and text to stdout).
/// Positions are the arguments' command-line indices; a format that took its default value has
/// none and sorts first. Formats without a file go to stdout, at most one of them.
pub fn pair(formats: &[(usize, Format)], outputs: &[(usize, PathBuf)]) -> Result<Vec<Destination>> {
    let mut plan: Vec<Destination> = formats.iter().map(|(_, f)| (*f, None)).collect();
    for (at, path) in outputs {
        let Some(i) = formats
            .iter()
            .rposition(|(format_at, _)| format_at < at)
            .filter(|i| plan[*i].1.is_none())
        else {
            bail!(
                "--output {} must follow the --format it receives (e.g. --format json --output {0})",
                path.display()
            );
        };
        if let Some((_, Some(earlier))) = plan.iter().find(|(_, file)| {
            file.as_ref()
                .is_some_and(|f| crate::paths::same_file(f, path))
        }) {
            bail!(
                "--output {} and --output {} name the same file: each format needs its own",
                earlier.display(),
                path.display()
            );
        }
        plan[i].1 = Some(path.clone());
    }
    if plan.iter().filter(|(_, file)| file.is_none()).count() > 1 {
        bail!("only one format can go to stdout: give an --output file after each other --format");
    }
    Ok(plan)
}

/// Renders every format to its destination.
pub fn write_all(report: &Report, plan: &[Destination]) -> Result<()> {
    for (format, file) in plan {
        if let Some(path) = file {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(plan: &[Destination]) -> Vec<(Format, Option<&str>)> {
        plan.iter()
            .map(|(f, p)| (*f, p.as_ref().and_then(|p| p.to_str())))
            .collect()
    }

    #[test]
    fn output_binds_to_the_format_before_it() {
        let plan = pair(
            &[(1, Format::Text), (3, Format::Json)],
            &[(5, PathBuf::from("r.json"))],
        )
        .unwrap();
        assert_eq!(
            paths(&plan),
            [(Format::Text, None), (Format::Json, Some("r.json"))]
        );

        let plan = pair(
            &[(1, Format::Json), (5, Format::Text)],
            &[(3, PathBuf::from("r.json"))],
        )
        .unwrap();
        assert_eq!(
            paths(&plan),
            [(Format::Json, Some("r.json")), (Format::Text, None)]
        );
    }

    #[test]
    fn two_outputs_naming_one_file_are_an_error() {
        let err = pair(
            &[(1, Format::Json), (5, Format::Sarif)],
            &[(3, PathBuf::from("r.json")), (7, PathBuf::from("./r.json"))],
        )
        .unwrap_err();
        assert!(err.to_string().contains("name the same file"), "{err}");
    }

    #[test]
    fn default_format_takes_a_lone_output() {
        let plan = pair(&[(0, Format::Text)], &[(2, PathBuf::from("r.txt"))]).unwrap();
        assert_eq!(paths(&plan), [(Format::Text, Some("r.txt"))]);
    }

    #[test]
    fn an_output_needs_a_free_format_before_it() {
        let err = pair(
            &[(3, Format::Json)],
            &[(1, PathBuf::from("a")), (5, PathBuf::from("b"))],
        )
        .unwrap_err();
        assert!(err.to_string().contains("--output a must follow"), "{err}");
        let err = pair(
            &[(1, Format::Json)],
            &[(3, PathBuf::from("a")), (5, PathBuf::from("b"))],
        )
        .unwrap_err();
        assert!(err.to_string().contains("--output b must follow"), "{err}");
    }

    #[test]
    fn at_most_one_format_on_stdout() {
        let err = pair(&[(1, Format::Json), (3, Format::Sarif)], &[]).unwrap_err();
        assert!(err.to_string().contains("only one format can go to stdout"));
    }
}
