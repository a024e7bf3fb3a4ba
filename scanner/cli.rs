//! The command line: `vouch scan`, `check`, `explain`, `list`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use checks::catalog::catalog;
use checks::facts::{Collection, FACTS_SCHEMA};
use checks::{Facts, Severity};
use clap::{Parser, Subcommand, ValueEnum};
use reports::Report;

use crate::output::{self, Format};
use crate::{clock, config, sources};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Parser)]
#[command(
    name = "vouch",
    version,
    about = "Audit repositories and live infrastructure against a catalog of security controls, and produce the evidence.",
    long_about = "vouch collects facts from a repository (and, with targets, from live systems), judges them with \
a catalog of checks mapped to security controls (CCM, SOC 2, ISO 27001, NIST 800-53, CIS), and writes the \
result in formats people and tools read.\n\nExit codes: 0 nothing at or above the --fail-on threshold failed; \
1 a finding at or above the threshold failed or could not be evaluated (fail closed); 2 vouch itself could not run.",
    after_help = "Examples:\n  vouch scan .                                  scan the current repository\n  \
vouch scan . --format sarif --output vouch.sarif\n  vouch scan . --format text --format json --output report.json\n  \
vouch explain gha-action-pinned              why a check exists and how to fix it\n  vouch list checks --format markdown"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a repository and judge it against every check.
    Scan(ScanArgs),
    /// Re-judge facts saved with `scan --dump-facts`, offline; the output is identical.
    Check(CheckArgs),
    /// Explain a check or a control: why it matters, how to fix it, framework references.
    Explain {
        /// A check id (`gha-action-pinned`) or control id (`SUP-05`).
        id: String,
    },
    /// Print the minimal read-only IAM policy the AWS checks need (for `[[target.aws]]`).
    IamPolicy {
        /// Only for these checks (default: every AWS check).
        #[arg(long = "check", value_name = "ID")]
        checks: Vec<String>,
    },
    /// List the checks or the controls.
    List {
        #[arg(value_enum)]
        what: ListWhat,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// Output format; repeat for several (text, json, sarif, markdown, junit).
    #[arg(long = "format", short = 'f', value_enum, default_values_t = [Format::Text])]
    formats: Vec<Format>,
    /// Write the n-th --format to this file (stdout when not given).
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    outputs: Vec<PathBuf>,
    /// Exit 1 when a finding at or above this severity failed or errored.
    #[arg(long, value_enum, default_value_t = Threshold::High)]
    fail_on: Threshold,
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// The repository to scan.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Configuration file (default: PATH/vouch.toml, optional).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also write everything collected (secrets redacted) to this JSON file.
    #[arg(long, value_name = "FILE")]
    dump_facts: Option<PathBuf>,
    /// Also audit this live target of vouch.toml (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Also audit every live target of vouch.toml.
    #[arg(long, conflicts_with = "targets")]
    all_targets: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Facts written by `vouch scan --dump-facts`.
    #[arg(long, value_name = "FILE")]
    facts: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Threshold {
    Low,
    Medium,
    High,
    Critical,
}

impl From<Threshold> for Severity {
    fn from(t: Threshold) -> Self {
        match t {
            Threshold::Low => Severity::Low,
            Threshold::Medium => Severity::Medium,
            Threshold::High => Severity::High,
            Threshold::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListWhat {
    Checks,
    Controls,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
    Markdown,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vouch: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// `outer: inner: cause` on one line.
fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
        .replace('\n', " ")
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Check(args) => {
            let text = std::fs::read_to_string(&args.facts)
                .with_context(|| format!("cannot read facts {}", args.facts.display()))?;
            let facts: Facts = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a vouch facts file", args.facts.display()))?;
            if facts.schema != FACTS_SCHEMA {
                bail!(
                    "{} has schema {:?}, expected {FACTS_SCHEMA:?}",
                    args.facts.display(),
                    facts.schema
                );
            }
            judge_and_write(&facts, &args.output)
        }
        Command::Explain { id } => {
            print!("{}", crate::explain::explain(&id)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::IamPolicy { checks } => {
            for id in &checks {
                if !sources::aws::calls::BY_CHECK.iter().any(|(c, _)| c == id) {
                    bail!("`{id}` is not an AWS check (see `vouch list checks`)");
                }
            }
            let ids: Vec<&str> = checks.iter().map(String::as_str).collect();
            print!(
                "{}",
                sources::aws::calls::iam_policy((!ids.is_empty()).then_some(ids.as_slice()))
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::List { what, format } => {
            let text = match (what, format) {
                (ListWhat::Checks, ListFormat::Text) => crate::explain::checks_text(),
                (ListWhat::Checks, ListFormat::Json) => crate::explain::checks_json(),
                (ListWhat::Checks, ListFormat::Markdown) => crate::explain::checks_markdown(),
                (ListWhat::Controls, ListFormat::Text) => crate::explain::controls_text(),
                (ListWhat::Controls, ListFormat::Json) => crate::explain::controls_json(),
                (ListWhat::Controls, ListFormat::Markdown) => crate::explain::controls_markdown(),
            };
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let root = &args.path;
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let (config_path, explicit) = match &args.config {
        Some(p) => (p.clone(), true),
        None => (root.join("vouch.toml"), false),
    };
    let settings = config::load(&config_path, explicit)?;
    let clock = clock::now()?;
    let selection = Selection {
        names: args.targets.clone(),
        all: args.all_targets,
    };
    let facts = collect(root, settings, &clock, &selection)?;
    if let Some(path) = &args.dump_facts {
        let json = serde_json::to_string_pretty(&facts).context("cannot serialize facts")?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    judge_and_write(&facts, &args.output)
}

/// The live targets `--target`/`--all-targets` asked for.
struct Selection {
    names: Vec<String>,
    all: bool,
}

impl Selection {
    fn wants(&self, name: &str) -> bool {
        self.all || self.names.iter().any(|n| n == name)
    }
}

/// Runs every source the configuration asks for.
fn collect(
    root: &Path,
    settings: checks::Settings,
    clock: &reports::Clock,
    selection: &Selection,
) -> Result<Facts> {
    for name in &selection.names {
        let known = settings.target.aws.iter().any(|t| &t.name == name)
            || settings.target.postgres.iter().any(|t| &t.name == name);
        if !known {
            bail!("--target {name}: no target named `{name}` in the configuration");
        }
    }
    let aws_targets: Vec<&checks::settings::AwsTarget> = settings
        .target
        .aws
        .iter()
        .filter(|t| selection.wants(&t.name))
        .collect();
    let aws = if aws_targets.is_empty() {
        Vec::new()
    } else {
        sources::aws::collect(&aws_targets, &settings.aws)
    };
    let aws_collections = aws.iter().map(|a| Collection {
        source: "aws".to_owned(),
        target: a.target.clone(),
        origin: if a.account_id.is_empty() {
            format!("aws target {}", a.target)
        } else {
            format!("aws account {}", a.account_id)
        },
        collected_at: clock.now.clone(),
        error: a.error.clone(),
    });
    let repo = sources::repo::collect(root);
    let mut facts = Facts {
        schema: FACTS_SCHEMA.to_owned(),
        settings,
        collections: vec![Collection {
            source: "repo".to_owned(),
            target: root.display().to_string(),
            origin: root.display().to_string(),
            collected_at: clock.now.clone(),
            error: None,
        }],
        repo: Some(repo),
        ..Facts::default()
    };
    facts
        .collections
        .extend(aws_collections.collect::<Vec<_>>());
    facts.aws = aws;
    Ok(facts)
}

fn judge_and_write(facts: &Facts, out: &OutputArgs) -> Result<ExitCode> {
    let clock = clock::now()?;
    let findings = checks::judge(facts);
    let report = Report::build(findings, catalog(), &facts.settings.waiver, VERSION, &clock);
    output::write_all(&report, &out.formats, &out.outputs)?;
    let gating = report.gating(out.fail_on.into()).count();
    Ok(if gating > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
