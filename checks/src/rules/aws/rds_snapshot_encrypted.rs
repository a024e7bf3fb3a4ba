use serde_json::json;

use super::aws_shared::{evidence, key_manager, merged, snapshots};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct RdsSnapshotEncrypted;

impl Rule for RdsSnapshotEncrypted {
    const META: Meta = Meta {
        id: "rds-snapshot-encrypted",
        title: "RDS snapshots are encrypted",
        severity: Severity::High,
        controls: &["ENC-01"],
        source: Source::Aws,
        docs: r#"
## Why
A snapshot is a full copy of the database. An unencrypted snapshot can be copied, shared or
restored without any KMS permission, so it escapes the key policy that guards the live data.

## What is judged
`Encrypted` of every manual and automated DB snapshot and every DB cluster snapshot. For an
encrypted snapshot, `kms:DescribeKey` says who manages its key (`CUSTOMER` or `AWS`); this is
reported, not judged, and a key that cannot be described is "key manager unknown".

## How to fix
Copy the snapshot with `aws rds copy-db-snapshot --kms-key-id KEY …` (or
`copy-db-cluster-snapshot`), delete the unencrypted original, and encrypt the source database
so new snapshots are encrypted.

## Evidence
The snapshot identifier, type, source database, `Encrypted`, `KmsKeyId`, the key manager (for
encrypted snapshots) and the describe call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (region, snap) in snapshots(cx, out) {
            let fields = json!({ "snapshot": snap.identifier, "type": snap.snapshot_type, "source": snap.source,
                                 "encrypted": snap.encrypted, "kms_key_id": snap.kms_key_id });
            let (manager, phrase) = key_manager(region, snap.kms_key_id.as_deref());
            let fields = if snap.encrypted {
                merged(fields, manager)
            } else {
                fields
            };
            let ev = evidence(fields, Some(&snap.call));
            let loc = Location::arn(snap.arn.clone());
            if snap.encrypted {
                out.pass(
                    snap.identifier.clone(),
                    loc,
                    format!(
                        "{} snapshot of {} is encrypted ({phrase})",
                        snap.snapshot_type, snap.source
                    ),
                    ev,
                );
            } else {
                out.fail(
                    snap.identifier.clone(),
                    loc,
                    format!(
                        "{} snapshot of {} is not encrypted",
                        snap.snapshot_type, snap.source
                    ),
                    ev,
                );
            }
        }
    }
}
