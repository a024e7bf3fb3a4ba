use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::aws_shared::{Db, databases, evidence};
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct RdsBackupRetention;

/// RDS uploads transaction logs every five minutes; a restore point older than this means
/// point-in-time recovery has stopped working.
const MAX_RESTORE_LAG_MINUTES: i64 = 60;

impl Rule for RdsBackupRetention {
    const META: Meta = Meta {
        id: "rds-backup-retention",
        title: "RDS databases keep automated backups with working point-in-time recovery",
        severity: Severity::High,
        controls: &["BCK-01"],
        source: Source::Aws,
        docs: r#"
## Why
Automated backups are what point-in-time recovery restores from. A retention of 0 disables them;
a short retention means a corruption noticed a week later cannot be undone. A retention that is
set but whose latest restorable time lags far behind means log shipping has stopped and the
promised PITR does not actually work.

## What is judged
For every standalone DB instance and Aurora cluster: `BackupRetentionPeriod` is at least
`[aws] backup_retention_days` (default 7), and `LatestRestorableTime` is at most one hour
before the time of the API call that returned it (recorded in the facts; the check never reads
the clock).

## How to fix
`aws rds modify-db-instance --db-instance-identifier ID --backup-retention-period 7
--apply-immediately` (or `modify-db-cluster`). If the restore time lags, look for a stuck
instance, a storage-full event or a failed log upload in the RDS events.

## Evidence
The identifier, the retention, the latest restorable time, the call time and the configured
minimum.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let min_days = cx.options.aws.backup_retention_days;
        for (_, db) in databases(cx, out) {
            let (days, latest) = match &db {
                Db::Instance(i) => (i.backup_retention_days, i.latest_restorable_time.as_deref()),
                Db::Cluster(c) => (c.backup_retention_days, c.latest_restorable_time.as_deref()),
            };
            let ev = evidence(
                json!({ "identifier": db.identifier(), "backup_retention_days": days,
                        "latest_restorable_time": latest, "minimum_days": min_days }),
                Some(db.call()),
            );
            let id = db.identifier().to_owned();
            if days < i64::from(min_days) {
                out.fail(
                    id,
                    db.location(),
                    format!("backups are kept {days} day(s), fewer than the required {min_days}"),
                    ev,
                );
                continue;
            }
            match restore_lag_minutes(latest, &db.call().at) {
                Err(why) => out.error(id, db.location(), format!("retention is {days} day(s) but point-in-time recovery cannot be confirmed: {why}"), ev),
                Ok(lag) if lag > MAX_RESTORE_LAG_MINUTES => out.fail(id, db.location(), format!("retention is {days} day(s) but the latest restorable time is {lag} minutes before collection: point-in-time recovery is not keeping up"), ev),
                Ok(lag) => out.pass(id, db.location(), format!("backups kept {days} day(s) (minimum {min_days}); latest restore point {lag} minute(s) before collection"), ev),
            }
        }
    }
}

/// Minutes between the latest restorable time and the call that reported it.
fn restore_lag_minutes(latest: Option<&str>, collected_at: &str) -> Result<i64, String> {
    let latest = latest.ok_or("no LatestRestorableTime was reported")?;
    let parse = |s: &str| {
        OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|e| format!("`{s}` is not an RFC 3339 time ({e})"))
    };
    let lag = parse(collected_at)? - parse(latest)?;
    Ok(lag.whole_minutes().max(0))
}

#[cfg(test)]
mod tests {
    use super::restore_lag_minutes;

    #[test]
    fn lag_is_measured_against_the_call_time() {
        assert_eq!(
            restore_lag_minutes(Some("2026-01-01T10:00:00Z"), "2026-01-01T10:05:00Z"),
            Ok(5)
        );
        assert_eq!(
            restore_lag_minutes(Some("2026-01-01T10:10:00Z"), "2026-01-01T10:05:00Z"),
            Ok(0)
        );
        assert!(restore_lag_minutes(None, "2026-01-01T10:05:00Z").is_err());
        assert!(restore_lag_minutes(Some("yesterday"), "2026-01-01T10:05:00Z").is_err());
    }
}
