use super::aws_shared::{Db, databases, judge_flag};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct RdsDeletionProtection;

impl Rule for RdsDeletionProtection {
    const META: Meta = Meta {
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

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, db) in databases(cx, out) {
            let on = match &db {
                Db::Instance(i) => i.deletion_protection,
                Db::Cluster(c) => c.deletion_protection,
            };
            judge_flag(
                out,
                &db,
                "deletion_protection",
                on,
                "has deletion protection",
                "can be deleted by a single API call: DeletionProtection is false",
            );
        }
    }
}
