//! The command line: `vouch scan`, `check`, `explain`, `list`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use checks::facts::FACTS_SCHEMA;
use checks::{Facts, Severity};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::output::{self, Format};
use crate::{clock, config, engine, sources};

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
vouch scan . --pack evidence/ --sign-key release.key   signed evidence pack\n  \
vouch scan . --all-targets                   also audit the live targets in vouch.toml\n  \
vouch verify evidence/ --key release.pub     re-check a pack byte for byte\n  \
vouch explain gha-action-pinned              why a check exists and how to fix it\n  vouch list checks --format markdown"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print no notes on stderr (errors and the report itself are still printed).
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also say on stderr what was read and written (sources, files, counts).
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
    /// Colour in text output: `auto` (a terminal without NO_COLOR), `always` or `never`.
    #[arg(long, value_enum, global = true, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a repository (and any live targets asked for) and judge it against every check.
    Scan(ScanArgs),
    /// Re-judge facts saved with `scan --dump-facts`, offline; the output is identical.
    Check(CheckArgs),
    /// Explain a check, a control or a framework requirement: why it matters, how to fix it,
    /// framework references; for a requirement (`CC6.1`), the controls and checks mapped to it.
    Explain {
        /// A check id (`gha-action-pinned`), control id (`SUP-05`) or framework requirement id
        /// (`CC6.1`, `AC-6`, `IVS-06`).
        id: String,
    },
    /// Per requirement of a framework: the vouch controls mapped to it and, with --report,
    /// whether it is verified, attested, only supported, partial, failing or not covered.
    Coverage {
        /// The framework: its key (`soc2-2017`) or a unique prefix (`soc2`, `nist`); see
        /// `vouch list frameworks`.
        #[arg(long, value_name = "ID")]
        framework: String,
        /// The report/v1 JSON to judge the requirements against.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Fill a questionnaire (CAIQ or any spreadsheet, .xlsx or .csv) from a report.
    Answer(crate::answer::AnswerArgs),
    /// Render the trust page (trust.html, trust.md): each public claim with what backs it.
    Trust(crate::trust_page::TrustArgs),
    /// Exit 1 when a published claim's controls fail or could not be verified.
    Gate(crate::trust_page::GateArgs),
    /// Print the minimal read-only IAM policy the AWS checks need (for `[[target.aws]]`).
    IamPolicy {
        /// Only for these checks (default: every AWS check).
        #[arg(long = "check", value_name = "ID")]
        checks: Vec<String>,
    },
    /// List the checks, the controls or the frameworks.
    List {
        #[arg(value_enum)]
        what: ListWhat,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Verify an evidence pack: hashes, signature, chain link, and that report.json follows from facts.json.
    ///
    /// Exit codes: 0 everything holds; 1 verification failed (each problem names its file); 2 it could not run.
    Verify(VerifyArgs),
    /// Write the generated reference (checks, controls, `vouch.toml` options, JSON schemas of
    /// `vouch.toml` and report/v1) into a directory, or with --check verify a committed copy.
    ///
    /// Exit codes: 0 written or current; 1 (with --check) a page is stale or missing.
    Docs {
        /// The reference directory (the repository keeps it in docs/reference).
        #[arg(long, value_name = "DIR", default_value = "docs/reference")]
        out: PathBuf,
        /// Compare instead of writing: name every page that differs from what this binary renders.
        #[arg(long)]
        check: bool,
    },
    /// Generate an ECDSA P-256 signing key pair in cosign's format: PREFIX.key and PREFIX.pub.
    ///
    /// The private key is encrypted with the password in VOUCH_KEY_PASSWORD (empty when unset, as cosign allows).
    Keygen {
        /// Path prefix of the two files.
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
    },
    /// Print a shell completion script: `vouch completions bash > /etc/bash_completion.d/vouch`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `vouch man > vouch.1 && man ./vouch.1`.
    Man,
    /// Write a commented starter vouch.toml from what the repository holds (migration sets,
    /// tenant columns, runtime roles, audit tables, Dockerfiles, workflows); never overwrites.
    Init {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct PackArgs {
    /// Also write an evidence pack into this directory (new, empty, or holding the previous
    /// pack, which is replaced; any other content is left alone and is an error).
    #[arg(long, value_name = "DIR")]
    pack: Option<PathBuf>,
    /// Sign the pack's MANIFEST.json with this cosign-format private key (password in VOUCH_KEY_PASSWORD).
    #[arg(long, value_name = "FILE", requires = "pack")]
    sign_key: Option<PathBuf>,
    /// The previous pack: its MANIFEST.json's sha256 is recorded, chaining packs over time.
    #[arg(long, value_name = "DIR", requires = "pack")]
    previous: Option<PathBuf>,
    /// Directory of handlebars templates (NAME.hbs) replacing the bundled ones, e.g. report.html.hbs.
    #[arg(long, value_name = "DIR", requires = "pack")]
    templates: Option<PathBuf>,
    /// Replace a signed pack already in the --pack directory (refused without it).
    #[arg(long, requires = "pack")]
    force: bool,
}

impl PackArgs {
    fn options(&self) -> Option<crate::pack::Options> {
        Some(crate::pack::Options {
            dir: self.pack.clone()?,
            sign_key: self.sign_key.clone(),
            previous: self.previous.clone(),
            templates: self.templates.clone(),
            force: self.force,
        })
    }

    /// The pack's directory, key and its password, previous pack and templates, checked
    /// before any scanning.
    fn preflight(&self) -> Result<()> {
        match self.options() {
            Some(options) => crate::pack::preflight(&options),
            None => Ok(()),
        }
    }
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The pack directory.
    dir: PathBuf,
    /// Public key (PEM, as written by `vouch keygen` or `cosign generate-key-pair`): the signature becomes required.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// The previous pack: check that this pack's manifest links to it.
    #[arg(long, value_name = "DIR")]
    previous: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// Output format; repeat for several (text, json, sarif, markdown, junit, github).
    #[arg(long = "format", short = 'f', value_enum, default_values_t = [Format::Text])]
    formats: Vec<Format>,
    /// Write the --format given just before this option to FILE (stdout when not given). With no
    /// --format at all, the format comes from FILE's extension (.json, .sarif, .md, .xml, .txt).
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    outputs: Vec<PathBuf>,
    /// Exit 1 when a finding at or above this severity failed or errored (`none`: never).
    #[arg(long, value_enum, default_value_t = Threshold::High)]
    fail_on: Threshold,
    /// Known problems: an earlier report.json or a file written by --write-baseline. Problems
    /// whose fingerprint is in it are `existing`, the rest `new`; only new ones gate (see --gate).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Also write this scan's problems as a baseline file (for a later --baseline).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// With a baseline: gate on `new` problems only (default) or on `all` of them.
    #[arg(long, value_enum, default_value_t = Gate::New)]
    gate: Gate,
    /// Keep passing findings in SARIF output (left out by default; code scanning ignores them).
    #[arg(long)]
    sarif_passes: bool,
    /// Leave results about live resources out of SARIF (by default they form a second run,
    /// category `vouch/live/`, so code scanning's file view holds only what points at code).
    #[arg(long)]
    sarif_files_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Gate {
    /// Only problems that are not in the baseline.
    New,
    /// Every problem, as without a baseline.
    All,
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// The repository to scan.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Configuration file (default: PATH/vouch.toml, optional).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Human attestations for manual controls (default: PATH/attestations.toml, optional).
    #[arg(long, value_name = "FILE")]
    attestations: Option<PathBuf>,
    /// Also probe this live HTTPS endpoint (TLS, certificate, headers); repeatable. Added to the
    /// configuration's `[[target.endpoint]]` list and selected.
    #[arg(long = "endpoint", value_name = "URL")]
    endpoints: Vec<String>,
    /// Also write everything collected (secrets redacted) to this JSON file.
    #[arg(long, value_name = "FILE")]
    dump_facts: Option<PathBuf>,
    /// Also audit this live target of vouch.toml (repeatable): a `[[target.postgres]]`,
    /// `[[target.aws]]`, `[[target.kube]]` or `[[target.image]]` name, or a `[[target.endpoint]]`
    /// URL. Selecting a kube or image target also verifies the images of collected workloads in
    /// their registries (`[image]`).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Also audit every live target of vouch.toml (endpoints included), and verify registry
    /// images (`[image]`). Without this, --target or --endpoint, no live target is contacted:
    /// vouch.toml describes targets, the command line selects them.
    #[arg(long, conflicts_with = "targets")]
    all_targets: bool,
    /// Judge the repository as it was at this git revision (read from git objects) too, and
    /// gate only on problems new since then: the pull-request mode (`--since origin/main`).
    #[arg(long, value_name = "REF", conflicts_with = "baseline")]
    since: Option<String>,
    /// Read only the repository's files and migrations: no endpoint probe, no live target, no
    /// registry request (the default without a selection, said explicitly: it refuses
    /// --target, --all-targets and --endpoint), for pre-commit hooks and offline runs.
    #[arg(long, conflicts_with_all = ["targets", "all_targets", "endpoints"])]
    static_only: bool,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    pack: PackArgs,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Facts written by `vouch scan --dump-facts`.
    #[arg(long, value_name = "FILE")]
    facts: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    pack: PackArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Threshold {
    Low,
    Medium,
    High,
    Critical,
    /// Report without gating: exit 0 whatever failed.
    None,
}

impl Threshold {
    /// The lowest severity that gates, or `None` when nothing does.
    fn severity(self) -> Option<Severity> {
        match self {
            Threshold::Low => Some(Severity::Low),
            Threshold::Medium => Some(Severity::Medium),
            Threshold::High => Some(Severity::High),
            Threshold::Critical => Some(Severity::Critical),
            Threshold::None => None,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListWhat {
    Checks,
    Controls,
    Frameworks,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
    Markdown,
}

pub fn main() -> ExitCode {
    // rustls picks its process-wide crypto provider from crate features, and fails when both
    // ring (ours) and aws-lc-rs (enabled by the sigstore/webpki dependencies) are compiled in.
    // Clients that do not take an explicit provider (kube's) use this one. An Err only means
    // one is already installed. rustls 0.23.48 deprecates the ring provider (no post-quantum key
    // exchange) without a replacement for ring; the allow keeps `cargo update` from breaking
    // `clippy -D warnings` without changing the provider.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Parsed through ArgMatches to keep the command-line order of --format and --output.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    crate::notes::set(cli.quiet, cli.verbose);
    let order = match matches.subcommand() {
        Some(("scan" | "check", m)) => OutputOrder::of(m),
        _ => OutputOrder::default(),
    };
    // The one tokio runtime of the process: every source runs on it (see crate::engine).
    let outcome = crate::engine::runtime().and_then(|rt| rt.block_on(run(cli, &order)));
    match outcome {
        Ok(code) => code,
        Err(e) => {
            // A configuration with several errors: each on its own line, all at once.
            match e.downcast_ref::<config::Errors>() {
                Some(errors) => {
                    for line in &errors.0 {
                        eprintln!("vouch: error: {}", one_line(&anyhow::anyhow!("{line}")));
                    }
                }
                None => eprintln!("vouch: error: {}", one_line(&e)),
            }
            ExitCode::from(2)
        }
    }
}

/// `outer: inner: cause` on one line, secrets redacted.
fn one_line(e: &anyhow::Error) -> String {
    let line = e
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
        .replace(['\n', '\r'], " ");
    checks::redact::Redactor::default().text(&line).into_owned()
}

/// Command-line positions of the `--format` and `--output` values.
#[derive(Debug, Default)]
struct OutputOrder {
    formats: Vec<usize>,
    outputs: Vec<usize>,
}

impl OutputOrder {
    fn of(m: &ArgMatches) -> Self {
        let indices = |id: &str| -> Vec<usize> {
            if m.value_source(id) == Some(clap::parser::ValueSource::CommandLine) {
                m.indices_of(id).map(Iterator::collect).unwrap_or_default()
            } else {
                Vec::new()
            }
        };
        OutputOrder {
            formats: indices("formats"),
            outputs: indices("outputs"),
        }
    }

    /// Where each format goes. A default format (not on the command line) sorts first; with
    /// files but no format on the command line, each file's extension names its format.
    fn plan(&self, args: &OutputArgs) -> Result<Vec<output::Destination>> {
        if self.formats.is_empty() && !args.outputs.is_empty() {
            return output::infer(&args.outputs);
        }
        let at = |positions: &[usize], i: usize| positions.get(i).copied().unwrap_or(0);
        let formats: Vec<_> = (args.formats.iter().enumerate())
            .map(|(i, f)| (at(&self.formats, i), *f))
            .collect();
        let outputs: Vec<_> = (args.outputs.iter().enumerate())
            .map(|(i, p)| (at(&self.outputs, i), p.clone()))
            .collect();
        output::pair(&formats, &outputs)
    }
}

async fn run(cli: Cli, order: &OutputOrder) -> Result<ExitCode> {
    let color = cli.color.choice();
    match cli.command {
        Command::Scan(args) => scan(&args, order, color).await,
        Command::Check(args) => {
            let text = crate::bounded::read_text(&args.facts, crate::bounded::REPORT_MAX)
                .with_context(|| format!("cannot read facts {}", args.facts.display()))?;
            let mut facts: Facts = serde_json::from_str(&text).map_err(|e| {
                let cause = checks::redact::ParseError::json(&e);
                anyhow::anyhow!(
                    "{} is not a vouch facts file: {cause}",
                    args.facts.display()
                )
            })?;
            checks::redact::Redactor::default()
                .facts(&mut facts)
                .map_err(|e| anyhow::anyhow!("cannot redact the facts: {e}"))?;
            if facts.schema != FACTS_SCHEMA {
                bail!(
                    "{} has schema {:?}, expected {FACTS_SCHEMA:?}",
                    args.facts.display(),
                    facts.schema
                );
            }
            // The saved settings get the validation a scan gives vouch.toml: an edited facts
            // file must not bring a waiver that never expires or a glob that matches nothing.
            // Resolved once, they are what the facts are judged with.
            let options = match facts.settings.resolve() {
                Ok(options) => options,
                Err(errors) => {
                    let shown = args.facts.display().to_string();
                    let lines = errors
                        .into_iter()
                        .map(|e| format!("{shown}: settings.{}: {}", e.at, e.message));
                    return Err(config::Errors(lines.collect()).into());
                }
            };
            let plan = order.plan(&args.output)?;
            let baseline = read_baseline(&args.output)?;
            args.pack.preflight()?;
            let started = clock::now()?;
            judge_and_write(
                (&facts, &options),
                &args.output,
                &plan,
                &args.pack,
                &started,
                baseline.as_ref(),
                color,
            )
        }
        Command::Answer(args) => {
            crate::answer::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Trust(args) => {
            crate::trust_page::trust(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Gate(args) => crate::trust_page::gate(&args),
        Command::Explain { id } => {
            crate::out!("{}", crate::explain::explain(&id)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Coverage { framework, report } => {
            let report = match &report {
                Some(path) => Some(crate::evidence::load_report(path)?.0),
                None => None,
            };
            crate::out!(
                "{}",
                crate::explain::coverage_text(&framework, report.as_ref())?
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::IamPolicy { checks } => {
            for id in &checks {
                if !sources::aws::calls::BY_CHECK.iter().any(|(c, _)| c == id) {
                    bail!(
                        "`{id}` is not an AWS check{} (see `vouch list checks`)",
                        checks::did_you_mean(id)
                    );
                }
            }
            let ids: Vec<&str> = checks.iter().map(String::as_str).collect();
            crate::out!(
                "{}",
                sources::aws::calls::iam_policy((!ids.is_empty()).then_some(ids.as_slice()))
            )?;
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
                (ListWhat::Frameworks, ListFormat::Text) => crate::explain::frameworks_text(),
                (ListWhat::Frameworks, ListFormat::Json) => crate::explain::frameworks_json(),
                (ListWhat::Frameworks, ListFormat::Markdown) => {
                    crate::explain::frameworks_markdown()
                }
            };
            crate::out!("{text}")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(args) => verify(&args),
        Command::Docs { out, check } => {
            if check {
                if let Err(e) = crate::reference::check(&out) {
                    eprintln!("vouch: {e:#}");
                    return Ok(ExitCode::from(1));
                }
                crate::outln!("{}: current", out.display())?;
            } else {
                crate::reference::write(&out)?;
                crate::outln!("wrote the reference into {}", out.display())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "vouch", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { path } => {
            let (written, d) = crate::init::init(&path)?;
            crate::outln!(
                "wrote {}: {} migration set(s), tenant columns [{}], runtime roles [{}], audit tables [{}], {} Dockerfile(s), {} workflow(s); review it, then run `vouch scan`",
                written.display(),
                d.migration_sets.len(),
                (d.tenant_columns.iter())
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                d.runtime_roles.join(", "),
                d.audit_tables.join(", "),
                d.dockerfiles.len(),
                d.workflows.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .context("cannot write the manual page")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { out } => {
            let (key, public) = crate::pack::sign::keygen(&out)?;
            crate::outln!("wrote {} and {}", key.display(), public.display())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let outcome = crate::pack::verify::verify(&crate::pack::verify::Request {
        dir: &args.dir,
        key: args.key.as_deref(),
        previous: args.previous.as_deref(),
    })?;
    for line in &outcome.ok {
        crate::outln!("ok    {line}")?;
    }
    for line in &outcome.notes {
        crate::outln!("note  {line}")?;
    }
    for line in &outcome.problems {
        crate::outln!("FAIL  {line}")?;
    }
    if outcome.problems.is_empty() {
        crate::outln!("verified: {}", args.dir.display())?;
        Ok(ExitCode::SUCCESS)
    } else {
        crate::outln!(
            "NOT verified: {} problem(s) in {}",
            outcome.problems.len(),
            args.dir.display()
        )?;
        Ok(ExitCode::from(1))
    }
}

async fn scan(
    args: &ScanArgs,
    order: &OutputOrder,
    color: anstream::ColorChoice,
) -> Result<ExitCode> {
    // Usage errors surface before any work is done.
    let plan = order.plan(&args.output)?;
    let root = &args.path;
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let (config_path, explicit) = match &args.config {
        Some(p) => (p.clone(), true),
        None => (root.join("vouch.toml"), false),
    };
    // `--endpoint` URLs join the configured targets and get the same validation (e.g. no
    // credentials); the settings are resolved once, here, for the whole scan.
    let config::Loaded { settings, options } =
        config::load_with_endpoints(&config_path, explicit, &args.endpoints)?;
    let attestations = match &args.attestations {
        Some(p) => config::load_attestations(p, true)?,
        None => config::load_attestations(&root.join("attestations.toml"), false)?,
    };
    let baseline = read_baseline(&args.output)?;
    args.pack.preflight()?;
    let clock = clock::now()?;
    // `--endpoint URL` asks for that endpoint to be probed, as `--target` would.
    let mut names = args.targets.clone();
    names.extend(args.endpoints.iter().cloned());
    let selection = engine::Selection {
        names,
        all: args.all_targets,
        static_only: args.static_only,
    };
    // The revision is read before anything live is contacted: a bad REF stops the scan early.
    let since = match &args.since {
        Some(rev) => Some(baseline_since(root, rev, &settings, &options, &clock).await?),
        None => None,
    };
    let baseline = since.or(baseline);
    let mut facts = engine::collect(root, settings, &options, &selection, &clock.now).await?;
    facts.attestations = attestations;
    // The one redaction pass: nothing collected reaches a dump, a report or a pack without it.
    checks::redact::Redactor::for_root(&root_spellings(root))
        .facts(&mut facts)
        .map_err(|e| anyhow::anyhow!("cannot redact the collected facts: {e}"))?;
    // Judged with the settings as the facts hold them, redacted: what a waiver says reaches
    // the report only through the redaction pass, and the keys that name a target (an endpoint
    // URL with a `?key=` parameter) match the redacted targets the facts carry. `check --facts`
    // and `verify` resolve the same settings, so they re-judge to the same report.
    let judged = facts.settings.resolve().map_err(|errors| {
        let lines = errors
            .into_iter()
            .map(|e| format!("the redacted settings: {}: {}", e.at, e.message));
        anyhow::Error::from(config::Errors(lines.collect()))
    })?;
    if let Some(path) = &args.dump_facts {
        let json = serde_json::to_string_pretty(&facts).context("cannot serialize facts")?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    judge_and_write(
        (&facts, &judged),
        &args.output,
        &plan,
        &args.pack,
        &clock,
        baseline.as_ref(),
        color,
    )
}

/// A baseline and the words that describe where it came from.
type SourcedBaseline = (reports::Baseline, String);

/// `--baseline FILE`, read and checked before any scanning.
fn read_baseline(out: &OutputArgs) -> Result<Option<SourcedBaseline>> {
    let Some(path) = &out.baseline else {
        return Ok(None);
    };
    // A report.json can be large, but never unbounded, and a FIFO must not hang the gate.
    let text = crate::bounded::read_text(path, crate::bounded::REPORT_MAX)
        .map_err(|e| anyhow::anyhow!("--baseline {}: cannot be read: {e}", path.display()))?;
    let baseline = reports::Baseline::parse(&text)
        .map_err(|why| anyhow::anyhow!("--baseline {}: {why}", path.display()))?;
    Ok(Some((baseline, format!("file {}", path.display()))))
}

/// `--since REF`: the repository at REF judged with the same settings and checks (repository
/// sources only: live targets have no past state to read).
async fn baseline_since(
    root: &Path,
    rev: &str,
    settings: &checks::Settings,
    options: &checks::resolve::Resolved,
    clock: &reports::Clock,
) -> Result<SourcedBaseline> {
    let snapshot = crate::since::checkout(root, rev)?;
    let facts = engine::collect_judged_at(
        &[&sources::repo::Repository],
        snapshot.dir.path(),
        settings.clone(),
        options,
        &engine::Selection::default(),
        &clock.now,
        &crate::clock::real_now(),
    )
    .await?;
    let report = engine::judge(&facts, options, clock);
    Ok((reports::Baseline::of(&report), snapshot.label))
}

/// The absolute spellings of the scanned root (as given, from the working directory, and
/// canonical), which the redaction pass turns into relative paths.
fn root_spellings(root: &Path) -> Vec<String> {
    let mut spellings = vec![root.display().to_string()];
    if let Ok(cwd) = std::env::current_dir() {
        spellings.push(cwd.join(root).display().to_string());
    }
    if let Ok(canonical) = std::fs::canonicalize(root) {
        spellings.push(canonical.display().to_string());
    }
    spellings
}

/// Judges the facts with their resolved settings, writes the outputs and the pack.
fn judge_and_write(
    (facts, options): (&Facts, &checks::resolve::Resolved),
    out: &OutputArgs,
    plan: &[output::Destination],
    pack: &PackArgs,
    started: &reports::Clock,
    baseline: Option<&SourcedBaseline>,
    color: anstream::ColorChoice,
) -> Result<ExitCode> {
    let clock = clock::now()?;
    let report = engine::judge(facts, options, &clock);
    if let Some(path) = &out.write_baseline {
        std::fs::write(path, reports::Baseline::of(&report).to_json())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    // The pack holds the report as judged from the facts (what `vouch verify` re-derives); the
    // baseline comparison is a view for the gate and the outputs.
    let mut shown = report.clone();
    if let Some((baseline, source)) = baseline {
        shown.apply_baseline(baseline, source);
    }
    let options = output::RenderOptions {
        color: false,
        sarif_passes: out.sarif_passes,
        sarif_files_only: out.sarif_files_only,
    };
    output::write_all(&shown, plan, options, color)?;
    if let Some(options) = pack.options() {
        let finished = clock::now()?;
        let written = crate::pack::write(
            &options,
            facts,
            &report,
            &clock,
            &started.now,
            &finished.now,
        )?;
        crate::notes::note(format_args!(
            "evidence pack written to {} ({} files, {})",
            options.dir.display(),
            written.len(),
            match &options.sign_key {
                Some(key) => format!("signed with {}", key.display()),
                None => "unsigned".to_owned(),
            }
        ));
    }
    let gating = match (out.fail_on.severity(), out.gate) {
        (None, _) => 0,
        (Some(threshold), Gate::New) => shown.gating_new(threshold).count(),
        (Some(threshold), Gate::All) => shown.gating(threshold).count(),
    };
    Ok(if gating > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
