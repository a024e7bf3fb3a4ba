//! `vouch init`: a commented starter vouch.toml from what the repository holds.
//!
//! It reads the repository the way a scan does (the same walk and migration fold) and proposes
//! settings from what it found: the tenant columns the migrations' tables carry, the roles they
//! grant table privileges to or create with LOGIN, the audit tables, and (as comments) the
//! migration sets, Dockerfiles and workflows. Every proposed value is for a person to review;
//! nothing here is a verdict. An existing vouch.toml is never overwritten.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use checks::facts::pg::{Database, Origin};
use checks::facts::repo::RepoFacts;
use checks::settings::DEFAULT_TENANT_COLUMNS;

use crate::sources;

/// What the repository showed, in the terms of vouch.toml.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Detected {
    /// Migration sets: (name, number of files).
    pub migration_sets: Vec<(String, usize)>,
    /// Tenant-column candidates, with how many tables carry each.
    pub tenant_columns: Vec<(String, usize)>,
    pub runtime_roles: Vec<String>,
    /// `schema.table` of tables named like audit logs.
    pub audit_tables: Vec<String>,
    /// Tables other tables could reference as the tenant (`public.tenants`).
    pub tenant_tables: Vec<String>,
    pub dockerfiles: Vec<String>,
    pub workflows: Vec<String>,
}

/// Writes `root/vouch.toml`; refuses when one exists. Returns its path and what was detected.
pub fn init(root: &Path) -> Result<(PathBuf, Detected)> {
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let path = root.join("vouch.toml");
    if path.exists() || path.is_symlink() {
        bail!(
            "{} already exists: vouch init never overwrites it (edit it, or move it away first)",
            path.display()
        );
    }
    let detected = detect(root);
    std::fs::write(&path, render(&detected))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((path, detected))
}

/// Reads the repository as a scan with no configuration would.
pub fn detect(root: &Path) -> Detected {
    let walked = sources::repo::walk(root);
    let collected = sources::migrations::collect_reporting_skipped(root, &[], &walked.sql_files);
    let databases: Vec<&Database> = (collected.databases.iter())
        .filter(|db| db.origin == Origin::Migrations)
        .collect();
    let mut detected = from_databases(&databases);
    detected.migration_sets = sources::migrations::discovered(root, &walked.sql_files)
        .into_iter()
        .map(|set| {
            let name = set.name.trim_start_matches("migrations:").to_owned();
            (name, set.files.len())
        })
        .collect();
    describe_repo(&walked.facts, &mut detected);
    detected
}

fn describe_repo(repo: &RepoFacts, detected: &mut Detected) {
    detected.dockerfiles = repo.dockerfiles.iter().map(|d| d.path.clone()).collect();
    detected.workflows = repo.workflows.iter().map(|w| w.path.clone()).collect();
}

/// Tenant columns, runtime roles, audit and tenant tables proposed from folded migrations.
pub fn from_databases(databases: &[&Database]) -> Detected {
    let mut columns: BTreeMap<String, usize> = BTreeMap::new();
    let mut roles = Vec::new();
    let mut audit = Vec::new();
    let mut tenant_tables = Vec::new();
    // The default audit tables, as a scan without configuration matches them.
    let audit_tables = checks::resolve::PostgresOptions::default().audit;
    for db in databases {
        for table in &db.tables {
            for column in &table.columns {
                if DEFAULT_TENANT_COLUMNS
                    .iter()
                    .any(|c| loose(c) == loose(column))
                {
                    *columns.entry(column.clone()).or_default() += 1;
                }
            }
            let name = table.name.to_ascii_lowercase();
            if audit_tables.matches(&name, &table.qualified_name()) || name.contains("audit") {
                audit.push(table.qualified_name());
            }
            if [
                "tenants",
                "organizations",
                "organisations",
                "orgs",
                "workspaces",
            ]
            .contains(&name.as_str())
            {
                tenant_tables.push(table.qualified_name());
            }
        }
        roles.extend(runtime_role_candidates(db));
    }
    let mut tenant_columns: Vec<(String, usize)> = columns.into_iter().collect();
    tenant_columns.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for list in [&mut roles, &mut audit, &mut tenant_tables] {
        list.sort();
        list.dedup();
    }
    Detected {
        tenant_columns,
        runtime_roles: roles,
        audit_tables: audit,
        tenant_tables,
        ..Detected::default()
    }
}

/// Roles the migrations grant table privileges to, and roles they create with LOGIN, except
/// table owners (the migration role), superusers, `postgres`, PUBLIC and psql variables.
fn runtime_role_candidates(db: &Database) -> Vec<String> {
    let owners: Vec<&str> = (db.tables.iter())
        .filter_map(|t| t.owner.as_deref())
        .collect();
    let superuser = |name: &str| db.roles.iter().any(|r| r.name == name && r.superuser);
    let grantees = (db.tables.iter())
        .flat_map(|t| &t.grants)
        .map(|g| g.grantee.as_str());
    let logins = (db.roles.iter())
        .filter(|r| r.login)
        .map(|r| r.name.as_str());
    grantees
        .chain(logins)
        .filter(|g| {
            *g != "PUBLIC"
                && *g != "postgres"
                && !g.starts_with(':')
                && !owners.contains(g)
                && !superuser(g)
        })
        .map(str::to_owned)
        .collect()
}

/// Identifier compared loosely: case and `_` ignored.
fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A TOML array of strings.
fn toml_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let values: Vec<toml::Value> = items
        .into_iter()
        .map(|s| toml::Value::String(s.clone()))
        .collect();
    toml::Value::Array(values).to_string()
}

/// A name from the repository inside a `#` comment: on one line.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

fn comment_list(items: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s: Vec<String> = items.iter().take(SHOWN).map(|i| comment(i)).collect();
    if items.len() > SHOWN {
        s.push(format!("and {} more", items.len() - SHOWN));
    }
    s.join(", ")
}

/// The commented starter configuration.
pub fn render(d: &Detected) -> String {
    let mut s = String::from(
        "# vouch configuration, started by `vouch init` from what this repository holds.\n\
         # Review every value: they are proposals, not verdicts. Reference: `vouch docs` writes\n\
         # configuration.md, `vouch explain CHECK` explains a check. Run `vouch scan` to see the result.\n",
    );
    let _ = writeln!(s, "#");
    let _ = writeln!(
        s,
        "# Dockerfiles ({}): {}",
        d.dockerfiles.len(),
        comment_list(&d.dockerfiles)
    );
    let _ = writeln!(
        s,
        "# Workflows ({}): {}",
        d.workflows.len(),
        comment_list(&d.workflows)
    );

    s.push_str("\n# [report]\n# organisation = \"Acme Inc.\"\n# system = \"Acme platform\"\n");

    s.push_str("\n[postgres]\n");
    if d.migration_sets.is_empty() {
        s.push_str("# No migration set was found. To point at one:\n");
        s.push_str("# migrations = [\"db/migrations/*.sql\"]\n");
    } else {
        s.push_str("# Migration sets found (discovered on every scan; set `migrations` only to override):\n");
        for (name, files) in &d.migration_sets {
            let _ = writeln!(s, "#   {} ({files} files)", comment(name));
        }
    }
    if d.tenant_columns.is_empty() {
        s.push_str("# No tenant column found among the tables. Name yours:\n");
        s.push_str("# tenant_columns = [\"tenant_id\"]\n");
    } else {
        let counts: Vec<String> = (d.tenant_columns.iter())
            .map(|(c, n)| format!("{} ({n} tables)", comment(c)))
            .collect();
        let _ = writeln!(
            s,
            "# Columns that make a table tenant-scoped; found: {}",
            counts.join(", ")
        );
        let names: Vec<String> = d.tenant_columns.iter().map(|(c, _)| c.clone()).collect();
        let _ = writeln!(s, "tenant_columns = {}", toml_list(&names));
    }
    if let Some(table) = d.tenant_tables.first() {
        s.push_str("# A table whose foreign keys mark tenant tables, if yours is one:\n");
        let _ = writeln!(s, "# tenant_table = {}", toml::Value::String(table.clone()));
    }
    if d.runtime_roles.is_empty() {
        s.push_str("# No role the application could connect as was found. Name yours:\n");
        s.push_str("# runtime_roles = [\"app_user\"]\n");
    } else {
        s.push_str(
            "# Roles the application connects as (granted table privileges or created with LOGIN):\n",
        );
        let _ = writeln!(s, "runtime_roles = {}", toml_list(&d.runtime_roles));
    }
    if d.audit_tables.is_empty() {
        s.push_str("# No audit table found. Name your append-only audit tables:\n");
        s.push_str("# audit_tables = [\"audit_events\"]\n");
    } else {
        s.push_str("# Append-only audit tables:\n");
        let names: Vec<String> = (d.audit_tables.iter())
            .map(|q| q.rsplit('.').next().unwrap_or(q).to_owned())
            .collect();
        let mut names = names;
        names.dedup();
        let _ = writeln!(s, "audit_tables = {}", toml_list(&names));
    }

    s.push_str(
        "\n# Paths never read (vendored or generated trees), listed in the report's scope:\n\
         # [scan]\n# exclude = [\"third_party/**\"]\n\
         \n# Checks not run, listed in the report's scope:\n# [checks]\n# disable = []\n\
         \n# An accepted, time-boxed exception (repeat for each):\n# [[waiver]]\n\
         # check = \"docker-base-pinned\"\n# path = \"tools/**\"\n\
         # reason = \"internal tooling image, rebuilt nightly\"\n# expires = \"2027-03-31\"\n\
         # approved_by = \"security@example.com\"\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_come_from_the_folded_tables_roles_and_grants() {
        let db: Database = serde_json::from_value(serde_json::json!({
            "origin": "migrations",
            "name": "migrations:db/migrations",
            "tables": [
                { "schema": "public", "name": "tenants", "columns": ["id", "name"],
                  "owner": "owner_role",
                  "location": { "path": "db/migrations/1.sql", "line": 1 } },
                { "schema": "public", "name": "orders", "columns": ["id", "tenant_id"],
                  "owner": "owner_role",
                  "grants": [{ "grantee": "api", "privilege": "SELECT",
                               "location": { "path": "db/migrations/2.sql", "line": 9 } },
                             { "grantee": "owner_role", "privilege": "SELECT",
                               "location": { "path": "db/migrations/2.sql", "line": 10 } }],
                  "location": { "path": "db/migrations/2.sql", "line": 1 } },
                { "schema": "public", "name": "invoices", "columns": ["id", "TenantId", "org_id"],
                  "location": { "path": "db/migrations/2.sql", "line": 20 } },
                { "schema": "ops", "name": "audit_events", "columns": ["id", "tenant_id"],
                  "location": { "path": "db/migrations/3.sql", "line": 1 } }
            ],
            "roles": [
                { "name": "worker", "login": true,
                  "location": { "path": "db/migrations/1.sql", "line": 1 } },
                { "name": "admin", "login": true, "superuser": true,
                  "location": { "path": "db/migrations/1.sql", "line": 2 } }
            ]
        }))
        .unwrap();
        let d = from_databases(&[&db]);
        assert_eq!(
            d.tenant_columns,
            [
                ("tenant_id".to_owned(), 2),
                ("TenantId".to_owned(), 1),
                ("org_id".to_owned(), 1)
            ]
        );
        assert_eq!(d.runtime_roles, ["api", "worker"]);
        assert_eq!(d.audit_tables, ["ops.audit_events"]);
        assert_eq!(d.tenant_tables, ["public.tenants"]);

        let text = render(&d);
        let parsed: checks::Settings = toml::from_str(&text).expect("the starter file parses");
        assert_eq!(
            parsed.postgres.tenant_columns.as_deref(),
            Some(
                &[
                    "tenant_id".to_owned(),
                    "TenantId".to_owned(),
                    "org_id".to_owned()
                ][..]
            )
        );
        assert_eq!(
            parsed.postgres.audit_tables.as_deref(),
            Some(&["audit_events".to_owned()][..])
        );
    }

    #[test]
    fn nothing_found_leaves_every_setting_commented_out() {
        let text = render(&Detected::default());
        let parsed: checks::Settings = toml::from_str(&text).unwrap();
        assert_eq!(parsed, checks::Settings::default());
        assert!(text.contains("# runtime_roles = [\"app_user\"]"));
    }
}
