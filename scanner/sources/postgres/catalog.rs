//! Reading the catalogs into the shared `pg` records. Every query is a plain read of a
//! catalog view or a privilege function; nothing is written.

use std::collections::BTreeMap;

use super::connect::Session;
use checks::Location;
use checks::facts::pg::{ForeignKey, Function, Grant, Policy, Role, Table, Trigger};
use checks::facts::pg_live::{HbaRule, PartitionInfo, RolePassword, ServerSetting};

/// Schemas that belong to PostgreSQL itself.
const USER_RELATIONS: &str = "c.relkind IN ('r', 'p') \
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// Server settings vouch records (the checks judge some of them).
const SETTINGS: &[&str] = &[
    "ssl",
    "ssl_min_protocol_version",
    "password_encryption",
    "log_connections",
    "log_disconnections",
    "log_statement",
    "row_security",
];

const TABLE_PRIVILEGES: &str =
    "ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']";

pub type Res<T> = Result<T, String>;

/// A table as read, keyed by its oid while the other catalogs are joined in.
pub struct Tables {
    pub by_oid: BTreeMap<u32, Table>,
    pub partitions: Vec<PartitionInfo>,
}

pub async fn tables(client: &Session, uri: &str) -> Res<Tables> {
    let sql = format!(
        "SELECT c.oid, n.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text, \
                c.relrowsecurity, c.relforcerowsecurity, c.relkind = 'p', c.relispartition, \
                (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i \
                   JOIN pg_class pc ON pc.oid = i.inhparent \
                   JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
                  WHERE i.inhrelid = c.oid LIMIT 1) \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE {USER_RELATIONS} ORDER BY 2, 3"
    );
    let rows = client.query(&sql, &[]).await?;
    let mut by_oid = BTreeMap::new();
    let mut partitions = Vec::new();
    for row in rows {
        let (schema, name): (String, String) = (row.get(1), row.get(2));
        let qualified = format!("{schema}.{name}");
        let location = Location::postgres(uri, Some(&qualified));
        if row.get::<_, bool>(6) {
            partitions.push(PartitionInfo {
                table: qualified.clone(),
                kind: "partitioned".into(),
                parent: None,
            });
        } else if row.get::<_, bool>(7) {
            partitions.push(PartitionInfo {
                table: qualified.clone(),
                kind: "partition".into(),
                parent: row.get(8),
            });
        }
        let table = Table {
            schema,
            name,
            columns: Vec::new(),
            owner: Some(row.get(3)),
            rls_enabled: row.get(4),
            rls_forced: row.get(5),
            rls_location: Some(location.clone()),
            force_location: Some(location.clone()),
            owner_location: Some(location.clone()),
            foreign_keys: Vec::new(),
            location,
            policies: Vec::new(),
            grants: Vec::new(),
            triggers: Vec::new(),
        };
        by_oid.insert(row.get::<_, u32>(0), table);
    }
    let columns = client
        .query(
            &format!(
                "SELECT a.attrelid, a.attname::text FROM pg_attribute a \
                   JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                  WHERE {USER_RELATIONS} AND a.attnum > 0 AND NOT a.attisdropped \
                  ORDER BY a.attrelid, a.attnum"
            ),
            &[],
        )
        .await?;
    for row in columns {
        if let Some(t) = by_oid.get_mut(&row.get::<_, u32>(0)) {
            t.columns.push(row.get(1));
        }
    }
    Ok(Tables { by_oid, partitions })
}

pub async fn policies(client: &Session, tables: &mut Tables) -> Res<()> {
    let rows = client
        .query(
            "SELECT c.oid, p.polname::text, p.polcmd::text, p.polpermissive, \
                    ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r)::text END \
                            FROM unnest(p.polroles) AS r ORDER BY 1), \
                    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
               FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
              ORDER BY c.oid, p.polname",
            &[],
        )
        .await?;
    for row in rows {
        let Some(t) = tables.by_oid.get_mut(&row.get::<_, u32>(0)) else {
            continue;
        };
        let roles: Vec<String> = row.get(4);
        t.policies.push(Policy {
            name: row.get(1),
            command: policy_command(&row.get::<_, String>(2)).to_owned(),
            permissive: row.get(3),
            // The shared model writes PUBLIC as "no roles".
            roles: roles.into_iter().filter(|r| r != "PUBLIC").collect(),
            using: row.get(5),
            with_check: row.get(6),
            location: t.location.clone(),
        });
    }
    Ok(())
}

/// `pg_policy.polcmd` letters as the shared model names them.
fn policy_command(polcmd: &str) -> &'static str {
    match polcmd {
        "r" => "select",
        "a" => "insert",
        "w" => "update",
        "d" => "delete",
        _ => "all",
    }
}

pub async fn triggers(client: &Session, tables: &mut Tables) -> Res<()> {
    let rows = client
        .query(
            "SELECT t.tgrelid, t.tgname::text, t.tgtype::int, pn.nspname || '.' || p.proname \
               FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid \
               JOIN pg_namespace pn ON pn.oid = p.pronamespace \
              WHERE NOT t.tgisinternal ORDER BY t.tgrelid, t.tgname",
            &[],
        )
        .await?;
    for row in rows {
        let Some(t) = tables.by_oid.get_mut(&row.get::<_, u32>(0)) else {
            continue;
        };
        let bits: i32 = row.get(2);
        t.triggers.push(Trigger {
            name: row.get(1),
            timing: trigger_timing(bits).to_owned(),
            events: trigger_events(bits),
            for_each_row: bits & 1 != 0,
            function: row.get(3),
            location: t.location.clone(),
        });
    }
    Ok(())
}

/// Foreign keys (`pg_constraint.contype = 'f'`), columns in constraint order: the tenant
/// links `pg-table-classified` and the tenant-path policies follow, as the migrations give them.
pub async fn foreign_keys(client: &Session, tables: &mut Tables) -> Res<()> {
    let rows = client
        .query(
            "SELECT k.conrelid, pn.nspname || '.' || pc.relname, \
                    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n \
                           ORDER BY u.i), \
                    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i) \
                            JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n \
                           ORDER BY u.i) \
               FROM pg_constraint k JOIN pg_class pc ON pc.oid = k.confrelid \
               JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
              WHERE k.contype = 'f' ORDER BY k.conrelid, k.conname",
            &[],
        )
        .await?;
    for row in rows {
        let Some(t) = tables.by_oid.get_mut(&row.get::<_, u32>(0)) else {
            continue;
        };
        t.foreign_keys.push(ForeignKey {
            references: row.get(1),
            columns: row.get(2),
            referenced_columns: row.get(3),
        });
    }
    Ok(())
}

/// `pg_trigger.tgtype` bits (see `pg_trigger.h`): ROW 1, BEFORE 2, INSTEAD 64.
fn trigger_timing(bits: i32) -> &'static str {
    if bits & 64 != 0 {
        "instead of"
    } else if bits & 2 != 0 {
        "before"
    } else {
        "after"
    }
}

/// INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32.
fn trigger_events(bits: i32) -> Vec<String> {
    [
        (4, "insert"),
        (16, "update"),
        (8, "delete"),
        (32, "truncate"),
    ]
    .into_iter()
    .filter(|(bit, _)| bits & bit != 0)
    .map(|(_, e)| e.to_owned())
    .collect()
}

/// SECURITY DEFINER functions and trigger functions. `raises` is true when the body has a
/// RAISE at EXCEPTION level (the default level when none is given).
pub async fn functions(client: &Session, uri: &str) -> Res<Vec<Function>> {
    let rows = client
        .query(
            "SELECT n.nspname::text, p.proname::text, p.prosecdef, p.proconfig, \
                    p.prosrc ~* '\\mraise\\M(?!\\s+(notice|warning|info|log|debug)\\M)' \
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND (p.prosecdef OR p.oid IN (SELECT tgfoid FROM pg_trigger WHERE NOT tgisinternal)) \
              ORDER BY 1, 2",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (schema, name): (String, String) = (row.get(0), row.get(1));
            let config: Option<Vec<String>> = row.get(3);
            let search_path = config
                .unwrap_or_default()
                .into_iter()
                .find_map(|c| c.strip_prefix("search_path=").map(str::to_owned));
            Function {
                location: Location::postgres(uri, Some(&format!("function/{schema}.{name}"))),
                schema,
                name,
                security_definer: row.get(2),
                search_path,
                raises: row.get::<_, Option<bool>>(4).unwrap_or(false),
            }
        })
        .collect())
}

pub async fn roles(client: &Session, uri: &str) -> Res<Vec<Role>> {
    let rows = client
        .query(
            "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb, \
                    r.rolcanlogin, \
                    ARRAY(SELECT b.rolname::text FROM pg_auth_members m \
                            JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) \
               FROM pg_roles r ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let name: String = row.get(0);
            Role {
                location: Location::postgres(uri, Some(&format!("role/{name}"))),
                name,
                superuser: row.get(1),
                bypassrls: row.get(2),
                createrole: row.get(3),
                createdb: row.get(4),
                login: row.get(5),
                member_of: row.get(6),
                attributes_location: None,
                undeclared: false,
            }
        })
        .collect())
}

/// Effective table privileges of the runtime roles (`has_table_privilege`, so grants to PUBLIC,
/// inherited memberships and ownership all count).
pub async fn table_privileges(client: &Session, tables: &mut Tables, roles: &[String]) -> Res<()> {
    let sql = format!(
        "SELECT c.oid, r.rolname, p.priv \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          CROSS JOIN unnest($1::text[]) AS r(rolname) \
          CROSS JOIN unnest({TABLE_PRIVILEGES}) AS p(priv) \
          WHERE {USER_RELATIONS} AND r.rolname IN (SELECT rolname FROM pg_roles) \
            AND has_table_privilege(r.rolname, c.oid, p.priv) \
          ORDER BY 1, 2, 3"
    );
    let rows = client.query(&sql, &[&roles]).await?;
    for row in rows {
        let Some(t) = tables.by_oid.get_mut(&row.get::<_, u32>(0)) else {
            continue;
        };
        t.grants.push(Grant {
            grantee: row.get(1),
            privilege: row.get(2),
            object: None,
            location: t.location.clone(),
        });
    }
    Ok(())
}

/// Effective `CREATE` and `USAGE` of the runtime roles on every user schema.
pub async fn schema_privileges(client: &Session, uri: &str, roles: &[String]) -> Res<Vec<Grant>> {
    let rows = client
        .query(
            "SELECT n.nspname::text, r.rolname, p.priv FROM pg_namespace n \
              CROSS JOIN unnest($1::text[]) AS r(rolname) \
              CROSS JOIN unnest(ARRAY['CREATE', 'USAGE']) AS p(priv) \
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND n.nspname NOT LIKE 'pg\\_%' \
                AND r.rolname IN (SELECT rolname FROM pg_roles) \
                AND has_schema_privilege(r.rolname, n.oid, p.priv) \
              ORDER BY 1, 2, 3",
            &[&roles],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let schema: String = row.get(0);
            Grant {
                grantee: row.get(1),
                privilege: row.get(2),
                location: Location::postgres(uri, Some(&schema)),
                object: Some(schema),
            }
        })
        .collect())
}

pub async fn settings(client: &Session) -> Res<Vec<ServerSetting>> {
    let names: Vec<String> = SETTINGS.iter().map(|s| (*s).to_owned()).collect();
    let rows = client
        .query(
            "SELECT name, setting FROM pg_settings WHERE name = ANY($1) ORDER BY 1",
            &[&names],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ServerSetting {
            name: r.get(0),
            value: r.get(1),
        })
        .collect())
}

/// `pg_hba_file_rules`; superuser only unless granted (see docs/guide/postgres.md).
pub async fn hba_rules(client: &Session) -> Res<Vec<HbaRule>> {
    let rows = client
        .query(
            "SELECT line_number, type, database, user_name, address, auth_method, error \
               FROM pg_hba_file_rules ORDER BY line_number",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| HbaRule {
            line: u32::try_from(r.get::<_, Option<i32>>(0).unwrap_or(0)).unwrap_or(0),
            kind: r.get::<_, Option<String>>(1).unwrap_or_default(),
            databases: r.get::<_, Option<Vec<String>>>(2).unwrap_or_default(),
            users: r.get::<_, Option<Vec<String>>>(3).unwrap_or_default(),
            address: r.get(4),
            auth_method: r.get::<_, Option<String>>(5).unwrap_or_default(),
            error: r.get(6),
        })
        .collect())
}

/// How each role's password is stored. The hash is reduced to its method on the server; it
/// never reaches vouch.
pub async fn passwords(client: &Session, uri: &str) -> Res<Vec<RolePassword>> {
    let rows = client
        .query(
            "SELECT rolname::text, rolcanlogin, CASE \
                      WHEN rolpassword IS NULL THEN 'none' \
                      WHEN rolpassword LIKE 'md5%' THEN 'md5' \
                      WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256' \
                      ELSE 'other' END \
               FROM pg_authid ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let role: String = r.get(0);
            RolePassword {
                location: Location::postgres(uri, Some(&format!("role/{role}"))),
                role,
                login: r.get(1),
                method: r.get(2),
            }
        })
        .collect())
}

/// The primary-key columns of a table, in key order.
pub async fn primary_key(client: &Session, oid: u32) -> Res<Vec<String>> {
    let rows = client
        .query(
            "SELECT a.attname::text FROM pg_index i \
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[]) \
              WHERE i.indrelid = $1 AND i.indisprimary \
              ORDER BY array_position(i.indkey::int2[], a.attnum)",
            &[&oid],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_bits() {
        // BEFORE UPDATE OR DELETE FOR EACH ROW = 1 | 2 | 8 | 16
        assert_eq!(trigger_timing(27), "before");
        assert_eq!(trigger_events(27), ["update", "delete"]);
        assert_eq!(trigger_timing(4), "after");
        assert_eq!(trigger_timing(64 | 1 | 4), "instead of");
    }
}
