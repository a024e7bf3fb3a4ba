//! The migrations source: finds PostgreSQL migration sets in a repository, orders each as the
//! tool that owns it would apply it, parses the files in parallel (the pure
//! `checks::parse::sql::parse_file`) and folds each set, in order, into one
//! [`pg::Database`] with origin `migrations`.
//!
//! Layouts recognised (without configuration):
//! - Flyway `V<version>__<desc>.sql` (version order: `V1_1` after `V1`, before `V2`), then
//!   repeatable `R__<desc>.sql` by description; the SQL callbacks `migrate` fires
//!   (`beforeMigrate[__desc].sql`, `beforeEachMigrate…` before the first migration,
//!   `afterMigrate…`, `afterEachMigrate…` after the repeatables, as on a fresh database; the
//!   other events' never). Undo migrations `U<version>__` are down migrations: never applied.
//!   A baseline migration `B<version>__` (Flyway Teams) replaces the versioned migrations up
//!   to its version on a fresh database only: with those versioned migrations present, the
//!   set is judged twice, as the full history and as a fresh database from the latest
//!   baseline. Prefixes are case-sensitive, as Flyway's. A location is read recursively: the
//!   nearest enclosing `migration(s)` directory, or a per-database directory under it
//!   (`db/migration/postgres`); a location the repository's Flyway configuration names is
//!   one set with every directory beneath it (`flyway_config`). Any other `.sql` file in a
//!   Flyway location makes the set an error (Flyway skips it; another tool may not);
//! - golang-migrate / sqlx `<version>_<name>.up.sql` (`.down.sql` never);
//! - diesel `migrations/<version_name>/up.sql` (never `down.sql`);
//! - prisma `prisma/migrations/<timestamp_name>/migration.sql`;
//! - any `*.sql` under a directory named `migrations`, `migrate`, `migration` or `drizzle`
//!   (supabase, drizzle-kit, sqlx, dbmate…), in natural order of name (`2` before `10`);
//! - single-file schemas: Rails `structure.sql` and pg_dump `schema.sql`.
//!
//! Seed files (`seed*.sql`) and down migrations are never applied. `[postgres] migrations =
//! [globs]` replaces discovery: each glob is one set, in natural order of path.
//!
//! A set with a file that cannot be read becomes a database with `error` set: its checks
//! report `error` rather than judging a partial schema.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use checks::facts::pg;
use checks::parse::sql::sections::Engine;
use checks::parse::sql::{self, ParsedFile};
use checks::resolve::Pattern;
use rayon::prelude::*;

/// Directory names whose `*.sql` files are migrations.
const MIGRATION_DIRS: &[&str] = &["migrations", "migrate", "migration", "drizzle"];

/// One migration set: a name and its files in the order they are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSet {
    pub name: String,
    /// Paths relative to the scanned root, forward slashes.
    pub files: Vec<String>,
    /// Files of the set whose part in it is unclear (a file among Flyway migrations that
    /// Flyway's naming does not recognise: Flyway skips it, another tool may run it). The set
    /// is then an error: neither applying nor skipping such a file is safe to judge.
    pub unclear: Vec<String>,
}

mod flyway_config;

/// The migration sets under `root`, each with its files in the order they are applied.
pub fn sets(root: &Path, globs: &[Pattern]) -> Vec<MigrationSet> {
    sets_among(root, &sql_files(root), globs).0
}

/// The sets a scan with no `[postgres] migrations` finds among `sql_files` (relative paths,
/// sorted) of the tree at `root`: discovery, with the repository's Flyway locations read.
pub fn discovered(root: &Path, sql_files: &[String]) -> Vec<MigrationSet> {
    sets_among(root, sql_files, &[]).0
}

/// The migration sets among `sql_files` (relative paths, sorted) of the tree at `root`, and
/// the Flyway configurations that could not be read.
fn sets_among(
    root: &Path,
    sql_files: &[String],
    globs: &[Pattern],
) -> (Vec<MigrationSet>, Vec<flyway_config::Unread>) {
    if globs.is_empty() {
        let (configured, unread) = flyway_config::configured_locations(root, sql_files);
        (discover_in(sql_files, &configured), unread)
    } else {
        (from_globs(sql_files, globs), Vec::new())
    }
}

/// Discovers, parses and folds every migration set under `root`, walking the tree itself.
pub fn collect(root: &Path, globs: &[Pattern]) -> Vec<pg::Database> {
    collect_among(root, globs, &sql_files(root))
}

/// As [`collect`], over the `.sql` files the repository walk already found (sorted), so a
/// scan walks the tree once.
pub fn collect_among(root: &Path, globs: &[Pattern], sql_files: &[String]) -> Vec<pg::Database> {
    collect_reporting_skipped(root, globs, sql_files).databases
}

/// The folded PostgreSQL sets, and the discovered sets that are not PostgreSQL.
#[derive(Debug, Default)]
pub struct Collected {
    pub databases: Vec<pg::Database>,
    /// `(set name, why it was not read as PostgreSQL)`.
    pub skipped: Vec<(String, String)>,
}

/// As [`collect_among`], also naming the discovered sets skipped because their SQL is another
/// engine's (ClickHouse, MySQL, SQLite), for the scan's collection record. A set configured
/// with `[postgres] migrations` is always read as PostgreSQL, and one that yields no table is
/// an error.
pub fn collect_reporting_skipped(
    root: &Path,
    globs: &[Pattern],
    sql_files: &[String],
) -> Collected {
    let configured = !globs.is_empty();
    let (sets, unread_configs) = sets_among(root, sql_files, globs);
    let all: Vec<&String> = sets.iter().flat_map(|s| &s.files).collect();
    let parsed: BTreeMap<&String, Result<ParsedFile, String>> = all
        .par_iter()
        .map(|rel| (*rel, read_and_parse(root, rel)))
        .collect();
    let mut collected = Collected::default();
    for set in &sets {
        let mut files = Vec::with_capacity(set.files.len());
        let mut errors = Vec::new();
        for rel in &set.files {
            match &parsed[rel] {
                Ok(f) => files.push(f),
                Err(e) => errors.push(format!("{rel}: {e}")),
            }
        }
        if !configured
            && errors.is_empty()
            && let Some(reason) = other_engine(&files)
        {
            collected.skipped.push((set.name.clone(), reason));
            continue;
        }
        let mut db = sql::fold(&set.name, files.iter().copied());
        let unread_config =
            (unread_configs.iter()).find(|u| set.files.iter().any(|f| u.governs(f)));
        if let Some(config) = unread_config {
            db.error = Some(format!(
                "the Flyway configuration {} could not be read ({}): which locations Flyway applies together is unknown",
                config.path, config.cause
            ));
        } else if !set.unclear.is_empty() {
            db.error = Some(format!(
                "{} sit(s) among Flyway migrations without a Flyway name (V<version>__, R__, a callback): Flyway's migrate skips such a file, another tool may run it, so which schema results is unclear; rename it, move it out, or list the files that apply in [postgres] migrations",
                set.unclear.join(", ")
            ));
        } else if !errors.is_empty() {
            db.error = Some(format!(
                "migration files could not be read ({})",
                errors.join("; ")
            ));
        } else if configured && db.error.is_none() && db.tables.is_empty() {
            db.error = Some(format!(
                "the configured migration set yields no table ({} file(s) matched): check [postgres] migrations",
                set.files.len()
            ));
        }
        collected.databases.push(db);
    }
    collected
}

/// Why a set is another engine's: no file has PostgreSQL-only syntax and at least one has
/// another engine's (named with the file).
fn other_engine(files: &[&ParsedFile]) -> Option<String> {
    if files.iter().any(|f| f.engine == Engine::Postgres) {
        return None;
    }
    files.iter().find_map(|f| match f.engine {
        Engine::Other(engine, marker) => Some(format!(
            "not PostgreSQL: {engine} syntax (`{marker}`) in {}",
            f.path
        )),
        _ => None,
    })
}

fn read_and_parse(root: &Path, rel: &str) -> Result<ParsedFile, String> {
    // Capped: the fold holds every statement in memory (a 300 MB file took 633 MB).
    let text = read_text_inside(root, rel, crate::bounded::MIGRATION_MAX)?;
    Ok(sql::parse_file(rel, &text))
}

/// The UTF-8 text of the file `rel` of the tree at `root`, at most `cap` bytes, read only when
/// it stays inside the tree (a symlink may lead out of it).
fn read_text_inside(root: &Path, rel: &str, cap: u64) -> Result<String, String> {
    let path = root.join(rel);
    let inside = match (std::fs::canonicalize(root), std::fs::canonicalize(&path)) {
        (Ok(root), Ok(target)) => target.starts_with(root),
        (_, Err(e)) => return Err(e.to_string()),
        (Err(e), _) => return Err(format!("the scanned directory cannot be resolved: {e}")),
    };
    if !inside {
        return Err("a symlink leading outside the scanned tree: not read".to_owned());
    }
    let bytes = crate::bounded::read_file(&path, cap).map_err(|e| e.to_string())?;
    String::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()))
}

/// Every `*.sql` file (relative, forward slashes) the repository walk judges: git's tracked
/// files in a work tree, every file elsewhere (no ignore file honoured).
fn sql_files(root: &Path) -> Vec<String> {
    super::repo::sql_files(root)
}

/// What a `.sql` file is, from its path alone.
#[derive(Debug, PartialEq, Eq)]
enum Role {
    /// A member of the set rooted at `dir`, ordered by `key`.
    Member {
        dir: String,
        key: SortKey,
    },
    /// A Flyway baseline migration `B<version>__<desc>.sql` of the set rooted at `dir`.
    Baseline {
        dir: String,
        version: Vec<u128>,
    },
    /// A whole schema in one file.
    Single,
    Ignored,
}

/// The migration sets among `sql_files`, by their paths alone (no Flyway configuration read).
#[cfg(test)]
fn discover(sql_files: &[String]) -> Vec<MigrationSet> {
    discover_in(sql_files, &[])
}

/// The migration sets among `sql_files`, each configured Flyway location list (`configured`,
/// see [`flyway_config`]) one set with every directory beneath its locations.
fn discover_in(
    sql_files: &[String],
    configured: &[flyway_config::Configured],
) -> Vec<MigrationSet> {
    let mut sets: BTreeMap<String, Vec<(SortKey, String)>> = BTreeMap::new();
    let mut baselines: BTreeMap<String, Vec<(Vec<u128>, String)>> = BTreeMap::new();
    let mut singles = Vec::new();
    for rel in sql_files {
        match role(rel) {
            Role::Member { dir, key } => sets.entry(dir).or_default().push((key, rel.clone())),
            Role::Baseline { dir, version } => {
                sets.entry(dir.clone()).or_default();
                baselines
                    .entry(dir)
                    .or_default()
                    .push((version, rel.clone()));
            }
            Role::Single => singles.push(rel.clone()),
            Role::Ignored => {}
        }
    }
    apply_configured(configured, &mut sets, &mut baselines);
    // A file under a Flyway location that Flyway does not name (`db/migration/old/x.sql`,
    // `db/migration/2024_x/up.sql`) belongs to that location: it makes the set an error below.
    let locations: Vec<String> = (sets.iter())
        .filter(|(dir, files)| {
            baselines.contains_key(*dir)
                || (files.iter())
                    .any(|(k, _)| k.flyway_version.is_some() || k.phase != Phase::Versioned)
        })
        .map(|(dir, _)| dir.clone())
        .collect();
    for location in &locations {
        let nested: Vec<String> = (sets.keys())
            .filter(|d| d.starts_with(&format!("{location}/")) && !locations.contains(d))
            .cloned()
            .collect();
        for d in nested {
            let moved = sets.remove(&d).unwrap_or_default();
            sets.entry(location.clone()).or_default().extend(moved);
        }
    }
    let mut out: Vec<MigrationSet> = Vec::new();
    for (dir, mut files) in sets {
        files.sort();
        let name = format!("migrations:{dir}");
        let is_flyway = baselines.contains_key(&dir)
            || (files.iter())
                .any(|(k, _)| k.flyway_version.is_some() || k.phase != Phase::Versioned);
        let unclear: Vec<String> = if is_flyway {
            let (unclear, flyway): (Vec<_>, Vec<_>) = files
                .into_iter()
                .partition(|(k, _)| k.phase == Phase::Versioned && k.flyway_version.is_none());
            files = flyway;
            unclear.into_iter().map(|(_, f)| f).collect()
        } else {
            Vec::new()
        };
        // Flyway runs `beforeMigrate` (and the other before-callbacks) on every migrate, also
        // when nothing is pending: then they run after the last migration. That state is
        // judged too, beside the fresh database's order.
        let later_set = if files.iter().any(|(k, _)| k.phase == Phase::CallbackBefore) {
            let mut later: Vec<&(SortKey, String)> = files
                .iter()
                .filter(|(k, _)| k.phase != Phase::CallbackAfter)
                .filter(|(k, _)| k.phase != Phase::CallbackBefore)
                .collect();
            later.extend(
                files
                    .iter()
                    .filter(|(k, _)| k.phase == Phase::CallbackBefore),
            );
            later.extend(
                files
                    .iter()
                    .filter(|(k, _)| k.phase == Phase::CallbackAfter),
            );
            Some(MigrationSet {
                name: format!("{name} (a later migrate: before-callbacks after the migrations)"),
                files: later.into_iter().map(|(_, f)| f.clone()).collect(),
                unclear: unclear.clone(),
            })
        } else {
            None
        };
        let Some(latest) = baselines
            .remove(&dir)
            .and_then(|b| b.into_iter().max_by(|a, b| flyway_version_cmp(&a.0, &b.0)))
        else {
            out.push(MigrationSet {
                name,
                files: files.into_iter().map(|(_, f)| f).collect(),
                unclear,
            });
            out.extend(later_set);
            continue;
        };
        // Flyway (Teams) applies the latest baseline migration `B<v>` to a fresh database
        // instead of the versioned migrations up to `v`, and ignores it on a database that
        // already ran them: two histories, each a database vouch judges. Without versioned
        // migrations up to `v` in the repository, the baseline is the only history.
        let covered = |k: &SortKey| {
            k.phase == Phase::Versioned
                && k.flyway_version
                    .as_ref()
                    .is_some_and(|v| flyway_version_cmp(v, &latest.0) != Ordering::Greater)
        };
        let fresh: Vec<String> = (files.iter())
            .filter(|(k, _)| k.phase < Phase::Versioned)
            .map(|(_, f)| f.clone())
            .chain(std::iter::once(latest.1.clone()))
            .chain(
                (files.iter())
                    .filter(|(k, _)| k.phase >= Phase::Versioned && !covered(k))
                    .map(|(_, f)| f.clone()),
            )
            .collect();
        if files.iter().any(|(k, _)| covered(k)) {
            out.push(MigrationSet {
                name: name.clone(),
                files: files.into_iter().map(|(_, f)| f).collect(),
                unclear: unclear.clone(),
            });
            out.push(MigrationSet {
                name: format!("{name} (fresh database from baseline {})", latest.1),
                files: fresh,
                unclear,
            });
        } else {
            out.push(MigrationSet {
                name,
                files: fresh,
                unclear,
            });
        }
        out.extend(later_set);
    }
    out.extend(singles.into_iter().map(|f| MigrationSet {
        name: format!("migrations:{f}"),
        files: vec![f],
        unclear: Vec::new(),
    }));
    out
}

/// Adds one set per configured Flyway location list, named after its locations
/// (`db/migration,db/rls`): Flyway reads a configuration's locations recursively, as one
/// history, and each list (a Spring profile, a `flyway.toml` environment) is a history of its
/// own, sharing files with the others. The sets discovered at or beneath a list every run uses
/// are replaced by it; beside a profile's or an environment's list, the discovered sets stay (a
/// run without that profile still applies them, by Flyway's default location).
fn apply_configured(
    configured: &[flyway_config::Configured],
    sets: &mut BTreeMap<String, Vec<(SortKey, String)>>,
    baselines: &mut BTreeMap<String, Vec<(Vec<u128>, String)>>,
) {
    fn under(places: &[String], dir: &str) -> bool {
        (places.iter()).any(|p| dir == p || dir.starts_with(&format!("{p}/")))
    }
    fn gather<T: Clone>(map: &BTreeMap<String, Vec<T>>, places: &[String]) -> Vec<T> {
        (map.iter())
            .filter(|(dir, _)| under(places, dir))
            .flat_map(|(_, found)| found.iter().cloned())
            .collect()
    }
    let mut lists = BTreeMap::new();
    for flyway_config::Configured { places, .. } in configured {
        let (files, found) = (gather(sets, places), gather(baselines, places));
        if !(files.is_empty() && found.is_empty()) {
            lists.entry(places.join(",")).or_insert((files, found));
        }
    }
    let configured_dir =
        |dir: &String| (configured.iter()).any(|list| list.by_default && under(&list.places, dir));
    sets.retain(|dir, _| !configured_dir(dir));
    baselines.retain(|dir, _| !configured_dir(dir));
    for (name, (files, found)) in lists {
        if !found.is_empty() {
            baselines.insert(name.clone(), found);
        }
        sets.insert(name, files);
    }
}

fn role(rel: &str) -> Role {
    let parts: Vec<&str> = rel.split('/').collect();
    let name = parts[parts.len() - 1];
    let lower = name.to_ascii_lowercase();
    let parent = parts.len().checked_sub(2).map(|i| parts[i]);
    let dir_of = |depth: usize| parts[..parts.len().saturating_sub(depth)].join("/");
    if lower == "down.sql" || lower.ends_with(".down.sql") || lower.starts_with("seed") {
        return Role::Ignored;
    }
    if lower == "structure.sql" || lower == "schema.sql" {
        return Role::Single;
    }
    // diesel `<dir>/<version>/up.sql` and prisma `<dir>/<timestamp>/migration.sql`.
    if (lower == "up.sql" || lower == "migration.sql") && parts.len() >= 2 {
        return Role::Member {
            dir: dir_of(2),
            key: SortKey::natural(parent.unwrap_or("")),
        };
    }
    match flyway(name) {
        Some(Flyway::Undo | Flyway::NotOnMigrate) => return Role::Ignored,
        Some(Flyway::Baseline(version)) => {
            return Role::Baseline {
                dir: flyway_location(&parts),
                version,
            };
        }
        Some(Flyway::Ordered(key)) => {
            return Role::Member {
                dir: flyway_location(&parts),
                key,
            };
        }
        None => {}
    }
    let in_migration_dir = parts[..parts.len() - 1]
        .iter()
        .any(|p| MIGRATION_DIRS.contains(&p.to_ascii_lowercase().as_str()));
    if in_migration_dir {
        return Role::Member {
            dir: dir_of(1),
            key: SortKey::natural(name),
        };
    }
    Role::Ignored
}

/// Directory names of Flyway's per-database locations (`db/migration/{vendor}`): a set each.
const VENDOR_DIRS: &[&str] = &[
    "postgres",
    "postgresql",
    "pg",
    "mysql",
    "mariadb",
    "h2",
    "hsqldb",
    "sqlite",
    "sqlserver",
    "mssql",
    "oracle",
    "db2",
    "derby",
    "cockroachdb",
    "redshift",
    "snowflake",
];

/// The location a Flyway file belongs to. Flyway reads a location recursively
/// (`db/migration/v2/V2__x.sql` runs with `db/migration/V1__y.sql`): the nearest enclosing
/// directory named like a migration directory, unless a per-database directory
/// (`db/migration/postgres/…`) lies between, which is then the location; without such a
/// directory, the file's own directory.
fn flyway_location(parts: &[&str]) -> String {
    let dirs = &parts[..parts.len() - 1];
    let lower = |p: &&str| p.to_ascii_lowercase();
    let Some(root) = dirs
        .iter()
        .rposition(|p| MIGRATION_DIRS.contains(&lower(p).as_str()))
    else {
        return dirs.join("/");
    };
    let vendor = (root + 1..dirs.len()).find(|&i| VENDOR_DIRS.contains(&lower(&dirs[i]).as_str()));
    dirs[..=vendor.unwrap_or(root)].join("/")
}

/// What Flyway makes of a file name (default prefixes `V`, `U`, `R`, `B`, case-sensitive,
/// separator `__`, suffix `.sql`; SQL callbacks `<event>.sql` and `<event>__<desc>.sql`). A
/// name Flyway does not recognise (`v2__x.sql`) is `None`: among Flyway migrations it makes
/// the set an error (see [`MigrationSet::unclear`]).
#[derive(Debug, PartialEq, Eq)]
enum Flyway {
    /// Applied by `migrate`, at the place `key` says.
    Ordered(SortKey),
    /// `U<version>__`: an undo migration, run only by `flyway undo` (a down migration).
    Undo,
    /// `B<version>__`: a baseline migration (Flyway Teams), see [`discover`].
    Baseline(Vec<u128>),
    /// A callback of an event that a successful `migrate` does not fire (`beforeClean`,
    /// `afterUndo`, `afterMigrateError`…).
    NotOnMigrate,
}

/// Callback events `migrate` fires before the migrations (`validateOnMigrate` and connecting
/// included): applied before the first versioned migration, as on a fresh database.
const CALLBACKS_BEFORE: &[&str] = &[
    "beforeConnect",
    "afterConnect",
    "createSchema",
    "beforeValidate",
    "afterValidate",
    "beforeBaseline",
    "afterBaseline",
    "beforeMigrate",
    "beforeEachMigrate",
    "beforeEachMigrateStatement",
    "beforeVersioned",
    "beforeRepeatables",
];

/// Callback events `migrate` fires after (or between) the migrations: applied after the
/// repeatable migrations, as their last run leaves the database.
const CALLBACKS_AFTER: &[&str] = &[
    "afterEachMigrateStatement",
    "afterEachMigrate",
    "afterVersioned",
    "afterMigrate",
    "afterMigrateApplied",
];

/// Every other Flyway callback event: fired by other commands (or on failure) only.
const CALLBACKS_OTHER: &[&str] = &[
    "afterEachMigrateStatementError",
    "afterEachMigrateError",
    "afterMigrateError",
    "beforeUndo",
    "beforeEachUndo",
    "beforeEachUndoStatement",
    "afterEachUndoStatement",
    "afterEachUndoStatementError",
    "afterEachUndo",
    "afterEachUndoError",
    "afterUndo",
    "afterUndoError",
    "afterValidateError",
    "afterBaselineError",
    "beforeClean",
    "afterClean",
    "afterCleanError",
    "beforeInfo",
    "afterInfo",
    "afterInfoError",
    "beforeRepair",
    "afterRepair",
    "afterRepairError",
    "afterConnectError",
];

fn flyway(name: &str) -> Option<Flyway> {
    let stem = name.strip_suffix(".sql")?;
    let event = stem.split_once("__").map_or(stem, |(event, _)| event);
    let callback = |phase| SortKey {
        phase,
        flyway_version: None,
        chunks: SortKey::natural(name).chunks,
    };
    if CALLBACKS_BEFORE.contains(&event) {
        return Some(Flyway::Ordered(callback(Phase::CallbackBefore)));
    }
    if CALLBACKS_AFTER.contains(&event) {
        return Some(Flyway::Ordered(callback(Phase::CallbackAfter)));
    }
    if CALLBACKS_OTHER.contains(&event) {
        return Some(Flyway::NotOnMigrate);
    }
    let (head, desc) = stem.split_once("__")?;
    if head == "R" {
        return Some(Flyway::Ordered(SortKey {
            phase: Phase::Repeatable,
            flyway_version: None,
            chunks: vec![Chunk::Text(desc.to_owned())],
        }));
    }
    // Flyway's prefixes are case-sensitive: it skips `v2__x.sql` (flyway/flyway#2056).
    let mut chars = head.chars();
    let prefix = chars.next()?;
    let version: Option<Vec<u128>> = chars
        .as_str()
        .split(['.', '_'])
        .map(|n| n.parse().ok())
        .collect();
    let version = version?;
    match prefix {
        'V' => Some(Flyway::Ordered(SortKey {
            phase: Phase::Versioned,
            chunks: version.iter().copied().map(Chunk::Number).collect(),
            flyway_version: Some(version),
        })),
        'U' => Some(Flyway::Undo),
        'B' => Some(Flyway::Baseline(version)),
        _ => None,
    }
}

/// Flyway's version order: numerically part by part, trailing zeros ignored (`1.0` = `1`).
fn flyway_version_cmp(left: &[u128], right: &[u128]) -> Ordering {
    let parts = left.len().max(right.len());
    (0..parts)
        .map(|i| {
            let l = left.get(i).copied().unwrap_or(0);
            let r = right.get(i).copied().unwrap_or(0);
            l.cmp(&r)
        })
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

/// `[postgres] migrations` globs: one set per glob, natural order of path.
/// One set per configured glob (compiled when the configuration resolved), its files in the
/// order they apply.
fn from_globs(sql_files: &[String], globs: &[Pattern]) -> Vec<MigrationSet> {
    (globs.iter())
        .map(|glob| {
            let mut files: Vec<(SortKey, String)> = (sql_files.iter())
                .filter(|f| glob.is_match(f))
                .map(|f| (SortKey::natural(f), f.clone()))
                .collect();
            files.sort();
            MigrationSet {
                name: format!("migrations:{}", glob.as_str()),
                files: files.into_iter().map(|(_, f)| f).collect(),
                unclear: Vec::new(),
            }
        })
        .collect()
}

/// Orders migration files: Flyway's `before…` callbacks first, versions numerically,
/// repeatables, then the `after…` callbacks; everything else in natural order (digit runs
/// compared as numbers).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    phase: Phase,
    chunks: Vec<Chunk>,
    /// A Flyway versioned migration's version.
    flyway_version: Option<Vec<u128>>,
}

/// Where Flyway runs a file in one `migrate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    CallbackBefore,
    /// Versioned migrations, and every file of the other tools.
    Versioned,
    Repeatable,
    CallbackAfter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Chunk {
    Number(u128),
    Text(String),
}

impl PartialOrd for Chunk {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Chunk {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Chunk::Number(a), Chunk::Number(b)) => a.cmp(b),
            (Chunk::Text(a), Chunk::Text(b)) => a.cmp(b),
            (Chunk::Number(_), Chunk::Text(_)) => Ordering::Less,
            (Chunk::Text(_), Chunk::Number(_)) => Ordering::Greater,
        }
    }
}

impl SortKey {
    pub fn natural(s: &str) -> SortKey {
        let mut chunks = Vec::new();
        let mut digits = String::new();
        let mut text = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                if !text.is_empty() {
                    chunks.push(Chunk::Text(std::mem::take(&mut text)));
                }
                digits.push(c);
            } else {
                if !digits.is_empty() {
                    chunks.push(Chunk::Number(digits.parse().unwrap_or(u128::MAX)));
                    digits.clear();
                }
                text.push(c);
            }
        }
        if !digits.is_empty() {
            chunks.push(Chunk::Number(digits.parse().unwrap_or(u128::MAX)));
        }
        if !text.is_empty() {
            chunks.push(Chunk::Text(text));
        }
        SortKey {
            phase: Phase::Versioned,
            chunks,
            flyway_version: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_over_the_cap_is_an_error_naming_the_file_and_the_cap() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("db/migrations");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("001_init.up.sql"), "CREATE TABLE t (id int);").unwrap();
        // Sparse: a huge file costs no disk, and must cost no memory either.
        let big = std::fs::File::create(dir.join("002_big.up.sql")).unwrap();
        big.set_len(crate::bounded::MIGRATION_MAX + 1).unwrap();
        let dbs = collect(root.path(), &[]);
        let error = dbs[0].error.clone().unwrap_or_default();
        assert!(
            error.contains(
                "db/migrations/002_big.up.sql: is 33554433 bytes or more, over the limit of 32 MiB"
            ),
            "{error}"
        );
    }

    fn names(files: &[&str]) -> Vec<(String, Vec<String>)> {
        let files: Vec<String> = files.iter().map(|s| (*s).to_owned()).collect();
        discover(&files)
            .into_iter()
            .map(|s| (s.name, s.files))
            .collect()
    }

    #[test]
    fn orders_each_tool_like_the_tool() {
        let got = names(&[
            "sql/V10__late.sql",
            "sql/V2__second.sql",
            "sql/V1_1__patch.sql",
            "sql/V1__first.sql",
            "sql/R__views.sql",
            "db/migrations/10_b.up.sql",
            "db/migrations/9_a.up.sql",
            "db/migrations/9_a.down.sql",
            "migrations/2024-01-02_x/up.sql",
            "migrations/2024-01-02_x/down.sql",
            "migrations/2024-01-01_y/up.sql",
            "prisma/migrations/20240101_init/migration.sql",
            "db/structure.sql",
            "db/seeds.sql",
            "drizzle/0001_b.sql",
            "drizzle/0000_a.sql",
            "queries/report.sql",
        ]);
        assert_eq!(
            got,
            vec![
                (
                    "migrations:db/migrations".to_owned(),
                    vec![
                        "db/migrations/9_a.up.sql".to_owned(),
                        "db/migrations/10_b.up.sql".to_owned()
                    ]
                ),
                (
                    "migrations:drizzle".to_owned(),
                    vec![
                        "drizzle/0000_a.sql".to_owned(),
                        "drizzle/0001_b.sql".to_owned()
                    ]
                ),
                (
                    "migrations:migrations".to_owned(),
                    vec![
                        "migrations/2024-01-01_y/up.sql".to_owned(),
                        "migrations/2024-01-02_x/up.sql".to_owned()
                    ]
                ),
                (
                    "migrations:prisma/migrations".to_owned(),
                    vec!["prisma/migrations/20240101_init/migration.sql".to_owned()]
                ),
                (
                    "migrations:sql".to_owned(),
                    [
                        "sql/V1__first.sql",
                        "sql/V1_1__patch.sql",
                        "sql/V2__second.sql",
                        "sql/V10__late.sql",
                        "sql/R__views.sql"
                    ]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
                ),
                (
                    "migrations:db/structure.sql".to_owned(),
                    vec!["db/structure.sql".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn flyway_undo_migrations_are_never_applied_and_callbacks_run_where_migrate_runs_them() {
        let got = names(&[
            "db/migration/U2__bulk_import.sql",
            "db/migration/V2__bulk_import.sql",
            "db/migration/V1__init.sql",
            "db/migration/R__views.sql",
            "db/migration/afterMigrate__grants.sql",
            "db/migration/afterMigrate.sql",
            "db/migration/beforeMigrate.sql",
            "db/migration/beforeClean.sql",
            "db/migration/afterUndo__x.sql",
            "db/migration/afterMigrateError.sql",
        ]);
        assert_eq!(
            got,
            vec![(
                "migrations:db/migration".to_owned(),
                [
                    "db/migration/beforeMigrate.sql",
                    "db/migration/V1__init.sql",
                    "db/migration/V2__bulk_import.sql",
                    "db/migration/R__views.sql",
                    "db/migration/afterMigrate.sql",
                    "db/migration/afterMigrate__grants.sql",
                ]
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
            ),
            (
                "migrations:db/migration (a later migrate: before-callbacks after the migrations)"
                    .to_owned(),
                [
                    "db/migration/V1__init.sql",
                    "db/migration/V2__bulk_import.sql",
                    "db/migration/R__views.sql",
                    "db/migration/beforeMigrate.sql",
                    "db/migration/afterMigrate.sql",
                    "db/migration/afterMigrate__grants.sql",
                ]
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
            )]
        );
    }

    #[test]
    fn a_flyway_baseline_is_judged_as_a_fresh_database_beside_the_full_history() {
        let files: Vec<String> = [
            "sql/V1__init.sql",
            "sql/V2__disable.sql",
            "sql/B2__baseline.sql",
            "sql/B1__older.sql",
            "sql/V3__more.sql",
            "sql/R__views.sql",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let sets = discover(&files);
        assert_eq!(sets.len(), 2, "{sets:?}");
        assert_eq!(sets[0].name, "migrations:sql");
        assert_eq!(
            sets[0].files,
            [
                "sql/V1__init.sql",
                "sql/V2__disable.sql",
                "sql/V3__more.sql",
                "sql/R__views.sql"
            ]
        );
        assert_eq!(
            sets[1].name,
            "migrations:sql (fresh database from baseline sql/B2__baseline.sql)"
        );
        assert_eq!(
            sets[1].files,
            [
                "sql/B2__baseline.sql",
                "sql/V3__more.sql",
                "sql/R__views.sql"
            ]
        );
        // Squashed history: only the baseline and what follows it.
        let squashed: Vec<String> = ["sql/B2__baseline.sql", "sql/V3__more.sql"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let sets = discover(&squashed);
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].name, "migrations:sql");
        assert_eq!(sets[0].files, ["sql/B2__baseline.sql", "sql/V3__more.sql"]);
    }

    #[test]
    fn an_unnamed_file_among_flyway_migrations_makes_the_set_an_error() {
        let dir = repo(&[
            (
                "db/migration/V1__init.sql",
                "CREATE TABLE orders (tenant_id uuid);\nALTER TABLE orders DISABLE ROW LEVEL SECURITY;",
            ),
            (
                "db/migration/rollback_1.sql",
                "ALTER TABLE orders ENABLE ROW LEVEL SECURITY;",
            ),
        ]);
        let files = sql_files(dir.path());
        let sets = discover(&files);
        assert_eq!(sets[0].files, ["db/migration/V1__init.sql"]);
        assert_eq!(sets[0].unclear, ["db/migration/rollback_1.sql"]);
        let dbs = collect(dir.path(), &[]);
        let e = dbs[0].error.as_deref().expect("an error");
        assert!(
            e.contains("db/migration/rollback_1.sql sit(s) among Flyway migrations"),
            "{e}"
        );
    }

    #[test]
    fn a_flyway_location_is_read_recursively_except_per_database_directories() {
        let got = names(&[
            "src/main/resources/db/migration/V1__init.sql",
            "src/main/resources/db/migration/v2/V2__disable.sql",
            "src/main/resources/db/migration/v2/notes.sql",
            "other/db/migration/postgres/V1__a.sql",
            "other/db/migration/mysql/V1__a.sql",
            "sql/V1__a.sql",
        ]);
        let sets: Vec<(&str, usize)> = got.iter().map(|(n, f)| (n.as_str(), f.len())).collect();
        assert_eq!(
            sets,
            [
                ("migrations:other/db/migration/mysql", 1),
                ("migrations:other/db/migration/postgres", 1),
                ("migrations:sql", 1),
                ("migrations:src/main/resources/db/migration", 2),
            ]
        );
        let files: Vec<String> = [
            "src/main/resources/db/migration/V1__init.sql",
            "src/main/resources/db/migration/v2/V2__disable.sql",
            "src/main/resources/db/migration/v2/notes.sql",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let set = &discover(&files)[0];
        assert_eq!(
            set.unclear,
            ["src/main/resources/db/migration/v2/notes.sql"]
        );
    }

    #[test]
    fn flyway_versions_ignore_trailing_zeros() {
        assert_eq!(flyway_version_cmp(&[1, 0], &[1]), Ordering::Equal);
        assert_eq!(flyway_version_cmp(&[1, 1], &[1]), Ordering::Greater);
        assert_eq!(flyway_version_cmp(&[2], &[10]), Ordering::Less);
        assert_eq!(flyway("U2__x.sql"), Some(Flyway::Undo));
        assert_eq!(flyway("B3_1__x.sql"), Some(Flyway::Baseline(vec![3, 1])));
        assert_eq!(flyway("afterClean.sql"), Some(Flyway::NotOnMigrate));
        assert_eq!(flyway("Vx__x.sql"), None);
        // Flyway's prefixes are case-sensitive: a lower-case one is not run.
        assert_eq!(flyway("v2__x.sql"), None);
        assert_eq!(flyway("r__x.sql"), None);
        assert_eq!(flyway("notes.sql"), None);
    }

    #[test]
    fn an_unreadable_file_makes_the_whole_set_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("db/migrations");
        std::fs::create_dir_all(&migrations).expect("dirs");
        std::fs::write(
            migrations.join("001_ok.sql"),
            "CREATE TABLE a (tenant_id int);",
        )
        .expect("write");
        std::fs::write(migrations.join("002_bad.sql"), b"ALTER TABLE a \xff;").expect("write");
        let dbs = collect(dir.path(), &[]);
        assert_eq!(dbs.len(), 1);
        let error = dbs[0].error.as_deref().expect("an error");
        assert!(
            error.contains("db/migrations/002_bad.sql: not valid UTF-8"),
            "{error}"
        );
    }

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
            std::fs::write(p, text).expect("write");
        }
        dir
    }

    #[test]
    fn other_engines_sets_are_skipped_and_named() {
        let dir = repo(&[
            (
                "clickhouse/migrations/001_events.sql",
                "CREATE TABLE events (tenant_id UInt64) ENGINE = MergeTree ORDER BY tenant_id;",
            ),
            (
                "db/migrations/001_init.up.sql",
                "CREATE TABLE orders (tenant_id uuid);",
            ),
        ]);
        let files = sql_files(dir.path());
        let got = collect_reporting_skipped(dir.path(), &[], &files);
        assert_eq!(got.databases.len(), 1);
        assert_eq!(got.databases[0].name, "migrations:db/migrations");
        assert_eq!(got.skipped.len(), 1);
        assert_eq!(got.skipped[0].0, "migrations:clickhouse/migrations");
        assert!(got.skipped[0].1.contains("ClickHouse"), "{:?}", got.skipped);
    }

    #[test]
    fn goose_down_sections_are_not_applied() {
        let dir = repo(&[(
            "db/migrations/00001_init.sql",
            "-- +goose Up\nCREATE TABLE orders (tenant_id uuid);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\n-- +goose Down\nDROP TABLE orders;\n",
        )]);
        let dbs = collect(dir.path(), &[]);
        assert_eq!(
            dbs[0].tables.len(),
            1,
            "the Down section undid the Up section"
        );
        assert!(dbs[0].tables[0].rls_enabled);
        assert_eq!(
            dbs[0].tables[0].location,
            checks::model::Location::file("db/migrations/00001_init.sql", 2)
        );
    }

    #[test]
    fn a_configured_set_without_tables_is_an_error() {
        let dir = repo(&[("sql/001.sql", "SELECT 1;")]);
        let globs = [
            Pattern::new("db/*.sql").unwrap(),
            Pattern::new("sql/*.sql").unwrap(),
        ];
        let dbs = collect(dir.path(), &globs);
        assert_eq!(dbs.len(), 2);
        for db in &dbs {
            let e = db.error.as_deref().expect("an error");
            assert!(e.contains("yields no table"), "{e}");
        }
    }

    #[test]
    fn globs_override_discovery() {
        let files: Vec<String> = ["x/b10.sql", "x/b9.sql", "y/c.sql"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let sets = from_globs(&files, &[Pattern::new("x/*.sql").unwrap()]);
        assert_eq!(sets[0].files, vec!["x/b9.sql", "x/b10.sql"]);
    }
}
