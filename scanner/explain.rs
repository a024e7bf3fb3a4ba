//! `vouch explain` and `vouch list`: the catalog and the checks' own docs, rendered.

use std::fmt::Write;

use anyhow::{Result, bail};
use checks::catalog::{Control, Mode, catalog};
use checks::{ALL, Check};
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
    bail!(
        "no check or control named `{id}`{} (see `vouch list checks` and `vouch list controls`)",
        checks::did_you_mean(id)
    )
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
    let _ = writeln!(s, "{}\n", m.docs.trim());
    let _ = writeln!(s, "## Controls");
    for id in m.controls {
        if let Some(c) = catalog().control(id) {
            let _ = writeln!(s, "- {} {}", c.id, c.title);
            write_references(&mut s, c, "  ");
        }
    }
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
    write_references(&mut s, c, "");
    s
}

fn write_references(s: &mut String, c: &Control, indent: &str) {
    for (key, ids) in &c.frameworks {
        let name = catalog()
            .framework(key)
            .map_or_else(|| key.clone(), |f| format!("{} {}", f.name, f.version));
        let _ = writeln!(s, "{indent}- {name}: {}", ids.join(", "));
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

fn mode_label(c: &Control) -> &'static str {
    match c.mode {
        Mode::Checked => "checked",
        Mode::Manual => "manual",
        Mode::Planned => "planned",
    }
}

pub fn controls_text() -> String {
    let mut s = String::new();
    for c in &catalog().controls {
        let _ = writeln!(s, "{:<7} {:<8} {}", c.id, mode_label(c), c.title);
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
            mode_label(c),
            checks.join(" "),
            refs("ccm-4.0"),
            refs("soc2-2017"),
            refs("iso27001-2022"),
            refs("nist-800-53-r5")
        );
    }
    s
}
