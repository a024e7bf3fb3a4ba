//! The PostgreSQL table classification (tenant, global, unclassified) the text and HTML reports
//! show, read from the `pg-table-classified` findings' evidence: the report model is unchanged.

use serde::Serialize;

use crate::model::ReportFinding;

/// The check whose findings carry each table's class.
pub const CHECK: &str = "pg-table-classified";

/// The classes, in the order they are shown.
const CLASSES: [&str; 3] = ["tenant", "global", "unclassified"];

/// One database's tables by class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseClasses {
    pub database: String,
    pub classes: Vec<ClassGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassGroup {
    pub class: String,
    pub count: usize,
    /// `schema.table`, sorted.
    pub tables: Vec<String>,
}

fn empty(database: &str) -> DatabaseClasses {
    DatabaseClasses {
        database: database.to_owned(),
        classes: CLASSES
            .iter()
            .map(|c| ClassGroup {
                class: (*c).to_owned(),
                count: 0,
                tables: Vec::new(),
            })
            .collect(),
    }
}

/// The classification of every database the findings judged; empty when the check did not
/// run. A class with no table is left out.
pub fn table_classes(findings: &[ReportFinding]) -> Vec<DatabaseClasses> {
    let mut out: Vec<DatabaseClasses> = Vec::new();
    for f in findings.iter().filter(|f| f.check == CHECK) {
        let (Some(database), Some(class)) = (
            f.evidence.get("database").and_then(|v| v.as_str()),
            f.evidence.get("class").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let at = out
            .iter()
            .position(|d| d.database == database)
            .unwrap_or_else(|| {
                out.push(empty(database));
                out.len() - 1
            });
        if let Some(group) = out[at].classes.iter_mut().find(|g| g.class == class) {
            group.tables.push(f.subject.clone());
        }
    }
    for db in &mut out {
        db.classes.retain(|g| !g.tables.is_empty());
        for g in &mut db.classes {
            g.tables.sort();
            g.count = g.tables.len();
        }
    }
    out.sort_by(|a, b| a.database.cmp(&b.database));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FindingStatus;
    use checks::{Location, Severity};
    use serde_json::json;

    fn finding(subject: &str, class: &str) -> ReportFinding {
        ReportFinding {
            fingerprint: String::new(),
            check: CHECK.to_owned(),
            status: FindingStatus::Pass,
            severity: Severity::Medium,
            controls: vec![],
            subject: subject.to_owned(),
            message: String::new(),
            location: Location::file("m.sql", 1),
            related: vec![],
            evidence: json!({"database": "migrations:db", "class": class}),
            waiver: None,
            severity_overridden_from: None,
            baseline_state: None,
        }
    }

    #[test]
    fn groups_tables_by_database_and_class() {
        let classes = table_classes(&[
            finding("public.orders", "tenant"),
            finding("public.plans", "global"),
            finding("public.endpoint", "tenant"),
        ]);
        assert_eq!(classes.len(), 1);
        let groups: Vec<(&str, usize, Vec<&str>)> = classes[0]
            .classes
            .iter()
            .map(|g| {
                (
                    g.class.as_str(),
                    g.count,
                    g.tables.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            vec![
                ("tenant", 2, vec!["public.endpoint", "public.orders"]),
                ("global", 1, vec!["public.plans"]),
            ]
        );
    }
}
