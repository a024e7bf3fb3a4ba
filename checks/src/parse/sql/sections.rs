//! What of a migration file runs when it is applied, and whether it is PostgreSQL at all.
//!
//! Several tools keep both directions in one file: goose (`-- +goose Up` / `-- +goose Down`),
//! dbmate (`-- migrate:up` / `-- migrate:down`), sql-migrate (`-- +migrate Up` / `-- +migrate
//! Down`). Applying such a file whole undoes its own work (the down section drops what the up
//! section created), so only the up sections are kept. Other lines become empty lines, so
//! every statement keeps its line number.

/// A direction marker on one line, if the line is one.
fn marker(line: &str) -> Option<bool> {
    let l = line.trim().to_ascii_lowercase();
    let rest = l.strip_prefix("--")?.trim_start();
    let up = match rest.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["+goose" | "+migrate", "up", ..] | ["migrate:up", ..] => true,
        ["+goose" | "+migrate", "down", ..] | ["migrate:down", ..] => false,
        _ => return None,
    };
    Some(up)
}

/// The file with everything outside its up sections blanked, or `None` when it has no
/// direction markers (the whole file runs).
pub fn up_only(sql: &str) -> Option<String> {
    if !sql.lines().any(|l| marker(l).is_some()) {
        return None;
    }
    // Before the first marker nothing runs (goose and dbmate require the marker).
    let mut keep = false;
    let mut out = String::with_capacity(sql.len());
    for line in sql.split_inclusive('\n') {
        if let Some(up) = marker(line) {
            keep = up;
        } else if keep {
            out.push_str(line);
            continue;
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    Some(out)
}

/// Which engine a file's SQL is written for, from syntax only one engine accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL-only syntax (`$$` bodies, `::` casts, row-level security, `jsonb`…).
    Postgres,
    /// Another engine's syntax and nothing PostgreSQL-only: the engine's name and the marker.
    Other(&'static str, &'static str),
    /// Nothing decisive (plain `CREATE TABLE … (id int)`).
    #[default]
    Unknown,
}

const POSTGRES_ONLY: &[&str] = &[
    "$$",
    "::",
    "row level security",
    "create policy",
    "jsonb",
    "timestamptz",
    "bigserial",
    " serial",
    "create extension",
    "plpgsql",
    "gen_random_uuid",
    "uuid_generate_v4",
    "create schema",
    "owner to",
];

const OTHER_ENGINES: &[(&str, &str)] = &[
    ("mergetree", "ClickHouse"),
    ("lowcardinality(", "ClickHouse"),
    ("engine = memory", "ClickHouse"),
    ("engine=memory", "ClickHouse"),
    ("engine = log", "ClickHouse"),
    ("engine=innodb", "MySQL"),
    ("engine = innodb", "MySQL"),
    ("auto_increment", "MySQL"),
    ("default charset", "MySQL"),
    ("unsigned", "MySQL"),
    ("autoincrement", "SQLite"),
    ("pragma ", "SQLite"),
];

/// The engine `sql` is written for (see [`Engine`]).
pub fn engine(sql: &str) -> Engine {
    let lower = sql.to_ascii_lowercase();
    if POSTGRES_ONLY.iter().any(|m| lower.contains(m)) {
        return Engine::Postgres;
    }
    OTHER_ENGINES
        .iter()
        .find(|(m, _)| lower.contains(m))
        .map_or(Engine::Unknown, |(m, e)| Engine::Other(e, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_up_sections_with_their_lines() {
        let goose = "-- +goose Up\nCREATE TABLE a (tenant_id int);\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE a;\n";
        let up = up_only(goose).unwrap();
        assert!(up.contains("CREATE TABLE a"));
        assert!(!up.contains("DROP TABLE"));
        assert_eq!(up.lines().count(), goose.lines().count());
        let dbmate = "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n";
        assert!(!up_only(dbmate).unwrap().contains("DROP"));
        let sql_migrate =
            "-- +migrate Up\nCREATE TABLE c (id int);\n-- +migrate Down\nDROP TABLE c;\n";
        assert!(!up_only(sql_migrate).unwrap().contains("DROP"));
        assert_eq!(up_only("CREATE TABLE d (id int);"), None);
    }

    #[test]
    fn tells_engines_apart() {
        assert_eq!(
            engine("CREATE TABLE e (id UInt64) ENGINE = MergeTree ORDER BY id;"),
            Engine::Other("ClickHouse", "mergetree")
        );
        assert_eq!(
            engine("CREATE TABLE `u` (id int AUTO_INCREMENT) ENGINE=InnoDB;"),
            Engine::Other("MySQL", "engine=innodb")
        );
        assert_eq!(
            engine("ALTER TABLE t ENABLE ROW LEVEL SECURITY;"),
            Engine::Postgres
        );
        assert_eq!(engine("CREATE TABLE t (id int);"), Engine::Unknown);
    }
}
