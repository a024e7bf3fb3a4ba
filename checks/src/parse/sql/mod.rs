//! PostgreSQL migrations → [`pg::Database`]: the static half of the tenant-isolation checks.
//!
//! Two pure steps, so the scanner can parse files in parallel and fold them in order:
//! 1. [`parse_file`]: split one file into statements ([`split`]), skip those that cannot
//!    change a judged property by their leading keywords ([`classify`]), parse the rest with
//!    sqlparser (PostgreSQL dialect) and translate each into a [`Change`]. The two forms
//!    sqlparser 0.63 does not parse (`GRANT role TO role`, `ALTER DEFAULT PRIVILEGES`) go to a
//!    small targeted parser ([`targeted`]). A statement nobody could parse is kept as
//!    [`pg::Unparsed`] when it mentions a judged property.
//! 2. [`fold`]: apply every file's changes in migration order to one schema state.

mod classify;
mod convert;
pub mod depth;
mod fold;
mod names;
mod plpgsql;
pub mod sections;
pub mod split;
mod targeted;
mod trigger_args;

/// The `search_path` recorded for `SET search_path FROM CURRENT`: the path of the session that
/// ran the migration, which the migration files do not say.
pub const SEARCH_PATH_FROM_CURRENT: &str = "FROM CURRENT";

pub use fold::fold;

use crate::facts::pg::{self, ForeignKey, Policy, Trigger};
use crate::model::Location;

/// One file, parsed: its changes in order (what could not be parsed among them, as
/// [`Change::Unparsed`]), and the counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFile {
    pub path: String,
    pub changes: Vec<Located>,
    pub stats: pg::ParseStats,
    /// Why the file cannot be read as PostgreSQL would run it (a comment or string left open
    /// hides the rest of the file): the whole migration set is then an error.
    pub error: Option<String>,
    /// The engine the file's syntax is written for (a set of only other engines' files is not
    /// PostgreSQL and is skipped).
    pub engine: sections::Engine,
}

/// A change and the statement that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub location: Location,
    pub change: Change,
}

/// A schema-qualified, normalised name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    pub schema: String,
    pub name: String,
}

/// Role attributes a statement sets; `None` leaves the attribute as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleAttributes {
    pub superuser: Option<bool>,
    pub bypassrls: Option<bool>,
    pub createrole: Option<bool>,
    pub createdb: Option<bool>,
    pub login: Option<bool>,
}

/// `ALTER FUNCTION … SET search_path = …` or `… RESET search_path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchPathChange {
    Set(String),
    Reset,
}

/// What privileges a GRANT/REVOKE targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantTarget {
    Tables(Vec<QName>),
    AllTablesInSchemas(Vec<String>),
    Schemas(Vec<String>),
}

/// One effect on the schema state, independent of the SQL spelling that caused it.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    CreateTable {
        table: QName,
        columns: Vec<String>,
        foreign_keys: Vec<ForeignKey>,
        if_not_exists: bool,
        /// `(LIKE other …)`: the columns of `other` come first.
        like: Option<QName>,
        /// The role in effect (`SET ROLE`), which owns the new table; `None`: the role that
        /// runs the migrations.
        owner: Option<String>,
    },
    AddColumns {
        table: QName,
        columns: Vec<String>,
        foreign_keys: Vec<ForeignKey>,
    },
    RenameColumn {
        table: QName,
        from: String,
        to: String,
    },
    DropColumns {
        table: QName,
        columns: Vec<String>,
    },
    AddForeignKey {
        table: QName,
        foreign_key: ForeignKey,
    },
    SetRls {
        table: QName,
        enabled: bool,
    },
    SetForce {
        table: QName,
        forced: bool,
    },
    SetOwner {
        table: QName,
        owner: String,
    },
    RenameTable {
        table: QName,
        to: String,
    },
    DropTables(Vec<QName>),
    CreatePolicy {
        table: QName,
        policy: Policy,
    },
    AlterPolicy {
        table: QName,
        name: String,
        rename_to: Option<String>,
        roles: Option<Vec<String>>,
        using: Option<String>,
        with_check: Option<String>,
    },
    DropPolicy {
        table: QName,
        name: String,
    },
    CreateRole {
        name: String,
        attributes: RoleAttributes,
        member_of: Vec<String>,
        members: Vec<String>,
    },
    AlterRole {
        name: String,
        attributes: RoleAttributes,
    },
    RenameRole {
        name: String,
        to: String,
    },
    DropRoles(Vec<String>),
    Privileges {
        revoke: bool,
        target: GrantTarget,
        /// Upper case; `ALL` already expanded.
        privileges: Vec<String>,
        grantees: Vec<String>,
    },
    Membership {
        revoke: bool,
        roles: Vec<String>,
        grantees: Vec<String>,
    },
    DefaultPrivileges {
        revoke: bool,
        /// Empty: every schema.
        schemas: Vec<String>,
        privileges: Vec<String>,
        grantees: Vec<String>,
    },
    SchemaOwner {
        schema: String,
        owner: String,
    },
    CreateTrigger {
        table: QName,
        trigger: Trigger,
    },
    DropTrigger {
        table: QName,
        name: String,
    },
    CreateFunction(pg::Function),
    AlterFunction {
        function: QName,
        security_definer: Option<bool>,
        search_path: Option<SearchPathChange>,
    },
    DropFunctions(Vec<QName>),
    /// A statement nobody could read that may change a judged property.
    Unparsed(pg::Unparsed),
    /// `SELECT f(…)`, `PERFORM f(…)`, `CALL p(…)`: runs the functions named, whose bodies may
    /// change judged properties (see [`Change::FunctionEffects`]).
    Call {
        functions: Vec<QName>,
        excerpt: String,
    },
    /// What the body of a function created just before may change when it runs, summarised
    /// as an unparsed record (topics, and the objects when they are known).
    FunctionEffects {
        function: QName,
        effects: pg::Unparsed,
    },
}

/// The privileges `ALL [PRIVILEGES]` stands for on a table.
pub const TABLE_PRIVILEGES: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
];
/// The privileges `ALL [PRIVILEGES]` stands for on a schema.
pub const SCHEMA_PRIVILEGES: &[&str] = &["CREATE", "USAGE"];

/// Parses one migration file (`path` relative to the scanned root, forward slashes). Never
/// fails: what cannot be parsed is counted and, when it matters, kept as unparsed.
pub fn parse_file(path: &str, sql: &str) -> ParsedFile {
    // goose/dbmate/sql-migrate files: only the up sections run.
    let up = sections::up_only(sql);
    let sql = up.as_deref().unwrap_or(sql);
    let (statements, open) = split::split_checked(sql);
    let mut reader = reader::Reader::new(path);
    for statement in &statements {
        reader.top_level(statement);
    }
    let mut file = reader.finish();
    file.engine = sections::engine(sql);
    file.error = open.map(|u| {
        format!(
            "{path}:{}: unterminated {}: PostgreSQL would not run the rest of the file",
            u.line, u.what
        )
    });
    file
}

mod reader;

#[cfg(test)]
mod tests;
