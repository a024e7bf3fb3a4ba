//! What each database engine behind the RDS API documents for the `rds-*` checks and
//! `secrets-rotation`: how TLS is enforced, which CloudWatch log carries its main or audit log,
//! whether IAM database authentication exists, and whether it has a master password Secrets
//! Manager can manage. `DescribeDBClusters`/`DescribeDBInstances` also return Amazon Neptune
//! (`neptune`) and Amazon DocumentDB (`docdb`), which are not relational engines: each entry
//! here cites the AWS page it comes from; what no page settles is `unknown`, and the checks
//! answer `error` with what to verify by hand.
//!
//! The Neptune and DocumentDB entries were looked up for this table; the RDS engines' entries
//! are the facts the checks held before, with the page they come from (those URLs were not
//! re-read when the table was written).

use crate::facts::aws::{Parameter, ParameterGroup, Region};

use super::aws_shared::Db;

/// An engine family, from the API's `Engine` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `postgres` (RDS for PostgreSQL).
    Postgres,
    /// `aurora-postgresql`.
    AuroraPostgres,
    /// `mysql` (RDS for MySQL).
    Mysql,
    /// `aurora-mysql` (Aurora MySQL 2 and later).
    AuroraMysql,
    /// `aurora` (Aurora MySQL 1, MySQL 5.6-compatible).
    AuroraMysql1,
    /// `mariadb`.
    MariaDb,
    /// `oracle-*` and `custom-oracle-*`.
    Oracle,
    /// `sqlserver-*` (not RDS Custom for SQL Server).
    SqlServer,
    /// `db2-*`.
    Db2,
    /// `neptune` (Amazon Neptune, a graph database).
    Neptune,
    /// `docdb` (Amazon DocumentDB, MongoDB-compatible).
    DocDb,
    /// Anything else (`custom-sqlserver-*`, a new engine).
    Unknown,
}

impl Family {
    pub(crate) fn of(engine: &str) -> Family {
        let e = engine.to_ascii_lowercase();
        match e.as_str() {
            "postgres" => Family::Postgres,
            "aurora-postgresql" => Family::AuroraPostgres,
            "mysql" => Family::Mysql,
            "aurora-mysql" => Family::AuroraMysql,
            "aurora" => Family::AuroraMysql1,
            "mariadb" => Family::MariaDb,
            "neptune" => Family::Neptune,
            "docdb" => Family::DocDb,
            e if e.starts_with("oracle") || e.starts_with("custom-oracle") => Family::Oracle,
            e if e.starts_with("sqlserver") => Family::SqlServer,
            e if e.starts_with("db2") => Family::Db2,
            _ => Family::Unknown,
        }
    }

    /// How the engine is told to refuse connections without TLS, for `engine_version`.
    pub(crate) fn tls(self, engine: &str, version: &str) -> TlsRule {
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        match self {
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
            // (rds.force_ssl defaults to 1 from RDS for PostgreSQL 15).
            Family::Postgres => TlsRule::Parameter {
                name: "rds.force_ssl",
                style: Style::Flag,
                default: Some((
                    major >= 15,
                    format!(
                        "the RDS for PostgreSQL {major} default ({}; it is 1 from version 15)",
                        u8::from(major >= 15)
                    ),
                )),
            },
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.html
            // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Security.html
            // (require_secure_transport defaults to OFF).
            Family::Mysql | Family::MariaDb | Family::AuroraMysql => TlsRule::Parameter {
                name: "require_secure_transport",
                style: Style::Flag,
                default: Some((false, format!("the {engine} default (OFF)"))),
            },
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/SQLServer.Concepts.General.SSL.Using.html
            // (rds.force_ssl defaults to 0).
            Family::SqlServer => TlsRule::Parameter {
                name: "rds.force_ssl",
                style: Style::Flag,
                default: Some((false, "the RDS for SQL Server default (0)".to_owned())),
            },
            // The default differs by Aurora PostgreSQL version and vouch does not hold the
            // table: an absent parameter is unknown.
            Family::AuroraPostgres => TlsRule::Parameter {
                name: "rds.force_ssl",
                style: Style::Flag,
                default: None,
            },
            // https://docs.aws.amazon.com/neptune/latest/userguide/security-ssl.html: "Beginning
            // with engine version 1.0.4.0, Amazon Neptune only allows Secure Sockets Layer (SSL)
            // connections through HTTPS to any instance or cluster endpoint"; before it, the
            // `neptune_enforce_ssl` DB cluster parameter decides
            // (https://aws.amazon.com/about-aws/whats-new/2020/10/new_amazon_neptune_engine_release_now_enforces_a_minimum_version_of_tls_1_2_and_ssl_client_connections/).
            // But 1.0.4.0 and 1.0.4.1 shipped with a bug that let clusters whose parameters
            // disabled enforcement keep accepting HTTP; its fix (1.0.4.0.R2, 1.0.4.1.R2) was
            // reverted and is installed by hand only
            // (https://docs.aws.amazon.com/neptune/latest/userguide/engine-releases-1.0.4.0.html),
            // and the engine version does not show the patch: on those two the parameter decides.
            // Its default for an existing, older parameter group is not documented: absent is
            // unknown.
            Family::Neptune => match neptune_version(version) {
                Some(v) if v >= NEPTUNE_TLS_ALWAYS => TlsRule::Always(format!(
                    "Neptune engine version {version} accepts only TLS (HTTPS) connections: every Neptune engine from 1.0.4.2 does, whatever its parameters say"
                )),
                _ => TlsRule::Parameter {
                    name: "neptune_enforce_ssl",
                    style: Style::Flag01,
                    default: None,
                },
            },
            // https://docs.aws.amazon.com/documentdb/latest/developerguide/security.encryption.ssl.html
            // (the `tls` DB cluster parameter; "When encryption in transit is enabled, secure
            // connections using TLS are required") and
            // https://docs.aws.amazon.com/documentdb/latest/developerguide/API_Parameter.html
            // (values enabled, disabled, fips-140-3, tls1.2+, tls1.3+). New clusters get
            // `enabled` from the default group, but the default of a parameter a group does not
            // return is not documented: absent is unknown.
            Family::DocDb => TlsRule::Parameter {
                name: "tls",
                style: Style::DocDbTls,
                default: None,
            },
            Family::Oracle | Family::Db2 | Family::AuroraMysql1 | Family::Unknown => {
                TlsRule::Unknown
            }
        }
    }

    /// The CloudWatch Logs export type that carries the engine's main (or audit) log.
    pub(crate) fn main_log(self) -> Option<&'static str> {
        match self {
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html
            Family::Postgres | Family::AuroraPostgres => Some("postgresql"),
            Family::Mysql
            | Family::AuroraMysql
            | Family::AuroraMysql1
            | Family::MariaDb
            | Family::SqlServer => Some("error"),
            Family::Oracle => Some("alert"),
            Family::Db2 => Some("diag.log"),
            // Neptune: https://docs.aws.amazon.com/neptune/latest/userguide/cloudwatch-logs.html
            // (audit and slow-query logs; the audit log records the requests made to the
            // cluster); AWS Config's neptune-cluster-cloudwatch-log-export-enabled asks for
            // `audit` too. DocumentDB:
            // https://docs.aws.amazon.com/documentdb/latest/developerguide/event-auditing.html:
            // `audit` records authentication, DDL, DML, authorization and user management
            // events; `profiler` (profiling.html) only logs slow operations, for performance:
            // it is not "the database's log is captured".
            Family::Neptune | Family::DocDb => Some("audit"),
            Family::Unknown => None,
        }
    }

    /// The cluster parameter that must switch the exported log on: exporting an audit log
    /// the engine does not write captures nothing.
    pub(crate) fn log_switch(self) -> Option<Switch> {
        match self {
            // https://docs.aws.amazon.com/neptune/latest/userguide/auditing.html: "Use the
            // neptune_enable_audit_log parameter to enable (1) or disable (0) audit logs", and
            // cloudwatch-logs.html: "audit logs must be explicitly enabled"; parameters.html:
            // "Allowed values are 0 (disabled) and 1 (enabled). The default value is 0."
            Family::Neptune => Some(Switch {
                name: "neptune_enable_audit_log",
                style: Style::Flag01,
                default: "0 (the Neptune default)",
            }),
            // https://docs.aws.amazon.com/documentdb/latest/developerguide/event-auditing.html:
            // "By default, auditing is disabled"; it is turned on with the `audit_logs` cluster
            // parameter. vouch knows `enabled` and `disabled`; the finer values (ddl, dml_*,
            // all, none) were not verified: any other value is unknown.
            Family::DocDb => Some(Switch {
                name: "audit_logs",
                style: Style::EnabledDisabled,
                default: "disabled (the DocumentDB default)",
            }),
            _ => None,
        }
    }

    /// Whether IAM database authentication is a flag of the cluster or instance.
    pub(crate) fn iam_auth(self) -> IamAuth {
        match self {
            // https://docs.aws.amazon.com/neptune/latest/userguide/iam-auth-connecting.html
            // (with IAM DB authentication enabled, every request is SigV4-signed) and
            // https://docs.aws.amazon.com/neptune/latest/userguide/api-clusters.html
            // (MasterUsername/MasterUserPassword: "Not supported by Neptune").
            Family::Neptune => IamAuth::FlagWithoutPasswords,
            // https://docs.aws.amazon.com/documentdb/latest/developerguide/iam-identity-auth.html:
            // IAM authentication exists on instance-based 5.0 clusters, per user in the
            // `$external` database, not as a cluster flag, and never for the primary user.
            Family::DocDb => IamAuth::PerDatabaseUser,
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html
            _ => IamAuth::Flag,
        }
    }

    /// Whether the engine has a master password RDS can keep in Secrets Manager.
    pub(crate) fn master_password(self) -> MasterPassword {
        match self {
            // https://docs.aws.amazon.com/neptune/latest/userguide/api-clusters.html
            // (MasterUsername/MasterUserPassword: "Not supported by Neptune").
            Family::Neptune => MasterPassword::None,
            // https://docs.aws.amazon.com/documentdb/latest/developerguide/docdb-secrets-manager.html
            // (DocumentDB manages the primary user password in Secrets Manager and rotates it).
            // RDS engines: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
            _ => MasterPassword::Managed,
        }
    }
}

impl Family {
    /// Whether a parameter-based verdict waits for every cluster member to be `in-sync` with
    /// its group: a member the API reports `pending-reboot` may still run the old value.
    /// Neptune documents the reboot for its audit switch
    /// (https://docs.aws.amazon.com/neptune/latest/userguide/auditing.html: "You must reboot
    /// your DB instances after modifying this parameter"); for `neptune_enforce_ssl` and
    /// DocumentDB's `tls`/`audit_logs` vouch did not find the apply method, so it trusts only
    /// members that report `in-sync`. The RDS engines keep their earlier judgement (the
    /// group's value).
    pub(crate) fn needs_parameters_in_sync(self) -> bool {
        matches!(self, Family::Neptune | Family::DocDb)
    }
}

/// The cluster members on which the group's values are not yet in force (`member: status`).
pub(crate) fn not_in_sync<'a>(db: &Db<'a>) -> &'a [String] {
    match db {
        Db::Instance(_) => &[],
        Db::Cluster(c) => &c.parameters_not_in_sync,
    }
}

/// A parameter group's answer holding one parameter the user set (for the checks' tests).
#[cfg(test)]
pub(crate) fn set_by_user(name: &str, value: &str) -> Vec<crate::facts::aws::Parameter> {
    vec![crate::facts::aws::Parameter {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        source: "user".to_owned(),
    }]
}

/// The first Neptune engine that refuses plain HTTP whatever its parameters say: 1.0.4.0 and
/// 1.0.4.1 still honour a parameter that disables enforcement unless patched by hand.
const NEPTUNE_TLS_ALWAYS: [u32; 4] = [1, 0, 4, 2];

/// Neptune engine versions are four numbers (`1.3.2.1`); None when the string is not.
fn neptune_version(version: &str) -> Option<[u32; 4]> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let v = [
        parts.next()??,
        parts.next()??,
        parts.next()??,
        parts.next()??,
    ];
    parts.next().is_none().then_some(v)
}

/// How TLS is enforced.
pub(crate) enum TlsRule {
    /// A parameter of the group attached (DB parameter group for an instance, DB cluster
    /// parameter group for a cluster), with its documented default when absent.
    Parameter {
        name: &'static str,
        style: Style,
        default: Option<(bool, String)>,
    },
    /// The engine version refuses unencrypted connections whatever its parameters say.
    Always(String),
    /// No documented way vouch holds.
    Unknown,
}

/// How a parameter's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `1`/`on`/`true` is on; anything else is off (the RDS engines' boolean parameters).
    Flag,
    /// `1` on, `0` off, anything else unknown.
    Flag01,
    /// `enabled` on, `disabled` off, anything else unknown.
    EnabledDisabled,
    /// DocumentDB `tls`: comma-separated; `disabled` is off; on when every value is one of
    /// `enabled`, `fips-140-3`, `tls1.2+`, `tls1.3+`; anything else unknown.
    DocDbTls,
}

impl Style {
    /// Whether `value` switches the thing on; None when vouch cannot tell. The value is read
    /// as the API returns it, case aside: `1 ` is not `1` (the RDS engines' flags never read it
    /// as on, and a value vouch does not know must not pass).
    pub(crate) fn on(self, value: &str) -> Option<bool> {
        let v = value.to_ascii_lowercase();
        match self {
            Style::Flag => Some(matches!(v.as_str(), "1" | "on" | "true")),
            Style::Flag01 => match v.as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            },
            Style::EnabledDisabled => match v.as_str() {
                "enabled" => Some(true),
                "disabled" => Some(false),
                _ => None,
            },
            Style::DocDbTls => {
                // Read as returned, like every other style: a value with spaces is not a
                // documented one, so it is unknown rather than guessed.
                let values: Vec<&str> = v.split(',').collect();
                if values.contains(&"disabled") {
                    Some(false)
                } else if values
                    .iter()
                    .all(|x| matches!(*x, "enabled" | "fips-140-3" | "tls1.2+" | "tls1.3+"))
                {
                    Some(true)
                } else {
                    None
                }
            }
        }
    }
}

/// A cluster parameter that switches a log on.
pub(crate) struct Switch {
    pub name: &'static str,
    pub style: Style,
    /// The documented value when the group does not return the parameter: off, for both.
    pub default: &'static str,
}

pub(crate) enum IamAuth {
    /// `IAMDatabaseAuthenticationEnabled`; without it, password authentication.
    Flag,
    /// `IAMDatabaseAuthenticationEnabled`; without it, no authentication at all.
    FlagWithoutPasswords,
    /// Configured per database user inside the database: the API does not show it.
    PerDatabaseUser,
}

pub(crate) enum MasterPassword {
    /// A master password that `ManageMasterUserPassword` keeps in Secrets Manager.
    Managed,
    /// No master password at all.
    None,
}

/// The parameter group attached to `db` (its first DB parameter group, or its DB cluster
/// parameter group), by name, and the group as collected.
pub(crate) fn parameter_group<'a>(
    region: &'a Region,
    db: &Db<'a>,
) -> Option<(&'a str, Option<&'a ParameterGroup>)> {
    let (scope, name) = match db {
        Db::Instance(i) => ("db", i.parameter_groups.first()?.as_str()),
        Db::Cluster(c) => ("cluster", c.parameter_group.as_deref()?),
    };
    let group = region
        .parameter_groups
        .iter()
        .find(|g| g.scope == scope && g.name == name);
    Some((name, group))
}

/// The value of parameter `name` in `params`, with its source (`not stated` when empty);
/// None when absent or valueless.
pub(crate) fn value_of<'a>(params: &'a [Parameter], name: &str) -> Option<(&'a str, &'a str)> {
    params
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref().map(|v| (v, p.source.as_str())))
        .map(|(v, s)| (v, if s.is_empty() { "not stated" } else { s }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameter TLS enforcement depends on for the engine version, with whether its
    /// documented default enforces it; `None` when no parameter decides.
    fn tls_parameter(
        family: Family,
        engine: &str,
        version: &str,
    ) -> Option<(&'static str, Option<bool>)> {
        match family.tls(engine, version) {
            TlsRule::Parameter { name, default, .. } => Some((name, default.map(|d| d.0))),
            _ => None,
        }
    }

    #[test]
    fn engine_names_map_to_families() {
        for (engine, family) in [
            ("postgres", Family::Postgres),
            ("aurora-postgresql", Family::AuroraPostgres),
            ("mysql", Family::Mysql),
            ("aurora-mysql", Family::AuroraMysql),
            ("aurora", Family::AuroraMysql1),
            ("mariadb", Family::MariaDb),
            ("oracle-ee", Family::Oracle),
            ("custom-oracle-ee-cdb", Family::Oracle),
            ("sqlserver-se", Family::SqlServer),
            ("custom-sqlserver-ee", Family::Unknown),
            ("db2-ae", Family::Db2),
            ("neptune", Family::Neptune),
            ("docdb", Family::DocDb),
            ("NEPTUNE", Family::Neptune),
            ("cassandra", Family::Unknown),
        ] {
            assert_eq!(Family::of(engine), family, "{engine}");
        }
    }

    #[test]
    fn neptune_enforces_tls_from_1_0_4_2_and_asks_its_parameter_before() {
        let always = |v: &str| matches!(Family::Neptune.tls("neptune", v), TlsRule::Always(_));
        assert!(always("1.0.4.2"));
        assert!(
            !always("1.0.4.0") && !always("1.0.4.1"),
            "1.0.4.0 and 1.0.4.1 honour a parameter that disables enforcement unless patched"
        );
        assert!(
            !always("1.0.4.1.R2"),
            "not four numbers: the parameter decides"
        );
        assert!(always("1.3.2.1"));
        assert!(always("1.0.10.0"), "numeric, not lexical, comparison");
        assert!(!always("1.0.3.0"));
        assert!(!always("1.0.2.2"));
        assert!(
            !always("1.3"),
            "not a Neptune version: the parameter decides"
        );
        assert_eq!(
            tls_parameter(Family::Neptune, "neptune", "1.0.3.0"),
            Some(("neptune_enforce_ssl", None))
        );
    }

    #[test]
    fn docdb_tls_values() {
        let on = |v| Style::DocDbTls.on(v);
        assert_eq!(on("enabled"), Some(true));
        assert_eq!(on("tls1.2+"), Some(true));
        assert_eq!(on("tls1.3+"), Some(true));
        assert_eq!(on("fips-140-3"), Some(true));
        assert_eq!(on("tls1.2+,tls1.3+"), Some(true));
        assert_eq!(on("disabled"), Some(false));
        assert_eq!(on("Disabled"), Some(false));
        assert_eq!(on("maybe"), None);
        assert_eq!(on(" enabled"), None, "not a documented value: unknown");
        assert_eq!(
            on("tls1.2+, tls1.3+"),
            None,
            "not a documented value: unknown"
        );
        assert_eq!(
            tls_parameter(Family::DocDb, "docdb", "5.0.0"),
            Some(("tls", None))
        );
    }

    #[test]
    fn logs_switches_auth_and_passwords_per_family() {
        assert_eq!(Family::Neptune.main_log(), Some("audit"));
        assert_eq!(Family::DocDb.main_log(), Some("audit"));
        assert_eq!(Family::Unknown.main_log(), None);
        assert_eq!(
            Family::Neptune.log_switch().map(|s| s.name),
            Some("neptune_enable_audit_log")
        );
        assert_eq!(
            Family::DocDb.log_switch().map(|s| s.name),
            Some("audit_logs")
        );
        assert!(Family::Postgres.log_switch().is_none());
        assert_eq!(Style::Flag01.on("1"), Some(true));
        assert_eq!(Style::Flag01.on("0"), Some(false));
        assert_eq!(Style::Flag01.on("on"), None);
        assert_eq!(Style::EnabledDisabled.on("all"), None);
        assert!(matches!(
            Family::Neptune.iam_auth(),
            IamAuth::FlagWithoutPasswords
        ));
        assert!(matches!(Family::DocDb.iam_auth(), IamAuth::PerDatabaseUser));
        assert!(matches!(Family::Mysql.iam_auth(), IamAuth::Flag));
        assert!(matches!(
            Family::Neptune.master_password(),
            MasterPassword::None
        ));
        assert!(matches!(
            Family::DocDb.master_password(),
            MasterPassword::Managed
        ));
    }

    #[test]
    fn rds_engines_keep_their_tls_parameters() {
        assert_eq!(
            tls_parameter(Family::Postgres, "postgres", "16.3"),
            Some(("rds.force_ssl", Some(true)))
        );
        assert_eq!(
            tls_parameter(Family::Postgres, "postgres", "14.9"),
            Some(("rds.force_ssl", Some(false)))
        );
        assert_eq!(
            tls_parameter(Family::AuroraMysql, "aurora-mysql", "3.05"),
            Some(("require_secure_transport", Some(false)))
        );
        assert_eq!(
            tls_parameter(Family::AuroraPostgres, "aurora-postgresql", "15.4"),
            Some(("rds.force_ssl", None))
        );
        assert_eq!(tls_parameter(Family::Oracle, "oracle-ee", "19"), None);
        assert_eq!(tls_parameter(Family::AuroraMysql1, "aurora", "5.6"), None);
    }
}
