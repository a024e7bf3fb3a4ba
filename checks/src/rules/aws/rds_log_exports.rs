use serde_json::json;

use super::aws_shared::{Db, databases, evidence, merged};
use super::engine::{Family, not_in_sync, parameter_group, value_of};
use crate::facts::aws::{Read, Region};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct RdsLogExports;

impl Rule for RdsLogExports {
    const META: Meta = Meta {
        id: "rds-log-exports",
        title: "RDS databases export their engine log to CloudWatch Logs",
        severity: Severity::Medium,
        controls: &["LOG-02"],
        source: Source::Aws,
        docs: r#"
## Why
"Database logs are captured" means the engine's log (connections, errors, slow or audited
statements) leaves the instance: logs kept only on the instance rotate away within days and
die with it. Exporting them to CloudWatch Logs keeps them under the account's retention and
encryption.

## What is judged
`EnabledCloudwatchLogsExports` of every standalone DB instance and Aurora cluster must include
the engine's main log: `postgresql` for PostgreSQL and Aurora PostgreSQL, `error` for MySQL,
MariaDB, Aurora MySQL and SQL Server, `alert` for Oracle, `diag.log` for Db2. An engine vouch
does not know is an `error`, not a guess.

`DescribeDBClusters` also lists Amazon Neptune and Amazon DocumentDB clusters: both must export
`audit` (DocumentDB's `profiler` log only records slow operations), and since both write that
log only when their DB cluster parameter group turns it on, the parameter is judged too:
`neptune_enable_audit_log = 1` for Neptune, `audit_logs = enabled` for DocumentDB. A parameter
the group does not return has its documented default, which is off for both (a `fail`). A
group that cannot be read, a value vouch does not know, or a group not yet in force on every
cluster member (`pending-reboot`) is an `error`.

## How to fix
`aws rds modify-db-instance --db-instance-identifier ID
--cloudwatch-logs-export-configuration '{"EnableLogTypes":["postgresql"]}'` (or
`modify-db-cluster`), with `log_statement`/`log_connections` set in the parameter group as
your policy requires. Neptune and DocumentDB: `aws neptune modify-db-cluster` (or `aws docdb
modify-db-cluster`) with `--cloudwatch-logs-export-configuration '{"EnableLogTypes":["audit"]}'`,
and `neptune_enable_audit_log = 1` (or `audit_logs = enabled`) in a custom cluster parameter
group.

## Evidence
The engine, the required log type and the exported ones, with the request id of the describe
call; for Neptune and DocumentDB, also the parameter group and its collected parameters.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (region, db) in databases(cx, out) {
            judge(region, &db, out);
        }
    }
}

fn judge(region: &Region, db: &Db<'_>, out: &mut Findings) {
    let exports = match db {
        Db::Instance(i) => &i.log_exports,
        Db::Cluster(c) => &c.log_exports,
    };
    let (engine, _) = db.engine();
    let family = Family::of(engine);
    let required = family.main_log();
    let ev = evidence(
        json!({ "identifier": db.identifier(), "engine": engine, "required": required,
                "log_exports": exports }),
        Some(db.call()),
    );
    let (id, at) = (db.identifier().to_owned(), db.location());
    let Some(required) = required else {
        return out.error(
            id,
            at,
            format!("vouch does not know which log engine `{engine}` must export"),
            ev,
        );
    };
    if !exports.iter().any(|e| e == required) {
        let exported = if exports.is_empty() {
            "none".to_owned()
        } else {
            exports.join(", ")
        };
        return out.fail(
            id,
            at,
            format!(
                "{} does not export its `{required}` log to CloudWatch Logs (exported: {exported})",
                db.kind()
            ),
            ev,
        );
    }
    let Some(switch) = family.log_switch() else {
        return out.pass(
            id,
            at,
            format!(
                "{} exports its `{required}` log to CloudWatch Logs",
                db.kind()
            ),
            ev,
        );
    };
    // Neptune and DocumentDB write their audit log only when a cluster parameter says so:
    // an export of a log that is never written captures nothing.
    let exported = format!(
        "{} exports its `{required}` log to CloudWatch Logs",
        db.kind()
    );
    let Some((group_name, group)) = parameter_group(region, db) else {
        return out.error(
            id,
            at,
            format!(
                "{exported}, but no parameter group is attached, so whether {} turns the log on cannot be judged",
                switch.name
            ),
            ev,
        );
    };
    let ev = merged(
        ev,
        json!({ "parameter_group": group_name, "parameters": group.map(|g| &g.parameters) }),
    );
    let params = match group.map(|g| &g.parameters) {
        Some(Read::Value { value, .. }) => value,
        Some(Read::Error { message, .. }) => {
            return out.error(
                id,
                at,
                format!(
                    "{exported}, but parameter group {group_name} could not be read ({message}), so whether {} turns the log on cannot be judged",
                    switch.name
                ),
                ev,
            );
        }
        Some(Read::Absent { code, .. }) => {
            return out.error(
                id,
                at,
                format!(
                    "{exported}, but parameter group {group_name} was not found ({code}), so whether {} turns the log on cannot be judged",
                    switch.name
                ),
                ev,
            );
        }
        Some(Read::NotRead) | None => {
            return out.error(
                id,
                at,
                format!(
                    "{exported}, but parameter group {group_name} was not read, so whether {} turns the log on cannot be judged",
                    switch.name
                ),
                ev,
            );
        }
    };
    let name = switch.name;
    let waiting = not_in_sync(db);
    if !waiting.is_empty() && family.needs_parameters_in_sync() {
        return out.error(
            id,
            at,
            format!(
                "{exported}, but parameter group {group_name} is not in force on every member ({}): whether {name} turns the log on cannot be told until every member reports the group in-sync",
                waiting.join(", ")
            ),
            ev,
        );
    }
    match value_of(params, name) {
        None => out.fail(
            id,
            at,
            format!(
                "{exported}, but {name} is not set in parameter group {group_name}, so it is {}: the engine writes no audit log to export",
                switch.default
            ),
            ev,
        ),
        Some((value, source)) => {
            let setting =
                format!("{name} = {value} in parameter group {group_name} (source: {source})");
            match switch.style.on(value) {
                Some(true) => out.pass(id, at, format!("{exported}, and {setting}"), ev),
                Some(false) => out.fail(
                    id,
                    at,
                    format!("{exported}, but {setting}: the engine writes no audit log to export"),
                    ev,
                ),
                None => out.error(
                    id,
                    at,
                    format!(
                        "{exported}, but vouch does not know whether {setting} turns the audit log on; verify it by hand"
                    ),
                    ev,
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::aws::{Call, DbCluster, Parameter, ParameterGroup};
    use crate::model::Status;
    use crate::rules::aws::engine::set_by_user as set;

    fn required_log(engine: &str) -> Option<&'static str> {
        Family::of(engine).main_log()
    }

    #[test]
    fn engines_map_to_their_main_log() {
        assert_eq!(required_log("postgres"), Some("postgresql"));
        assert_eq!(required_log("aurora-postgresql"), Some("postgresql"));
        assert_eq!(required_log("aurora-mysql"), Some("error"));
        assert_eq!(required_log("aurora"), Some("error"));
        assert_eq!(required_log("sqlserver-se"), Some("error"));
        assert_eq!(required_log("oracle-ee"), Some("alert"));
        assert_eq!(required_log("db2-se"), Some("diag.log"));
        assert_eq!(required_log("neptune"), Some("audit"));
        assert_eq!(required_log("docdb"), Some("audit"));
        assert_eq!(required_log("custom-sqlserver-ee"), None);
    }

    /// The verdict on one cluster of `engine` exporting `exports`, whose cluster parameter group
    /// holds `params` (None: the group could not be read).
    fn verdict(engine: &str, exports: &[&str], params: Option<Vec<Parameter>>) -> (Status, String) {
        let cluster = DbCluster {
            identifier: "c".to_owned(),
            engine: engine.to_owned(),
            parameter_group: Some("g".to_owned()),
            log_exports: exports.iter().map(|e| (*e).to_owned()).collect(),
            ..DbCluster::default()
        };
        let parameters = match params {
            Some(value) => Read::Value {
                value,
                call: Call::default(),
            },
            None => Read::Error {
                message: "denied".to_owned(),
                call: Call::default(),
            },
        };
        let region = Region {
            parameter_groups: vec![ParameterGroup {
                name: "g".to_owned(),
                scope: "cluster".to_owned(),
                parameters,
                ..ParameterGroup::default()
            }],
            ..Region::default()
        };
        let mut out = Findings::new(&RdsLogExports::META);
        judge(&region, &Db::Cluster(&cluster), &mut out);
        let f = &out.into_vec()[0];
        (f.status, f.message.clone())
    }

    #[test]
    fn neptune_needs_the_audit_export_and_the_audit_parameter() {
        let (status, message) = verdict("neptune", &[], Some(set("neptune_enable_audit_log", "1")));
        assert_eq!(status, Status::Fail, "{message}");
        assert!(message.contains("`audit`"), "{message}");
        let (status, message) = verdict(
            "neptune",
            &["audit"],
            Some(set("neptune_enable_audit_log", "1")),
        );
        assert_eq!(status, Status::Pass, "{message}");
        let (status, message) = verdict(
            "neptune",
            &["audit"],
            Some(set("neptune_enable_audit_log", "0")),
        );
        assert_eq!(status, Status::Fail, "{message}");
        assert!(message.contains("writes no audit log"), "{message}");
        let (status, message) = verdict("neptune", &["audit"], None);
        assert_eq!(status, Status::Error, "{message}");
        // Not returned by the group: its documented default, 0, is off.
        let (status, message) = verdict("neptune", &["audit"], Some(Vec::new()));
        assert_eq!(status, Status::Fail, "{message}");
        assert!(message.contains("0 (the Neptune default)"), "{message}");
    }

    #[test]
    fn docdb_needs_audit_not_profiler_and_audit_logs_enabled() {
        let (status, message) = verdict("docdb", &["profiler"], Some(set("audit_logs", "enabled")));
        assert_eq!(status, Status::Fail, "{message}");
        let (status, message) = verdict("docdb", &["audit"], Some(set("audit_logs", "enabled")));
        assert_eq!(status, Status::Pass, "{message}");
        let (status, message) = verdict("docdb", &["audit"], Some(set("audit_logs", "disabled")));
        assert_eq!(status, Status::Fail, "{message}");
        let (status, message) = verdict("docdb", &["audit"], Some(Vec::new()));
        assert_eq!(status, Status::Fail, "{message}");
        assert!(
            message.contains("disabled (the DocumentDB default)"),
            "{message}"
        );
        let (status, message) = verdict("docdb", &["audit"], Some(set("audit_logs", "ddl")));
        assert_eq!(status, Status::Error, "{message}");
    }

    #[test]
    fn a_switch_value_with_spaces_is_not_on() {
        // Only the exact documented values turn the audit log on.
        let (status, message) = verdict(
            "neptune",
            &["audit"],
            Some(set("neptune_enable_audit_log", "1 ")),
        );
        assert_eq!(status, Status::Error, "{message}");
        let (status, message) = verdict("docdb", &["audit"], Some(set("audit_logs", " enabled")));
        assert_eq!(status, Status::Error, "{message}");
    }

    #[test]
    fn a_switch_pending_reboot_is_no_verdict() {
        let cluster = DbCluster {
            identifier: "c".to_owned(),
            engine: "neptune".to_owned(),
            parameter_group: Some("g".to_owned()),
            log_exports: vec!["audit".to_owned()],
            parameters_not_in_sync: vec!["c-1: pending-reboot".to_owned()],
            ..DbCluster::default()
        };
        let region = Region {
            parameter_groups: vec![ParameterGroup {
                name: "g".to_owned(),
                scope: "cluster".to_owned(),
                parameters: Read::Value {
                    value: set("neptune_enable_audit_log", "1"),
                    call: Call::default(),
                },
                ..ParameterGroup::default()
            }],
            ..Region::default()
        };
        let mut out = Findings::new(&RdsLogExports::META);
        judge(&region, &Db::Cluster(&cluster), &mut out);
        let f = &out.into_vec()[0];
        assert_eq!(f.status, Status::Error, "{}", f.message);
        assert!(f.message.contains("c-1: pending-reboot"), "{}", f.message);
    }

    #[test]
    fn rds_engines_are_judged_on_the_export_alone() {
        let (status, message) = verdict("aurora-postgresql", &["postgresql"], None);
        assert_eq!(status, Status::Pass, "{message}");
        assert_eq!(
            message,
            "DB cluster exports its `postgresql` log to CloudWatch Logs"
        );
    }
}
