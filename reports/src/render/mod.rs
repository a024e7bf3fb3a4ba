//! Renderers: each turns a finished [`crate::Report`] into one output format.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod oscal;
pub mod sarif;
pub mod templates;
pub mod text;

#[cfg(test)]
pub(crate) mod sample;

use std::cmp::Reverse;

use checks::Severity;

use crate::baseline::BaselineState;
use crate::model::{FindingStatus, ReportFinding};

/// The order problems are listed in: most severe first; at one severity, failures before
/// errors before waived findings (the order of [`FindingStatus`]); then by check and subject.
pub(crate) fn severity_order(f: &ReportFinding) -> (Reverse<Severity>, FindingStatus, &str, &str) {
    (Reverse(f.severity), f.status, &f.check, &f.subject)
}

/// [`severity_order`], after putting a baseline's new problems before its known ones (without
/// a baseline every state is `None` and only severity orders).
pub(crate) fn baseline_then_severity_order(
    f: &ReportFinding,
) -> (
    Option<BaselineState>,
    (Reverse<Severity>, FindingStatus, &str, &str),
) {
    (f.baseline_state, severity_order(f))
}

/// A check's own docs, then the controls it serves with their framework references: the body
/// of `vouch explain CHECK` and the help of the check's SARIF rule.
pub fn check_help(check: &dyn checks::Check) -> String {
    use std::fmt::Write as _;
    let catalog = checks::catalog::catalog();
    let m = check.meta();
    let mut s = format!("{}\n\n## Controls\n", m.docs.trim());
    for id in m.controls {
        let Some(c) = catalog.control(id) else {
            let _ = writeln!(s, "- {id}");
            continue;
        };
        let _ = writeln!(s, "- {} {}", c.id, c.title);
        for (key, refs) in &c.frameworks {
            let name = catalog
                .framework(key)
                .map_or_else(|| key.clone(), |f| format!("{} {}", f.name, f.version));
            let _ = writeln!(s, "  - {name}: {}", refs.join(", "));
        }
    }
    s
}

/// The repository in one line: remote, branch, commit, dirty state; or how a plain directory
/// was read.
pub fn repository_line(repo: &crate::RepositoryProvenance) -> String {
    let Some(git) = &repo.git else {
        return "not a git work tree: every file under the scanned path was read".to_owned();
    };
    let mut parts = vec![
        git.remote
            .clone()
            .unwrap_or_else(|| "git work tree without a remote".to_owned()),
    ];
    if let Some(branch) = &git.branch {
        parts.push(format!("branch {branch}"));
    }
    parts.push(match &git.commit {
        Some(commit) => format!("commit {commit}"),
        None => "no commit yet".to_owned(),
    });
    parts.push(if git.dirty {
        format!(
            "dirty: {} tracked path(s) differ from the commit, judged as in the working tree",
            git.modified.len()
        )
    } else {
        "clean".to_owned()
    });
    parts.join(", ")
}

/// Invariants every renderer keeps whatever the scanned files are called and whatever a check
/// quotes: text output cannot be forged by a newline or escape in a name, JUnit stays
/// well-formed XML, and report.json reads back to the same bytes.
#[cfg(test)]
mod hostile_strings {
    use checks::Location;
    use proptest::prelude::*;

    use super::sample::sample_report;
    use super::{json, junit, markdown, text};
    use crate::model::Report;

    /// The sample report with every finding's subject, message and file path replaced by `s`.
    fn with_strings(s: &str) -> Report {
        let mut report = sample_report();
        for f in &mut report.findings {
            f.subject = s.to_owned();
            f.message = s.to_owned();
            if let Location::File { path, .. } = &mut f.location {
                *path = s.to_owned();
            }
        }
        report
    }

    /// Any string, weighted towards what forges output: line breaks, escapes, Markdown and
    /// HTML syntax, bidi controls.
    fn hostile() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z \\n\\r\\t\\x1b\\x00\\u{85}\\u{2028}\\u{202e}<>\\[\\]()!@#`|*_-]{0,40}",
            Just("ok\nPASS critical secrets-committed everything\nsummary: 0 failed".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn text_output_has_the_same_lines_whatever_the_names(s in hostile()) {
            let plain = text::render(&with_strings("x"), &text::Style { color: false });
            let forged = text::render(&with_strings(&s), &text::Style { color: false });
            prop_assert_eq!(plain.lines().count(), forged.lines().count(), "{}", forged);
            prop_assert!(!forged.chars().any(|c| c.is_control() && c != '\n'), "{:?}", forged);
        }

        #[test]
        fn markdown_output_has_the_same_lines_whatever_the_names(s in hostile()) {
            let plain = markdown::render(&with_strings("x"));
            let forged = markdown::render(&with_strings(&s));
            prop_assert_eq!(plain.lines().count(), forged.lines().count(), "{}", forged);
        }

        #[test]
        fn junit_stays_well_formed_xml(s in hostile()) {
            let xml = junit::render(&with_strings(&s));
            let mut reader = quick_xml::Reader::from_str(&xml);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => prop_assert!(false, "{e}: {xml}"),
                }
            }
            prop_assert!(!xml.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t')));
        }

        #[test]
        fn report_json_reads_back_to_the_same_bytes(s in hostile()) {
            let rendered = json::render(&with_strings(&s));
            let again: Report = serde_json::from_str(&rendered).expect("reads back");
            prop_assert_eq!(json::render(&again), rendered);
        }
    }
}
