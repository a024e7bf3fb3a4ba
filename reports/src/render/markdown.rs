//! Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
//!
//! The renderer does not know the gate threshold, so the headline states counts by status; the
//! table lists what needs attention (failures, errors, waived findings) by severity. Output stays
//! under GitHub's 65,536-character comment limit: tables are cut with a note when they would not
//! fit.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::baseline::BaselineState;
use crate::model::{ControlStatus, FindingStatus, Report, ReportFinding, WaiverState};
use crate::suppress::SuppressionState;

/// GitHub rejects comments over 65,536 characters; keep a margin for the truncation notes.
pub const MAX_CHARS: usize = 60_000;

pub fn render(report: &Report) -> String {
    render_within(report, MAX_CHARS)
}

/// Renders the report in at most about `budget` characters (notes of what was cut included).
pub fn render_within(report: &Report, budget: usize) -> String {
    let mut out = headline(report);
    let attention = attention_rows(report);
    let waivers = waiver_section(report);
    let controls = controls_rows(report);

    // Findings first, then waivers, then controls: each table gets what the earlier ones left.
    let reserve = waivers.len() + CONTROLS_MIN;
    if !attention.is_empty() {
        if report.baseline.is_some() {
            out.push_str(
                "\n| Baseline | Severity | Status | Check | Subject | Location | Message |\n",
            );
            out.push_str("|---|---|---|---|---|---|---|\n");
        } else {
            out.push_str("\n| Severity | Status | Check | Subject | Location | Message |\n");
            out.push_str("|---|---|---|---|---|---|\n");
        }
        let room = budget.saturating_sub(out.len() + reserve);
        push_rows(&mut out, &attention, room, "findings");
    }
    out.push_str(&waivers);
    if !controls.is_empty() {
        let _ = write!(
            out,
            "\n<details><summary>Controls: {}</summary>\n\n",
            control_counts(report)
        );
        out.push_str("| Control | Status | Title | Framework references |\n");
        out.push_str("|---|---|---|---|\n");
        let room = budget.saturating_sub(out.len() + CLOSING.len());
        push_rows(&mut out, &controls, room, "controls");
        out.push_str(CLOSING);
    }
    out
}

/// Room kept for the controls table's header and a truncation note.
const CONTROLS_MIN: usize = 400;
const CLOSING: &str = "\n</details>\n";

fn headline(report: &Report) -> String {
    let s = report.summary;
    let mark = if s.fail + s.error > 0 { "❌" } else { "✅" };
    let mut out = format!(
        "## {mark} vouch: {} failed, {} errors, {} waived, {} passed\n",
        s.fail, s.error, s.waived, s.pass
    );
    let _ = writeln!(
        out,
        "\n<sub>{} {} · {} · {}</sub>",
        report.tool.name,
        cell(&report.tool.version),
        cell(&report.generated_at),
        report.schema
    );
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "\n**{} new** since baseline {}; {} existing ({} unchanged, {} updated); {} fixed.",
            b.new,
            cell(&b.source),
            b.existing(),
            b.unchanged,
            b.updated,
            b.absent
        );
    }
    out.push_str(&provenance_lines(report));
    if s.fail + s.error + s.waived == 0 {
        out.push_str("\nNothing failed or needs attention.\n");
    }
    out
}

fn baseline_label(state: Option<BaselineState>) -> &'static str {
    match state {
        Some(BaselineState::New) => "🆕 new",
        Some(BaselineState::Unchanged) => "existing",
        Some(BaselineState::Updated) => "existing (updated)",
        Some(BaselineState::Absent) => "fixed",
        None => "",
    }
}

/// The repository, the live targets, what was left out and every severity override.
fn provenance_lines(report: &Report) -> String {
    let mut out = String::new();
    let Some(p) = &report.provenance else {
        return out;
    };
    let mut about: Vec<String> = [&p.organisation, &p.system]
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| cell(n))
        .collect();
    if let Some(repo) = &p.repository {
        about.push(cell(&super::repository_line(repo)));
    }
    if !p.targets.is_empty() {
        let targets: Vec<String> = (p.targets.iter())
            .map(|t| format!("{} {}", t.source, cell(&t.target)))
            .collect();
        about.push(format!("live: {}", targets.join(", ")));
    }
    if !report.scope.excluded.is_empty() {
        about.push(format!(
            "{} path(s) not judged (scope.excluded)",
            report.scope.excluded.len()
        ));
    }
    if !about.is_empty() {
        let _ = writeln!(out, "\n<sub>{}</sub>", about.join(" · "));
    }
    for o in &report.scope.severity_overrides {
        let _ = writeln!(
            out,
            "\n⚠️ `[severity]` sets `{}` to {} (its own severity: {})",
            o.check, o.configured, o.default
        );
    }
    for n in &report.scope.narrowed {
        let _ = writeln!(out, "\n⚠️ `{}`: {}", n.setting, cell(&n.effect));
    }
    out
}

/// Failing, erroring and waived findings, most severe first.
fn attention_rows(report: &Report) -> Vec<String> {
    let mut shown: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| f.status != FindingStatus::Pass)
        .collect();
    shown.sort_by_key(|f| super::baseline_then_severity_order(f));
    shown
        .into_iter()
        .map(|f| {
            let mut message = cell(&f.message);
            if let Some((w, at)) = f
                .waiver
                .as_ref()
                .and_then(|w| Some((w, w.inline.as_ref()?)))
            {
                let _ = write!(
                    message,
                    "<br>**suppressed inline** at {}: {}",
                    cell(&at.to_string()),
                    cell(&w.reason)
                );
            } else if let Some(w) = &f.waiver {
                let _ = write!(
                    message,
                    "<br>**waived** until {} by {}: {}",
                    cell(&w.expires),
                    cell(&w.approved_by),
                    cell(&w.reason)
                );
                if !w.ticket.is_empty() {
                    let _ = write!(message, " ({})", cell(&w.ticket));
                }
            }
            let state = if report.baseline.is_some() {
                format!("| {} ", baseline_label(f.baseline_state))
            } else {
                String::new()
            };
            if let Some(default) = f.severity_overridden_from {
                let _ = write!(
                    message,
                    "<br>severity set by `[severity]`; the check's own is {default}"
                );
            }
            format!(
                "{state}| {} | {} | `{}` | {} | {} | {} |\n",
                f.severity,
                status_label(f.status),
                f.check,
                cell(&f.subject),
                cell(&f.location.to_string()),
                message
            )
        })
        .collect()
}

fn status_label(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::Fail => "❌ fail",
        FindingStatus::Error => "⚠️ error",
        FindingStatus::Waived => "💤 waived",
        FindingStatus::Pass => "✅ pass",
    }
}

/// Inline suppressions that did not apply, and what the configuration left out of the scan.
fn suppressions_and_scope(report: &Report) -> String {
    let mut out = String::new();
    let troubled: Vec<_> = report
        .suppressions
        .iter()
        .filter(|s| s.state != SuppressionState::Applied)
        .collect();
    if !troubled.is_empty() {
        out.push_str(
            "\n### Inline suppressions not applied\n\n| Where | Checks | Why |\n|---|---|---|\n",
        );
        for s in troubled {
            let why = if s.state == SuppressionState::Invalid {
                format!("⚠️ invalid: {}", cell(&s.problem))
            } else {
                "unused: matched no failure".to_owned()
            };
            let _ = writeln!(
                out,
                "| {}:{} | {} | {why} |",
                cell(&s.path),
                s.line,
                cell(&s.checks.join(", "))
            );
        }
    }
    let scope = &report.scope;
    if !(scope.excluded_paths.is_empty() && scope.disabled_checks.is_empty()) {
        out.push_str("\n**Scope:**");
        if !scope.excluded_paths.is_empty() {
            let _ = write!(
                out,
                " paths excluded: {};",
                cell(&scope.excluded_paths.join(", "))
            );
        }
        if !scope.disabled_checks.is_empty() {
            let _ = write!(
                out,
                " checks disabled: {};",
                cell(&scope.disabled_checks.join(", "))
            );
        }
        out.push('\n');
    }
    out
}

fn waiver_section(report: &Report) -> String {
    let extra = suppressions_and_scope(report);
    if report.waivers.is_empty() {
        return extra;
    }
    let mut out = String::from(
        "\n### Waivers\n\n| State | Check | Subject | Expires | Approved by | Matched | Reason |\n|---|---|---|---|---|---|---|\n",
    );
    for w in &report.waivers {
        let state = match w.state {
            WaiverState::Active => "active",
            WaiverState::Expired => "⚠️ **expired**: no longer applies",
            WaiverState::Unused => "unused: matched no failure",
        };
        let mut reason = cell(&w.reason);
        if !w.ticket.is_empty() {
            let _ = write!(reason, " ({})", cell(&w.ticket));
        }
        let mut subject = cell(&w.subject);
        if !w.path.is_empty() {
            let _ = write!(subject, " (path {})", cell(&w.path));
        }
        let _ = writeln!(
            out,
            "| {state} | `{}` | {subject} | {} | {} | {} | {reason} |",
            cell(&w.check),
            cell(&w.expires),
            cell(&w.approved_by),
            w.matched
        );
    }
    out.push_str(&extra);
    out
}

fn controls_rows(report: &Report) -> Vec<String> {
    report
        .controls
        .iter()
        .map(|c| {
            let refs: Vec<String> = c
                .frameworks
                .iter()
                .map(|(key, ids)| format!("{key}: {}", ids.join(", ")))
                .collect();
            format!(
                "| {} | {} | {} | {} |\n",
                c.id,
                control_label(c.status),
                cell(&c.title),
                cell(&refs.join("; "))
            )
        })
        .collect()
}

/// `1 fail, 3 pass, 20 planned`, in the order of [`ControlStatus`].
fn control_counts(report: &Report) -> String {
    let mut counts: BTreeMap<ControlStatus, usize> = BTreeMap::new();
    for c in &report.controls {
        *counts.entry(c.status).or_default() += 1;
    }
    counts
        .iter()
        .map(|(status, n)| format!("{n} {}", status.as_str().replace('_', " ")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn control_label(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Pass => "✅ pass",
        ControlStatus::Fail => "❌ fail",
        ControlStatus::Error => "⚠️ error",
        ControlStatus::NotTested => "not tested",
        ControlStatus::Manual => "manual",
        ControlStatus::Attested => "attested",
        ControlStatus::Planned => "planned",
    }
}

/// Appends rows while they fit in `room` characters; the rest is replaced by one note.
fn push_rows(out: &mut String, rows: &[String], room: usize, what: &str) {
    let note_room = 120;
    let mut used = 0;
    for (i, row) in rows.iter().enumerate() {
        if used + row.len() + note_room > room {
            let _ = writeln!(
                out,
                "\n_… {} more {what} not shown to stay within GitHub's comment limit; see the JSON or SARIF report._",
                rows.len() - i
            );
            return;
        }
        out.push_str(row);
        used += row.len();
    }
}

/// Makes text safe inside a table cell; see [`escape_inline`].
fn cell(text: &str) -> String {
    escape_inline(text.trim())
}

/// Zero-width space: breaks an `@mention` or an autolink without changing what a reader sees.
const BREAK: char = '\u{200b}';

/// Makes scanned text (file, image and workload names, messages quoting them) inert in GitHub
/// Markdown: pipes escaped, line breaks kept as `<br>`, HTML special characters neutralised
/// (no raw HTML), the punctuation that makes links, images and emphasis escaped
/// (`[x](u)`, `![](u)`), `@mentions` and bare-URL autolinks broken by a zero-width space, and
/// control and bidirectional-override characters replaced so it cannot drive a terminal.
pub fn escape_inline(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => s.push_str("\\|"),
            '\n' => s.push_str("<br>"),
            '\r' => {}
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '&' => s.push_str("&amp;"),
            // Backticks stay: a code span only makes text more inert, and checks quote
            // values in them (`pinned to tag \`v4\``).
            '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '!' | '#' | '~' | '$' => {
                s.push('\\');
                s.push(c);
            }
            // A mention starts at `@` not preceded by a word character (GitHub's rule), so
            // `actions/checkout@v4` and `a@b.example` read as they are.
            '@' => {
                s.push('@');
                if !prev.is_some_and(|p| p.is_alphanumeric() || p == '_') {
                    s.push(BREAK);
                }
            }
            // `https://…` and `www.…` become links even without brackets (GFM autolinks).
            ':' if chars.peek() == Some(&'/') => {
                s.push(':');
                s.push(BREAK);
            }
            '.' if s.to_ascii_lowercase().ends_with("www") => {
                s.push(BREAK);
                s.push('.');
            }
            c if is_unsafe_char(c) => s.push('\u{fffd}'),
            _ => s.push(c),
        }
        prev = Some(c);
    }
    s
}

/// Control characters, and the Unicode ones that reorder or split what is displayed (bidi
/// overrides and isolates, line and paragraph separators).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample::{
        sample_report, sample_report_with_copies, sample_report_with_one_new_problem,
    };

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn cells_escape_pipes_newlines_and_markup() {
        assert_eq!(cell("a | b\nc <x>"), "a \\| b<br>c &lt;x&gt;");
        assert_eq!(cell("a\x1b[2Jb"), "a\u{fffd}\\[2Jb");
    }

    #[test]
    fn scanned_names_cannot_make_links_images_html_or_mentions() {
        let hostile = "docs/[click](https://evil.example/x)![p](https://evil.example/p.png)\
                       <img src=x onerror=alert(1)> @acme/security-team www.evil.example";
        let escaped = cell(hostile);
        for forbidden in ["](", "![", "<img", "@acme", "https://", "www.evil"] {
            assert!(!escaped.contains(forbidden), "{forbidden} in {escaped}");
        }
        assert!(escaped.contains("\\[click\\]"), "{escaped}");
        assert_eq!(
            cell("actions/checkout@v4 by security@acme.example"),
            "actions/checkout@v4 by security@acme.example",
            "only a mention-shaped `@` is broken"
        );
    }

    #[test]
    fn findings_sorted_by_severity_with_waiver_reason() {
        let md = render(&sample_report());
        let critical = md.find("| critical | ❌ fail | `pg-rls-forced`").unwrap();
        let high = md.find("| high | ❌ fail | `gha-action-pinned`").unwrap();
        assert!(critical < high);
        assert!(md.contains(
            "**waived** until 2099-12-31 by security@acme.example: internal reusable workflow"
        ));
        assert!(md.contains("⚠️ **expired**: no longer applies"));
        assert!(md.contains("unused: matched no failure"));
        assert!(
            !md.contains("public.accounts"),
            "passes are counted, not listed"
        );
    }

    #[test]
    fn with_a_baseline_new_findings_lead_the_table() {
        let report = sample_report_with_one_new_problem("git HEAD~1");
        let md = render(&report);
        assert!(
            md.contains(
                "**1 new** since baseline git HEAD\\~1; 3 existing (3 unchanged, 0 updated); 0 fixed."
            ),
            "{md}"
        );
        let new = md
            .find("| 🆕 new | high | ❌ fail | `gha-action-pinned` | actions/setup-node@v4")
            .unwrap();
        let critical = md
            .find("| existing | critical | ❌ fail | `pg-rls-forced`")
            .unwrap();
        assert!(
            new < critical,
            "new first, even before a more severe known problem"
        );
    }

    #[test]
    fn stays_within_github_comment_limit() {
        let report = sample_report_with_copies(5000, |i| format!("owner/action-{i}@v1"));
        let md = render(&report);
        assert!(md.chars().count() <= 65_536, "{} chars", md.chars().count());
        assert!(md.contains("more findings not shown"));
        assert!(md.contains("### Waivers"), "waivers survive truncation");
        assert!(md.contains("| SUP-05 |"), "controls survive truncation");
        assert!(md.contains("<summary>Controls: 2 fail, 1 manual, 1 planned</summary>"));
        assert!(md.ends_with("</details>\n"));
    }
}
