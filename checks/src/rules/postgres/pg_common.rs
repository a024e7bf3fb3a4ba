//! What every `pg-*` check shares: which tables are tenant or audit tables, who the runtime
//! roles are (through membership), which unparsed statements may affect a subject, and how a
//! database that could not be read becomes `error` findings.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use crate::facts::pg::{Database, Grant, Origin, Policy, Role, Table, Unparsed};
use crate::model::{Context, Findings, Location};
use crate::resolve::PostgresOptions;

/// A database and the settings the checks judge it with.
pub(crate) struct Scope<'a> {
    pub db: &'a Database,
    /// `[postgres]` with the live target's own keys applied (`Resolved::postgres_for`).
    pub options: &'a PostgresOptions,
    tenant_columns: Vec<String>,
    /// Tables that are tenant tables only through a foreign-key chain (`tenant_paths`): the
    /// first link of the shortest chain, by `schema.table`.
    paths: BTreeMap<String, PathStep>,
    /// `[postgres] runtime_roles`, or when unset the roles the migrations grant table
    /// privileges to (see [`inferred_runtime_roles`]).
    runtime_roles: Vec<String>,
    /// The runtime roles were inferred, not configured.
    pub runtime_roles_inferred: bool,
}

/// Where a finding about a database as a whole points: the migration set's path (line 0), or
/// the live database's `postgres://HOST:PORT/DB` (its target name when even that is unknown),
/// never a bare name that is neither a file nor a URI.
fn database_location(db: &Database) -> Location {
    match db.origin {
        Origin::Migrations => {
            Location::file(db.name.strip_prefix("migrations:").unwrap_or(&db.name), 0)
        }
        Origin::Live => super::pg_live_common::target_location(db),
    }
}

/// Every readable database, in order. A database that could not be read is reported as one
/// `error` finding (subject: its name) and skipped.
pub(crate) fn scopes<'a>(cx: &'a Context<'_>, out: &mut Findings) -> Vec<Scope<'a>> {
    let mut scopes = Vec::new();
    for db in &cx.facts.postgres {
        if let Some(cause) = &db.error {
            out.error(
                db.name.clone(),
                database_location(db),
                format!("{} could not be read: {cause}", db.name),
                json!({ "database": db.name, "cause": cause }),
            );
            continue;
        }
        let options = cx.options.postgres_for(db);
        let (runtime_roles, runtime_roles_inferred) = match &options.runtime_roles {
            Some(roles) => (roles.clone(), false),
            None => (inferred_runtime_roles(db), true),
        };
        scopes.push(Scope {
            runtime_roles,
            runtime_roles_inferred,
            db,
            tenant_columns: options.tenant_columns.iter().map(|c| loose(c)).collect(),
            paths: BTreeMap::new(),
            options,
        });
        let scope = scopes.last_mut().expect("just pushed");
        if scope.options.tenant_paths {
            scope.paths = scope.tenant_paths();
        }
    }
    scopes
}

/// One step of a tenant path: `column` of the table references `parent` (`schema.table`).
#[derive(Debug, Clone)]
pub(crate) struct PathStep {
    pub column: String,
    pub parent: String,
}

/// A table's place in the tenant model (`pg-table-classified`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Class {
    /// A tenant table, and why.
    Tenant(String),
    /// Declared global (`[postgres] global_tables`) or non-tenant (`exclude_tables`), and how.
    Global(String),
    Unclassified,
}

impl Class {
    pub fn name(&self) -> &'static str {
        match self {
            Class::Tenant(_) => "tenant",
            Class::Global(_) => "global",
            Class::Unclassified => "unclassified",
        }
    }
}

/// A single-column foreign key from a tenant-path table to a tenant table: the column a
/// policy must restrict through the parent.
pub(crate) struct TenantLink<'a> {
    pub column: String,
    pub parent: &'a Table,
    /// The referenced column, when the foreign key names it.
    pub referenced: Option<String>,
}

/// Supabase's API roles, which its default privileges grant every new `public` table to.
const SUPABASE_API_ROLES: &[&str] = &["anon", "authenticated"];

/// How many foreign keys a tenant path may follow.
const MAX_PATH: usize = 8;

/// When `[postgres] runtime_roles` is not set, the roles the migrations grant table
/// privileges to are the ones the application uses: every grantee except PUBLIC, roles that own
/// a table (the migration role), `postgres`, PostgreSQL's predefined `pg_*` roles
/// (`pg_read_all_data`, whose members are what is used), and psql variables (`:DATABASE_OWNER`,
/// whose value is unknown). A superuser granted table privileges is inferred like any role
/// (`CREATE USER app SUPERUSER; GRANT SELECT ON orders TO app`): left out, the one role
/// `pg-role-no-bypass` must fail would not be judged at all. A live database is not inferred
/// from: its privileges are read only for configured roles.
fn inferred_runtime_roles(db: &Database) -> Vec<String> {
    if db.origin != Origin::Migrations {
        return Vec::new();
    }
    let owners: Vec<&str> = db
        .tables
        .iter()
        .filter_map(|t| t.owner.as_deref())
        .collect();
    let mut roles: Vec<String> = db
        .tables
        .iter()
        .flat_map(|t| &t.grants)
        .map(|g| g.grantee.as_str())
        .filter(|g| {
            *g != "PUBLIC"
                && *g != "postgres"
                && !g.starts_with("pg_")
                && !g.starts_with(':')
                && !owners.contains(g)
        })
        .map(str::to_owned)
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// Identifier compared loosely: case and `_` ignored, so `tenantId` matches `tenant_id`.
pub(crate) fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '"')
        .flat_map(char::to_lowercase)
        .collect()
}

impl<'a> Scope<'a> {
    /// Why `t` is a tenant table, or `None`.
    pub fn tenant_reason(&self, t: &Table) -> Option<String> {
        if let Some(direct) = self.direct_tenant_reason(t) {
            return Some(direct);
        }
        let q = t.qualified_name();
        if self.options.exclude_tables.is_match(&q) {
            return None;
        }
        let step = self.paths.get(&q)?;
        Some(format!(
            "tenant through the foreign-key path {}",
            self.path_text(&q, step)
        ))
    }

    /// Why `t` is a tenant table on its own (tenant column, foreign key to the tenant table,
    /// `include_tables`), or `None`.
    fn direct_tenant_reason(&self, t: &Table) -> Option<String> {
        let q = t.qualified_name();
        if self.options.exclude_tables.is_match(&q) {
            return None;
        }
        if self.options.include_tables.is_match(&q) {
            return Some("listed in [postgres] include_tables".to_owned());
        }
        if self.is_tenant_registry(t) {
            let key = self.registry_key(t).unwrap_or_default();
            return Some(format!(
                "is the tenant table ([postgres] tenant_table): each row is a tenant, keyed by `{key}`"
            ));
        }
        if let Some(c) = self.tenant_columns_of(t).first() {
            return Some(format!("has tenant column `{c}`"));
        }
        None
    }

    /// Whether `t` is `[postgres] tenant_table`, the tenants themselves.
    pub fn is_tenant_registry(&self, t: &Table) -> bool {
        let configured = self.options.tenant_table.as_str();
        !configured.is_empty()
            && (t.qualified_name() == configured
                || (!configured.contains('.') && t.name == configured))
            && self.registry_key(t).is_some()
    }

    /// The tenant table's key: the column other tables' foreign keys reference, else `id`.
    fn registry_key(&self, t: &Table) -> Option<String> {
        let q = t.qualified_name();
        let referenced = self
            .db
            .tables
            .iter()
            .flat_map(|o| &o.foreign_keys)
            .find_map(|fk| {
                let points_here = fk.references == q || fk.references == t.name;
                (points_here && fk.referenced_columns.len() == 1)
                    .then(|| fk.referenced_columns[0].clone())
            });
        referenced
            .or_else(|| t.columns.iter().find(|c| loose(c) == "id").cloned())
            .filter(|k| t.columns.contains(k))
    }

    /// `public.endpoint.app_id -> public.application.org_id`: the chain from `q` to a table
    /// that is a tenant table on its own.
    fn path_text(&self, q: &str, first: &PathStep) -> String {
        let mut text = format!("`{q}.{}", first.column);
        let mut step = first;
        for _ in 0..MAX_PATH {
            let _ = write!(text, " -> {}", step.parent);
            let Some(next) = self.paths.get(&step.parent) else {
                let anchor = self
                    .table(&step.parent)
                    .and_then(|p| self.direct_tenant_reason(p))
                    .unwrap_or_default();
                let _ = write!(text, "` ({anchor})");
                return text;
            };
            let _ = write!(text, ".{}", next.column);
            step = next;
        }
        text.push('`');
        text
    }

    /// The tables that are tenant tables only through foreign keys, each with the first
    /// step of its shortest path, found breadth-first from the direct tenant tables.
    fn tenant_paths(&self) -> BTreeMap<String, PathStep> {
        let mut tenant: Vec<String> = self
            .db
            .tables
            .iter()
            .filter(|t| self.direct_tenant_reason(t).is_some())
            .map(Table::qualified_name)
            .collect();
        let mut paths = BTreeMap::new();
        for _ in 0..MAX_PATH {
            let mut found = Vec::new();
            for t in &self.db.tables {
                let q = t.qualified_name();
                if tenant.contains(&q) || self.options.exclude_tables.is_match(&q) {
                    continue;
                }
                let step = t.foreign_keys.iter().find_map(|fk| {
                    let parent = self.table(&fk.references)?.qualified_name();
                    let single = fk.columns.len() == 1;
                    (single && parent != q && tenant.contains(&parent)).then(|| PathStep {
                        column: fk.columns[0].clone(),
                        parent,
                    })
                });
                if let Some(step) = step {
                    found.push((q, step));
                }
            }
            if found.is_empty() {
                break;
            }
            for (q, step) in found {
                tenant.push(q.clone());
                paths.insert(q, step);
            }
        }
        paths
    }

    /// The table a foreign key references (`schema.table`, or a bare name).
    pub fn table(&self, reference: &str) -> Option<&'a Table> {
        let db: &'a Database = self.db;
        db.tables
            .iter()
            .find(|t| t.qualified_name() == reference)
            .or_else(|| {
                let mut bare = db.tables.iter().filter(|t| t.name == reference);
                match (bare.next(), bare.next()) {
                    (Some(t), None) => Some(t),
                    _ => None,
                }
            })
    }

    /// The single-column foreign keys of `t` to tenant tables (direct or through a path):
    /// the columns a policy of a tenant-path table may restrict through its parent.
    pub fn tenant_links(&self, t: &Table) -> Vec<TenantLink<'a>> {
        if !self.options.tenant_paths {
            return Vec::new();
        }
        let q = t.qualified_name();
        t.foreign_keys
            .iter()
            .filter(|fk| fk.columns.len() == 1)
            .filter_map(|fk| {
                let parent = self.table(&fk.references)?;
                let pq = parent.qualified_name();
                let tenant =
                    self.direct_tenant_reason(parent).is_some() || self.paths.contains_key(&pq);
                (pq != q && tenant).then(|| TenantLink {
                    column: fk.columns[0].clone(),
                    parent,
                    referenced: fk.referenced_columns.first().cloned(),
                })
            })
            .collect()
    }

    /// The class of `t`: tenant (by column, foreign key, path or `include_tables`), global
    /// (`global_tables`, or declared non-tenant by `exclude_tables`), or unclassified.
    pub fn classify(&self, t: &Table) -> Class {
        let q = t.qualified_name();
        if let Some(reason) = self.tenant_reason(t) {
            return Class::Tenant(reason);
        }
        if self.options.exclude_tables.is_match(&q) {
            return Class::Global("listed in [postgres] exclude_tables".to_owned());
        }
        if self.options.global_tables.is_match(&q) {
            return Class::Global("listed in [postgres] global_tables".to_owned());
        }
        Class::Unclassified
    }

    pub fn tenant_tables(&self) -> impl Iterator<Item = (&Table, String)> {
        self.db
            .tables
            .iter()
            .filter_map(|t| self.tenant_reason(t).map(|r| (t, r)))
    }

    /// The columns of `t` that carry the tenant: configured tenant columns, and columns with a
    /// foreign key to the configured tenant table.
    pub fn tenant_columns_of(&self, t: &Table) -> Vec<String> {
        if self.is_tenant_registry(t) {
            // The tenant table's own key carries the tenant: `id = <session tenant>`.
            return self.registry_key(t).into_iter().collect();
        }
        // In the order the tenant columns are configured, so messages name the likeliest one.
        let mut cols: Vec<String> = self
            .tenant_columns
            .iter()
            .filter_map(|want| t.columns.iter().find(|c| loose(c) == *want))
            .cloned()
            .collect();
        let tenant_table = self.options.tenant_table.as_str();
        if !tenant_table.is_empty() {
            for fk in &t.foreign_keys {
                let matches = fk.references == tenant_table
                    || fk.references.rsplit('.').next() == Some(tenant_table);
                if matches {
                    cols.extend(fk.columns.iter().cloned());
                }
            }
        }
        let mut seen = Vec::new();
        cols.retain(|c| {
            let fresh = !seen.contains(c);
            seen.push(c.clone());
            fresh
        });
        cols
    }

    /// Whether the set runs on Supabase: it grants to, writes policies for, or runs the
    /// application as Supabase's API roles (`anon`, `authenticated`).
    fn on_supabase(&self) -> bool {
        let api = |r: &str| SUPABASE_API_ROLES.contains(&r);
        self.runtime_roles.iter().any(|r| api(r))
            || self.db.roles.iter().any(|r| api(&r.name))
            || self.db.tables.iter().any(|t| {
                t.grants.iter().any(|g| api(&g.grantee))
                    || t.policies.iter().any(|p| p.roles.iter().any(|r| api(r)))
            })
    }

    /// The privileges a platform grants on `t` outside the migrations. On Supabase the
    /// platform's default privileges grant ALL on every new table in schema `public` to
    /// `anon`, `authenticated` and `service_role`; a REVOKE in the migrations on the table
    /// may have taken them back, so none are assumed then (its grants are what remains).
    pub fn platform_grants(&self, t: &Table) -> Vec<Grant> {
        let revoked = self.db.revoked_tables.contains(&t.qualified_name());
        if self.db.origin != Origin::Migrations
            || t.schema != "public"
            || revoked
            || !self.on_supabase()
        {
            return Vec::new();
        }
        let mut grants = Vec::new();
        for role in SUPABASE_API_ROLES.iter().chain(["service_role"].iter()) {
            for privilege in crate::parse::sql::TABLE_PRIVILEGES {
                grants.push(Grant {
                    grantee: (*role).to_owned(),
                    privilege: (*privilege).to_owned(),
                    object: None,
                    location: t.location.clone(),
                });
            }
        }
        grants
    }

    /// Whether the runtime roles' privileges on `t` may have been granted outside the
    /// migrations: they grant nothing on it, and either they grant no table privilege at all
    /// (the grants live elsewhere) or a platform's default privileges cover it. A set that
    /// manages its grants (a complete pg_dump) and grants nothing on a table out of a
    /// platform's reach says that nobody but the owner holds anything on it.
    pub fn grants_may_live_elsewhere(&self, t: &Table) -> bool {
        if self.db.origin != Origin::Migrations || !t.grants.is_empty() {
            return false;
        }
        let manages_grants = self.db.tables.iter().any(|o| !o.grants.is_empty());
        !manages_grants || !self.platform_grants(t).is_empty()
    }

    pub fn is_audit_table(&self, t: &Table) -> bool {
        self.options.audit.matches(&t.name, &t.qualified_name())
    }

    pub fn audit_tables(&self) -> impl Iterator<Item = &Table> {
        self.db.tables.iter().filter(|t| self.is_audit_table(t))
    }

    /// Where a finding about the database as a whole points: the migration set's path (line 0)
    /// or the live database's name.
    pub fn db_location(&self) -> Location {
        database_location(self.db)
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.db.roles.iter().find(|r| r.name == name)
    }

    /// Where a finding about a role points: where it is created, else the database as a whole
    /// (a role the migrations only reference).
    pub fn role_location(&self, name: &str) -> Location {
        self.role(name)
            .map_or_else(|| self.db_location(), |r| r.location.clone())
    }

    /// `role`, every role it is a member of (transitively) and `PUBLIC`: whoever's privileges
    /// and attributes it can use.
    pub fn closure(&self, role: &str) -> Vec<String> {
        let mut seen = vec![role.to_owned()];
        let mut i = 0;
        while i < seen.len() {
            if let Some(r) = self.role(&seen[i]) {
                for m in &r.member_of {
                    if !seen.contains(m) {
                        seen.push(m.clone());
                    }
                }
            }
            i += 1;
        }
        seen.push("PUBLIC".to_owned());
        seen
    }

    /// The roles the application uses: configured, or inferred (see
    /// [`Self::runtime_roles_inferred`]).
    pub fn runtime_roles(&self) -> &[String] {
        &self.runtime_roles
    }

    /// What evidence says about where the runtime roles came from.
    pub fn runtime_roles_evidence(&self) -> serde_json::Value {
        json!({
            "roles": self.runtime_roles,
            "source": if self.runtime_roles_inferred {
                "inferred from the migrations' table grants ([postgres] runtime_roles not set)"
            } else {
                "[postgres] runtime_roles"
            },
        })
    }

    /// The configured runtime roles' closures together; `None` when `runtime_roles` is not
    /// set: whoever may use the database is then unknown. Inferred roles are judged one by one
    /// by the role checks, but they do not narrow the table checks: a platform's own roles
    /// (Supabase's `authenticated`) are granted outside the migrations and would be missed.
    pub fn runtime_closure(&self) -> Option<Vec<String>> {
        if self.runtime_roles_inferred {
            return None;
        }
        let mut all: Vec<String> = self
            .runtime_roles
            .iter()
            .flat_map(|r| self.closure(r))
            .collect();
        all.sort();
        all.dedup();
        Some(all)
    }

    /// Unparsed statements that may change one of `topics` of a subject known by `names`
    /// (`schema.table` and `table`, or a role name). A statement whose shape names its objects
    /// affects only those; one naming no known table or role (dynamic SQL) may affect every
    /// subject. A property a later statement set again is no longer affected.
    pub fn unparsed_affecting(&self, topics: &[&str], names: &[&str]) -> Vec<&Unparsed> {
        self.db
            .unparsed
            .iter()
            .filter(|u| {
                let named = names.iter().any(|n| u.mentions.iter().any(|m| m == n));
                named || (!u.targeted && !self.names_known(u))
            })
            .filter(|u| {
                topics.iter().any(|t| {
                    let may_change = u.topics.is_empty() || u.topics.iter().any(|x| x == t);
                    let decided_again = names
                        .iter()
                        .any(|n| u.decided_later.iter().any(|d| *d == format!("{t}:{n}")));
                    may_change && !decided_again
                })
            })
            .collect()
    }

    fn names_known(&self, u: &Unparsed) -> bool {
        u.mentions.iter().any(|m| {
            self.db
                .tables
                .iter()
                .any(|t| *m == t.name || *m == t.qualified_name())
                || self.db.roles.iter().any(|r| r.name == *m)
                || self.runtime_roles.contains(m)
        })
    }

    /// Reports as `error` every table whose `CREATE TABLE` could not be parsed: the check
    /// cannot `verb` it (`judge`, `classify`).
    pub fn error_on_unparsed_tables(&self, out: &mut Findings, verb: &str) {
        for u in &self.db.unparsed {
            if let Some(table) = &u.creates {
                out.error(
                    table.clone(),
                    u.location.clone(),
                    format!("cannot {verb} {table}: its CREATE TABLE could not be parsed"),
                    json!({ "unparsed": u }),
                );
            }
        }
    }

    /// Reports an `error` for `subject` when unparsed statements may affect it; `true` if so.
    pub fn error_if_unparsed(
        &self,
        out: &mut Findings,
        subject: &str,
        topics: &[&str],
        names: &[&str],
    ) -> bool {
        let affecting = self.unparsed_affecting(topics, names);
        Self::report_unparsed(out, subject, &affecting)
    }

    /// As [`Self::error_if_unparsed`] for a role, when unparsed statements may affect it or
    /// any role of its closure (`roles`, PUBLIC aside), each judged under its own name.
    pub fn error_if_unparsed_in_closure(
        &self,
        out: &mut Findings,
        subject: &str,
        topics: &[&str],
        roles: &[String],
    ) -> bool {
        let mut affecting: Vec<&Unparsed> = Vec::new();
        for r in roles.iter().filter(|r| *r != "PUBLIC") {
            for u in self.unparsed_affecting(topics, &[r]) {
                if !affecting.iter().any(|a| std::ptr::eq(*a, u)) {
                    affecting.push(u);
                }
            }
        }
        Self::report_unparsed(out, subject, &affecting)
    }

    fn report_unparsed(out: &mut Findings, subject: &str, affecting: &[&Unparsed]) -> bool {
        let Some(first) = affecting.first() else {
            return false;
        };
        out.error(
            subject,
            first.location.clone(),
            format!(
                "cannot prove it: a statement vouch could not parse may change it (`{}`)",
                first.excerpt
            ),
            json!({ "unparsed": affecting }),
        );
        true
    }
}

/// A check that depends on row-level security being enabled (`pg-rls-forced`,
/// `pg-rls-policy-tenant`) on a table without it: not applicable. The one failure is
/// `pg-rls-enabled`'s; this is an informational note, never a pass.
pub(crate) fn not_applicable_without_rls(
    out: &mut Findings,
    t: &Table,
    evidence: serde_json::Value,
) {
    let subject = t.qualified_name();
    let location = t.rls_location.clone().unwrap_or_else(|| t.location.clone());
    let reason =
        format!("{subject} does not enable row-level security, which pg-rls-enabled reports");
    out.not_applicable(subject, location, &reason, evidence);
}

/// Whether PostgreSQL applies policy `p` to a session acting as the roles in `closure` (a
/// role, the roles it is a member of, and PUBLIC): the policy's `TO` list must name one of
/// them or PUBLIC. `None` (no runtime role configured): every policy may apply.
pub(crate) fn policy_applies(p: &Policy, closure: Option<&[String]>) -> bool {
    p.roles.is_empty()
        || p.roles.iter().any(|r| r.eq_ignore_ascii_case("public"))
        || closure.is_none_or(|cl| p.roles.iter().any(|r| cl.contains(r)))
}

/// `schema.table` and `table`: the names an unparsed statement may use for a table.
pub(crate) fn table_names(t: &Table) -> [String; 2] {
    [t.qualified_name(), t.name.clone()]
}

#[cfg(test)]
mod tests {
    use super::loose;

    #[test]
    fn loose_names() {
        assert_eq!(loose("tenantId"), loose("tenant_id"));
        assert_eq!(loose("\"OrgId\""), "orgid");
    }
}
