//! The `locations` a repository's Flyway configuration names. Flyway reads every location of
//! a configuration recursively, as one migration history: `filesystem:sql` holding `sql/v1/`
//! and `sql/v2/` is one set, which discovery alone would judge as two (and pass a table that
//! `sql/v2` turns row-level security off for).
//!
//! Read: `flyway.locations` in a `flyway.conf` (also `conf/flyway.conf`), `locations` of the
//! `[flyway]` and `[environments.NAME.flyway]` tables of a `flyway.toml`, both in a directory
//! holding migrations or above one; and `spring.flyway.locations` in Spring Boot's
//! `application*.properties` / `application*.yml` (each profile document) beside classpath
//! migrations (`src/main/resources`). Each list is a set of its own; one that every run uses
//! replaces the sets discovered beneath it, one of a profile or an environment does not. A location vouch cannot place (a
//! placeholder other than Spring's `{vendor}`, a wildcard, a cloud bucket) is left out: its
//! files are discovered as without configuration.

use std::collections::BTreeSet;
use std::path::Path;

use checks::parse::join_relative;
use serde_norway::Value;

/// Where classpath resources live in a Maven or Gradle module.
const RESOURCES: &str = "src/main/resources";

/// One configured location list, as directories relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Configured {
    pub places: Vec<String>,
    /// Whether every run uses it (a `flyway.conf`, `[flyway]`, Spring's default profile), or
    /// only runs of one environment or profile, beside which Flyway's default still runs.
    pub by_default: bool,
}

/// A Flyway configuration that exists but could not be read or parsed: the sets beneath its
/// project are an error, since which locations Flyway reads together is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unread {
    pub path: String,
    pub cause: String,
}

impl Unread {
    /// Whether the configuration governs the `.sql` file `file`: it lies beneath the project
    /// the configuration belongs to.
    pub fn governs(&self, file: &str) -> bool {
        let project = project_of(&self.path);
        project.is_empty() || file.starts_with(&format!("{project}/"))
    }
}

/// The project directory a configuration belongs to: its own directory, the one above
/// `conf/`, or the module of a `src/main/resources` file.
fn project_of(config: &str) -> &str {
    let dir = config.rsplit_once('/').map_or("", |(d, _)| d);
    let dir = dir.strip_suffix(RESOURCES).unwrap_or(dir);
    without_conf(dir.trim_end_matches('/'))
}

/// A directory without a last component named `conf` (`conf/flyway.conf` configures the
/// directory above it); `appconf` is kept.
fn without_conf(dir: &str) -> &str {
    if dir == "conf" {
        return "";
    }
    dir.strip_suffix("/conf").unwrap_or(dir)
}

/// Every configured location list, and the configurations that could not be read. Lists
/// that name no location vouch can place give none.
pub(super) fn configured_locations(
    root: &Path,
    sql_files: &[String],
) -> (Vec<Configured>, Vec<Unread>) {
    let mut out = Vec::new();
    let mut unread = Vec::new();
    for config in candidates(root, sql_files) {
        let read = super::read_text_inside(root, &config, crate::bounded::CONFIG_MAX)
            .and_then(|text| written_locations(&config, &text));
        let lists = match read {
            Ok(lists) => lists,
            Err(cause) => {
                unread.push(Unread {
                    path: config,
                    cause,
                });
                continue;
            }
        };
        // A location vouch cannot place (a placeholder, a wildcard, a bucket) may join any
        // sets: the configuration's sets are an error rather than judged apart.
        let placed: Result<Vec<(bool, Vec<String>)>, String> = (lists.into_iter())
            .map(|(by_default, written)| {
                let places = (written.iter())
                    .map(|w| {
                        place(&config, w).ok_or_else(|| {
                            format!("its location `{w}` cannot be placed in the repository")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((by_default, places))
            })
            .collect();
        match placed {
            Ok(lists) => out.extend(
                (lists.into_iter()).map(|(by_default, places)| Configured { places, by_default }),
            ),
            Err(cause) => unread.push(Unread {
                path: config,
                cause,
            }),
        }
    }
    (out, unread)
}

/// The configuration files that may name the locations of these `.sql` files.
fn candidates(root: &Path, sql_files: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in sql_files {
        let mut dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        loop {
            for name in ["flyway.conf", "conf/flyway.conf", "flyway.toml"] {
                out.insert(join_relative(dir, name).unwrap_or_default());
            }
            if dir.is_empty() {
                break;
            }
            dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
        }
        if let Some((module, _)) = file.split_once(&format!("{RESOURCES}/")) {
            let resources = format!("{module}{RESOURCES}");
            let Ok(entries) = std::fs::read_dir(root.join(&resources)) else {
                continue;
            };
            out.extend(entries.filter_map(Result::ok).filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let spring = name.starts_with("application")
                    && [".properties", ".yml", ".yaml"]
                        .iter()
                        .any(|x| name.ends_with(x));
                spring.then(|| format!("{resources}/{name}"))
            }));
        }
    }
    // A symlink is kept: reading it checks that it stays inside the scanned tree.
    out.retain(|config| std::fs::symlink_metadata(root.join(config)).is_ok_and(|m| !m.is_dir()));
    out
}

/// The location lists a configuration file writes, as written (comma-separated lists split),
/// each with whether every run uses it: one per Flyway TOML `[flyway]` or
/// `[environments.NAME.flyway]` table, per Spring YAML document (a profile each), or the one
/// property of a `.conf`/`.properties` file (`application-PROFILE.*` is a profile's).
fn written_locations(config: &str, text: &str) -> Result<Vec<(bool, Vec<String>)>, String> {
    let name = config.rsplit('/').next().unwrap_or(config);
    let profile_file = name.starts_with("application-");
    let lists: Vec<(bool, Vec<String>)> = if name == "flyway.toml" {
        toml_locations(text)?
    } else if name.ends_with(".yml") || name.ends_with(".yaml") {
        let documents = yaml_locations(text)?;
        (documents.into_iter())
            .map(|(by_default, list)| (by_default && !profile_file, list))
            .collect()
    } else {
        let key = if name == "flyway.conf" {
            "flyway.locations"
        } else {
            "spring.flyway.locations"
        };
        (property(text, key)?.into_iter())
            .map(|l| (!profile_file, vec![l]))
            .collect()
    };
    let split = |list: Vec<String>| -> Vec<String> {
        (list.iter())
            .flat_map(|l| l.split(','))
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    };
    Ok((lists.into_iter())
        .map(|(by_default, list)| (by_default, split(list)))
        .filter(|(_, list)| !list.is_empty())
        .collect())
}

/// `locations` of the `[flyway]` table and of each `[environments.NAME.flyway]` table.
fn toml_locations(text: &str) -> Result<Vec<(bool, Vec<String>)>, String> {
    let table = toml::from_str::<toml::Table>(text)
        .map_err(|e| checks::redact::ParseError::toml(&e, text).to_string())?;
    let environments = (table.get("environments").and_then(toml::Value::as_table))
        .into_iter()
        .flat_map(|envs| envs.values())
        .filter_map(|env| env.get("flyway"));
    let tables = (table.get("flyway").map(|t| (true, t)).into_iter())
        .chain(environments.map(|t| (false, t)));
    Ok(tables
        .filter_map(|(by_default, flyway)| match flyway.get("locations")? {
            toml::Value::Array(items) => Some((
                by_default,
                (items.iter())
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            )),
            toml::Value::String(s) => Some((by_default, vec![s.clone()])),
            _ => None,
        })
        .collect())
}

/// `spring.flyway.locations` of each document of a Spring Boot YAML file, and whether the
/// document applies without a profile.
fn yaml_locations(text: &str) -> Result<Vec<(bool, Vec<String>)>, String> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let doc = Value::deserialize(document)
            .map_err(|e| checks::redact::ParseError::yaml(&e).to_string())?;
        let profiled = dotted(&doc, &["spring", "config", "activate", "on-profile"]).is_some()
            || dotted(&doc, &["spring", "profiles"]).is_some();
        match dotted(&doc, &["spring", "flyway", "locations"]) {
            Some(Value::String(s)) => out.push((!profiled, vec![s.clone()])),
            Some(Value::Sequence(items)) => {
                let list = (items.iter()).filter_map(|v| v.as_str().map(str::to_owned));
                out.push((!profiled, list.collect()));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The value at `path` in a YAML mapping, each level's key written alone or joined with the
/// next ones by dots (`spring:` `flyway.locations:`), as Spring's relaxed binding reads it.
fn dotted<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(value);
    }
    (1..=path.len()).find_map(|n| dotted(value.get(path[..n].join("."))?, &path[n..]))
}

/// The value of `key` in a properties text (`key=value` or `key: value`; the last one wins).
fn property(text: &str, key: &str) -> Result<Option<String>, String> {
    let values = (text.lines())
        .rev()
        .filter_map(|line| line.trim().strip_prefix(key));
    for rest in values {
        let rest = rest.trim_start();
        if rest.starts_with('[') || rest.ends_with('\\') {
            return Err(format!(
                "`{key}` is written as an indexed list or continued on the next line, which is not read"
            ));
        }
        if let Some(value) = rest.strip_prefix(['=', ':']) {
            return Ok(Some(value.trim().to_owned()));
        }
    }
    Ok(None)
}

/// The repository directory a written location names, from the configuration at `config`:
/// `filesystem:` paths are relative to the configuration's directory (the project directory
/// for `conf/flyway.conf`); `classpath:` ones (and unprefixed ones, Flyway's default) are under
/// the module's `src/main/resources`. `None` for what cannot be placed.
fn place(config: &str, written: &str) -> Option<String> {
    let written = written.replace("{vendor}", "postgresql");
    if written.contains(['{', '$', '*', '?']) || written.starts_with('/') {
        return None;
    }
    let dir = config.rsplit_once('/').map_or("", |(d, _)| d);
    let project = without_conf(dir);
    if let Some(path) = written.strip_prefix("filesystem:") {
        return join_relative(project, path).filter(|p| !p.is_empty());
    }
    let path = written.strip_prefix("classpath:").unwrap_or(&written);
    if written.contains(':') && !written.starts_with("classpath:") {
        return None;
    }
    let resources = if dir.ends_with(RESOURCES) {
        dir.to_owned()
    } else {
        join_relative(project, RESOURCES)?
    };
    join_relative(&resources, path).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `text` at `rel` under `root`, making its directories.
    fn write_file(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A file's location lists, each as `default: a,b` or `profile: a`.
    fn lists(config: &str, text: &str) -> Vec<String> {
        (written_locations(config, text).unwrap().into_iter())
            .map(|(by_default, list)| {
                let applies = if by_default { "default" } else { "profile" };
                format!("{applies}: {}", list.join(","))
            })
            .collect()
    }

    #[test]
    fn locations_are_read_where_each_tool_writes_them() {
        let conf = "# flyway\nflyway.url=jdbc:postgresql://db/app\nflyway.locations=filesystem:sql,classpath:db/extra\n";
        assert_eq!(
            lists("flyway.conf", conf),
            ["default: filesystem:sql,classpath:db/extra"]
        );
        let toml = "[environments.prod]\nurl = \"x\"\n[environments.prod.flyway]\n\
                    locations = [\"filesystem:db/prod\"]\n[flyway]\nlocations = [\"filesystem:db/schema\"]\n";
        assert_eq!(
            lists("flyway.toml", toml),
            [
                "default: filesystem:db/schema",
                "profile: filesystem:db/prod"
            ]
        );
        let yml = "server:\n  port: 8080\nspring:\n  flyway:\n    locations:\n      - classpath:db/changes\n";
        let profiles = format!(
            "{yml}---\nspring:\n  config.activate.on-profile: it\n  flyway.locations: classpath:db/it\n"
        );
        assert_eq!(
            lists("api/src/main/resources/application.yml", &profiles),
            ["default: classpath:db/changes", "profile: classpath:db/it"]
        );
        let properties =
            "spring.flyway.enabled=true\nspring.flyway.locations = classpath:db/{vendor}\n";
        assert_eq!(
            lists("src/main/resources/application-prod.properties", properties),
            ["profile: classpath:db/{vendor}"]
        );
    }

    #[test]
    fn a_configured_location_is_one_set_with_its_subdirectories() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| write_file(root.path(), rel, text);
        let files = [
            "database/changes/2024-01/V1__init.sql",
            "database/changes/2024-03/V2__off.sql",
        ];
        for file in files {
            write(file, "SELECT 1;\n");
        }
        let sql_files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
        let names = |sets: Vec<super::super::MigrationSet>| -> Vec<String> {
            sets.into_iter().map(|s| s.name).collect()
        };
        assert_eq!(
            names(super::super::discovered(root.path(), &sql_files)),
            [
                "migrations:database/changes/2024-01",
                "migrations:database/changes/2024-03"
            ]
        );
        write(
            "flyway.conf",
            "flyway.locations=filesystem:database/changes\n",
        );
        assert_eq!(
            names(super::super::discovered(root.path(), &sql_files)),
            ["migrations:database/changes"]
        );
    }

    #[test]
    fn an_unreadable_configuration_makes_the_sets_beneath_it_an_error() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| write_file(root.path(), rel, text);
        write(
            "svc/sql/V1__init.sql",
            "CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid);\n",
        );
        write("other/db/migration/V1__x.sql", "CREATE TABLE u (id int);\n");
        // Not TOML; the value after `password` must not be quoted back.
        write("svc/flyway.toml", "[flyway\npassword = \"hunter2-Zq81\"\n");
        let files = ["other/db/migration/V1__x.sql", "svc/sql/V1__init.sql"].map(str::to_owned);
        let (_, unread) = configured_locations(root.path(), &files);
        assert_eq!(unread.len(), 1, "{unread:?}");
        assert!(!unread[0].cause.contains("hunter2"), "{unread:?}");
        let errors: Vec<(String, bool)> =
            (super::super::collect_reporting_skipped(root.path(), &[], &files).databases)
                .into_iter()
                .map(|db| {
                    (
                        db.name,
                        db.error.is_some_and(|e| e.contains("svc/flyway.toml")),
                    )
                })
                .collect();
        assert_eq!(
            errors,
            [
                ("migrations:other/db/migration".to_owned(), false),
                ("migrations:svc/sql".to_owned(), true),
            ]
        );
    }

    #[test]
    fn a_location_vouch_cannot_place_or_read_is_an_unread_configuration() {
        let root = tempfile::tempdir().unwrap();
        write_file(root.path(), "sql/V1__a.sql", "SELECT 1;\n");
        let files = ["sql/V1__a.sql".to_owned()];
        for conf in [
            "flyway.locations=filesystem:${SQL_DIR}\n",
            "flyway.locations=filesystem:sql,\\\n  filesystem:more\n",
        ] {
            std::fs::write(root.path().join("flyway.conf"), conf).unwrap();
            let (lists, unread) = configured_locations(root.path(), &files);
            assert!(
                lists.is_empty() && unread.len() == 1,
                "{conf}: {lists:?} {unread:?}"
            );
        }
    }

    #[test]
    fn each_configured_list_is_a_history_of_its_own() {
        let files: Vec<String> = ["db/migration/V1__init.sql", "db/rls/V2__rls.sql"]
            .map(str::to_owned)
            .into();
        let configured = |places: &[&str], by_default| Configured {
            places: places.iter().map(|p| (*p).to_owned()).collect(),
            by_default,
        };
        let lists = [
            configured(&["db/migration"], true),
            configured(&["db/migration", "db/rls"], false),
        ];
        let sets: Vec<(String, usize)> = (super::super::discover_in(&files, &lists).into_iter())
            .map(|set| (set.name, set.files.len()))
            .collect();
        assert_eq!(
            sets,
            [
                ("migrations:db/migration".to_owned(), 1),
                ("migrations:db/migration,db/rls".to_owned(), 2),
                // Only a profile's list covers it: discovered as without configuration.
                ("migrations:db/rls".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn locations_are_placed_in_the_repository() {
        let cases = [
            ("flyway.conf", "filesystem:sql", Some("sql")),
            ("conf/flyway.conf", "filesystem:./db/sql", Some("db/sql")),
            (
                "svc/flyway.toml",
                "db/migration",
                Some("svc/src/main/resources/db/migration"),
            ),
            (
                "api/src/main/resources/application.properties",
                "classpath:db/{vendor}",
                Some("api/src/main/resources/db/postgresql"),
            ),
            ("flyway.conf", "filesystem:${SQL_DIR}", None),
            ("flyway.conf", "s3:bucket/sql", None),
            ("flyway.conf", "filesystem:/opt/sql", None),
            ("flyway.conf", "filesystem:../outside", None),
            ("appconf/flyway.conf", "filesystem:sql", Some("appconf/sql")),
        ];
        for (config, written, want) in cases {
            assert_eq!(
                place(config, written).as_deref(),
                want,
                "{config}: {written}"
            );
        }
    }
}
