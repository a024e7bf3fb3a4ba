//! GitHub Actions workflow commands: one annotation per problem (`::error file=…,line=…,title=…::…`).
//!
//! GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job), so
//! the most severe problems are annotated first, each level is capped at [`MAX_PER_LEVEL`], and a
//! last notice sums up the counts and how many were not annotated. With a baseline only the new
//! problems are annotated: the known ones are counted in the summary. Waived findings are not
//! annotated. Values are escaped as the runner expects (`%`, CR, LF; plus `:` and `,` in
//! properties), so a finding cannot end its command early or start another one.

use std::fmt::Write;

use checks::{Location, Severity};

use crate::baseline::BaselineState;
use crate::model::{FindingStatus, Report, ReportFinding};

/// Annotations GitHub displays per level and step.
pub const MAX_PER_LEVEL: usize = 10;

pub fn render(report: &Report) -> String {
    let mut problems: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, FindingStatus::Fail | FindingStatus::Error))
        .filter(|f| report.baseline.is_none() || f.baseline_state == Some(BaselineState::New))
        .collect();
    problems.sort_by_key(|f| super::severity_order(f));
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut left_out = 0;
    for f in &problems {
        let level = level(f.severity);
        let slot = &mut shown[level as usize];
        if *slot == MAX_PER_LEVEL {
            left_out += 1;
            continue;
        }
        *slot += 1;
        out.push_str(&annotation(f, level));
    }
    out.push_str(&summary(report, problems.len(), left_out));
    out
}

#[derive(Clone, Copy)]
enum Level {
    Error = 0,
    Warning = 1,
    Notice = 2,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Critical | Severity::High => Level::Error,
        Severity::Medium => Level::Warning,
        Severity::Low | Severity::Info => Level::Notice,
    }
}

fn annotation(f: &ReportFinding, level: Level) -> String {
    let mut props = Vec::new();
    if let Location::File { path, line, column } = &f.location {
        props.push(format!("file={}", property(path)));
        if *line > 0 {
            props.push(format!("line={line}"));
            if let Some(column) = column {
                props.push(format!("col={column}"));
            }
        }
    }
    let verdict = if f.status == FindingStatus::Error {
        "could not be evaluated"
    } else {
        "failed"
    };
    props.push(format!(
        "title={}",
        property(&format!("vouch {} ({}) {verdict}", f.check, f.severity))
    ));
    let mut message = format!("{}: {}", f.subject, f.message.trim());
    if matches!(f.location, Location::Resource { .. }) {
        let _ = write!(message, " [{}]", f.location);
    }
    format!(
        "::{} {}::{}\n",
        level.command(),
        props.join(","),
        data(&message)
    )
}

fn summary(report: &Report, problems: usize, left_out: usize) -> String {
    let s = report.summary;
    let mut text = format!(
        "vouch: {} failed, {} errors, {} waived, {} passed",
        s.fail, s.error, s.waived, s.pass
    );
    if let Some(b) = &report.baseline {
        let _ = write!(
            text,
            "; baseline {}: {} new, {} existing, {} fixed (only new problems are annotated)",
            b.source,
            b.new,
            b.existing(),
            b.absent
        );
    }
    if left_out > 0 {
        let _ = write!(
            text,
            "; {left_out} of {problems} problem(s) not annotated: GitHub shows at most \
             {MAX_PER_LEVEL} annotations per level and step (the SARIF and JSON reports have all)"
        );
    }
    format!("::notice title=vouch summary::{}\n", data(&text))
}

/// A command's message: `%`, CR and LF escaped, as the runner decodes them.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`file=`, `title=`): also `:` and `,`, which would end it.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample::{
        sample_report, sample_report_with_copies, sample_report_with_one_new_problem,
    };

    #[test]
    fn annotates_problems_most_severe_first_and_sums_up() {
        let out = render(&sample_report());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(
            lines[0].starts_with(
                "::error title=vouch pg-rls-forced (critical) failed::public.orders: RLS is enabled"
            ),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with("[postgres://127.0.0.1:5432/app/public.orders]"));
        assert_eq!(
            lines[1],
            "::error file=.github/workflows/ci.yml,line=11,col=15,title=vouch gha-action-pinned (high) failed::\
             actions/setup-node@v4: pinned to tag `v4`, which can be moved | not a commit SHA"
        );
        assert!(
            lines[2].starts_with(
                "::error file=.github/workflows/broken file.yml,title=vouch gha-action-pinned (high) could not be evaluated::"
            ),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].contains("cannot be parsed:%0Ainvalid YAML"),
            "newline escaped"
        );
        assert_eq!(
            lines[3],
            "::notice title=vouch summary::vouch: 2 failed, 1 errors, 1 waived, 2 passed"
        );
    }

    #[test]
    fn values_cannot_break_out_of_the_command() {
        let mut report = sample_report();
        report.findings[2].subject = "x\n::error::forged 100%".into();
        report.findings[2].location = Location::file("a,b:c.yml", 3);
        let out = render(&report);
        assert!(!out.contains("\n::error::forged"), "{out}");
        assert!(out.contains("x%0A::error::forged 100%25"));
        assert!(out.contains("file=a%2Cb%3Ac.yml,line=3,"));
    }

    #[test]
    fn capped_per_level_with_a_summary() {
        let report = sample_report_with_copies(25, |i| format!("owner/action-{i:02}@v1"));
        let out = render(&report);
        assert_eq!(out.matches("::error ").count(), MAX_PER_LEVEL);
        assert!(out.contains("15 of 25 problem(s) not annotated"), "{out}");
    }

    #[test]
    fn with_a_baseline_only_new_problems_are_annotated() {
        let report = sample_report_with_one_new_problem("git HEAD~1");
        let out = render(&report);
        assert_eq!(out.matches("::error ").count(), 1, "{out}");
        assert!(out.contains("actions/setup-node@v4"));
        assert!(out.contains("baseline git HEAD~1: 1 new, 3 existing, 0 fixed"));
    }
}
