use serde_json::json;

use super::aws_shared::{Db, databases, evidence};
use crate::model::{Check, Context, Findings, Meta, Severity, Source};

pub struct RdsLogExports;

static META: Meta = Meta {
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

## How to fix
`aws rds modify-db-instance --db-instance-identifier ID
--cloudwatch-logs-export-configuration '{"EnableLogTypes":["postgresql"]}'` (or
`modify-db-cluster`), with `log_statement`/`log_connections` set in the parameter group as
your policy requires.

## Evidence
The engine, the required log type and the exported ones, with the request id of the describe
call.
"#,
};

impl Check for RdsLogExports {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, db) in databases(cx, out) {
            judge(&db, out);
        }
    }
}

/// The log type that carries an engine's main log, by engine name.
fn required_log(engine: &str) -> Option<&'static str> {
    let e = engine.to_ascii_lowercase();
    if e.contains("postgres") {
        Some("postgresql")
    } else if e.contains("mysql") || e == "mariadb" || e == "aurora" || e.starts_with("sqlserver") {
        Some("error")
    } else if e.starts_with("oracle") || e.starts_with("custom-oracle") {
        Some("alert")
    } else if e.starts_with("db2") {
        Some("diag.log")
    } else {
        None
    }
}

fn judge(db: &Db<'_>, out: &mut Findings) {
    let exports = match db {
        Db::Instance(i) => &i.log_exports,
        Db::Cluster(c) => &c.log_exports,
    };
    let (engine, _) = db.engine();
    let required = required_log(engine);
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
    if exports.iter().any(|e| e == required) {
        out.pass(
            id,
            at,
            format!(
                "{} exports its `{required}` log to CloudWatch Logs",
                db.kind()
            ),
            ev,
        );
    } else {
        let exported = if exports.is_empty() {
            "none".to_owned()
        } else {
            exports.join(", ")
        };
        out.fail(
            id,
            at,
            format!(
                "{} does not export its `{required}` log to CloudWatch Logs (exported: {exported})",
                db.kind()
            ),
            ev,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::required_log;

    #[test]
    fn engines_map_to_their_main_log() {
        assert_eq!(required_log("postgres"), Some("postgresql"));
        assert_eq!(required_log("aurora-postgresql"), Some("postgresql"));
        assert_eq!(required_log("aurora-mysql"), Some("error"));
        assert_eq!(required_log("sqlserver-se"), Some("error"));
        assert_eq!(required_log("oracle-ee"), Some("alert"));
        assert_eq!(required_log("neptune"), None);
    }
}
