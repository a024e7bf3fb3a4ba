//! Writing a report in the requested formats, to files or stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// GitHub Actions workflow commands: an annotation per problem, capped, with a summary.
    Github,
}

impl Format {
    /// The format a file name implies (`report.json` → json), if any.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "md" | "markdown" => Format::Markdown,
            "xml" => Format::Junit,
            "txt" | "text" | "log" => Format::Text,
            _ => return None,
        })
    }
}

/// Choices that shape a rendering beyond its format.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Colour (text only).
    pub color: bool,
    /// Keep passing findings in SARIF (`--sarif-passes`).
    pub sarif_passes: bool,
    /// Leave results about live resources out of SARIF (`--sarif-files-only`).
    pub sarif_files_only: bool,
}

/// Renders one format. `color` only affects text.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    render_with(
        report,
        format,
        RenderOptions {
            color,
            ..RenderOptions::default()
        },
    )
}

/// Renders one format with these options.
pub fn render_with(report: &Report, format: Format, options: RenderOptions) -> String {
    match format {
        Format::Text => render::text::render(
            report,
            &render::text::Style {
                color: options.color,
            },
        ),
        Format::Json => render::json::render(report),
        Format::Sarif => render::sarif::render_with(
            report,
            checks::ALL,
            render::sarif::Options {
                passes: options.sarif_passes,
                files_only: options.sarif_files_only,
            },
        ),
        Format::Markdown => render::markdown::render(report),
        Format::Junit => render::junit::render(report),
        Format::Github => render::github::render(report),
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

/// With `--output` files but no `--format`: each file's format comes from its extension, and a
/// file whose extension names no format is refused (never text written into `x.json`).
pub fn infer(outputs: &[PathBuf]) -> Result<Vec<Destination>> {
    outputs
        .iter()
        .map(|path| match Format::from_extension(path) {
            Some(format) => Ok((format, Some(path.clone()))),
            None => bail!(
                "--output {}: cannot tell the format from the file name; give --format \
                 (text, json, sarif, markdown, junit, github) before it, or name it .txt, .json, \
                 .sarif, .md or .xml",
                path.display()
            ),
        })
        .collect()
}

/// Renders every format to its destination. Text on stdout is rendered in colour and written
/// through anstream, which keeps or strips the colour per `color` (`auto`: a terminal without
/// `NO_COLOR`).
pub fn write_all(
    report: &Report,
    plan: &[Destination],
    options: RenderOptions,
    color: anstream::ColorChoice,
) -> Result<()> {
    for (format, file) in plan {
        if let Some(path) = file {
            let text = render_with(
                report,
                *format,
                RenderOptions {
                    color: false,
                    ..options
                },
            );
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            crate::notes::detail(format_args!("wrote {}", path.display()));
        } else {
            let coloured = *format == Format::Text && color != anstream::ColorChoice::Never;
            let text = render_with(
                report,
                *format,
                RenderOptions {
                    color: coloured,
                    ..options
                },
            );
            if coloured {
                let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), color);
                stdout
                    .write_all(text.as_bytes())
                    .and_then(|()| stdout.flush())
                    .context("cannot write to stdout")?;
            } else {
                write_stdout(&text)?;
            }
        }
    }
    Ok(())
}

/// Writes to standard output. A closed output (`vouch answer … | head -1`) is an error the
/// caller returns ("cannot write to stdout: Broken pipe"), never the panic of `print!`.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")
}

/// `print!` through [`write_stdout`]: evaluates to `anyhow::Result<()>`.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&format!($($arg)*))
    };
}

/// `println!` through [`write_stdout`]: evaluates to `anyhow::Result<()>`.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
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
    fn outputs_without_a_format_take_it_from_the_extension() {
        let plan = infer(&[PathBuf::from("r.JSON"), PathBuf::from("out/v.sarif")]).unwrap();
        assert_eq!(
            paths(&plan),
            [
                (Format::Json, Some("r.JSON")),
                (Format::Sarif, Some("out/v.sarif"))
            ]
        );
        let plan = infer(&[PathBuf::from("summary.md"), PathBuf::from("j.xml")]).unwrap();
        assert_eq!(
            paths(&plan),
            [
                (Format::Markdown, Some("summary.md")),
                (Format::Junit, Some("j.xml"))
            ]
        );
        let err = infer(&[PathBuf::from("report.html")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--output report.html: cannot tell the format"),
            "{err}"
        );
    }

    #[test]
    fn at_most_one_format_on_stdout() {
        let err = pair(&[(1, Format::Json), (3, Format::Sarif)], &[]).unwrap_err();
        assert!(err.to_string().contains("only one format can go to stdout"));
    }
}
