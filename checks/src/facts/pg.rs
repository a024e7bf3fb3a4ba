//! PostgreSQL schema state, the same records whether folded from migrations or read live from
//! the catalogs.
//!
//! Every judged property remembers where it was decided: for migrations the file and line of
//! the statement that last set it, for a live database the resource URI.

use serde::{Deserialize, Serialize};

use crate::model::Location;

/// One database's state.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// Where the state came from: `migrations` (static) or `live`.
    pub origin: Origin,
    /// `migrations:<set>` (the set's directory, or the file for a single-file schema such as
    /// `db/structure.sql`), or the live target's name.
    pub name: String,
    /// Ordinary and partitioned tables in the final state (static: after every CREATE, RENAME
    /// and DROP; live: `pg_class` with `relkind` `r`/`p`, system schemas excluded).
    pub tables: Vec<Table>,
    /// Static: roles created (or referenced, see [`Role::undeclared`]) by the migrations.
    /// Live: `pg_roles`.
    pub roles: Vec<Role>,
    /// Static: functions created by the migrations (last definition wins, overloads merged).
    /// Live: `pg_proc` outside system schemas.
    pub functions: Vec<Function>,
    /// Schema-level privileges (`CREATE`, `USAGE`), `object` naming the schema. Static: GRANT /
    /// REVOKE ON SCHEMA, and CREATE SCHEMA … AUTHORIZATION / ALTER SCHEMA … OWNER TO (an owner
    /// holds both). Live: `pg_namespace.nspacl` expanded, owners included.
    pub schema_privileges: Vec<Grant>,
    /// Statements that could not be parsed but may change a judged property; the affected
    /// checks report `error` for the tables or roles they mention.
    pub unparsed: Vec<Unparsed>,
    /// Why the state could not be read at all (connection refused…): every check errors.
    pub error: Option<String>,
    /// What only a running server can tell (settings, pg_hba, password methods, audit-chain
    /// verification). `None` for migrations.
    pub live: Option<super::pg_live::LiveState>,
    /// Static origin only: how many statements the fold saw, parsed, skipped and could not
    /// parse (parse coverage). Live collectors leave it at zero.
    #[serde(default, skip_serializing_if = "ParseStats::is_empty")]
    pub parse_stats: ParseStats,
    /// Static: the tables (`schema.table`) a REVOKE of table privileges in the migrations
    /// named, after their last CREATE. Privileges a platform grants outside the migrations
    /// (Supabase's default privileges) may have been taken back there, so they are not assumed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked_tables: Vec<String>,
}

/// Statement counts of a migration fold (static origin).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParseStats {
    /// Migration files folded, in order.
    pub files: u32,
    /// Every statement the splitter found.
    pub statements: u32,
    /// Statements that cannot change a judged property (INSERT/COPY data, SET, comments,
    /// indexes…), recognised by their leading keywords and never fully parsed.
    pub skipped: u32,
    /// Statements parsed and folded into the state.
    pub parsed: u32,
    /// Statements that could not be parsed (each also in [`Database::unparsed`] when it may
    /// change a judged property).
    pub unparsed: u32,
}

impl ParseStats {
    pub fn is_empty(&self) -> bool {
        *self == ParseStats::default()
    }
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
    /// Normalised as PostgreSQL does: unquoted identifiers folded to lower case, quoted kept.
    /// Static: an unqualified name takes the schema of the file's `SET search_path` (default
    /// `public`).
    pub schema: String,
    pub name: String,
    /// Column names, normalised like identifiers.
    pub columns: Vec<String>,
    /// Static: the role of the last `ALTER TABLE … OWNER TO`, `None` when the migrations never
    /// set it (the table then belongs to whoever runs them). Live: `pg_class.relowner`.
    #[serde(default)]
    pub owner: Option<String>,
    /// `pg_class.relrowsecurity`, or the last ENABLE/DISABLE ROW LEVEL SECURITY.
    #[serde(default)]
    pub rls_enabled: bool,
    /// `pg_class.relforcerowsecurity`, or the last [NO] FORCE ROW LEVEL SECURITY.
    #[serde(default)]
    pub rls_forced: bool,
    /// Static: the CREATE TABLE statement. Live: the table's resource URI.
    pub location: Location,
    /// Where RLS enablement was last decided: static, the last ENABLE/DISABLE ROW LEVEL
    /// SECURITY (`None`: never changed, so `location` decided it); live, the table's URI.
    #[serde(default)]
    pub rls_location: Option<Location>,
    /// Static: CREATE/ALTER/DROP POLICY folded in order. Live: `pg_policies`.
    #[serde(default)]
    pub policies: Vec<Policy>,
    /// Table privileges as granted (static) or effective for the runtime roles (live).
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Static: CREATE/DROP TRIGGER folded in order. Live: `pg_trigger`, internal ones excluded.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    /// Foreign keys declared on the table (static: CREATE/ALTER TABLE constraints and column
    /// `REFERENCES`; live: `pg_constraint` with `contype = 'f'`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Where FORCE ROW LEVEL SECURITY was last decided (static: the `ALTER TABLE … [NO] FORCE`
    /// statement, else the CREATE TABLE; live: the table's URI). `None` means `location`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_location: Option<Location>,
    /// Where the owner was last set (static: `ALTER TABLE … OWNER TO`; live: the URI). `None`
    /// when the owner is unknown or implicit (the role that ran the migrations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_location: Option<Location>,
}

/// `columns` of this table reference `references` (`schema.table`, normalised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_columns: Vec<String>,
}

impl Table {
    /// `schema.table`: the subject of every table finding.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Where a finding about the table's owner points: where the owner was last set, else
    /// where the table was created (the owner is then the role that ran the migrations).
    pub fn owner_set_at(&self) -> Location {
        self.owner_location
            .clone()
            .unwrap_or_else(|| self.location.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    /// `all`, `select`, `insert`, `update`, `delete` (`pg_policies.cmd`, lower case).
    pub command: String,
    /// `AS PERMISSIVE` (the default) or `AS RESTRICTIVE`.
    #[serde(default = "yes")]
    pub permissive: bool,
    /// Role names the policy applies to; empty means PUBLIC (everyone).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The USING expression as text (static: sqlparser's rendering; live:
    /// `pg_policies.qual`). Checks read it as text, so both spellings judge alike.
    #[serde(default)]
    pub using: Option<String>,
    /// The WITH CHECK expression as text (`pg_policies.with_check`); `None` when absent.
    #[serde(default)]
    pub with_check: Option<String>,
    /// Static: the CREATE POLICY (or last ALTER POLICY). Live: the table's URI.
    pub location: Location,
}

fn yes() -> bool {
    true
}

/// A privilege held by a grantee (`PUBLIC` for everyone). Grantee names are normalised role
/// names (lower case unless quoted); `ALL [PRIVILEGES]` is expanded into the privileges it
/// stands for, so checks never see `ALL`.
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
    /// Static: the GRANT (or ALTER DEFAULT PRIVILEGES / OWNER statement) that gave it. Live:
    /// the object's URI.
    pub location: Location,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Normalised role name. Attributes below: static, the last CREATE/ALTER ROLE that set
    /// them (PostgreSQL's defaults otherwise); live, `pg_roles`.
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
    /// Roles this role is a member of (directly): static, `IN ROLE`, `ROLE`, and `GRANT role
    /// TO` minus `REVOKE role FROM`; live, `pg_auth_members`.
    #[serde(default)]
    pub member_of: Vec<String>,
    /// Where the role was created (static: CREATE ROLE; live: the URI).
    pub location: Location,
    /// Where SUPERUSER/BYPASSRLS were last set when a later `ALTER ROLE` changed them (static).
    #[serde(default)]
    pub attributes_location: Option<Location>,
    /// Static only: the role is referenced (`GRANT … TO`, `ALTER ROLE`) but never created by
    /// the migrations, so its SUPERUSER/BYPASSRLS attributes are unknown. Live: always false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub undeclared: bool,
}

impl Role {
    /// Where a finding about SUPERUSER/BYPASSRLS points: the `ALTER ROLE` that last set them,
    /// else the role's creation.
    pub fn attributes_set_at(&self) -> Location {
        self.attributes_location
            .clone()
            .unwrap_or_else(|| self.location.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Static: the CREATE TRIGGER. Live: `pg_trigger` (location: the table's URI).
    pub name: String,
    /// `before`, `after`, `instead of`.
    pub timing: String,
    /// `insert`, `update`, `delete`, `truncate`.
    pub events: Vec<String>,
    /// Fires per row (not per statement).
    #[serde(default)]
    pub for_each_row: bool,
    /// `schema.function`, an unqualified name resolved with the file's search_path.
    pub function: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    /// Static: the last CREATE [OR REPLACE] FUNCTION (location), ALTER FUNCTION applied after.
    /// Live: `pg_proc` (`prosecdef`, `proconfig`, `prosrc`).
    pub schema: String,
    pub name: String,
    #[serde(default)]
    pub security_definer: bool,
    /// The `SET search_path` of the function, if any (static: `CREATE FUNCTION … SET` or
    /// `ALTER FUNCTION … SET`; live: `pg_proc.proconfig`).
    #[serde(default)]
    pub search_path: Option<String>,
    /// The body contains `RAISE EXCEPTION` (a guard trigger function that refuses the change).
    #[serde(default)]
    pub raises: bool,
    pub location: Location,
}

/// A statement kept with its location because it could not be parsed.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unparsed {
    /// The statement's file and first line. Static origin only.
    pub location: Location,
    /// The first line of the statement, for the message.
    pub excerpt: String,
    /// Normalised identifiers it mentions (bare and `schema.name` forms), used to decide which
    /// tables or roles it may affect. Empty, or naming no known table or role (dynamic SQL in
    /// a `DO` block), means it may affect every subject of the topics below.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// Which judged properties it may change: `table` (a CREATE TABLE), `rls`, `policy`,
    /// `grant`, `owner`, `role`, `trigger`, `function`. Empty means all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// For an unparsed CREATE TABLE: the `schema.table` it would have created (that table's
    /// checks then report `error`, since nothing is known about it).
    #[serde(default)]
    pub creates: Option<String>,
    /// The statement's shape names the objects it acts on (`ALTER TABLE t …`, `GRANT … ON t TO
    /// r`): `mentions` are exactly those, and it affects nothing else even when none of them
    /// is known.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub targeted: bool,
    /// Properties a later statement set again, as `topic:subject` (`rls:public.orders`,
    /// `role:app_user`): whatever this statement did to them was overwritten.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decided_later: Vec<String>,
}
