use serde_json::json;

use super::aws_infra_shared::judge_listed;
use super::aws_shared::{Db, databases, evidence};
use super::engine::{Family, MasterPassword};
use crate::facts::aws_infra::Secret;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct SecretsRotation;

impl Rule for SecretsRotation {
    const META: Meta = Meta {
        id: "secrets-rotation",
        title: "Secrets rotate, and RDS master passwords are managed by Secrets Manager",
        severity: Severity::Medium,
        controls: &["KEY-01"],
        source: Source::Aws,
        docs: r#"
## Why
"Credentials live in a managed secret store and are rotatable" and "the database master
credential auto-rotates" are two facts: every secret in Secrets Manager has rotation
configured, and every database's master password is kept there by RDS
(`ManageMasterUserPassword`), which rotates it, rather than set once by hand.

## What is judged
- Every secret of every audited region (`secretsmanager:ListSecrets`, metadata only; vouch
  never calls `GetSecretValue`): `RotationEnabled` must be true. The subject is the secret's
  name.
- Every standalone DB instance and Aurora cluster: `MasterUserSecret` must be present. The
  subject is the DB identifier. A Neptune cluster (`DescribeDBClusters` lists them too) has no
  master password: it gets a not-applicable note (`info`), not a verdict. An Amazon DocumentDB
  cluster (listed too) has a primary user password that DocumentDB can keep in Secrets Manager
  and rotate, so it is judged like an RDS database.
A failed listing is an `error` for its region.

## How to fix
`aws secretsmanager rotate-secret --secret-id NAME --rotation-lambda-arn ARN
--rotation-rules AutomaticallyAfterDays=30`; `aws rds modify-db-instance
--db-instance-identifier ID --manage-master-user-password` (or `modify-db-cluster`).

## Evidence
The secret's rotation settings, last rotation and KMS key, or the database's master user secret
ARN and status, with the request ids of `ListSecrets` and the RDS describe call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        judge_listed(
            cx,
            out,
            "secretsmanager",
            "Secrets Manager secrets",
            |r| &r.secrets,
            judge_secret,
        );
        for (_, db) in databases(cx, out) {
            judge_master_secret(&db, out);
        }
    }
}

fn judge_secret(secret: &Secret, out: &mut Findings) {
    let at = Location::arn(secret.arn.clone());
    let ev = json!({ "secret": secret });
    if secret.rotation_enabled {
        let every = secret
            .rotation_days
            .map(|d| format!("every {d} days"))
            .or_else(|| secret.rotation_schedule.clone())
            .unwrap_or_else(|| "on its schedule".to_owned());
        out.pass(
            secret.name.clone(),
            at,
            format!("rotation is on ({every})"),
            ev,
        );
    } else {
        out.fail(
            secret.name.clone(),
            at,
            "rotation is off: the secret never changes unless someone changes it",
            ev,
        );
    }
}

fn judge_master_secret(db: &Db<'_>, out: &mut Findings) {
    let secret = match db {
        Db::Instance(i) => &i.master_user_secret,
        Db::Cluster(c) => &c.master_user_secret,
    };
    let ev = evidence(
        json!({ "identifier": db.identifier(), "master_user_secret": secret }),
        Some(db.call()),
    );
    // DescribeDBClusters lists Neptune clusters too; Neptune has no master user to rotate.
    if let MasterPassword::None = Family::of(db.engine().0).master_password() {
        let why = "a Neptune cluster has no master password (it authenticates with IAM or not at all: see rds-iam-auth)";
        out.not_applicable(db.identifier().to_owned(), db.location(), why, ev);
        return;
    }
    match secret {
        Some(s) => out.pass(
            db.identifier().to_owned(),
            db.location(),
            format!(
                "{} master password is managed and rotated by Secrets Manager ({}, {})",
                db.kind(),
                s.secret_arn,
                s.status
            ),
            ev,
        ),
        None => out.fail(
            db.identifier().to_owned(),
            db.location(),
            format!(
                "{} master password is not managed by Secrets Manager: it does not rotate",
                db.kind()
            ),
            ev,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::aws::DbCluster;
    use crate::model::{Severity, Status};

    fn verdict(engine: &str) -> (Status, Severity, String) {
        let cluster = DbCluster {
            identifier: "c".to_owned(),
            engine: engine.to_owned(),
            ..DbCluster::default()
        };
        let mut out = Findings::new(&SecretsRotation::META);
        judge_master_secret(&Db::Cluster(&cluster), &mut out);
        let f = &out.into_vec()[0];
        (f.status, f.severity, f.message.clone())
    }

    #[test]
    fn a_neptune_cluster_has_no_master_password_to_rotate() {
        let (status, severity, message) = verdict("neptune");
        assert_eq!(
            (status, severity),
            (Status::Fail, Severity::Info),
            "{message}"
        );
        assert!(message.contains("no master password"), "{message}");
        let (status, severity, _) = verdict("aurora-postgresql");
        assert_eq!(
            (status, severity),
            (Status::Fail, SecretsRotation::META.severity)
        );
        // DocumentDB has a primary password Secrets Manager can manage: a real verdict.
        let (status, severity, message) = verdict("docdb");
        assert_eq!(
            (status, severity),
            (Status::Fail, SecretsRotation::META.severity)
        );
        assert!(
            message.contains("not managed by Secrets Manager"),
            "{message}"
        );
    }
}
