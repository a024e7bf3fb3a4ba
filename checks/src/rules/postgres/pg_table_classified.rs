use serde_json::json;

use super::pg_common::{Class, Scope, scopes, table_names};
use crate::facts::pg::{Origin, Table};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct PgTableClassified;

/// Tables migration tools create for their own bookkeeping: global by construction.
const TOOL_TABLES: &[&str] = &[
    "schema_migrations",
    "ar_internal_metadata",
    "_prisma_migrations",
    "goose_db_version",
    "flyway_schema_history",
    "schema_version",
    "__diesel_schema_migrations",
    "_sqlx_migrations",
    "knex_migrations",
    "knex_migrations_lock",
    "__efmigrationshistory",
    "gorp_migrations",
    "seaql_migrations",
];

/// Privileges that read or change rows.
const ROW_PRIVILEGES: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"];

impl Rule for PgTableClassified {
    const META: Meta = Meta {
        id: "pg-table-classified",
        title: "Every table the application can reach is classified as tenant or global",
        severity: Severity::Medium,
        controls: &["TEN-01"],
        source: Source::Postgres,
        docs: r#"
## Why
"Every tenant table is isolated" is only as true as the list of tenant tables. A table whose
tenant column vouch does not recognise (or that has none) is not judged by the RLS checks, so
the claim would pass over it silently. Every table the application can reach must therefore be
either a tenant table (isolated by row-level security) or declared global (every tenant may see
all its rows: countries, plans, feature flags).

## What is judged
Every table of the final schema is classified:
- **tenant**: it has a tenant column (`[postgres] tenant_columns`), a foreign key to
  `[postgres] tenant_table`, is that tenant table itself (each row is a tenant, keyed by the
  column the foreign keys reference, or `id`), is listed in `include_tables`, or — with `[postgres] tenant_paths`
  (default on) — its foreign keys lead to a tenant table (`endpoint.app_id -> application.org_id`:
  `endpoint` is a tenant table through `application`, and its policies must follow that path, see
  `pg-rls-policy-tenant`);
- **global**: listed in `[postgres] global_tables` (globs over `schema.table`), declared
  non-tenant by `exclude_tables`, or a migration tool's bookkeeping table (`schema_migrations`,
  `_prisma_migrations`, `goose_db_version`, `flyway_schema_history`…);
- **unclassified**: anything else.

An unclassified table fails when a runtime role can reach it: a privilege granted to the role, a
role it is a member of, or PUBLIC; a runtime role owns it; or (migrations) nothing at all is
granted on it, so its privileges are granted elsewhere (Supabase grants every table to `anon` and
`authenticated`) or the application uses it as its owner. With `[postgres] runtime_roles`
configured, "elsewhere" is assumed only where it can happen (see `pg-rls-policy`: Supabase's
default privileges on `public`, or migrations that grant no table privilege at all): a complete
pg_dump that grants nothing on a table outside `public` to them says they cannot reach it. With no runtime role known (none
configured, none granted anything), every table counts as reachable. A statement vouch could not
parse that may change the table's grants or owner makes an unreached unclassified table `error`.

## How to fix
Declare what the table is:
```toml
[postgres]
global_tables = ["public.countries", "public.plans"]   # every tenant may read all rows
include_tables = ["public.usage_events"]               # tenant data without a tenant column
```
or give it a tenant column (or a foreign key to a tenant table) and row-level security.

## Evidence
The table, its class and why, and for an unclassified table who reaches it (the grant and
where it was given). The text and HTML reports list the classification (counts and names per
class) from these findings.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for scope in scopes(cx, out) {
            scope.error_on_unparsed_tables(out, "classify");
            for t in &scope.db.tables {
                judge(&scope, t, out);
            }
        }
    }
}

/// The class of `t`, with migration tools' bookkeeping tables global.
pub(crate) fn class_of(scope: &Scope<'_>, t: &Table) -> Class {
    match scope.classify(t) {
        Class::Unclassified if TOOL_TABLES.contains(&t.name.to_lowercase().as_str()) => {
            Class::Global("a migration tool's bookkeeping table".to_owned())
        }
        class => class,
    }
}

fn judge(scope: &Scope<'_>, t: &Table, out: &mut Findings) {
    let subject = t.qualified_name();
    let class = class_of(scope, t);
    let why = match &class {
        Class::Tenant(why) | Class::Global(why) => why.clone(),
        Class::Unclassified => String::new(),
    };
    let mut evidence = json!({
        "database": scope.db.name, "table": subject, "class": class.name(), "why": why,
    });
    if class != Class::Unclassified {
        out.pass(
            subject.clone(),
            t.location.clone(),
            format!("{subject} is a {} table ({why})", class.name()),
            evidence,
        );
        return;
    }
    let reach = reached_by(scope, t);
    evidence["reached_by"] = json!(reach);
    evidence["runtime_roles"] = scope.runtime_roles_evidence();
    let how = format!(
        "declare it in [postgres] global_tables (`{subject}`) if every tenant may see all its \
         rows, or make it a tenant table (a tenant column, a foreign key to a tenant table, or \
         [postgres] include_tables) with row-level security{}",
        root_hint(scope, t)
    );
    if let Some(reach) = reach {
        out.fail(
            subject.clone(),
            t.location.clone(),
            format!("{subject} is reachable by {reach} but is neither a tenant nor a global table: {how}"),
            evidence,
        );
        return;
    }
    let [q, n] = table_names(t);
    if scope.error_if_unparsed(out, &subject, &["grant", "owner"], &[&q, &n]) {
        return;
    }
    out.pass(
        subject.clone(),
        t.location.clone(),
        format!("{subject} is unclassified but no runtime role can reach it"),
        evidence,
    );
}

/// For the table the tenant columns reference (the tenants themselves), a reminder of what
/// that means; empty otherwise.
fn root_hint(scope: &Scope<'_>, t: &Table) -> String {
    let q = t.qualified_name();
    let referencing = scope.db.tables.iter().find_map(|other| {
        let tenant_columns = scope.tenant_columns_of(other);
        other
            .foreign_keys
            .iter()
            .filter(|fk| fk.columns.iter().any(|c| tenant_columns.contains(c)))
            .find(|fk| {
                scope
                    .table(&fk.references)
                    .is_some_and(|p| p.qualified_name() == q)
            })
            .map(|fk| format!("{}.{}", other.qualified_name(), fk.columns.join(", ")))
    });
    referencing.map_or_else(String::new, |by| {
        format!(
            " (it is the tenant table `{by}` references: as a global table every tenant could \
             list all tenants)"
        )
    })
}

/// Who reaches `t` and how, as a phrase (`app_user (SELECT granted at m.sql:4)`), or `None`.
fn reached_by(scope: &Scope<'_>, t: &Table) -> Option<String> {
    let roles = scope.runtime_roles();
    let configured = scope.options.runtime_roles.is_some();
    if roles.is_empty() && !configured {
        return Some(
            "whoever uses the database (no runtime role is configured or granted any table)"
                .to_owned(),
        );
    }
    if let Some(owner) = t.owner.as_deref().filter(|o| roles.iter().any(|r| r == o)) {
        return Some(format!("the runtime role {owner}, which owns it"));
    }
    // With configured runtime roles, a set that manages its grants (a complete pg_dump) and
    // grants nothing on the table out of a platform's reach says they cannot use it; inferred
    // roles say nothing about the owner, which the application may also use.
    let elsewhere = if configured {
        scope.grants_may_live_elsewhere(t)
    } else {
        scope.db.origin == Origin::Migrations && t.grants.is_empty()
    };
    if elsewhere && !roles.is_empty() {
        return Some(
            "the application: the migrations grant nothing on it, so its privileges are granted \
             elsewhere or it is used by its owner"
                .to_owned(),
        );
    }
    for role in roles {
        let closure = scope.closure(role);
        if let Some(g) = t.grants.iter().find(|g| {
            ROW_PRIVILEGES.contains(&g.privilege.as_str()) && closure.contains(&g.grantee)
        }) {
            let through = if g.grantee == *role {
                String::new()
            } else {
                format!(" through {}", g.grantee)
            };
            return Some(format!(
                "{role} ({} granted{through} at {})",
                g.privilege, g.location
            ));
        }
    }
    t.grants
        .iter()
        .find(|g| g.grantee == "PUBLIC" && ROW_PRIVILEGES.contains(&g.privilege.as_str()))
        .map(|g| format!("PUBLIC ({} granted at {})", g.privilege, g.location))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Facts;
    use crate::facts::pg::{Database, ForeignKey, Grant};
    use crate::model::{Location, Status};
    use crate::rules::postgres::test_facts::table;
    use crate::settings::Settings;

    fn grant(role: &str, privilege: &str) -> Grant {
        Grant {
            grantee: role.into(),
            privilege: privilege.into(),
            object: None,
            location: Location::file("m.sql", 9),
        }
    }

    fn run(tables: Vec<Table>, toml: &str) -> Vec<(String, Status, String, String)> {
        let settings: Settings = toml::from_str(toml).unwrap();
        let facts = Facts {
            settings,
            postgres: vec![Database {
                tables,
                ..Database::default()
            }],
            ..Facts::default()
        };
        let options = facts.settings.resolve().unwrap();
        let cx = Context::new(&facts, &options);
        let mut out = Findings::new(&PgTableClassified::META);
        PgTableClassified.run(&cx, &mut out);
        out.into_vec()
            .into_iter()
            .map(|f| {
                let class = f.evidence["class"].as_str().unwrap_or_default().to_owned();
                (f.subject, f.status, class, f.message)
            })
            .collect()
    }

    #[test]
    fn classifies_every_table_and_fails_the_unclassified_ones_a_runtime_role_reaches() {
        let mut orders = table("orders", &["id", "tenant_id"]);
        orders.grants.push(grant("app", "SELECT"));
        let mut countries = table("countries", &["code"]);
        countries.grants.push(grant("app", "SELECT"));
        let mut flags = table("feature_flags", &["name", "on"]);
        flags.grants.push(grant("app", "SELECT"));
        let mut internal = table("internal_jobs", &["id"]);
        internal.grants.push(grant("worker", "SELECT"));
        let migrations = table("schema_migrations", &["version"]);
        let found = run(
            vec![orders, countries, flags, internal, migrations],
            "[postgres]\nruntime_roles = [\"app\"]\nglobal_tables = [\"public.countries\"]\n",
        );
        let by = |name: &str| {
            found
                .iter()
                .find(|f| f.0 == format!("public.{name}"))
                .unwrap()
                .clone()
        };
        assert_eq!(by("orders").2, "tenant");
        assert_eq!(by("countries").2, "global");
        assert_eq!(by("schema_migrations").2, "global");
        let flags = by("feature_flags");
        assert_eq!((flags.1, flags.2.as_str()), (Status::Fail, "unclassified"));
        assert!(
            flags
                .3
                .contains("public.feature_flags is reachable by app (SELECT granted at m.sql:9)")
                && flags.3.contains("global_tables (`public.feature_flags`)"),
            "{flags:?}"
        );
        let internal = by("internal_jobs");
        assert_eq!(internal.1, Status::Pass, "{internal:?}");
    }

    #[test]
    fn a_foreign_key_chain_to_a_tenant_table_classifies_tenant_unless_turned_off() {
        let application = table("application", &["id", "org_id"]);
        let mut endpoint = table("endpoint", &["id", "app_id"]);
        endpoint.foreign_keys.push(ForeignKey {
            columns: vec!["app_id".into()],
            references: "public.application".into(),
            referenced_columns: vec!["id".into()],
        });
        let mut delivery = table("delivery", &["id", "endpoint_id"]);
        delivery.foreign_keys.push(ForeignKey {
            columns: vec!["endpoint_id".into()],
            references: "public.endpoint".into(),
            referenced_columns: vec!["id".into()],
        });
        let tables = vec![application, endpoint, delivery];
        let on = run(tables.clone(), "[postgres]\n");
        let delivery = on.iter().find(|f| f.0 == "public.delivery").unwrap();
        assert_eq!(delivery.2, "tenant");
        assert!(
            delivery.3.contains(
                "`public.delivery.endpoint_id -> public.endpoint.app_id -> public.application` \
                 (has tenant column `org_id`)"
            ),
            "{delivery:?}"
        );
        let off = run(tables, "[postgres]\ntenant_paths = false\n");
        let delivery = off.iter().find(|f| f.0 == "public.delivery").unwrap();
        assert_eq!(
            (delivery.1, delivery.2.as_str()),
            (Status::Fail, "unclassified")
        );
    }
}
