use serde_json::json;

use super::aws_shared::{evidence, snapshots};
use crate::facts::aws::{Read, SnapshotKind};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct RdsSnapshotNotPublic;

impl Rule for RdsSnapshotNotPublic {
    const META: Meta = Meta {
        id: "rds-snapshot-not-public",
        title: "RDS snapshots are not public",
        severity: Severity::Critical,
        controls: &["NET-01"],
        source: Source::Aws,
        docs: r#"
## Why
A snapshot whose `restore` attribute is `all` can be restored by every AWS account in the
world: the whole database is exposed to the internet, exactly what a public instance would do,
which is why this serves the same control (NET-01) as `rds-not-public`. Leaked public snapshots
are a recurring source of breaches.

## What is judged
The `restore` attribute of every manual DB snapshot and DB cluster snapshot
(`DescribeDBSnapshotAttributes` / `DescribeDBClusterSnapshotAttributes`). Automated snapshots
cannot be shared by AWS design and pass with that basis. Accounts a snapshot is shared with are
listed in the evidence.

## How to fix
`aws rds modify-db-snapshot-attribute --db-snapshot-identifier ID --attribute-name restore
--values-to-remove all` (or `modify-db-cluster-snapshot-attribute`).

## Evidence
The snapshot identifier and type, the `restore` attribute's values and the call that read them.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, snap) in snapshots(cx, out) {
            let id = snap.identifier.clone();
            let loc = Location::arn(snap.arn.clone());
            let base = json!({ "snapshot": snap.identifier, "type": snap.snapshot_type });
            if matches!(
                snap.kind,
                SnapshotKind::Automated | SnapshotKind::ClusterAutomated
            ) {
                out.pass(
                    id,
                    loc,
                    "automated snapshots cannot be shared or made public",
                    evidence(base, Some(&snap.call)),
                );
                continue;
            }
            match &snap.restore {
                Read::Value { value, call } => {
                    let ev = evidence(
                        json!({ "snapshot": snap.identifier, "type": snap.snapshot_type, "restore": value }),
                        Some(call),
                    );
                    if value.iter().any(|v| v == "all") {
                        out.fail(id, loc, "the snapshot is public: its restore attribute includes `all`, so any AWS account can restore it", ev);
                    } else if value.is_empty() {
                        out.pass(
                            id,
                            loc,
                            "the snapshot is private (shared with no account)",
                            ev,
                        );
                    } else {
                        out.pass(
                            id,
                            loc,
                            format!(
                                "the snapshot is not public; shared with account(s) {}",
                                value.join(", ")
                            ),
                            ev,
                        );
                    }
                }
                Read::Error { message, call } => out.error(
                    id,
                    loc,
                    format!("the restore attribute could not be read: {message}"),
                    evidence(base, Some(call)),
                ),
                Read::Absent { code, call } => out.error(
                    id,
                    loc,
                    format!("the restore attribute was not returned ({code})"),
                    evidence(base, Some(call)),
                ),
                Read::NotRead => {
                    out.error(id, loc, "the restore attribute was not collected", base);
                }
            }
        }
    }
}
