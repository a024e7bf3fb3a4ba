//! Builders of the PostgreSQL facts the rules' unit tests judge: each test states only the
//! fields its case is about.

use crate::facts::pg::{Policy, Table};
use crate::model::Location;

/// A permissive policy for every role, declared at `m.sql:1`.
pub(crate) fn policy(command: &str, using: Option<&str>, with_check: Option<&str>) -> Policy {
    Policy {
        name: "p".into(),
        command: command.into(),
        permissive: true,
        roles: vec![],
        using: using.map(Into::into),
        with_check: with_check.map(Into::into),
        location: Location::file("m.sql", 1),
    }
}

/// `public.NAME` with `columns`, created at `m.sql:1`: no row-level security, owner, policy,
/// grant, trigger or foreign key.
pub(crate) fn table(name: &str, columns: &[&str]) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        owner: None,
        rls_enabled: false,
        rls_forced: false,
        location: Location::file("m.sql", 1),
        rls_location: None,
        policies: vec![],
        grants: vec![],
        triggers: vec![],
        foreign_keys: vec![],
        force_location: None,
        owner_location: None,
    }
}
