//! JUnit XML, for CI test tabs: one `<testsuite>` per check, one `<testcase>` per finding.
//!
//! A failure is `<failure>`, an error (could not be evaluated) is `<error>`, a waived finding is
//! `<skipped>` with the waiver's reason, a pass is a plain test case.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::model::{FindingStatus, Report, ReportFinding, Summary};

pub fn render(report: &Report) -> String {
    let mut by_check: BTreeMap<&str, Vec<&ReportFinding>> = BTreeMap::new();
    for f in &report.findings {
        by_check.entry(f.check.as_str()).or_default().push(f);
    }

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_all(&mut w, report, &by_check).expect("writing XML to memory cannot fail");
    let mut s = String::from_utf8(w.into_inner()).expect("quick-xml writes UTF-8");
    s.push('\n');
    s
}

fn write_all(
    w: &mut Writer<Vec<u8>>,
    report: &Report,
    by_check: &BTreeMap<&str, Vec<&ReportFinding>>,
) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut attrs = vec![
        ("name", report.tool.name.clone()),
        ("timestamp", report.generated_at.clone()),
    ];
    attrs.extend(counts(&report.summary));
    w.create_element("testsuites")
        .with_attributes(attrs.iter().map(|(k, v)| (*k, v.as_str())))
        .write_inner_content(|w| {
            for (check, findings) in by_check {
                write_suite(w, check, findings)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// `tests`, `failures`, `errors`, `skipped` attributes for these counts.
fn counts(s: &Summary) -> Vec<(&'static str, String)> {
    vec![
        ("tests", (s.pass + s.fail + s.error + s.waived).to_string()),
        ("failures", s.fail.to_string()),
        ("errors", s.error.to_string()),
        ("skipped", s.waived.to_string()),
    ]
}

fn write_suite(
    w: &mut Writer<Vec<u8>>,
    check: &str,
    findings: &[&ReportFinding],
) -> std::io::Result<()> {
    let mut s = Summary::default();
    for f in findings {
        match f.status {
            FindingStatus::Pass => s.pass += 1,
            FindingStatus::Fail => s.fail += 1,
            FindingStatus::Error => s.error += 1,
            FindingStatus::Waived => s.waived += 1,
        }
    }
    let mut attrs = vec![("name", check.to_owned())];
    attrs.extend(counts(&s));
    w.create_element("testsuite")
        .with_attributes(attrs.iter().map(|(k, v)| (*k, v.as_str())))
        .write_inner_content(|w| {
            for f in findings {
                write_case(w, f)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(w: &mut Writer<Vec<u8>>, f: &ReportFinding) -> std::io::Result<()> {
    let location = f.location.to_string();
    let subject = xml_chars(&f.subject);
    let case = w
        .create_element("testcase")
        .with_attributes([("name", subject.as_str()), ("classname", f.check.as_str())]);
    let outcome = match f.status {
        FindingStatus::Pass => None,
        FindingStatus::Fail => Some(("failure", xml_chars(&f.message))),
        FindingStatus::Error => Some(("error", xml_chars(&f.message))),
        FindingStatus::Waived => Some((
            "skipped",
            f.waiver.as_ref().map_or_else(
                || "waived".to_owned(),
                |wv| {
                    xml_chars(&format!(
                        "waived until {} by {}: {}",
                        wv.expires, wv.approved_by, wv.reason
                    ))
                },
            ),
        )),
    };
    let Some((tag, message)) = outcome else {
        case.write_empty()?;
        return Ok(());
    };
    let overridden = f
        .severity_overridden_from
        .map(|own| format!(" set by [severity], the check's own is {own}"))
        .unwrap_or_default();
    let body = xml_chars(&format!(
        "{location}\n{} ({}{overridden}, controls: {})",
        f.message,
        f.severity,
        f.controls.join(", ")
    ));
    case.write_inner_content(|w| {
        w.create_element(tag)
            .with_attributes([("message", message.as_str()), ("type", f.severity.as_str())])
            .write_text_content(BytesText::new(&body))?;
        Ok(())
    })?;
    Ok(())
}

/// Replaces characters XML 1.0 cannot carry at all, even escaped (most C0 controls, the
/// non-characters U+FFFE and U+FFFF), with U+FFFD; quick-xml escapes the rest.
/// Characters XML 1.0 cannot carry, and the C0/C1 controls a viewer could take for a line end
/// or an escape (`\r`, NEL), replaced by U+FFFD; tabs and newlines are kept.
fn xml_chars(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' => c,
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample::sample_report;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn counts_and_outcomes_match_statuses() {
        let xml = render(&sample_report());
        assert!(xml.contains(
            r#"<testsuites name="vouch" timestamp="2026-01-01T00:00:00Z" tests="6" failures="2" errors="1" skipped="1">"#
        ));
        assert!(xml.contains(
            r#"<testsuite name="gha-action-pinned" tests="4" failures="1" errors="1" skipped="1">"#
        ));
        assert!(xml.contains(r#"<skipped message="waived until 2099-12-31 by security@acme.example: internal reusable workflow, protected branch""#));
        assert!(xml.contains("&lt;mapping&gt;"), "text is escaped");
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        let mut report = sample_report();
        report.findings[2].subject = "bad\u{1b}[31mname".to_owned();
        report.findings[2].message = "nul\u{0} here".to_owned();
        let xml = render(&report);
        assert!(xml.contains("name=\"bad\u{fffd}[31mname\""));
        assert!(xml.contains("nul\u{fffd} here"));
        assert!(!xml.contains('\u{1b}') && !xml.contains('\u{0}'));
    }
}
