//! Provenance and scope: what a report is about and what it covered, taken from the facts it
//! was judged from (so `vouch check --facts` and `vouch verify` rebuild them identically).
//!
//! Everything here is deterministic for a given tree and configuration: no time, sorted lists.

use checks::Facts;
use checks::facts::repo::Listing;
use checks::resolve::Resolved;

use crate::model::{
    AuditedTarget, Narrowing, Provenance, Report, RepositoryProvenance, Scope, SeverityOverride,
};

impl Report {
    /// Fills `provenance` and `scope` from the facts, and marks every finding whose severity a
    /// `[severity]` setting replaced with the check's own severity. `options` are the facts'
    /// settings, resolved (as they were judged).
    pub fn describe(&mut self, facts: &Facts, options: &Resolved) {
        self.provenance = Some(provenance(facts));
        self.scope = scope(facts, options);
        for f in &mut self.findings {
            if let Some(o) = self
                .scope
                .severity_overrides
                .iter()
                .find(|o| o.check == f.check)
                && f.severity == o.configured
            {
                f.severity_overridden_from = Some(o.default);
            }
        }
    }
}

fn provenance(facts: &Facts) -> Provenance {
    let mut targets: Vec<AuditedTarget> = facts
        .collections
        .iter()
        .filter(|c| c.source != "repo")
        .map(|c| AuditedTarget {
            source: c.source.clone(),
            target: c.target.clone(),
            origin: c.origin.clone(),
            failed: c.error.is_some(),
        })
        .collect();
    targets.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));
    Provenance {
        organisation: facts.settings.report.organisation.clone(),
        system: facts.settings.report.system.clone(),
        repository: facts.repo.as_ref().map(|r| RepositoryProvenance {
            listing: r.scope.listing,
            git: r.scope.git.clone(),
        }),
        targets,
    }
}

fn scope(facts: &Facts, options: &Resolved) -> Scope {
    let statement = match facts.repo.as_ref().map(|r| r.scope.listing) {
        Some(Listing::GitIndex) => {
            "The files git tracks under the scanned path, as they are in the working tree \
             (ignored-but-tracked files included); untracked files were not judged."
        }
        Some(Listing::Directory) => {
            "Not a git work tree: every file under the scanned path was judged; no ignore file \
             (.gitignore, .ignore) was honoured."
        }
        None => "",
    };
    Scope {
        statement: statement.to_owned(),
        excluded: facts
            .repo
            .as_ref()
            .map(|r| r.scope.excluded.clone())
            .unwrap_or_default(),
        severity_overrides: severity_overrides(options),
        narrowed: excluded_tables(facts, options),
        excluded_paths: facts.settings.scan.exclude.clone(),
        disabled_checks: facts.settings.checks.disable.clone(),
    }
}

/// Every `[severity]` setting that changes a check's severity.
fn severity_overrides(options: &Resolved) -> Vec<SeverityOverride> {
    options
        .severity
        .iter()
        .filter_map(|(check, configured)| {
            let default = checks::find(check)?.meta().severity;
            (default != *configured).then(|| SeverityOverride {
                check: (*check).to_owned(),
                default,
                configured: *configured,
            })
        })
        .collect()
}

/// `[postgres] exclude_tables` (global or per live target): which tables it took out of every
/// tenant check, per database. A setting that excludes every table is said so plainly.
fn excluded_tables(facts: &Facts, options: &Resolved) -> Vec<Narrowing> {
    let mut out = Vec::new();
    for db in &facts.postgres {
        let globs = &options.postgres_for(db).exclude_tables;
        if globs.is_empty() {
            continue;
        }
        let excluded: Vec<String> = (db.tables.iter())
            .map(checks::facts::pg::Table::qualified_name)
            .filter(|q| globs.is_match(q))
            .collect();
        let total = db.tables.len();
        let what = if total > 0 && excluded.len() == total {
            format!("every table ({total} of {total})")
        } else {
            format!("{} of {total} tables", excluded.len())
        };
        let named = if excluded.is_empty() {
            String::new()
        } else {
            format!(": {}", list_some(&excluded))
        };
        out.push(Narrowing {
            setting: "[postgres] exclude_tables".to_owned(),
            // As written (the compiled set has no text); no target overrides this key.
            value: facts.settings.postgres.exclude_tables.clone(),
            effect: format!(
                "{what} of {} never judged as tenant tables (row-level security and tenant \
                 checks skip them){named}",
                db.name
            ),
        });
    }
    out
}

/// The first few names, then how many more.
fn list_some(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        let _ =
            std::fmt::Write::write_fmt(&mut s, format_args!(" and {} more", names.len() - SHOWN));
    }
    s
}

#[cfg(test)]
mod tests {
    use checks::Severity;
    use checks::facts::pg::{Database, Origin, Table};

    use super::*;

    fn table(name: &str) -> Table {
        serde_json::from_value(serde_json::json!({
            "schema": "public", "name": name, "columns": ["tenant_id"],
            "location": { "path": "db/migrations/0001.sql", "line": 1 }
        }))
        .unwrap()
    }

    #[test]
    fn severity_overrides_name_the_checks_own_severity() {
        let mut facts = Facts::default();
        facts
            .settings
            .severity
            .insert("secrets-committed".to_owned(), Severity::Info);
        let overrides = severity_overrides(&facts.settings.resolve().unwrap());
        assert_eq!(
            overrides,
            [SeverityOverride {
                check: "secrets-committed".to_owned(),
                default: Severity::Critical,
                configured: Severity::Info,
            }]
        );
    }

    #[test]
    fn excluding_every_table_is_said_plainly() {
        let mut facts = Facts::default();
        facts.settings.postgres.exclude_tables = vec!["*".to_owned()];
        let db = Database {
            origin: Origin::Migrations,
            name: "migrations:db".to_owned(),
            tables: vec![table("orders"), table("members")],
            ..Database::default()
        };
        facts.postgres.push(db);
        let narrowed = excluded_tables(&facts, &facts.settings.resolve().unwrap());
        assert_eq!(narrowed.len(), 1);
        assert!(
            narrowed[0]
                .effect
                .starts_with("every table (2 of 2) of migrations:db"),
            "{}",
            narrowed[0].effect
        );
        assert!(narrowed[0].effect.contains("public.orders, public.members"));
    }
}
