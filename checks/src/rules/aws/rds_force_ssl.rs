use serde_json::json;

use super::aws_shared::{Db, databases, evidence};
use crate::facts::aws::{Parameter, ParameterGroup, Read, Region};
use crate::model::{Check, Context, Findings, Meta, Severity, Source};

pub struct RdsForceSsl;

static META: Meta = Meta {
    id: "rds-force-ssl",
    title: "RDS databases refuse unencrypted connections",
    severity: Severity::High,
    controls: &["TLS-02"],
    source: Source::Aws,
    docs: r#"
## Why
RDS offers TLS, but unless the engine is told to require it a client that does not ask for TLS
(a misconfigured driver, `sslmode=prefer` downgraded by an attacker) sends credentials and data
in clear. Only the server side can enforce it.

## What is judged
The parameter group of every standalone DB instance (DB parameter group) and Aurora cluster
(DB cluster parameter group): `rds.force_ssl = 1` for PostgreSQL and SQL Server,
`require_secure_transport = ON` for MySQL, MariaDB and Aurora MySQL. A parameter the group does
not return is judged by the engine's documented default, and the finding says so:
`rds.force_ssl` defaults to 1 on RDS for PostgreSQL 15 and later and to 0 before;
`require_secure_transport` defaults to OFF; `rds.force_ssl` on SQL Server defaults to 0. For an
engine whose default vouch does not know (Aurora PostgreSQL, Oracle, Db2) an absent parameter
is an error: set it explicitly.

## How to fix
Create a custom parameter group, set `rds.force_ssl = 1` (or `require_secure_transport = 1`),
attach it to the instance or cluster and reboot if the parameter is static.

## Evidence
The parameter group, the parameter's value and source (`user`, `engine-default`, or `absent`),
the engine and version, the basis of the verdict, and the describe call.
"#,
};

/// What the engine's TLS parameter says, or why it cannot be told.
enum Tls {
    Required(String),
    NotRequired(String),
    Unknown(String),
}

impl Check for RdsForceSsl {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (region, db) in databases(cx, out) {
            let (engine, version) = db.engine();
            let (scope, groups): (&str, Vec<&str>) = match &db {
                Db::Instance(i) => (
                    "db",
                    i.parameter_groups.iter().map(String::as_str).collect(),
                ),
                Db::Cluster(c) => (
                    "cluster",
                    c.parameter_group.iter().map(String::as_str).collect(),
                ),
            };
            let id = db.identifier().to_owned();
            let Some(group_name) = groups.first().copied() else {
                let ev = evidence(
                    json!({ "identifier": id, "engine": engine }),
                    Some(db.call()),
                );
                out.error(
                    id,
                    db.location(),
                    "no parameter group is attached, so TLS enforcement cannot be judged",
                    ev,
                );
                continue;
            };
            let verdict = match find_group(region, scope, group_name) {
                None => (
                    Tls::Unknown(format!("parameter group {group_name} was not collected")),
                    None,
                ),
                Some(group) => match &group.parameters {
                    Read::Value { value, call } => {
                        (judge(engine, version, group_name, value), Some(call))
                    }
                    Read::Error { message, call } => (
                        Tls::Unknown(format!(
                            "parameter group {group_name} could not be read: {message}"
                        )),
                        Some(call),
                    ),
                    Read::Absent { code, call } => (
                        Tls::Unknown(format!(
                            "parameter group {group_name} was not found ({code})"
                        )),
                        Some(call),
                    ),
                    Read::NotRead => (
                        Tls::Unknown(format!("parameter group {group_name} was not read")),
                        None,
                    ),
                },
            };
            let params = find_group(region, scope, group_name).map(|g| &g.parameters);
            let ev = evidence(
                json!({ "identifier": id, "engine": engine, "engine_version": version,
                        "parameter_group": group_name, "parameters": params,
                        "describe_call": db.call() }),
                verdict.1,
            );
            match verdict.0 {
                Tls::Required(why) => out.pass(id, db.location(), why, ev),
                Tls::NotRequired(why) => out.fail(id, db.location(), why, ev),
                Tls::Unknown(why) => out.error(id, db.location(), why, ev),
            }
        }
    }
}

fn find_group<'a>(region: &'a Region, scope: &str, name: &str) -> Option<&'a ParameterGroup> {
    region
        .parameter_groups
        .iter()
        .find(|g| g.scope == scope && g.name == name)
}

/// The TLS parameter of an engine family: `(name, documented default when absent)`.
fn tls_parameter(engine: &str, version: &str) -> Option<(&'static str, Option<(bool, String)>)> {
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    match engine {
        "postgres" => Some((
            "rds.force_ssl",
            Some((
                major >= 15,
                format!(
                    "the RDS for PostgreSQL {major} default ({}; it is 1 from version 15)",
                    u8::from(major >= 15)
                ),
            )),
        )),
        "mysql" | "mariadb" | "aurora-mysql" => Some((
            "require_secure_transport",
            Some((false, format!("the {engine} default (OFF)"))),
        )),
        e if e.starts_with("sqlserver") => Some((
            "rds.force_ssl",
            Some((false, "the RDS for SQL Server default (0)".to_owned())),
        )),
        "aurora-postgresql" => Some(("rds.force_ssl", None)),
        _ => None,
    }
}

fn judge(engine: &str, version: &str, group: &str, params: &[Parameter]) -> Tls {
    let Some((name, default)) = tls_parameter(engine, version) else {
        return Tls::Unknown(format!(
            "vouch does not know how engine {engine} enforces TLS; verify it by hand"
        ));
    };
    let set = params
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref().map(|v| (v, p.source.as_str())));
    match (set, default) {
        (Some((value, source)), _) => {
            let on = matches!(value.to_ascii_lowercase().as_str(), "1" | "on" | "true");
            let source = if source.is_empty() {
                "not stated"
            } else {
                source
            };
            let why = format!("{name} = {value} in parameter group {group} (source: {source})");
            if on {
                Tls::Required(why)
            } else {
                Tls::NotRequired(format!("{why}: unencrypted connections are accepted"))
            }
        }
        (None, Some((true, basis))) => Tls::Required(format!(
            "{name} is not set in parameter group {group}, so {basis} applies: TLS is required"
        )),
        (None, Some((false, basis))) => Tls::NotRequired(format!(
            "{name} is not set in parameter group {group}, so {basis} applies: unencrypted connections are accepted"
        )),
        (None, None) => Tls::Unknown(format!(
            "{name} is not set in parameter group {group} and vouch knows no documented default for {engine} {version}; set it explicitly"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{Tls, judge};
    use crate::facts::aws::Parameter;

    fn absent(name: &str) -> Vec<Parameter> {
        vec![Parameter {
            name: name.to_owned(),
            value: None,
            source: "absent".to_owned(),
        }]
    }

    #[test]
    fn absent_parameter_uses_the_engine_version_default() {
        assert!(
            matches!(judge("postgres", "16.3", "g", &absent("rds.force_ssl")), Tls::Required(m) if m.contains("default"))
        );
        assert!(matches!(
            judge("postgres", "14.9", "g", &absent("rds.force_ssl")),
            Tls::NotRequired(_)
        ));
        assert!(matches!(
            judge("mysql", "8.0.35", "g", &[]),
            Tls::NotRequired(_)
        ));
        assert!(matches!(
            judge("aurora-postgresql", "15.4", "g", &[]),
            Tls::Unknown(_)
        ));
        assert!(matches!(
            judge("oracle-ee", "19", "g", &[]),
            Tls::Unknown(_)
        ));
    }

    #[test]
    fn explicit_value_wins() {
        let on = vec![Parameter {
            name: "rds.force_ssl".to_owned(),
            value: Some("1".to_owned()),
            source: "user".to_owned(),
        }];
        assert!(matches!(
            judge("postgres", "13.1", "g", &on),
            Tls::Required(_)
        ));
        let off = vec![Parameter {
            name: "rds.force_ssl".to_owned(),
            value: Some("0".to_owned()),
            source: "user".to_owned(),
        }];
        assert!(matches!(
            judge("postgres", "16.1", "g", &off),
            Tls::NotRequired(_)
        ));
        let mysql = vec![Parameter {
            name: "require_secure_transport".to_owned(),
            value: Some("ON".to_owned()),
            source: "user".to_owned(),
        }];
        assert!(matches!(
            judge("mysql", "8.0", "g", &mysql),
            Tls::Required(_)
        ));
    }
}
