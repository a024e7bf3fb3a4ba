//! The HTML report: handlebars templates rendered from the report/v1 model.
//!
//! Pure: the templates are passed in as strings (the CLI embeds the bundled ones and lets
//! `--templates DIR` replace them). The template data is the report/v1 JSON with `findings`
//! cut to [`LISTED_FINDINGS`] and two counts added, `findings_total` and `findings_omitted`
//! (see [`template_data`]); the helpers below are the only other additions:
//!
//! - `json VALUE`: VALUE as pretty-printed JSON (escaped like any other text).
//! - `source_of LOCATION`: where a finding was judged: `repo` for a file location, otherwise
//!   the URI scheme (`postgres`, `tls`, `oci`, `arn`…).
//! - `location LOCATION`: `path:line`, `path:line:column` where the column is known (`path`
//!   when line is 0), or the URI.
//! - `control_count CONTROLS STATUS`: how many of CONTROLS have STATUS (the coverage summary).
//! - `table_classes FINDINGS`: the PostgreSQL table classification read from the
//!   `pg-table-classified` findings (see [`crate::classification`]): per database,
//!   `{database, classes: [{class, count, tables}]}`; an empty list when the check did not run.
//! - the handlebars-rust built-ins (`eq`, `ne`, `and`, `or`, `not`, `len`, `lookup`…).

use std::collections::BTreeMap;

use handlebars::{Handlebars, handlebars_helper};
use serde_json::Value;

use crate::Report;

/// The template every HTML report starts from; the others are partials it may include.
pub const ENTRY: &str = "report.html";

handlebars_helper!(json: |v: Json| serde_json::to_string_pretty(v).unwrap_or_default());
handlebars_helper!(source_of: |loc: Json| source_of_location(loc));
handlebars_helper!(location: |loc: Json| location_text(loc));
handlebars_helper!(control_count: |controls: Json, status: str| controls
    .as_array()
    .map_or(0, |all| all.iter().filter(|c| c["status"] == status).count()));

handlebars_helper!(table_classes: |findings: Json| classes_of(findings));

fn classes_of(findings: &Value) -> Value {
    // Only the classification findings are read back: deserializing every finding of a large
    // report here doubled its memory.
    let findings: Vec<crate::ReportFinding> = findings
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["check"] == CLASSIFICATION_CHECK)
        .filter_map(|f| serde_json::from_value(f.clone()).ok())
        .collect();
    serde_json::to_value(crate::classification::table_classes(&findings)).unwrap_or_default()
}

const CLASSIFICATION_CHECK: &str = "pg-table-classified";

/// The page lists at most this many findings: a scan of 50,000 manifests yields hundreds of
/// thousands, which no one reads in a browser and which made a 200 MB page. The rest are
/// counted (`findings_omitted`) and stay in report.json and the SARIF beside it.
pub const LISTED_FINDINGS: usize = 2_000;

/// The template data: the report/v1 JSON, with `findings` cut to [`LISTED_FINDINGS`] (problems
/// first, by severity; the table classification always kept, in report order), plus
/// `findings_total` and `findings_omitted`.
fn template_data(report: &Report) -> Result<Value, String> {
    let mut data = serde_json::to_value(report).map_err(|e| e.to_string())?;
    let total = report.findings.len();
    let mut keep: Vec<usize> = (0..total).collect();
    keep.sort_by_key(|&i| listing_rank(&report.findings[i]));
    keep.truncate(LISTED_FINDINGS);
    keep.sort_unstable();
    if let Some(Value::Array(all)) = data.get_mut("findings") {
        let mut all = std::mem::take(all)
            .into_iter()
            .map(Some)
            .collect::<Vec<_>>();
        let listed: Vec<Value> = keep.iter().filter_map(|&i| all[i].take()).collect();
        data["findings"] = Value::Array(listed);
    }
    data["findings_total"] = Value::from(total);
    data["findings_omitted"] = Value::from(total - keep.len());
    Ok(data)
}

/// Lower ranks are listed first when the page cannot list everything.
fn listing_rank(f: &crate::ReportFinding) -> (u8, std::cmp::Reverse<checks::Severity>) {
    use crate::model::FindingStatus;
    let status = match f.status {
        _ if f.check == CLASSIFICATION_CHECK => 0,
        FindingStatus::Fail | FindingStatus::Error => 1,
        FindingStatus::Waived => 2,
        FindingStatus::Pass => 3,
    };
    (status, std::cmp::Reverse(f.severity))
}

/// `repo` for a file, the URI's scheme for a resource.
fn source_of_location(loc: &Value) -> String {
    if loc.get("path").is_some() {
        return "repo".to_owned();
    }
    let uri = loc.get("uri").and_then(Value::as_str).unwrap_or_default();
    uri.split(':')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_owned()
}

fn location_text(loc: &Value) -> String {
    if let Some(path) = loc.get("path").and_then(Value::as_str) {
        return match loc.get("line").and_then(Value::as_u64) {
            Some(line) if line > 0 => match loc.get("column").and_then(Value::as_u64) {
                Some(column) => format!("{path}:{line}:{column}"),
                None => format!("{path}:{line}"),
            },
            _ => path.to_owned(),
        };
    }
    loc.get("uri")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Renders `report` through `templates` (name → handlebars source); `templates` must hold
/// [`ENTRY`]. Every template is registered under its name, so any may include another as a
/// partial (`{{> name}}`).
pub fn render(report: &Report, templates: &BTreeMap<String, String>) -> Result<String, String> {
    let mut hb = Handlebars::new();
    hb.register_helper("json", Box::new(json));
    hb.register_helper("source_of", Box::new(source_of));
    hb.register_helper("location", Box::new(location));
    hb.register_helper("control_count", Box::new(control_count));
    hb.register_helper("table_classes", Box::new(table_classes));
    for (name, source) in templates {
        hb.register_template_string(name, source)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    if !templates.contains_key(ENTRY) {
        return Err(format!("no template named {ENTRY}"));
    }
    hb.render(ENTRY, &template_data(report)?)
        .map_err(|e| format!("template {ENTRY}: {e}").replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{finding, report_of};
    use checks::{Finding, Location, Severity, Status};

    fn report() -> Report {
        let unpinned = Finding {
            message: "not pinned".into(),
            evidence: serde_json::json!({"uses": "acme/<tool>@v1"}),
            ..finding(
                "gha-action-pinned",
                Status::Fail,
                Severity::High,
                "acme/<tool>@v1",
                Location::file(".github/workflows/ci.yml", 7),
            )
        };
        report_of(vec![unpinned], "0.1.0", "2026-01-01")
    }

    fn templates(entry: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(ENTRY.to_owned(), entry.to_owned())])
    }

    #[test]
    fn helpers_give_location_source_and_escaped_evidence() {
        let t = templates(
            "{{#each findings}}{{location location}}|{{source_of location}}|{{json evidence}}{{/each}}",
        );
        let html = render(&report(), &t).unwrap();
        assert!(
            html.starts_with(".github/workflows/ci.yml:7|repo|"),
            "{html}"
        );
        assert!(html.contains("acme/&lt;tool&gt;@v1"), "{html}");
        assert!(!html.contains("<tool>"), "{html}");
    }

    #[test]
    fn control_count_counts_controls_by_status() {
        let t = templates(
            "{{control_count controls \"fail\"}}/{{control_count controls \"planned\"}}/{{len controls}}",
        );
        let r = report();
        let of =
            |status: crate::ControlStatus| r.controls.iter().filter(|c| c.status == status).count();
        assert_eq!(
            render(&r, &t).unwrap(),
            format!(
                "1/{}/{}",
                of(crate::ControlStatus::Planned),
                r.controls.len()
            )
        );
    }

    #[test]
    fn the_bundled_report_lists_every_control_by_default_and_in_print() {
        let bundled = include_str!("../../../templates/report.html.hbs");
        let html = render(&report(), &templates(bundled)).unwrap();
        assert_eq!(
            html.matches("<tr class=\"control\"").count(),
            checks::catalog::catalog().controls.len()
        );
        assert!(
            html.contains("<option value=\"all\">all controls</option><option value=\"judged\">")
        );
        assert!(html.contains("tr.control.hidden { display: table-row !important; }"));
        assert!(html.contains("data-coverage=\"not_tested\">"));
    }

    #[test]
    fn a_huge_report_lists_problems_first_and_counts_the_rest() {
        let mut r = report();
        let problem = r.findings[0].clone();
        let mut pass = problem.clone();
        pass.status = crate::model::FindingStatus::Pass;
        pass.subject = "listed-pass".into();
        r.findings = vec![pass; LISTED_FINDINGS + 10];
        r.findings.push(problem);
        let bundled = include_str!("../../../templates/report.html.hbs");
        let html = render(&r, &templates(bundled)).unwrap();
        assert_eq!(
            html.matches("<article class=\"finding").count(),
            LISTED_FINDINGS
        );
        assert!(
            html.contains("data-status=\"fail\""),
            "the failure is listed"
        );
        let total = LISTED_FINDINGS + 11;
        assert!(
            html.contains(&format!("11 of {total} findings are not listed")),
            "the omission is said"
        );
        assert!(html.contains(&format!("data-count=\"total\">{total}<")));
    }

    #[test]
    fn file_locations_print_the_column_when_known() {
        let loc = serde_json::to_value(Location::file_at("ci.yml", 3, Some(9))).unwrap();
        assert_eq!(location_text(&loc), "ci.yml:3:9");
        let loc = serde_json::to_value(Location::file("ci.yml", 3)).unwrap();
        assert_eq!(location_text(&loc), "ci.yml:3");
        let loc = serde_json::to_value(Location::file("ci.yml", 0)).unwrap();
        assert_eq!(location_text(&loc), "ci.yml");
    }

    #[test]
    fn resource_source_is_the_uri_scheme() {
        let loc = serde_json::json!({"uri": "postgres://db:5432/app/public.orders"});
        assert_eq!(source_of_location(&loc), "postgres");
        assert_eq!(location_text(&loc), "postgres://db:5432/app/public.orders");
    }

    #[test]
    fn partials_and_missing_entry() {
        let mut t = templates("[{{> footer}}]");
        t.insert("footer".into(), "{{tool.name}} {{tool.version}}".into());
        assert_eq!(render(&report(), &t).unwrap(), "[vouch 0.1.0]");
        let err = render(&report(), &BTreeMap::new()).unwrap_err();
        assert!(err.contains("report.html"), "{err}");
    }

    #[test]
    fn template_syntax_error_names_the_template() {
        let err = render(&report(), &templates("{{#each findings}}")).unwrap_err();
        assert!(err.starts_with("template report.html"), "{err}");
    }
}
