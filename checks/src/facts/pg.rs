//! PostgreSQL schema state, the same records whether folded from migrations or read live from
//! the catalogs.
//!
//! Every judged property remembers where it was decided: for migrations the file and line of
//! the statement that last set it, for a live database the resource URI.

use serde::{Deserialize, Serialize};

use crate::model::Location;

/// One database's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// Where the state came from: `migrations` (static) or `live`.
    pub origin: Origin,
    /// `migrations:<dir>` or the live target's name.
    pub name: String,
    pub tables: Vec<Table>,
    pub roles: Vec<Role>,
    pub functions: Vec<Function>,
    /// Schema-level privileges (`CREATE`, `USAGE`).
    pub schema_privileges: Vec<Grant>,
    /// Statements that could not be parsed but may change a judged property; the affected
    /// checks report `error` for the tables or roles they mention.
    pub unparsed: Vec<Unparsed>,
    /// Why the state could not be read at all (connection refused…): every check errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What only a running server can tell (settings, pg_hba, password methods, audit-chain
    /// verification). `None` for migrations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<super::pg_live::LiveState>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    #[default]
    Migrations,
    Live,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub columns: Vec<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub rls_enabled: bool,
    #[serde(default)]
    pub rls_forced: bool,
    /// Where the table was created (or found).
    pub location: Location,
    /// Where RLS enablement was last decided (the CREATE TABLE when never changed).
    #[serde(default)]
    pub rls_location: Option<Location>,
    #[serde(default)]
    pub policies: Vec<Policy>,
    /// Table privileges as granted (static) or effective for the runtime roles (live).
    #[serde(default)]
    pub grants: Vec<Grant>,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
}

impl Table {
    /// `schema.table`: the subject of every table finding.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    /// `all`, `select`, `insert`, `update`, `delete`.
    pub command: String,
    #[serde(default = "yes")]
    pub permissive: bool,
    /// Empty means PUBLIC.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub using: Option<String>,
    #[serde(default)]
    pub with_check: Option<String>,
    pub location: Location,
}

fn yes() -> bool {
    true
}

/// A privilege held by a grantee (`PUBLIC` for everyone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub grantee: String,
    /// Upper case: `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `REFERENCES`, `TRIGGER`,
    /// and for schemas `CREATE`, `USAGE`.
    pub privilege: String,
    /// For schema privileges: the schema.
    #[serde(default)]
    pub object: Option<String>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: String,
    #[serde(default)]
    pub superuser: bool,
    #[serde(default)]
    pub bypassrls: bool,
    #[serde(default)]
    pub createrole: bool,
    #[serde(default)]
    pub createdb: bool,
    #[serde(default)]
    pub login: bool,
    /// Roles this role is a member of (directly).
    #[serde(default)]
    pub member_of: Vec<String>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub name: String,
    /// `before`, `after`, `instead of`.
    pub timing: String,
    /// `insert`, `update`, `delete`, `truncate`.
    pub events: Vec<String>,
    /// Fires per row (not per statement).
    #[serde(default)]
    pub for_each_row: bool,
    /// `schema.function`.
    pub function: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    pub schema: String,
    pub name: String,
    #[serde(default)]
    pub security_definer: bool,
    /// The `SET search_path` of the function, if any.
    #[serde(default)]
    pub search_path: Option<String>,
    /// The body raises an exception unconditionally-ish (`RAISE EXCEPTION` present).
    #[serde(default)]
    pub raises: bool,
    pub location: Location,
}

/// A statement kept with its location because it could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unparsed {
    pub location: Location,
    /// The first line of the statement, for the message.
    pub excerpt: String,
    /// Lower-case names of the tables or roles it mentions.
    #[serde(default)]
    pub mentions: Vec<String>,
}
