//! For a target that names its tenant (`[[target.postgres]] tenant`): what its database, and
//! with schema isolation its schema, grants the runtime roles of every declared tenant. Every
//! answer comes from PostgreSQL's own privilege functions, so membership, PUBLIC and
//! superusers count exactly as they do when a role connects. Judged by `pg-tenant-isolation`.

use checks::facts::pg_live::{RoleAccess, TenantAccess};
use checks::resolve::Resolved;
use checks::settings::Isolation;

use super::connect::Session;

/// Reads the grants; a failure becomes the record's `error`, never an empty (passing) record.
pub async fn access(
    client: &Session,
    options: &Resolved,
    tenant: &str,
    schema: &str,
) -> TenantAccess {
    let mut record = TenantAccess {
        tenant: tenant.to_owned(),
        ..TenantAccess::default()
    };
    let schema = (options.postgres.isolation == Isolation::Schema).then_some(schema);
    if let Err(e) = read(client, options, schema, &mut record).await {
        record.error = Some(format!("cannot read the tenant's grants: {e}"));
    }
    record
}

async fn read(
    client: &Session,
    options: &Resolved,
    schema: Option<&str>,
    record: &mut TenantAccess,
) -> Result<(), String> {
    let db = client
        .query_one(
            "SELECT current_database()::text, \
                    d.datacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(d.datacl) a \
                        WHERE a.grantee = 0 AND a.privilege_type = 'CONNECT') \
               FROM pg_database d WHERE d.datname = current_database()",
            &[],
        )
        .await?;
    record.database = db.get(0);
    record.public_connect = db.get(1);
    if let Some(schema) = schema {
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), \
                        EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(n.nspacl) a \
                                 WHERE n.nspname = $1 AND a.grantee = 0 \
                                   AND a.privilege_type = 'USAGE')",
                &[&schema],
            )
            .await?;
        record.schema = Some(schema.to_owned());
        record.schema_exists = row.get(0);
        record.public_schema_usage = row.get(1);
    }
    let mut roles: Vec<String> = (options.tenant_targets.iter())
        .flat_map(|t| t.runtime_roles.iter().cloned())
        .collect();
    roles.sort();
    roles.dedup();
    let rows = client
        .query(
            "SELECT w.name, r.oid IS NOT NULL, coalesce(r.rolsuper, false), \
                    coalesce(has_database_privilege(r.oid, \
                        (SELECT oid FROM pg_database WHERE datname = current_database()), \
                        'CONNECT'), false), \
                    CASE WHEN r.oid IS NOT NULL AND n.oid IS NOT NULL \
                         THEN has_schema_privilege(r.oid, n.oid, 'USAGE') END, \
                    coalesce((SELECT array_agg(c ORDER BY c) \
                                FROM pg_db_role_setting s, unnest(s.setconfig) c \
                               WHERE s.setrole = r.oid AND c LIKE 'search\\_path=%' \
                                 AND s.setdatabase IN (0, (SELECT oid FROM pg_database \
                                                           WHERE datname = current_database()))), \
                             '{}'::text[]) \
               FROM unnest($1::text[]) AS w(name) \
               LEFT JOIN pg_roles r ON r.rolname = w.name \
               LEFT JOIN pg_namespace n ON n.nspname = $2 \
              ORDER BY 1",
            &[&roles, &schema],
        )
        .await?;
    record.roles = rows
        .iter()
        .map(|row| RoleAccess {
            role: row.get(0),
            exists: row.get(1),
            superuser: row.get(2),
            can_connect: row.get(3),
            schema_usage: row.get(4),
            search_path: row
                .get::<_, Vec<String>>(5)
                .into_iter()
                .map(|c| c.trim_start_matches("search_path=").to_owned())
                .collect(),
        })
        .collect();
    Ok(())
}
