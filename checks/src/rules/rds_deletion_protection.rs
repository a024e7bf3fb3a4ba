use serde_json::json;

use super::aws_shared::{Db, databases, evidence};
use crate::model::{Check, Context, Findings, Meta, Severity, Source};

pub struct RdsDeletionProtection;

static META: Meta = Meta {
    id: "rds-deletion-protection",
    title: "RDS databases have deletion protection",
    severity: Severity::Medium,
    controls: &["BCK-01"],
    source: Source::Aws,
    docs: r#"
## Why
Without deletion protection one API call (a wrong Terraform plan, a compromised automation
key) deletes the database; automated backups go with it unless a final snapshot was taken.

## What is judged
`DeletionProtection` of every standalone DB instance and every Aurora cluster (for Aurora the
cluster's flag is the one that counts).

## How to fix
`aws rds modify-db-instance --db-instance-identifier ID --deletion-protection` (or
`modify-db-cluster --db-cluster-identifier ID --deletion-protection`); in Terraform
`deletion_protection = true`.

## Evidence
The identifier, `DeletionProtection`, and the request id and time of the describe call.
"#,
};

impl Check for RdsDeletionProtection {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, db) in databases(cx, out) {
            let on = match &db {
                Db::Instance(i) => i.deletion_protection,
                Db::Cluster(c) => c.deletion_protection,
            };
            let ev = evidence(
                json!({ "identifier": db.identifier(), "deletion_protection": on }),
                Some(db.call()),
            );
            let id = db.identifier().to_owned();
            if on {
                out.pass(
                    id,
                    db.location(),
                    format!("{} has deletion protection", db.kind()),
                    ev,
                );
            } else {
                out.fail(
                    id,
                    db.location(),
                    format!(
                        "{} can be deleted by a single API call: DeletionProtection is false",
                        db.kind()
                    ),
                    ev,
                );
            }
        }
    }
}
