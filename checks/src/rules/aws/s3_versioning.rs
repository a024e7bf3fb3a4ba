use serde_json::json;

use super::aws_shared::{bucket_read, buckets, evidence};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct S3Versioning;

impl Rule for S3Versioning {
    const META: Meta = Meta {
        id: "s3-versioning",
        title: "S3 buckets keep object versions",
        severity: Severity::Medium,
        controls: &["STO-01"],
        source: Source::Aws,
        docs: r#"
## Why
Without versioning, an overwrite or delete (a bug, ransomware with stolen keys, a wrong sync)
destroys the data for good. Versioning keeps the previous versions so they can be restored.

## What is judged
`GetBucketVersioning` `Status`: `Enabled` passes; `Suspended`, or no status at all (versioning
never enabled), fails.

## How to fix
`aws s3api put-bucket-versioning --bucket B --versioning-configuration Status=Enabled`, with a
lifecycle rule expiring noncurrent versions after the retention you need.

## Evidence
The versioning status as returned, and the call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, bucket) in buckets(cx, out) {
            let Some(read) = bucket_read(bucket, "the versioning status", &bucket.versioning, out)
            else {
                continue;
            };
            let loc = Location::arn(bucket.arn.clone());
            let ev = evidence(
                json!({ "bucket": bucket.name, "versioning": &bucket.versioning }),
                None,
            );
            match read {
                Ok(status) if status == "Enabled" => {
                    out.pass(bucket.name.clone(), loc, "versioning is enabled", ev);
                }
                Ok(status) => out.fail(
                    bucket.name.clone(),
                    loc,
                    format!("versioning is {status}"),
                    ev,
                ),
                Err(_) => out.fail(
                    bucket.name.clone(),
                    loc,
                    "versioning has never been enabled",
                    ev,
                ),
            }
        }
    }
}
