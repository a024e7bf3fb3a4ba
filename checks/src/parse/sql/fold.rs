//! Applies parsed files, in migration order, to one schema state.

use std::collections::BTreeMap;

use super::{Change, GrantTarget, Located, ParsedFile, QName, RoleAttributes, SearchPathChange};
use crate::facts::pg::{Database, Function, Grant, Origin, Role, Table, Unparsed};
use crate::model::Location;

/// Folds `files` (already in the order the migration tool applies them) into one database.
pub fn fold<'a>(name: &str, files: impl IntoIterator<Item = &'a ParsedFile>) -> Database {
    let mut state = State::default();
    let mut db = Database {
        origin: Origin::Migrations,
        name: name.to_owned(),
        ..Database::default()
    };
    let mut errors = Vec::new();
    for file in files {
        for located in &file.changes {
            state.apply(located);
        }
        errors.extend(file.error.iter().cloned());
        let s = &mut db.parse_stats;
        s.files += file.stats.files;
        s.statements += file.stats.statements;
        s.skipped += file.stats.skipped;
        s.parsed += file.stats.parsed;
        s.unparsed += file.stats.unparsed;
    }
    if !errors.is_empty() {
        db.error = Some(errors.join("; "));
    }
    state.grant_predefined_roles();
    db.unparsed = state.unparsed;
    db.tables = state.tables.into_values().collect();
    db.roles = state.roles.into_values().collect();
    db.functions = state.functions.into_values().collect();
    db.schema_privileges = state.schema_privileges;
    db.revoked_tables = state.revoked.iter().map(qualified).collect();
    db
}

struct DefaultGrant {
    schemas: Vec<String>,
    privilege: String,
    grantee: String,
    location: Location,
}

#[derive(Default)]
struct State {
    tables: BTreeMap<QName, Table>,
    roles: BTreeMap<String, Role>,
    functions: BTreeMap<QName, Function>,
    schema_privileges: Vec<Grant>,
    default_grants: Vec<DefaultGrant>,
    /// Tables a REVOKE of table privileges named since their CREATE.
    revoked: std::collections::BTreeSet<QName>,
    /// Statements that could not be read, in order; each learns which of the properties it
    /// may have changed a later statement set again.
    unparsed: Vec<Unparsed>,
    /// What each function's body may change when it runs.
    function_effects: BTreeMap<QName, Unparsed>,
    /// Where a predefined role of [`PREDEFINED_TABLE_ROLES`] was last granted.
    predefined_granted: BTreeMap<String, Location>,
}

/// PostgreSQL's predefined roles that hold privileges on every table (PostgreSQL 14+):
/// membership of them is a grant on each table, present and future.
const PREDEFINED_TABLE_ROLES: &[(&str, &[&str])] = &[
    ("pg_read_all_data", &["SELECT"]),
    ("pg_write_all_data", &["INSERT", "UPDATE", "DELETE"]),
];

/// The table properties a fresh `CREATE TABLE` decides whatever ran before it. Grants are not
/// among them: default privileges apply to the new table.
const TABLE_TOPICS: &[&str] = &["rls", "force", "policy", "owner", "trigger", "table"];

impl State {
    /// Every table is granted what a predefined role of [`PREDEFINED_TABLE_ROLES`] holds
    /// while some role is a member of it (`GRANT pg_read_all_data TO app`): the role checks
    /// then find the privilege through the member's closure, as for any granted role.
    fn grant_predefined_roles(&mut self) {
        for (name, privileges) in PREDEFINED_TABLE_ROLES {
            let held = self
                .roles
                .values()
                .any(|r| r.member_of.iter().any(|m| m == name));
            let Some(location) = self.predefined_granted.get(*name).filter(|_| held) else {
                continue;
            };
            for t in self.tables.values_mut() {
                for p in *privileges {
                    if !t
                        .grants
                        .iter()
                        .any(|g| g.grantee == *name && g.privilege == *p)
                    {
                        t.grants.push(Grant {
                            grantee: (*name).to_owned(),
                            privilege: (*p).to_owned(),
                            object: None,
                            location: location.clone(),
                        });
                    }
                }
            }
        }
    }

    fn apply(&mut self, located: &Located) {
        let at = &located.location;
        match &located.change {
            Change::CreateTable {
                table,
                columns,
                foreign_keys,
                if_not_exists,
                like,
                owner,
            } => {
                if *if_not_exists && self.tables.contains_key(table) {
                    return;
                }
                for topic in TABLE_TOPICS {
                    self.decided(topic, &qualified(table));
                }
                self.revoked.remove(table);
                let mut columns = columns.clone();
                if let Some(source) = like.as_ref().and_then(|l| self.tables.get(l)) {
                    columns.splice(0..0, source.columns.iter().cloned());
                }
                let mut t = Table {
                    schema: table.schema.clone(),
                    name: table.name.clone(),
                    columns,
                    owner: owner.clone(),
                    rls_enabled: false,
                    rls_forced: false,
                    location: at.clone(),
                    rls_location: None,
                    policies: Vec::new(),
                    grants: Vec::new(),
                    triggers: Vec::new(),
                    foreign_keys: foreign_keys.clone(),
                    force_location: None,
                    owner_location: owner.as_ref().map(|_| at.clone()),
                };
                for d in &self.default_grants {
                    if d.schemas.is_empty() || d.schemas.contains(&table.schema) {
                        add_grant(&mut t.grants, &d.grantee, &d.privilege, None, &d.location);
                    }
                }
                self.tables.insert(table.clone(), t);
            }
            Change::AddColumns {
                table,
                columns,
                foreign_keys,
            } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.columns.extend(columns.iter().cloned());
                    t.foreign_keys.extend(foreign_keys.iter().cloned());
                }
            }
            Change::RenameColumn { table, from, to } => {
                if let Some(t) = self.tables.get_mut(table) {
                    for c in &mut t.columns {
                        if c == from {
                            c.clone_from(to);
                        }
                    }
                }
            }
            Change::DropColumns { table, columns } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.columns.retain(|c| !columns.contains(c));
                }
            }
            Change::AddForeignKey { table, foreign_key } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.foreign_keys.push(foreign_key.clone());
                }
            }
            Change::SetRls { table, enabled } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.rls_enabled = *enabled;
                    t.rls_location = Some(at.clone());
                    self.decided("rls", &qualified(table));
                }
            }
            Change::SetForce { table, forced } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.rls_forced = *forced;
                    t.force_location = Some(at.clone());
                    self.decided("force", &qualified(table));
                }
            }
            Change::SetOwner { table, owner } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.owner = Some(owner.clone());
                    t.owner_location = Some(at.clone());
                    self.decided("owner", &qualified(table));
                }
            }
            Change::RenameTable { table, to } => {
                if let Some(mut t) = self.tables.remove(table) {
                    t.name.clone_from(to);
                    let key = QName {
                        schema: table.schema.clone(),
                        name: to.clone(),
                    };
                    self.tables.insert(key, t);
                }
            }
            Change::DropTables(tables) => {
                for t in tables {
                    self.tables.remove(t);
                }
            }
            Change::CreatePolicy { table, policy } => {
                if let Some(t) = self.tables.get_mut(table) {
                    let mut p = policy.clone();
                    p.location = at.clone();
                    t.policies.retain(|q| q.name != p.name);
                    t.policies.push(p);
                }
            }
            Change::AlterPolicy {
                table,
                name,
                rename_to,
                roles,
                using,
                with_check,
            } => {
                let Some(t) = self.tables.get_mut(table) else {
                    return;
                };
                let Some(p) = t.policies.iter_mut().find(|p| &p.name == name) else {
                    return;
                };
                if let Some(n) = rename_to {
                    p.name.clone_from(n);
                }
                if let Some(r) = roles {
                    p.roles = r.iter().filter(|r| *r != "public").cloned().collect();
                }
                if using.is_some() {
                    p.using.clone_from(using);
                }
                if with_check.is_some() {
                    p.with_check.clone_from(with_check);
                }
                p.location = at.clone();
            }
            Change::DropPolicy { table, name } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.policies.retain(|p| &p.name != name);
                }
            }
            Change::CreateRole {
                name,
                attributes,
                member_of,
                members,
            } => {
                let mut role = new_role(name, at);
                set_attributes(&mut role, attributes);
                role.member_of.clone_from(member_of);
                self.roles.insert(name.clone(), role);
                self.decided("role", name);
                for m in members {
                    self.role_mut(m, at).member_of.push(name.clone());
                }
            }
            Change::AlterRole { name, attributes } => {
                let role = self.role_mut(name, at);
                set_attributes(role, attributes);
                if attributes.superuser.is_some() || attributes.bypassrls.is_some() {
                    role.attributes_location = Some(at.clone());
                }
            }
            Change::RenameRole { name, to } => {
                if let Some(mut r) = self.roles.remove(name) {
                    r.name.clone_from(to);
                    self.roles.insert(to.clone(), r);
                }
            }
            Change::DropRoles(names) => {
                for n in names {
                    self.roles.remove(n);
                }
            }
            Change::Privileges {
                revoke,
                target,
                privileges,
                grantees,
            } => self.privileges(*revoke, target, privileges, grantees, at),
            Change::Membership {
                revoke,
                roles,
                grantees,
            } => {
                if !*revoke {
                    for (name, _) in PREDEFINED_TABLE_ROLES {
                        if roles.iter().any(|r| r == name) {
                            self.predefined_granted
                                .insert((*name).to_owned(), at.clone());
                        }
                    }
                }
                for g in grantees {
                    let role = self.role_mut(g, at);
                    if *revoke {
                        role.member_of.retain(|m| !roles.contains(m));
                    } else {
                        role.member_of.extend(roles.iter().cloned());
                        role.member_of.sort();
                        role.member_of.dedup();
                    }
                }
            }
            Change::DefaultPrivileges {
                revoke,
                schemas,
                privileges,
                grantees,
            } => {
                if *revoke {
                    self.default_grants.retain(|d| {
                        !(privileges.contains(&d.privilege) && grantees.contains(&d.grantee))
                    });
                } else {
                    for p in privileges {
                        for g in grantees {
                            self.default_grants.push(DefaultGrant {
                                schemas: schemas.clone(),
                                privilege: p.clone(),
                                grantee: g.clone(),
                                location: at.clone(),
                            });
                        }
                    }
                }
            }
            Change::SchemaOwner { schema, owner } => {
                for p in super::SCHEMA_PRIVILEGES {
                    add_grant(&mut self.schema_privileges, owner, p, Some(schema), at);
                }
            }
            Change::CreateTrigger { table, trigger } => {
                if let Some(t) = self.tables.get_mut(table) {
                    let mut tr = trigger.clone();
                    tr.location = at.clone();
                    t.triggers.retain(|x| x.name != tr.name);
                    t.triggers.push(tr);
                }
            }
            Change::DropTrigger { table, name } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.triggers.retain(|x| &x.name != name);
                }
            }
            Change::CreateFunction(f) => {
                let mut f = f.clone();
                f.location = at.clone();
                let key = QName {
                    schema: f.schema.clone(),
                    name: f.name.clone(),
                };
                self.function_effects.remove(&key);
                self.functions.insert(key, f);
            }
            Change::DropFunctions(names) => {
                for n in names {
                    self.functions.remove(n);
                    self.function_effects.remove(n);
                }
            }
            Change::Unparsed(u) => self.unparsed.push(u.clone()),
            Change::FunctionEffects { function, effects } => {
                self.function_effects
                    .insert(function.clone(), effects.clone());
            }
            Change::Call { functions, excerpt } => self.calls(functions, excerpt, at),
            Change::AlterFunction {
                function,
                security_definer,
                search_path,
            } => {
                if let Some(f) = self.functions.get_mut(function) {
                    if let Some(d) = security_definer {
                        f.security_definer = *d;
                    }
                    match search_path {
                        Some(SearchPathChange::Set(p)) => f.search_path = Some(p.clone()),
                        Some(SearchPathChange::Reset) => f.search_path = None,
                        None => {}
                    }
                    f.location = at.clone();
                }
            }
        }
    }

    /// A later statement set `topic` of `subject` again: what unread statements before it did
    /// to that property no longer matters.
    fn decided(&mut self, topic: &str, subject: &str) {
        let key = format!("{topic}:{subject}");
        for u in &mut self.unparsed {
            if !u.decided_later.contains(&key) {
                u.decided_later.push(key.clone());
            }
        }
    }

    /// A query that runs user functions: each function whose body may change a judged
    /// property is recorded as an unread statement at the call, with the body's effects.
    fn calls(&mut self, functions: &[QName], excerpt: &str, at: &Location) {
        for f in functions {
            let effects = self.function_effects.get(f).or_else(|| {
                let mut same_name = self
                    .function_effects
                    .iter()
                    .filter(|(k, _)| k.name == f.name);
                match (same_name.next(), same_name.next()) {
                    (Some((_, e)), None) => Some(e),
                    _ => None,
                }
            });
            let Some(effects) = effects else {
                continue;
            };
            let mut u = effects.clone();
            u.location.clone_from(at);
            u.excerpt = format!(
                "{excerpt} (runs {}.{}, which may change {})",
                f.schema,
                f.name,
                if u.topics.is_empty() {
                    "anything".to_owned()
                } else {
                    u.topics.join(", ")
                }
            );
            u.decided_later.clear();
            self.unparsed.push(u);
        }
    }

    /// A role by name; a role the migrations never created is recorded as undeclared (its
    /// attributes are then unknown, and the role checks say so).
    fn role_mut(&mut self, name: &str, at: &Location) -> &mut Role {
        self.roles.entry(name.to_owned()).or_insert_with(|| {
            let mut r = new_role(name, at);
            r.undeclared = true;
            r
        })
    }

    fn privileges(
        &mut self,
        revoke: bool,
        target: &GrantTarget,
        privileges: &[String],
        grantees: &[String],
        at: &Location,
    ) {
        let tables: Vec<QName> = match target {
            GrantTarget::Tables(t) => t.clone(),
            GrantTarget::AllTablesInSchemas(schemas) => self
                .tables
                .keys()
                .filter(|k| schemas.contains(&k.schema))
                .cloned()
                .collect(),
            GrantTarget::Schemas(schemas) => {
                for s in schemas {
                    for g in grantees {
                        for p in privileges {
                            if revoke {
                                self.schema_privileges.retain(|x| {
                                    !(x.object.as_deref() == Some(s)
                                        && &x.grantee == g
                                        && &x.privilege == p)
                                });
                            } else {
                                add_grant(&mut self.schema_privileges, g, p, Some(s), at);
                            }
                        }
                    }
                }
                return;
            }
        };
        for q in tables {
            let Some(t) = self.tables.get_mut(&q) else {
                continue;
            };
            if revoke {
                self.revoked.insert(q.clone());
            }
            for g in grantees {
                for p in privileges {
                    if revoke {
                        t.grants.retain(|x| !(&x.grantee == g && &x.privilege == p));
                    } else {
                        add_grant(&mut t.grants, g, p, None, at);
                    }
                }
            }
        }
    }
}

fn qualified(q: &QName) -> String {
    format!("{}.{}", q.schema, q.name)
}

fn new_role(name: &str, at: &Location) -> Role {
    Role {
        name: name.to_owned(),
        superuser: false,
        bypassrls: false,
        createrole: false,
        createdb: false,
        login: false,
        member_of: Vec::new(),
        location: at.clone(),
        attributes_location: None,
        undeclared: false,
    }
}

fn set_attributes(role: &mut Role, a: &RoleAttributes) {
    let set = |field: &mut bool, v: Option<bool>| {
        if let Some(v) = v {
            *field = v;
        }
    };
    set(&mut role.superuser, a.superuser);
    set(&mut role.bypassrls, a.bypassrls);
    set(&mut role.createrole, a.createrole);
    set(&mut role.createdb, a.createdb);
    set(&mut role.login, a.login);
}

fn add_grant(
    grants: &mut Vec<Grant>,
    grantee: &str,
    privilege: &str,
    object: Option<&String>,
    at: &Location,
) {
    grants.retain(|g| {
        !(g.grantee == grantee && g.privilege == privilege && g.object.as_ref() == object)
    });
    grants.push(Grant {
        grantee: grantee.to_owned(),
        privilege: privilege.to_owned(),
        object: object.cloned(),
        location: at.clone(),
    });
}
