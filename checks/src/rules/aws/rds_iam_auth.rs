use serde_json::json;

use super::aws_shared::{Db, databases, evidence, judge_flag};
use super::engine::{Family, IamAuth};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct RdsIamAuth;

impl Rule for RdsIamAuth {
    const META: Meta = Meta {
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
`IAMDatabaseAuthenticationEnabled` of every standalone DB instance and Aurora cluster
(`DescribeDBClusters` lists Neptune clusters too: Neptune has no passwords, so without IAM
authentication it asks for none, and the message says so). Amazon DocumentDB clusters, which
`DescribeDBClusters` lists as well, have no such flag: DocumentDB authenticates IAM identities
per database user (the `MONGODB-AWS` mechanism in the `$external` database, instance-based 5.0
clusters only, never the primary user), which the AWS API does not show, so a DocumentDB
cluster is an `error` that says what to verify by hand.

## How to fix
`aws rds modify-db-instance --db-instance-identifier ID --enable-iam-database-authentication`
(or `modify-db-cluster`), then grant `rds_iam` to the database users that should use it.

## Evidence
The identifier, the flag, and the request id and time of the describe call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, db) in databases(cx, out) {
            let on = match &db {
                Db::Instance(i) => i.iam_auth,
                Db::Cluster(c) => c.iam_auth,
            };
            let off = match Family::of(db.engine().0).iam_auth() {
                IamAuth::Flag => {
                    "accepts only password authentication (IAM database authentication is off)"
                }
                // Neptune has no passwords: without IAM authentication it asks for none at all.
                IamAuth::FlagWithoutPasswords => {
                    "asks for no authentication (IAM database authentication is off, and Neptune has no passwords)"
                }
                // DocumentDB: IAM authentication is a property of each database user, which
                // the AWS API does not show.
                IamAuth::PerDatabaseUser => {
                    let ev = evidence(
                        json!({ "identifier": db.identifier(), "engine": db.engine().0,
                                "iam_database_authentication_enabled": on }),
                        Some(db.call()),
                    );
                    out.error(
                        db.identifier().to_owned(),
                        db.location(),
                        "DocumentDB authenticates IAM identities per database user (users created with the MONGODB-AWS mechanism in the $external database, on instance-based 5.0 clusters), which the AWS API does not show; verify by hand with `use $external; show users`",
                        ev,
                    );
                    continue;
                }
            };
            judge_flag(
                out,
                &db,
                "iam_database_authentication_enabled",
                on,
                "accepts IAM database authentication",
                off,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Facts;
    use crate::facts::aws::{Account, DbCluster, Listing, Region};
    use crate::model::Status;

    #[test]
    fn a_neptune_cluster_without_iam_auth_asks_for_no_authentication() {
        let mut facts = Facts::default();
        let cluster = |id: &str, engine: &str| DbCluster {
            identifier: id.to_owned(),
            engine: engine.to_owned(),
            ..DbCluster::default()
        };
        facts.aws = vec![Account {
            target: "t".to_owned(),
            account_id: "1".to_owned(),
            regions: vec![Region {
                name: "us-east-1".to_owned(),
                db_clusters: Listing {
                    items: vec![
                        cluster("graph", "neptune"),
                        cluster("app", "aurora-postgresql"),
                        cluster("docs", "docdb"),
                    ],
                    ..Listing::default()
                },
                ..Region::default()
            }],
            ..Account::default()
        }];
        let options = crate::resolve::resolve(&crate::Settings::default()).unwrap();
        let cx = Context::new(&facts, &options);
        let mut out = Findings::new(&RdsIamAuth::META);
        RdsIamAuth.run(&cx, &mut out);
        let findings = out.into_vec();
        let of = |id: &str| findings.iter().find(|f| f.subject == id).unwrap();
        assert_eq!(of("graph").status, Status::Fail);
        assert!(
            of("graph").message.contains("asks for no authentication"),
            "{findings:?}"
        );
        assert!(
            of("app").message.contains("only password authentication"),
            "{findings:?}"
        );
        assert_eq!(of("docs").status, Status::Error, "{findings:?}");
        assert!(
            of("docs").message.contains("verify by hand"),
            "{findings:?}"
        );
    }
}
