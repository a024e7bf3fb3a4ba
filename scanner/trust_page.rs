//! `vouch trust` (render the trust page) and `vouch gate` (fail when a published claim is
//! contradicted by the evidence).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use reports::trust::{self, ClaimState, ClaimsFile, TrustPage};

use crate::{evidence, templates};

#[derive(Debug, clap::Args)]
pub struct TrustArgs {
    /// The company's public claims, each bound to controls.
    #[arg(long, value_name = "FILE")]
    claims: PathBuf,
    /// The report/v1 JSON that backs them.
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// Directory to write trust.html and trust.md into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Directory whose trust.html.hbs / trust.md.hbs replace the bundled templates.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GateArgs {
    #[arg(long, value_name = "FILE")]
    claims: PathBuf,
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// Also fail when a claim is only partly verified or unverified, not just contradicted, or
    /// when its wording names a topic (HSTS, SBOM, row-level security…) that none of its checks
    /// verifies (the keyword table is in docs/guide/questionnaires.md).
    #[arg(long)]
    strict: bool,
}

pub fn trust(args: &TrustArgs) -> Result<()> {
    let page = evaluate(&args.claims, &args.report)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let escapes = [
        ("trust.html", reports::render::templates::Escape::Html),
        ("trust.md", reports::render::templates::Escape::Markdown),
    ];
    for (name, escape) in escapes {
        let template_name = format!("{name}.hbs");
        let template = templates::load(&template_name, args.templates.as_deref())?;
        let text =
            reports::render::templates::render_escaped(&template_name, &template, &page, escape)
                .map_err(anyhow::Error::msg)?;
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let c = &page.counts;
    crate::outln!(
        "{} claims: {} verified, {} attested, {} partly verified, {} unverified, {} failing",
        page.claims.len(),
        c.verified,
        c.attested,
        c.partly_verified,
        c.unverified,
        c.failing
    )?;
    Ok(())
}

pub fn gate(args: &GateArgs) -> Result<ExitCode> {
    let page = evaluate(&args.claims, &args.report)?;
    let blocking = |s: ClaimState| {
        s == ClaimState::Failing
            || (args.strict && matches!(s, ClaimState::PartlyVerified | ClaimState::Unverified))
    };
    let mut failed = 0;
    for claim in &page.claims {
        if blocking(claim.state) {
            failed += 1;
            let why: Vec<String> = claim
                .controls
                .iter()
                .filter(|v| !v.holds())
                .map(|v| format!("{}{} is {}", v.id, scope_note(v), v.status.as_str()))
                .collect();
            crate::outln!(
                "claim `{}` is {:?}: {}",
                claim.id,
                claim.state,
                why.join(", ")
            )?;
        }
        if args.strict && !claim.unbacked_terms.is_empty() {
            failed += 1;
            crate::outln!(
                "claim `{}` names {} but none of its checks verifies that (bind it to a check that does, or reword it)",
                claim.id,
                claim.unbacked_terms.join(", ")
            )?;
        }
    }
    if failed == 0 {
        crate::outln!("all {} published claims hold", page.claims.len())?;
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(1))
}

/// ` (only http-hsts)` / ` (without http-security-headers)` for a claim bound to part of a control.
fn scope_note(v: &reports::view::ControlView) -> String {
    if !v.only.is_empty() {
        format!(" (only {})", v.only.join(", "))
    } else if !v.excluded.is_empty() {
        format!(" (without {})", v.excluded.join(", "))
    } else {
        String::new()
    }
}

fn evaluate(claims_path: &Path, report_path: &Path) -> Result<TrustPage> {
    let claims = load_claims(claims_path)?;
    let (report, evidence) = evidence::load_report(report_path)?;
    Ok(trust::evaluate(&claims, &report, evidence))
}

fn load_claims(path: &Path) -> Result<ClaimsFile> {
    let text = crate::bounded::read_text(path, crate::bounded::CONFIG_MAX)
        .with_context(|| format!("cannot read claims {}", path.display()))?;
    let claims: ClaimsFile = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message().replace('\n', " ")))?;
    if let Some(problem) = claims.problems().into_iter().next() {
        bail!("{}: {problem}", path.display());
    }
    if claims.claim.is_empty() {
        bail!("{} has no [[claim]] entries", path.display());
    }
    Ok(claims)
}
