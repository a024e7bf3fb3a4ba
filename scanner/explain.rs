//! `vouch explain` and `vouch list`: the catalog and the checks' own docs, rendered.

use std::fmt::Write;

use anyhow::{Result, bail};
use checks::catalog::{Control, Mode, Strength, catalog};
use checks::{ALL, Check};
use reports::coverage;
use serde_json::json;

pub fn explain(id: &str) -> Result<String> {
    if let Some(check) = checks::find(id) {
        return Ok(explain_check(check));
    }
    if let Some(control) = catalog()
        .controls
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(id))
    {
        return Ok(explain_control(control));
    }
    let requirements = coverage::requirements_named(catalog(), id, None);
    if !requirements.is_empty() {
        return Ok(explain_requirements(&requirements));
    }
    bail!(
        "no check, control or framework requirement named `{id}`{} (see `vouch list checks`, `vouch list controls` and `vouch list frameworks`)",
        checks::did_you_mean(id)
    )
}

/// A framework requirement (`CC6.1`): the vouch controls mapped to it, how strongly, and the
/// checks serving them.
fn explain_requirements(requirements: &[coverage::Requirement]) -> String {
    let mut s = String::new();
    for r in requirements {
        let _ = writeln!(s, "# {} — {}\n", r.id, framework_name(&r.framework));
        let _ = writeln!(s, "## vouch controls mapped to it");
        for c in &r.controls {
            let strength = match c.strength {
                Strength::Verifies => "verifies it",
                Strength::Supports => "supports it",
            };
            let _ = writeln!(
                s,
                "- {} {} ({strength}; {})",
                c.id,
                c.title,
                mode_label_of(c.mode)
            );
            for k in &c.checks {
                if let Some(check) = checks::find(k) {
                    let _ = writeln!(
                        s,
                        "  - {k} ({}): {}",
                        check.meta().severity,
                        check.meta().title
                    );
                }
            }
        }
        s.push('\n');
    }
    s
}

fn framework_name(key: &str) -> String {
    catalog().framework(key).map_or_else(
        || key.to_owned(),
        |f| format!("{} {} (`{key}`)", f.name, f.version),
    )
}

fn mode_label_of(mode: Mode) -> &'static str {
    match mode {
        Mode::Checked => "checked",
        Mode::Manual => "manual: attested by people",
        Mode::Planned => "planned: no check yet",
    }
}

/// `vouch list frameworks`: each framework and how many of its requirements the catalog maps.
pub fn frameworks_text() -> String {
    let mut s = String::new();
    for f in &catalog().frameworks {
        let n = coverage::requirements(catalog(), &f.key, None).len();
        let _ = writeln!(
            s,
            "{:<16} {:>3} requirements mapped   {} {}",
            f.key, n, f.name, f.version
        );
    }
    s
}

pub fn frameworks_json() -> String {
    let list: Vec<_> = catalog()
        .frameworks
        .iter()
        .map(|f| {
            let ids: Vec<String> = coverage::requirements(catalog(), &f.key, None)
                .into_iter()
                .map(|r| r.id)
                .collect();
            json!({"key": f.key, "name": f.name, "version": f.version, "requirements": ids})
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
}

pub fn frameworks_markdown() -> String {
    let mut s =
        String::from("| Key | Framework | Version | Requirements mapped |\n|---|---|---|---|\n");
    for f in &catalog().frameworks {
        let n = coverage::requirements(catalog(), &f.key, None).len();
        let _ = writeln!(s, "| `{}` | {} | {} | {n} |", f.key, f.name, f.version);
    }
    s
}

/// `vouch coverage --framework ID`: per requirement, what backs it (and, with a report, its
/// state: verified, attested, supported, partial, failing, not covered).
pub fn coverage_text(framework: &str, report: Option<&reports::Report>) -> Result<String> {
    let f = coverage::find_framework(catalog(), framework).map_err(anyhow::Error::msg)?;
    let requirements = coverage::requirements(catalog(), &f.key, report);
    let mut s = format!("{} {} (`{}`)\n", f.name, f.version, f.key);
    let mut tally: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for r in &requirements {
        let state = r.coverage.map_or("mapped", coverage::Coverage::as_str);
        *tally.entry(state).or_default() += 1;
        let controls: Vec<String> = r
            .controls
            .iter()
            .map(|c| {
                let status = c.status.map_or_else(
                    || mode_label(c.mode).to_owned(),
                    |st| st.as_str().to_owned(),
                );
                let weak = if c.strength == Strength::Supports {
                    ", supports"
                } else {
                    ""
                };
                format!("{} ({status}{weak})", c.id)
            })
            .collect();
        let _ = writeln!(s, "{:<10} {:<12} {}", r.id, state, controls.join(", "));
    }
    let summary: Vec<String> = tally.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        s,
        "{} requirements mapped: {}",
        requirements.len(),
        summary.join(", ")
    );
    Ok(s)
}

fn mode_label(mode: Mode) -> &'static str {
    match mode {
        Mode::Checked => "checked",
        Mode::Manual => "manual",
        Mode::Planned => "planned",
    }
}

fn explain_check(check: &dyn Check) -> String {
    let m = check.meta();
    let mut s = String::new();
    let _ = writeln!(s, "# {} — {}\n", m.id, m.title);
    let _ = writeln!(
        s,
        "Severity: {}    Source: {}\n",
        m.severity,
        m.source.as_str()
    );
    s.push_str(&reports::render::check_help(check));
    s
}

fn explain_control(c: &Control) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} — {}\n", c.id, c.title);
    let _ = writeln!(s, "{}\n", c.objective);
    let serving = serving_checks(c);
    match c.mode {
        Mode::Manual => {
            let _ = writeln!(s, "Verified by people (attestation), not by a check.\n");
        }
        Mode::Planned => {
            let _ = writeln!(s, "No check yet: planned.\n");
        }
        Mode::Checked => {
            let _ = writeln!(s, "## Checks");
            for k in &serving {
                let _ = writeln!(
                    s,
                    "- {} ({}): {}",
                    k.meta().id,
                    k.meta().severity,
                    k.meta().title
                );
            }
            s.push('\n');
        }
    }
    let _ = writeln!(s, "## Framework references");
    write_references(&mut s, c);
    s
}

fn write_references(s: &mut String, c: &Control) {
    for (key, ids) in &c.frameworks {
        let name = catalog()
            .framework(key)
            .map_or_else(|| key.clone(), |f| format!("{} {}", f.name, f.version));
        let _ = writeln!(s, "- {name}: {}", ids.join(", "));
    }
}

fn serving_checks(c: &Control) -> Vec<&'static dyn Check> {
    ALL.iter()
        .copied()
        .filter(|k| k.meta().controls.contains(&c.id.as_str()))
        .collect()
}

pub fn checks_text() -> String {
    let mut s = String::new();
    for k in ALL {
        let m = k.meta();
        let _ = writeln!(
            s,
            "{:<34} {:<8} {:<9} {}",
            m.id,
            m.severity.as_str(),
            m.source.as_str(),
            m.title
        );
    }
    s
}

pub fn checks_json() -> String {
    let list: Vec<_> = ALL
        .iter()
        .map(|k| {
            let m = k.meta();
            json!({"id": m.id, "title": m.title, "severity": m.severity, "source": m.source, "controls": m.controls})
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
}

pub fn checks_markdown() -> String {
    let mut s = String::from(
        "| Check | Severity | Source | Controls | What it verifies |\n|---|---|---|---|---|\n",
    );
    for k in ALL {
        let m = k.meta();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            m.id,
            m.severity,
            m.source.as_str(),
            m.controls.join(", "),
            m.title
        );
    }
    s
}

pub fn controls_text() -> String {
    let mut s = String::new();
    for c in &catalog().controls {
        let _ = writeln!(s, "{:<7} {:<8} {}", c.id, mode_label(c.mode), c.title);
    }
    s
}

pub fn controls_json() -> String {
    serde_json::to_string_pretty(&catalog().controls).unwrap_or_default() + "\n"
}

pub fn controls_markdown() -> String {
    let mut s = String::from(
        "| Control | Title | Mode | Checks | CCM v4.0 | SOC 2 | ISO 27001:2022 | NIST 800-53 r5 |\n|---|---|---|---|---|---|---|---|\n",
    );
    for c in &catalog().controls {
        let refs = |k: &str| {
            c.frameworks
                .get(k)
                .map(|v| v.join(", "))
                .unwrap_or_default()
        };
        let checks: Vec<String> = serving_checks(c)
            .iter()
            .map(|k| format!("`{}`", k.meta().id))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            c.id,
            c.title,
            mode_label(c.mode),
            checks.join(" "),
            refs("ccm-4.0"),
            refs("soc2-2017"),
            refs("iso27001-2022"),
            refs("nist-800-53-r5")
        );
    }
    s
}
