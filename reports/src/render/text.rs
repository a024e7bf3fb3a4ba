//! Human-readable output grouped by control. Colour (anstyle) only when asked: the CLI renders
//! with colour for a terminal and lets anstream strip it per `--color` and `NO_COLOR`.

use std::fmt::Write;

use anstyle::{AnsiColor, Style as AnsiStyle};

use crate::baseline::BaselineState;
use crate::model::{ControlStatus, FindingStatus, Report, ReportFinding};
use crate::suppress::SuppressionState;

pub struct Style {
    pub color: bool,
}

const GREEN: AnsiStyle = AnsiColor::Green.on_default();
const RED: AnsiStyle = AnsiColor::Red.on_default();
const MAGENTA: AnsiStyle = AnsiColor::Magenta.on_default();
const YELLOW: AnsiStyle = AnsiColor::Yellow.on_default();
const BOLD: AnsiStyle = AnsiStyle::new().bold();
const DIM: AnsiStyle = AnsiStyle::new().dimmed();

impl Style {
    fn paint(&self, style: AnsiStyle, s: &str) -> String {
        if self.color {
            format!("{style}{s}{style:#}")
        } else {
            s.to_owned()
        }
    }

    fn control(&self, status: ControlStatus) -> String {
        let label = status.as_str().to_ascii_uppercase();
        let code = match status {
            ControlStatus::Pass | ControlStatus::Attested => GREEN,
            ControlStatus::Fail => RED.bold(),
            ControlStatus::Error => MAGENTA.bold(),
            ControlStatus::NotTested | ControlStatus::Manual | ControlStatus::Planned => DIM,
        };
        self.paint(code, &label)
    }

    fn finding(&self, status: FindingStatus) -> String {
        let label = status.as_str().to_ascii_uppercase();
        let code = match status {
            FindingStatus::Pass => GREEN,
            FindingStatus::Fail => RED,
            FindingStatus::Error => MAGENTA,
            FindingStatus::Waived => YELLOW,
        };
        self.paint(code, &format!("{label:<6}"))
    }
}

/// Table names shown per class in the text report; the rest are counted.
const CLASSIFIED_NAMES_SHOWN: usize = 20;

/// The PostgreSQL table classification (tenant, global, unclassified), per database.
fn classification(out: &mut String, report: &Report) {
    let databases = crate::classification::table_classes(&report.findings);
    if databases.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Table classification ({})",
        crate::classification::CHECK
    );
    for db in databases {
        let counts: Vec<String> = db
            .classes
            .iter()
            .map(|g| format!("{} {}", g.count, g.class))
            .collect();
        let _ = writeln!(out, "  {}: {}", printable(&db.database), counts.join(", "));
        for g in &db.classes {
            let shown: Vec<String> = g
                .tables
                .iter()
                .take(CLASSIFIED_NAMES_SHOWN)
                .map(|t| printable(t))
                .collect();
            let more = g.count.saturating_sub(CLASSIFIED_NAMES_SHOWN);
            let tail = if more > 0 {
                format!(" … (+{more} more)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "    {:<13} {}{tail}", g.class, shown.join(", "));
        }
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let mut out = header(report);
    out.push_str(&new_since_baseline(report, style));
    for control in report
        .controls
        .iter()
        .filter(|c| c.counts != crate::Summary::default())
    {
        let _ = writeln!(
            out,
            "{} {}  {}",
            style.control(control.status),
            control.id,
            control.title
        );
        let mut shown: Vec<&ReportFinding> = report
            .findings
            .iter()
            .filter(|f| f.status != FindingStatus::Pass && f.controls.contains(&control.id))
            .collect();
        // New before known problems (with a baseline); then most severe first; at one
        // severity, failures before errors before waived findings.
        shown.sort_by_key(|f| super::baseline_then_severity_order(f));
        for f in shown {
            let _ = writeln!(
                out,
                "  {} {:<8} {}{}  {}\n         {}  {}",
                style.finding(f.status),
                f.severity.as_str(),
                state_tag(f, style),
                f.check,
                printable(&f.subject),
                printable(&f.location.to_string()),
                printable(f.message.trim())
            );
            if let Some(at) = f.waiver.as_ref().and_then(|w| w.inline.as_ref()) {
                let reason = f.waiver.as_ref().map_or("", |w| w.reason.as_str());
                let _ = writeln!(
                    out,
                    "         suppressed inline at {}: {}",
                    printable(&at.to_string()),
                    printable(reason)
                );
            } else if let Some(w) = &f.waiver {
                let _ = writeln!(
                    out,
                    "         waived until {} by {}: {}",
                    w.expires,
                    printable(&w.approved_by),
                    printable(&w.reason)
                );
            }
            if let Some(default) = f.severity_overridden_from {
                let _ = writeln!(
                    out,
                    "         severity {} set by [severity]; the check's own is {}",
                    f.severity.as_str(),
                    default.as_str()
                );
            }
        }
        if control.counts.pass > 0 {
            let _ = writeln!(
                out,
                "  {} {} passed",
                style.paint(DIM, "·"),
                control.counts.pass
            );
        }
    }
    classification(&mut out, report);
    for w in &report.waivers {
        match w.state {
            crate::WaiverState::Expired => {
                let _ = writeln!(
                    out,
                    "waiver for {} `{}` expired on {}: it no longer applies",
                    printable(&w.check),
                    printable(&w.subject),
                    printable(&w.expires)
                );
            }
            crate::WaiverState::Unused => {
                let _ = writeln!(
                    out,
                    "waiver for {} `{}`{} matched no failing finding",
                    printable(&w.check),
                    printable(&w.subject),
                    if w.path.is_empty() {
                        String::new()
                    } else {
                        format!(" (path `{}`)", printable(&w.path))
                    }
                );
            }
            crate::WaiverState::Active => {}
        }
    }
    out.push_str(&suppressions_and_scope(report));
    let s = report.summary;
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} errors, {} waived",
        s.pass, s.fail, s.error, s.waived
    );
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "baseline {}: {} new, {} existing ({} unchanged, {} updated), {} fixed",
            printable(&b.source),
            b.new,
            b.existing(),
            b.unchanged,
            b.updated,
            b.absent
        );
    }
    out
}

/// Inline suppressions that did not apply, and what the configuration left out of the scan.
fn suppressions_and_scope(report: &Report) -> String {
    let mut out = String::new();
    for s in &report.suppressions {
        let at = format!("{}:{}", printable(&s.path), s.line);
        match s.state {
            SuppressionState::Invalid => {
                let _ = writeln!(
                    out,
                    "inline suppression at {at} is invalid: {}",
                    printable(&s.problem)
                );
            }
            SuppressionState::Unused => {
                let _ = writeln!(
                    out,
                    "inline suppression at {at} ({}) matched no failing finding",
                    s.checks.join(", ")
                );
            }
            SuppressionState::Applied => {}
        }
    }
    let scope = &report.scope;
    if !scope.excluded_paths.is_empty() {
        let _ = writeln!(
            out,
            "scope: paths excluded by [scan] exclude: {}",
            printable(&scope.excluded_paths.join(", "))
        );
    }
    if !scope.disabled_checks.is_empty() {
        let _ = writeln!(
            out,
            "scope: checks disabled by [checks] disable: {}",
            scope.disabled_checks.join(", ")
        );
    }
    out
}

/// With a baseline: the new problems first, most severe first, then what was fixed.
fn new_since_baseline(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    let Some(baseline) = &report.baseline else {
        return out;
    };
    let mut new: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| f.baseline_state == Some(BaselineState::New))
        .collect();
    new.sort_by_key(|f| super::severity_order(f));
    let _ = writeln!(
        out,
        "New since baseline {}: {}",
        printable(&baseline.source),
        new.len()
    );
    for f in new {
        let _ = writeln!(
            out,
            "  {} {:<8} {}  {}  {}",
            style.finding(f.status),
            f.severity.as_str(),
            f.check,
            printable(&f.subject),
            printable(&f.location.to_string())
        );
    }
    if !baseline.absent_findings.is_empty() {
        let _ = writeln!(out, "Fixed since baseline: {}", baseline.absent);
        for k in &baseline.absent_findings {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                style.paint(GREEN, "FIXED "),
                k.check,
                printable(&k.subject)
            );
        }
    }
    out.push('\n');
    out
}

/// What was scanned, for whom, and what was left out: printed before any result.
fn header(report: &Report) -> String {
    const SHOWN: usize = 20;
    let mut out = String::new();
    let Some(p) = &report.provenance else {
        return out;
    };
    let mut about = format!("vouch {}", report.tool.version);
    for name in [&p.organisation, &p.system] {
        if !name.is_empty() {
            let _ = write!(about, " · {}", one_line(name));
        }
    }
    let _ = writeln!(out, "{about}");
    if let Some(repo) = &p.repository {
        let _ = writeln!(
            out,
            "repository: {}",
            one_line(&super::repository_line(repo))
        );
    }
    for t in &p.targets {
        let failed = if t.failed { " (could not be read)" } else { "" };
        let _ = writeln!(
            out,
            "live target: {} {}{failed}",
            t.source,
            one_line(&t.target)
        );
    }
    let scope = &report.scope;
    if !scope.statement.is_empty() {
        let _ = writeln!(out, "scope: {}", scope.statement);
    }
    for e in scope.excluded.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  not judged: {} ({})",
            one_line(&e.path),
            e.reason.describe()
        );
    }
    if scope.excluded.len() > SHOWN {
        let _ = writeln!(
            out,
            "  not judged: {} more paths (see scope.excluded in report.json)",
            scope.excluded.len() - SHOWN
        );
    }
    for o in &scope.severity_overrides {
        let _ = writeln!(
            out,
            "severity override: {} is {} by [severity] (its own severity: {})",
            o.check,
            o.configured.as_str(),
            o.default.as_str()
        );
    }
    for n in &scope.narrowed {
        let _ = writeln!(
            out,
            "narrowed by {} = {:?}: {}",
            n.setting,
            n.value,
            one_line(&n.effect)
        );
    }
    out.push('\n');
    out
}

/// `new` or `existing` after the severity, only when a baseline was applied.
fn state_tag(f: &ReportFinding, style: &Style) -> String {
    match f.baseline_state {
        Some(BaselineState::New) => format!("{} ", style.paint(BOLD, "new     ")),
        Some(_) => format!("{} ", style.paint(DIM, "existing")),
        None => String::new(),
    }
}

/// A header field on one line: a line break in a file name cannot forge a line.
fn one_line(text: &str) -> String {
    printable(text).replace('\n', "\u{fffd}")
}

/// Text from the scanned tree (file names, messages quoting them) must neither drive the
/// terminal nor forge result lines: every control character (line breaks included) and every
/// character that reorders the display is shown as an escape (`\n`, `\u{1b}`), so each
/// finding stays on its own two lines.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if crate::render::markdown::is_unsafe_char(c) => {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample::{NEW_PROBLEM, sample_report, sample_report_with_one_new_problem};

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_report(), &Style { color: false }));
    }

    #[test]
    fn the_table_classification_is_listed_per_database() {
        let mut report = sample_report();
        let template = report.findings[0].clone();
        for (subject, class) in [
            ("public.orders", "tenant"),
            ("public.plans", "global"),
            ("public.flags", "unclassified"),
        ] {
            let mut f = template.clone();
            f.check = crate::classification::CHECK.to_owned();
            f.subject = subject.to_owned();
            f.evidence = serde_json::json!({"database": "migrations:db", "class": class});
            report.findings.push(f);
        }
        let text = render(&report, &Style { color: false });
        assert!(
            text.contains(
                "Table classification (pg-table-classified)\n  migrations:db: 1 tenant, 1 global, \
                 1 unclassified\n    tenant        public.orders\n"
            ),
            "{text}"
        );
        assert!(text.contains("    unclassified  public.flags\n"), "{text}");
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = render(&sample_report(), &Style { color: false });
        let coloured = render(&sample_report(), &Style { color: true });
        assert!(!plain.contains('\x1b'));
        let bold_red = RED.bold();
        assert!(coloured.contains(&format!("{bold_red}FAIL{bold_red:#} SUP-05")));
        assert!(coloured.contains("\x1b[31m"), "{coloured}");
    }

    #[test]
    fn with_a_baseline_new_problems_come_first_and_are_tagged() {
        // The high failure is left out of the baseline: it becomes the one new problem.
        let report = sample_report_with_one_new_problem("file base.json");
        let text = render(&report, &Style { color: false });
        let head = text.find("New since baseline file base.json: 1").unwrap();
        let listed = text[head..].find(NEW_PROBLEM).unwrap() + head;
        let first_control = text.find("SUP-05").unwrap();
        assert!(head < listed && listed < first_control, "{text}");
        assert!(
            text.contains("high     new      gha-action-pinned"),
            "{text}"
        );
        assert!(text.contains("existing pg-rls-forced"), "{text}");
        assert!(
            text.contains(
                "baseline file base.json: 1 new, 3 existing (3 unchanged, 0 updated), 0 fixed"
            ),
            "{text}"
        );
    }

    #[test]
    fn inline_suppressions_and_scope_are_shown() {
        let mut report = sample_report();
        report.findings[2].status = FindingStatus::Waived;
        report.findings[2].waiver = Some(crate::AppliedWaiver {
            reason: "vendored action, reviewed".into(),
            approved_by: String::new(),
            expires: String::new(),
            ticket: String::new(),
            inline: Some(checks::Location::file(".github/workflows/ci.yml", 10)),
        });
        report.suppressions.push(crate::SuppressionResult {
            path: "Dockerfile".into(),
            line: 4,
            checks: vec!["docker-base-pined".into()],
            reason: "x".into(),
            state: SuppressionState::Invalid,
            matched: 0,
            problem: "names unknown check `docker-base-pined`".into(),
        });
        report.scope.excluded_paths = vec!["vendor/**".into()];
        report.scope.disabled_checks = vec!["sbom-present".into()];
        let text = render(&report, &Style { color: false });
        assert!(
            text.contains(
                "suppressed inline at .github/workflows/ci.yml:10: vendored action, reviewed"
            ),
            "{text}"
        );
        assert!(text.contains(
            "inline suppression at Dockerfile:4 is invalid: names unknown check `docker-base-pined`"
        ));
        assert!(text.contains("scope: paths excluded by [scan] exclude: vendor/**"));
        assert!(text.contains("scope: checks disabled by [checks] disable: sbom-present"));
    }

    #[test]
    fn without_a_baseline_nothing_is_tagged() {
        let text = render(&sample_report(), &Style { color: false });
        assert!(!text.contains("baseline"));
        assert!(!text.contains("existing"));
    }

    #[test]
    fn scanned_text_cannot_inject_terminal_escapes() {
        let mut report = sample_report();
        report.findings[2].subject = "evil\x1b]0;title\x07@v1".to_owned();
        let text = render(&report, &Style { color: false });
        assert!(text.contains("evil\\u{1b}]0;title\\u{7}@v1"), "{text}");
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn a_newline_in_a_scanned_name_cannot_forge_result_lines() {
        let mut report = sample_report();
        let forged = "x\n  PASS   critical secrets-committed  everything\n\n0 passed, 0 failed";
        report.findings[2].subject = forged.to_owned();
        report.findings[2].message = format!("{forged}\u{202e}");
        report.findings[2].location = checks::Location::file(forged, 1);
        let text = render(&report, &Style { color: false });
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("PASS")),
            "{text}"
        );
        assert!(text.contains("x\\n  PASS   critical"), "{text}");
        assert!(!text.contains('\u{202e}'), "{text}");
    }
}
