//! PostgreSQL: row-level security and tenant isolation, roles, audit tables, server settings (migrations and live databases).

pub mod pg_audit_append_only;
pub mod pg_audit_chain_valid;
pub mod pg_audit_hash_chained;
pub(crate) mod pg_common;
pub(crate) mod pg_live_common;
pub mod pg_password_scram;
pub(crate) mod pg_policy_semantics;
pub mod pg_rls_enabled;
pub mod pg_rls_forced;
pub mod pg_rls_policy;
pub mod pg_rls_policy_tenant;
pub mod pg_role_no_bypass;
pub mod pg_role_no_ddl;
pub mod pg_role_not_owner;
pub mod pg_schema_drift;
pub mod pg_security_definer_search_path;
pub mod pg_ssl_enforced;
pub mod pg_table_classified;
pub mod pg_tenant_isolation;
#[cfg(test)]
pub(crate) mod test_facts;
