use serde_json::json;

use super::aws_infra_shared::judge_listed;
use crate::facts::aws_infra::LogGroup;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct LogsEncryptedRetained;

impl Rule for LogsEncryptedRetained {
    const META: Meta = Meta {
        id: "logs-encrypted-retained",
        title: "CloudWatch log groups are KMS-encrypted and retained long enough",
        severity: Severity::Medium,
        controls: &["LOG-02"],
        source: Source::Aws,
        docs: r#"
## Why
"Log streams are encrypted with managed keys" and kept long enough to investigate an incident:
application, database and flow logs carry personal data and security evidence. CloudWatch Logs
encrypts everything with a service key; a KMS key of the account makes access to the logs an
IAM decision on that key, and a retention shorter than the investigation window deletes the
evidence before it is needed.

## What is judged
Every log group of every audited region (`logs:DescribeLogGroups`): `kmsKeyId` must be set,
and `retentionInDays` must be at least `[aws] log_retention_days` (default 365) or unset
(never expire). The subject is the log group name. A failed listing is an `error` for its
region.

## How to fix
`aws logs associate-kms-key --log-group-name NAME --kms-key-id KEY_ARN` (the key policy must
allow the logs service principal) and `aws logs put-retention-policy --log-group-name NAME
--retention-in-days 365`.

## Evidence
The log group's KMS key and retention, the required minimum, and the request id of
`DescribeLogGroups`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let min_days = cx.options.aws.log_retention_days;
        judge_listed(
            cx,
            out,
            "logs",
            "log groups",
            |r| &r.log_groups,
            |group, out| judge(group, min_days, out),
        );
    }
}

fn judge(group: &LogGroup, min_days: u32, out: &mut Findings) {
    let at = Location::arn(group.arn.clone());
    let ev = json!({ "log_group": group.name, "kms_key_id": group.kms_key_id,
                     "retention_days": group.retention_days, "required_days": min_days,
                     "call": group.call });
    let mut problems = Vec::new();
    if group.kms_key_id.as_deref().is_none_or(str::is_empty) {
        problems.push("it is not encrypted with a KMS key".to_owned());
    }
    if let Some(days) = group.retention_days
        && i64::from(days) < i64::from(min_days)
    {
        problems.push(format!(
            "events are deleted after {days} days (required: {min_days})"
        ));
    }
    if problems.is_empty() {
        let kept = group.retention_days.map_or_else(
            || "never expire".to_owned(),
            |d| format!("are kept {d} days"),
        );
        out.pass(
            group.name.clone(),
            at,
            format!("the log group is KMS-encrypted and its events {kept}"),
            ev,
        );
    } else {
        out.fail(group.name.clone(), at, problems.join("; "), ev);
    }
}
