use serde_json::json;

use super::aws_shared::{db_instances, evidence, public_address_problem};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct RdsNotPublic;

impl Rule for RdsNotPublic {
    const META: Meta = Meta {
        id: "rds-not-public",
        title: "RDS instances have no public address",
        severity: Severity::Critical,
        controls: &["NET-01"],
        source: Source::Aws,
        docs: r#"
## Why
A publicly accessible DB instance gets an address reachable from the internet; only its
security group stands between the database port and every scanner on the internet. Databases
belong in private subnets, reachable only from the application tier.

## What is judged
`PubliclyAccessible` of every DB instance, Aurora cluster members included (the flag is per
instance). A response that does not state the flag cannot prove the instance private and is
an error.

## How to fix
`aws rds modify-db-instance --db-instance-identifier ID --no-publicly-accessible
--apply-immediately`, and place the instance in private subnets only (its DB subnet group).

## Evidence
The identifier, `PubliclyAccessible`, and the request id and time of `DescribeDBInstances`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, db) in db_instances(cx, out) {
            let ev = evidence(
                json!({ "identifier": db.identifier, "publicly_accessible": db.publicly_accessible }),
                Some(&db.call),
            );
            let loc = Location::arn(db.arn.clone());
            match public_address_problem(db) {
                None => out.pass(
                    db.identifier.clone(),
                    loc,
                    "DB instance is not publicly accessible",
                    ev,
                ),
                Some((status, message)) => {
                    out.push(status, db.identifier.clone(), loc, message.to_owned(), ev);
                }
            }
        }
    }
}
