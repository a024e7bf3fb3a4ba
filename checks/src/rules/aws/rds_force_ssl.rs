use serde_json::json;

use super::aws_shared::{Db, databases, evidence};
use super::engine::{Family, TlsRule, not_in_sync, parameter_group, value_of};
use crate::facts::aws::{Parameter, Read};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct RdsForceSsl;

/// What the engine's TLS parameter says, or why it cannot be told.
enum Tls {
    Required(String),
    NotRequired(String),
    Unknown(String),
}

impl Rule for RdsForceSsl {
    const META: Meta = Meta {
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

`DescribeDBClusters` also lists Amazon Neptune and Amazon DocumentDB clusters, judged by what
their own documentation says. Neptune from engine version 1.0.4.2 accepts only HTTPS
connections whatever its parameters say, so it passes on its version; an older Neptune engine
needs `neptune_enforce_ssl = 1` in its DB cluster parameter group. That includes 1.0.4.0 and
1.0.4.1: they shipped with a bug that kept honouring a parameter that disables enforcement,
fixed only by a patch installed by hand, which the engine version does not show. DocumentDB needs its `tls`
cluster parameter at `enabled`, `tls1.2+`, `tls1.3+` or `fips-140-3` (`disabled` fails). A
Neptune or DocumentDB parameter that is absent, or a value vouch does not know, is an error, and
so is one whose group is not yet in force on every cluster member (`pending-reboot`).

## How to fix
Create a custom parameter group, set `rds.force_ssl = 1` (or `require_secure_transport = 1`),
attach it to the instance or cluster and reboot if the parameter is static. Neptune: upgrade to
engine 1.0.4.2 or later (or set `neptune_enforce_ssl = 1`). DocumentDB: set `tls` to `enabled`
(or `tls1.2+`) in a custom cluster parameter group and reboot the instances.

## Evidence
The parameter group, the parameter's value and source (`user`, `engine-default`, or `absent`),
the engine and version, the basis of the verdict, and the describe call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (region, db) in databases(cx, out) {
            let (engine, version) = db.engine();
            let rule = Family::of(engine).tls(engine, version);
            let id = db.identifier().to_owned();
            let attached = parameter_group(region, &db);
            // An engine version that refuses clear connections needs no parameter group.
            if let TlsRule::Always(why) = rule {
                let (group_name, params) = match attached {
                    Some((name, group)) => (Some(name), group.map(|g| &g.parameters)),
                    None => (None, None),
                };
                let ev = evidence(
                    json!({ "identifier": id, "engine": engine, "engine_version": version,
                            "parameter_group": group_name, "parameters": params,
                            "basis": "engine version", "describe_call": db.call() }),
                    None,
                );
                out.pass(id, db.location(), why, ev);
                continue;
            }
            let Some((group_name, group)) = attached else {
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
            let verdict = match group {
                None => (
                    Tls::Unknown(format!("parameter group {group_name} was not collected")),
                    None,
                ),
                Some(group) => match &group.parameters {
                    Read::Value { value, call } => {
                        let verdict = judge(&rule, engine, version, group_name, value);
                        (pending(&db, verdict), Some(call))
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
            let params = group.map(|g| &g.parameters);
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

/// A verdict read from the group is no verdict while members have not applied the group
/// (Neptune and DocumentDB: a member not `in-sync` may still run the old value).
fn pending(db: &Db<'_>, verdict: Tls) -> Tls {
    let waiting = not_in_sync(db);
    if waiting.is_empty() || !Family::of(db.engine().0).needs_parameters_in_sync() {
        return verdict;
    }
    match verdict {
        Tls::Required(why) | Tls::NotRequired(why) => Tls::Unknown(format!(
            "{why}, but the group is not in force on every member ({}): the value they run cannot be told until every member reports the group in-sync",
            waiting.join(", ")
        )),
        unknown @ Tls::Unknown(_) => unknown,
    }
}

fn judge(rule: &TlsRule, engine: &str, version: &str, group: &str, params: &[Parameter]) -> Tls {
    let (name, style, default) = match rule {
        TlsRule::Parameter {
            name,
            style,
            default,
        } => (*name, *style, default),
        TlsRule::Always(why) => return Tls::Required(why.clone()),
        TlsRule::Unknown => {
            return Tls::Unknown(format!(
                "vouch does not know how engine {engine} enforces TLS; verify it by hand"
            ));
        }
    };
    match (value_of(params, name), default) {
        (Some((value, source)), _) => {
            let why = format!("{name} = {value} in parameter group {group} (source: {source})");
            match style.on(value) {
                Some(true) => Tls::Required(why),
                Some(false) => {
                    Tls::NotRequired(format!("{why}: unencrypted connections are accepted"))
                }
                None => Tls::Unknown(format!(
                    "{why}: vouch does not know whether that value refuses unencrypted connections on {engine}; verify it by hand"
                )),
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
    use super::{Tls, judge as judge_rule};
    use crate::facts::aws::Parameter;
    use crate::rules::aws::engine::Family;
    use crate::rules::aws::engine::set_by_user as set;

    fn judge(engine: &str, version: &str, group: &str, params: &[Parameter]) -> Tls {
        let rule = Family::of(engine).tls(engine, version);
        judge_rule(&rule, engine, version, group, params)
    }

    #[test]
    fn neptune_from_1_0_4_2_requires_tls_whatever_the_group_says() {
        assert!(matches!(
            judge("neptune", "1.3.2.1", "g", &[]),
            Tls::Required(m) if m.contains("1.0.4.2")
        ));
        assert!(matches!(
            judge("neptune", "1.2.0.0", "g", &set("neptune_enforce_ssl", "0")),
            Tls::Required(_)
        ));
    }

    #[test]
    fn neptune_1_0_4_0_and_1_0_4_1_are_judged_by_their_parameter() {
        // Their release bug honours `neptune_enforce_ssl = 0` unless patched by hand.
        for version in ["1.0.4.0", "1.0.4.1"] {
            assert!(matches!(
                judge("neptune", version, "g", &set("neptune_enforce_ssl", "0")),
                Tls::NotRequired(_)
            ));
            assert!(matches!(
                judge("neptune", version, "g", &set("neptune_enforce_ssl", "1")),
                Tls::Required(_)
            ));
        }
    }

    #[test]
    fn a_value_with_spaces_is_read_as_it_was_before_the_engine_table() {
        // The RDS engines matched the value exactly (case aside): `1 ` was not `1`, and the
        // engine table must not turn that failure into a pass.
        assert!(matches!(
            judge("postgres", "14.9", "g", &set("rds.force_ssl", "1 ")),
            Tls::NotRequired(m) if m.contains("rds.force_ssl = 1 ")
        ));
        assert!(matches!(
            judge(
                "mysql",
                "8.0.35",
                "g",
                &set("require_secure_transport", " ON")
            ),
            Tls::NotRequired(_)
        ));
        // Case still does not matter (as before): MySQL's `ON`.
        assert!(matches!(
            judge(
                "mysql",
                "8.0.35",
                "g",
                &set("require_secure_transport", "ON")
            ),
            Tls::Required(_)
        ));
        // Neptune's 0/1 flag: a value that is not exactly `1` or `0` is unknown, not on.
        assert!(matches!(
            judge("neptune", "1.0.3.0", "g", &set("neptune_enforce_ssl", "1 ")),
            Tls::Unknown(_)
        ));
    }

    #[test]
    fn older_neptune_is_judged_by_neptune_enforce_ssl() {
        assert!(matches!(
            judge("neptune", "1.0.3.0", "g", &set("neptune_enforce_ssl", "1")),
            Tls::Required(_)
        ));
        assert!(matches!(
            judge("neptune", "1.0.3.0", "g", &set("neptune_enforce_ssl", "0")),
            Tls::NotRequired(m) if m.contains("neptune_enforce_ssl = 0")
        ));
        assert!(matches!(
            judge("neptune", "1.0.3.0", "g", &absent("neptune_enforce_ssl")),
            Tls::Unknown(m) if m.contains("no documented default")
        ));
    }

    #[test]
    fn docdb_is_judged_by_its_tls_parameter() {
        for on in ["enabled", "tls1.2+", "tls1.3+", "fips-140-3"] {
            assert!(
                matches!(
                    judge("docdb", "5.0.0", "g", &set("tls", on)),
                    Tls::Required(_)
                ),
                "{on}"
            );
        }
        assert!(matches!(
            judge("docdb", "5.0.0", "g", &set("tls", "disabled")),
            Tls::NotRequired(m) if m.contains("tls = disabled")
        ));
        assert!(matches!(
            judge("docdb", "5.0.0", "g", &set("tls", "sometimes")),
            Tls::Unknown(m) if m.contains("verify it by hand")
        ));
        assert!(matches!(judge("docdb", "5.0.0", "g", &[]), Tls::Unknown(_)));
        // The MySQL parameter means nothing to DocumentDB.
        assert!(matches!(
            judge(
                "docdb",
                "5.0.0",
                "g",
                &set("require_secure_transport", "ON")
            ),
            Tls::Unknown(_)
        ));
    }

    #[test]
    fn a_docdb_tls_change_pending_reboot_is_no_verdict() {
        use super::pending;
        use crate::facts::aws::DbCluster;
        use crate::rules::aws::aws_shared::Db;
        let cluster = |engine: &str| DbCluster {
            engine: engine.to_owned(),
            parameters_not_in_sync: vec!["docs-1: pending-reboot".to_owned()],
            ..DbCluster::default()
        };
        let docdb = cluster("docdb");
        assert!(matches!(
            pending(&Db::Cluster(&docdb), judge("docdb", "5.0.0", "g", &set("tls", "enabled"))),
            Tls::Unknown(m) if m.contains("docs-1: pending-reboot")
        ));
        // The RDS engines keep their judgement.
        let pg = cluster("aurora-postgresql");
        assert!(matches!(
            pending(
                &Db::Cluster(&pg),
                judge("aurora-postgresql", "15.4", "g", &set("rds.force_ssl", "1"))
            ),
            Tls::Required(_)
        ));
    }

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

    /// The parameter as a user set it in the parameter group.
    fn user_set(name: &str, value: &str) -> Vec<Parameter> {
        vec![Parameter {
            name: name.to_owned(),
            value: Some(value.to_owned()),
            source: "user".to_owned(),
        }]
    }

    #[test]
    fn explicit_value_wins() {
        let on = user_set("rds.force_ssl", "1");
        assert!(matches!(
            judge("postgres", "13.1", "g", &on),
            Tls::Required(_)
        ));
        let off = user_set("rds.force_ssl", "0");
        assert!(matches!(
            judge("postgres", "16.1", "g", &off),
            Tls::NotRequired(_)
        ));
        let mysql = user_set("require_secure_transport", "ON");
        assert!(matches!(
            judge("mysql", "8.0", "g", &mysql),
            Tls::Required(_)
        ));
    }
}
