use super::aws_shared::{Db, databases, judge_flag};
use crate::model::{Check, Context, Findings, Meta, Severity, Source};

pub struct RdsIamAuth;

static META: Meta = Meta {
    id: "rds-iam-auth",
    title: "RDS databases accept IAM authentication (informational)",
    severity: Severity::Info,
    controls: &["ACC-01"],
    source: Source::Aws,
    docs: r#"
## Why
With IAM database authentication, people and services connect with 15-minute tokens issued to
their IAM identity instead of long-lived shared passwords, so database access is granted,
reviewed and revoked in one place. It serves least privilege on database access (ACC-01): who
may connect as which database role is an IAM policy (`rds-db:connect` on one DB user), not a
password copied between systems. It is informational because strong password management can
meet the same objective.

## What is judged
`IAMDatabaseAuthenticationEnabled` of every standalone DB instance and Aurora cluster.

## How to fix
`aws rds modify-db-instance --db-instance-identifier ID --enable-iam-database-authentication`
(or `modify-db-cluster`), then grant `rds_iam` to the database users that should use it.

## Evidence
The identifier, the flag, and the request id and time of the describe call.
"#,
};

impl Check for RdsIamAuth {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, db) in databases(cx, out) {
            let on = match &db {
                Db::Instance(i) => i.iam_auth,
                Db::Cluster(c) => c.iam_auth,
            };
            judge_flag(
                out,
                &db,
                "iam_database_authentication_enabled",
                on,
                "accepts IAM database authentication",
                "accepts only password authentication (IAM database authentication is off)",
            );
        }
    }
}
