use serde_json::json;

use super::aws_shared::{Db, databases, evidence, key_manager, merged};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct RdsStorageEncrypted;

impl Rule for RdsStorageEncrypted {
    const META: Meta = Meta {
        id: "rds-storage-encrypted",
        title: "RDS databases encrypt their storage at rest",
        severity: Severity::High,
        controls: &["ENC-01"],
        source: Source::Aws,
        docs: r#"
## Why
An unencrypted RDS volume exposes every row to anyone who obtains the underlying storage, a
snapshot copy or a backup. Encryption at rest with KMS is the baseline every security page
promises ("AES-256 at rest"), and it can only be chosen when the database is created.

## What is judged
`StorageEncrypted` of every standalone DB instance and every Aurora cluster (cluster members
share the cluster's storage). A non-empty `KmsKeyId` alone is never taken as proof: emulators
and old API versions report placeholder keys for unencrypted storage. For encrypted storage,
`kms:DescribeKey` says who manages the key (`CUSTOMER` or `AWS`, e.g. the `aws/rds` key); it
is reported in the message and evidence but does not change the status, and a key that cannot
be described is reported as "key manager unknown" with the cause.

## How to fix
Storage encryption cannot be switched on in place: snapshot the database, copy the snapshot
with `--kms-key-id`, restore from the encrypted copy and switch the application over.

## Evidence
The identifier, engine, `StorageEncrypted`, `KmsKeyId`, the key manager (with the
`DescribeKey` call, or why it is unknown), and the request id and time of the
`DescribeDBInstances`/`DescribeDBClusters` call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (region, db) in databases(cx, out) {
            let (encrypted, kms) = match &db {
                Db::Instance(i) => (i.storage_encrypted, &i.kms_key_id),
                Db::Cluster(c) => (c.storage_encrypted, &c.kms_key_id),
            };
            let fields = json!({ "identifier": db.identifier(), "engine": db.engine().0,
                                 "storage_encrypted": encrypted, "kms_key_id": kms });
            let (manager, phrase) = key_manager(region, kms.as_deref());
            let fields = if encrypted {
                merged(fields, manager)
            } else {
                fields
            };
            let ev = evidence(fields, Some(db.call()));
            let id = db.identifier().to_owned();
            if encrypted {
                let key = kms.as_deref().unwrap_or("an unnamed key");
                out.pass(
                    id,
                    db.location(),
                    format!(
                        "{} storage is encrypted with KMS key {key} ({phrase})",
                        db.kind()
                    ),
                    ev,
                );
            } else {
                out.fail(
                    id,
                    db.location(),
                    format!(
                        "{} storage is not encrypted (StorageEncrypted is false)",
                        db.kind()
                    ),
                    ev,
                );
            }
        }
    }
}
