//! One statement's text → the [`Change`]s it makes, through sqlparser's AST.

use sqlparser::ast::{
    Action, AlterPolicyOperation, AlterRoleOperation, AlterTableOperation, ColumnDef, ColumnOption,
    CreateFunction, CreatePolicy, CreatePolicyCommand, CreatePolicyType, CreateTableLikeKind,
    CreateTrigger, FunctionSecurity, FunctionSetValue, GrantObjects, Grantee, GranteeName,
    GranteesType, ObjectType, Owner, Privileges, RenameTableNameKind, RoleOption, SchemaName,
    Statement, TableConstraint, TriggerEvent, TriggerObject, TriggerObjectKind, TriggerPeriod,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::names::{Resolver, ident, last};
use super::{
    Change, GrantTarget, QName, RoleAttributes, SCHEMA_PRIVILEGES, SearchPathChange,
    TABLE_PRIVILEGES, depth, targeted,
};
use crate::facts::pg::{ForeignKey, Function, Policy, Trigger};
use crate::model::Location;

/// The changes one statement makes; `None` when neither sqlparser nor the targeted parser
/// understood it.
pub fn statement(text: &str, names: &Resolver) -> Option<Vec<Change>> {
    // `CREATE USER`/`CREATE GROUP` are `CREATE ROLE` (a user logs in unless told NOLOGIN).
    if let Some((rewritten, login)) = targeted::role_statement_rewrite(text) {
        let mut changes = parsed(&rewritten, names)?;
        for c in &mut changes {
            if let Change::CreateRole { attributes, .. } = c
                && login
            {
                attributes.login.get_or_insert(true);
            }
        }
        return Some(changes);
    }
    parsed(text, names)
}

fn parsed(text: &str, names: &Resolver) -> Option<Vec<Change>> {
    if let Some(changes) = targeted::parse(text, names) {
        return Some(changes);
    }
    // A tree too deep to render or drop safely is never built: the statement stays unparsed
    // (and its table `error`) rather than overflowing the stack.
    if depth::too_deep(text) {
        return None;
    }
    let parsed = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(depth::RECURSION_LIMIT)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_statements())
        .ok()?;
    let mut changes = Vec::new();
    for s in parsed {
        changes.extend(one(s, text, names));
    }
    Some(changes)
}

fn one(s: Statement, text: &str, names: &Resolver) -> Vec<Change> {
    match s {
        Statement::CreateTable(t) => {
            let table = names.object(&t.name);
            let (columns, mut foreign_keys) = columns_of(&t.columns, names);
            foreign_keys.extend(t.constraints.iter().filter_map(|c| foreign_key(c, names)));
            let like = t.like.as_ref().map(|l| match l {
                CreateTableLikeKind::Parenthesized(l) | CreateTableLikeKind::Plain(l) => {
                    names.object(&l.name)
                }
            });
            vec![Change::CreateTable {
                table,
                columns,
                foreign_keys,
                if_not_exists: t.if_not_exists,
                like,
                owner: names.role().map(str::to_owned),
            }]
        }
        Statement::AlterTable(a) => {
            let table = names.object(&a.name);
            a.operations
                .into_iter()
                .filter_map(|op| alter_table(&table, op, names))
                .collect()
        }
        Statement::Drop {
            object_type,
            names: dropped,
            ..
        } => drop(object_type, &dropped, names),
        Statement::CreatePolicy(p) => vec![create_policy(p, names)],
        Statement::AlterPolicy(p) => {
            let table = names.object(&p.table_name);
            let name = ident(&p.name);
            match p.operation {
                AlterPolicyOperation::Rename { new_name } => vec![Change::AlterPolicy {
                    table,
                    name,
                    rename_to: Some(ident(&new_name)),
                    roles: None,
                    using: None,
                    with_check: None,
                }],
                AlterPolicyOperation::Apply {
                    to,
                    using,
                    with_check,
                } => vec![Change::AlterPolicy {
                    table,
                    name,
                    rename_to: None,
                    roles: to.map(|owners| owners.iter().map(owner).collect()),
                    using: using.map(|e| e.to_string()),
                    with_check: with_check.map(|e| e.to_string()),
                }],
            }
        }
        Statement::DropPolicy(p) => vec![Change::DropPolicy {
            table: names.object(&p.table_name),
            name: ident(&p.name),
        }],
        Statement::CreateRole(r) => {
            let attributes = RoleAttributes {
                superuser: r.superuser,
                bypassrls: r.bypassrls,
                createrole: r.create_role,
                createdb: r.create_db,
                login: r.login,
            };
            let member_of: Vec<String> = r.in_role.iter().chain(&r.in_group).map(ident).collect();
            let members: Vec<String> = r
                .role
                .iter()
                .chain(&r.user)
                .chain(&r.admin)
                .map(ident)
                .collect();
            r.names
                .iter()
                .map(|n| Change::CreateRole {
                    name: last(n),
                    attributes: attributes.clone(),
                    member_of: member_of.clone(),
                    members: members.clone(),
                })
                .collect()
        }
        Statement::AlterRole { name, operation } => alter_role(&ident(&name), operation),
        Statement::Grant(g) => {
            privileges(false, &g.privileges, g.objects.as_ref(), &g.grantees, names)
        }
        Statement::Revoke(r) => {
            privileges(true, &r.privileges, r.objects.as_ref(), &r.grantees, names)
        }
        Statement::CreateTrigger(t) => create_trigger(&t, names).into_iter().collect(),
        Statement::DropTrigger(t) => t
            .table_name
            .map(|table| Change::DropTrigger {
                table: names.object(&table),
                name: last(&t.trigger_name),
            })
            .into_iter()
            .collect(),
        Statement::CreateFunction(f) => vec![create_function(&f, text, names)],
        Statement::DropFunction(f) => vec![Change::DropFunctions(
            f.func_desc.iter().map(|d| names.object(&d.name)).collect(),
        )],
        Statement::AlterFunction(f) => vec![Change::AlterFunction {
            function: names.object(&f.function.name),
            security_definer: security_in_text(text),
            search_path: search_path_in_text(text),
        }],
        Statement::CreateSchema { schema_name, .. } => match schema_name {
            SchemaName::UnnamedAuthorization(role) => vec![Change::SchemaOwner {
                schema: ident(&role),
                owner: ident(&role),
            }],
            SchemaName::NamedAuthorization(name, role) => vec![Change::SchemaOwner {
                schema: last(&name),
                owner: ident(&role),
            }],
            SchemaName::Simple(_) => Vec::new(),
        },
        Statement::AlterSchema(s) => s
            .operations
            .iter()
            .filter_map(|op| match op {
                sqlparser::ast::AlterSchemaOperation::OwnerTo { owner: o } => {
                    Some(Change::SchemaOwner {
                        schema: last(&s.name),
                        owner: owner(o),
                    })
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn columns_of(columns: &[ColumnDef], names: &Resolver) -> (Vec<String>, Vec<ForeignKey>) {
    let mut foreign_keys = Vec::new();
    for c in columns {
        for o in &c.options {
            if let ColumnOption::ForeignKey(fk) = &o.option {
                foreign_keys.push(ForeignKey {
                    columns: vec![ident(&c.name)],
                    references: qualified(&names.object(&fk.foreign_table)),
                    referenced_columns: fk.referred_columns.iter().map(ident).collect(),
                });
            }
        }
    }
    (
        columns.iter().map(|c| ident(&c.name)).collect(),
        foreign_keys,
    )
}

fn foreign_key(c: &TableConstraint, names: &Resolver) -> Option<ForeignKey> {
    match c {
        TableConstraint::ForeignKey(fk) => Some(ForeignKey {
            columns: fk.columns.iter().map(ident).collect(),
            references: qualified(&names.object(&fk.foreign_table)),
            referenced_columns: fk.referred_columns.iter().map(ident).collect(),
        }),
        _ => None,
    }
}

pub fn qualified(q: &QName) -> String {
    format!("{}.{}", q.schema, q.name)
}

fn alter_table(table: &QName, op: AlterTableOperation, names: &Resolver) -> Option<Change> {
    let table = table.clone();
    Some(match op {
        AlterTableOperation::EnableRowLevelSecurity => Change::SetRls {
            table,
            enabled: true,
        },
        AlterTableOperation::DisableRowLevelSecurity => Change::SetRls {
            table,
            enabled: false,
        },
        AlterTableOperation::ForceRowLevelSecurity => Change::SetForce {
            table,
            forced: true,
        },
        AlterTableOperation::NoForceRowLevelSecurity => Change::SetForce {
            table,
            forced: false,
        },
        AlterTableOperation::OwnerTo { new_owner } => Change::SetOwner {
            table,
            owner: owner(&new_owner),
        },
        AlterTableOperation::RenameTable { table_name } => {
            let to = match table_name {
                RenameTableNameKind::To(n) | RenameTableNameKind::As(n) => last(&n),
            };
            Change::RenameTable { table, to }
        }
        AlterTableOperation::AddColumn { column_def, .. } => {
            let (columns, foreign_keys) = columns_of(std::slice::from_ref(&column_def), names);
            Change::AddColumns {
                table,
                columns,
                foreign_keys,
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => Change::RenameColumn {
            table,
            from: ident(&old_column_name),
            to: ident(&new_column_name),
        },
        AlterTableOperation::DropColumn { column_names, .. } => Change::DropColumns {
            table,
            columns: column_names.iter().map(ident).collect(),
        },
        AlterTableOperation::AddConstraint { constraint, .. } => Change::AddForeignKey {
            table,
            foreign_key: foreign_key(&constraint, names)?,
        },
        _ => return None,
    })
}

fn drop(
    object_type: ObjectType,
    dropped: &[sqlparser::ast::ObjectName],
    names: &Resolver,
) -> Vec<Change> {
    match object_type {
        ObjectType::Table => vec![Change::DropTables(
            dropped.iter().map(|n| names.object(n)).collect(),
        )],
        ObjectType::Role | ObjectType::User => {
            vec![Change::DropRoles(dropped.iter().map(last).collect())]
        }
        _ => Vec::new(),
    }
}

fn owner(o: &Owner) -> String {
    match o {
        Owner::Ident(i) => ident(i),
        Owner::CurrentRole => "current_role".to_owned(),
        Owner::CurrentUser => "current_user".to_owned(),
        Owner::SessionUser => "session_user".to_owned(),
    }
}

fn create_policy(p: CreatePolicy, names: &Resolver) -> Change {
    let command = match p.command {
        None | Some(CreatePolicyCommand::All) => "all",
        Some(CreatePolicyCommand::Select) => "select",
        Some(CreatePolicyCommand::Insert) => "insert",
        Some(CreatePolicyCommand::Update) => "update",
        Some(CreatePolicyCommand::Delete) => "delete",
    };
    Change::CreatePolicy {
        table: names.object(&p.table_name),
        policy: Policy {
            name: ident(&p.name),
            command: command.to_owned(),
            permissive: !matches!(p.policy_type, Some(CreatePolicyType::Restrictive)),
            roles: p
                .to
                .unwrap_or_default()
                .iter()
                .map(owner)
                .filter(|r| r != "public")
                .collect(),
            using: p.using.map(|e| e.to_string()),
            with_check: p.with_check.map(|e| e.to_string()),
            // The fold sets the statement's location.
            location: Location::file("", 0),
        },
    }
}

fn alter_role(name: &str, operation: AlterRoleOperation) -> Vec<Change> {
    match operation {
        AlterRoleOperation::RenameRole { role_name } => vec![Change::RenameRole {
            name: name.to_owned(),
            to: ident(&role_name),
        }],
        AlterRoleOperation::WithOptions { options } => {
            let mut attributes = RoleAttributes::default();
            for o in options {
                match o {
                    RoleOption::SuperUser(v) => attributes.superuser = Some(v),
                    RoleOption::BypassRLS(v) => attributes.bypassrls = Some(v),
                    RoleOption::CreateRole(v) => attributes.createrole = Some(v),
                    RoleOption::CreateDB(v) => attributes.createdb = Some(v),
                    RoleOption::Login(v) => attributes.login = Some(v),
                    _ => {}
                }
            }
            vec![Change::AlterRole {
                name: name.to_owned(),
                attributes,
            }]
        }
        _ => Vec::new(),
    }
}

fn privileges(
    revoke: bool,
    privileges: &Privileges,
    objects: Option<&GrantObjects>,
    grantees: &[Grantee],
    names: &Resolver,
) -> Vec<Change> {
    let Some(objects) = objects else {
        return Vec::new();
    };
    let (target, all) = match objects {
        GrantObjects::Tables(t) => (
            GrantTarget::Tables(t.iter().map(|n| names.object(n)).collect()),
            TABLE_PRIVILEGES,
        ),
        GrantObjects::AllTablesInSchema { schemas } => (
            GrantTarget::AllTablesInSchemas(schemas.iter().map(last).collect()),
            TABLE_PRIVILEGES,
        ),
        GrantObjects::Schemas(s) => (
            GrantTarget::Schemas(s.iter().map(last).collect()),
            SCHEMA_PRIVILEGES,
        ),
        _ => return Vec::new(),
    };
    let privileges: Vec<String> = match privileges {
        Privileges::All { .. } => all.iter().map(|p| (*p).to_owned()).collect(),
        Privileges::Actions(actions) => actions.iter().filter_map(action_name).collect(),
    };
    vec![Change::Privileges {
        revoke,
        target,
        privileges,
        grantees: grantees.iter().map(grantee).collect(),
    }]
}

fn action_name(a: &Action) -> Option<String> {
    Some(
        match a {
            Action::Select { .. } => "SELECT",
            Action::Insert { .. } => "INSERT",
            Action::Update { .. } => "UPDATE",
            Action::Delete => "DELETE",
            Action::Truncate => "TRUNCATE",
            Action::References { .. } => "REFERENCES",
            Action::Trigger => "TRIGGER",
            Action::Create { .. } => "CREATE",
            Action::Usage => "USAGE",
            _ => return None,
        }
        .to_owned(),
    )
}

/// Role names; `PUBLIC` stays upper case (it is a keyword, not a role).
fn grantee(g: &Grantee) -> String {
    if matches!(g.grantee_type, GranteesType::Public) {
        return "PUBLIC".to_owned();
    }
    match &g.name {
        Some(GranteeName::ObjectName(n)) => {
            let name = last(n);
            if name == "public" {
                "PUBLIC".to_owned()
            } else {
                name
            }
        }
        Some(other) => other.to_string(),
        None => "PUBLIC".to_owned(),
    }
}

fn create_trigger(t: &CreateTrigger, names: &Resolver) -> Option<Change> {
    let timing = match t.period? {
        TriggerPeriod::Before => "before",
        TriggerPeriod::After | TriggerPeriod::For => "after",
        TriggerPeriod::InsteadOf => "instead of",
    };
    let events = t
        .events
        .iter()
        .map(|e| {
            match e {
                TriggerEvent::Insert => "insert",
                TriggerEvent::Update(_) => "update",
                TriggerEvent::Delete => "delete",
                TriggerEvent::Truncate => "truncate",
            }
            .to_owned()
        })
        .collect();
    let for_each_row = matches!(
        t.trigger_object,
        Some(
            TriggerObjectKind::For(TriggerObject::Row)
                | TriggerObjectKind::ForEach(TriggerObject::Row)
        )
    );
    let function = t
        .exec_body
        .as_ref()
        .map(|b| qualified(&names.object(&b.func_desc.name)))
        .unwrap_or_default();
    Some(Change::CreateTrigger {
        table: names.object(&t.table_name),
        trigger: Trigger {
            name: last(&t.name),
            timing: timing.to_owned(),
            events,
            for_each_row,
            function,
            location: Location::file("", 0),
        },
    })
}

fn create_function(f: &CreateFunction, text: &str, names: &Resolver) -> Change {
    let q = names.object(&f.name);
    let search_path = f
        .set_params
        .iter()
        .find(|p| last(&p.name) == "search_path")
        .and_then(|p| match &p.value {
            FunctionSetValue::Values(v) => Some(
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            FunctionSetValue::FromCurrent => Some(super::SEARCH_PATH_FROM_CURRENT.to_owned()),
            FunctionSetValue::Default => None,
        });
    Change::CreateFunction(Function {
        schema: q.schema,
        name: q.name,
        security_definer: matches!(f.security, Some(FunctionSecurity::Definer)),
        search_path,
        raises: raises(text),
        location: Location::file("", 0),
    })
}

/// A function body that refuses the change: `RAISE EXCEPTION …` or a bare `RAISE '…'` (whose
/// level defaults to EXCEPTION).
fn raises(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let squashed: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    squashed.contains("raise exception")
        || squashed.contains("raise '")
        || squashed.contains("raise sqlstate")
}

/// `ALTER FUNCTION … SECURITY DEFINER | INVOKER` from the statement text.
fn security_in_text(text: &str) -> Option<bool> {
    let squashed = text
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if squashed.contains("security definer") {
        Some(true)
    } else if squashed.contains("security invoker") {
        Some(false)
    } else {
        None
    }
}

/// `ALTER FUNCTION … SET search_path …` or `… RESET search_path`.
fn search_path_in_text(text: &str) -> Option<SearchPathChange> {
    let lower = text.to_ascii_lowercase();
    let squashed = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    // `RESET ALL` removes every setting of the function, its search_path with them.
    if squashed.contains("reset all") {
        return Some(SearchPathChange::Reset);
    }
    let at = lower.find("search_path")?;
    let before = lower[..at].trim_end();
    if before.ends_with("reset") {
        return Some(SearchPathChange::Reset);
    }
    // `SET search_path TO DEFAULT` (or `= DEFAULT`) removes the setting, as RESET does.
    let after = squashed[squashed.find("search_path")? + "search_path".len()..]
        .trim_start()
        .trim_start_matches(['=', ' '])
        .trim_start_matches("to ");
    if after == "default" || after.starts_with("default ") || after.starts_with("default;") {
        return Some(SearchPathChange::Reset);
    }
    let value = text[at + "search_path".len()..]
        .trim_start()
        .trim_start_matches('=')
        .trim_start();
    let value = value
        .strip_prefix("TO ")
        .or_else(|| value.strip_prefix("to "))
        .unwrap_or(value);
    Some(SearchPathChange::Set(value.trim().to_owned()))
}
