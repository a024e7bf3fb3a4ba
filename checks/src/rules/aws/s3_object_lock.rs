use serde_json::json;

use super::aws_shared::{bucket_read, buckets, evidence};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct S3ObjectLock;

impl Rule for S3ObjectLock {
    const META: Meta = Meta {
        id: "s3-object-lock",
        title: "Evidence and audit buckets lock their objects",
        severity: Severity::High,
        controls: &["STO-01"],
        source: Source::Aws,
        docs: r#"
## Why
Audit logs and compliance evidence are only worth something if nobody, including an attacker
with administrator keys, can delete or rewrite them. S3 Object Lock with a default retention
makes every new object write-once for that period.

## What is judged
Only buckets whose names match `[aws] evidence_buckets` (globs such as `"*-audit-logs"`).
`GetObjectLockConfiguration` must show Object Lock enabled with a default retention rule
(`GOVERNANCE` or `COMPLIANCE`, days or years). Enabled without a default retention fails:
objects are then locked only when each upload asks for it.
`ObjectLockConfigurationNotFoundError` means Object Lock is off.

## How to fix
Object Lock can be enabled on existing buckets (versioning is required):
`aws s3api put-object-lock-configuration --bucket B --object-lock-configuration
'{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":365}}}'`.

## Evidence
The configuration as read (or the "not found" code), the matching glob list, and the call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let globs = &cx.options.aws.evidence_buckets;
        if globs.is_empty() {
            return; // no bucket is an evidence bucket: nothing to judge, nothing unread
        }
        for (_, bucket) in buckets(cx, out) {
            if !globs.is_match(&bucket.name) {
                continue;
            }
            let Some(read) = bucket_read(
                bucket,
                "the Object Lock configuration",
                &bucket.object_lock,
                out,
            ) else {
                continue;
            };
            let loc = Location::arn(bucket.arn.clone());
            let ev = evidence(
                json!({ "bucket": bucket.name, "object_lock": &bucket.object_lock, "evidence_buckets": globs }),
                None,
            );
            match read {
                Err(code) => out.fail(bucket.name.clone(), loc, format!("evidence bucket has no Object Lock ({code}): its objects can be deleted"), ev),
                Ok(lock) if !lock.enabled => out.fail(bucket.name.clone(), loc, "evidence bucket has Object Lock disabled", ev),
                Ok(lock) => match (&lock.default_mode, lock.default_days, lock.default_years) {
                    (Some(mode), Some(n), _) => out.pass(bucket.name.clone(), loc, format!("Object Lock {mode} retains new objects for {n} day(s)"), ev),
                    (Some(mode), None, Some(n)) => out.pass(bucket.name.clone(), loc, format!("Object Lock {mode} retains new objects for {n} year(s)"), ev),
                    _ => out.fail(bucket.name.clone(), loc, "Object Lock is enabled but has no default retention: objects are locked only when each upload asks", ev),
                },
            }
        }
    }
}
