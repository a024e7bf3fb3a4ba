use serde_json::json;

use super::aws_shared::{bucket_read, buckets, evidence};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::settings::S3Encryption;

pub struct S3DefaultEncryption;

impl Rule for S3DefaultEncryption {
    const META: Meta = Meta {
        id: "s3-default-encryption",
        title: "S3 buckets encrypt new objects by default",
        severity: Severity::High,
        controls: &["STO-01"],
        source: Source::Aws,
        docs: r#"
## Why
Default encryption makes every new object encrypted at rest without relying on each uploader to
ask for it. SSE-KMS adds a key policy and CloudTrail record for every decrypt, which many
customers and frameworks require for sensitive data.

## What is judged
The bucket's default encryption rules (`GetBucketEncryption`). With `[aws] s3_encryption =
"any"` (the default) SSE-S3 (`AES256`) or SSE-KMS pass; with `"kms"` only `aws:kms` /
`aws:kms:dsse` pass. A bucket with no configuration (`ServerSideEncryptionConfigurationNotFound
Error`, as on buckets created before 2023 or on emulators) fails.

## How to fix
`aws s3api put-bucket-encryption --bucket B --server-side-encryption-configuration
'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"KEY"},"BucketKeyEnabled":true}]}'`.

## Evidence
The rules (algorithm, KMS key, bucket key) or the "not found" code, and the call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let required = cx.options.aws.s3_encryption;
        for (_, bucket) in buckets(cx, out) {
            let Some(read) = bucket_read(bucket, "the default encryption", &bucket.encryption, out)
            else {
                continue;
            };
            let loc = Location::arn(bucket.arn.clone());
            let ev = evidence(
                json!({ "bucket": bucket.name, "encryption": &bucket.encryption, "required": required }),
                None,
            );
            let rules = match read {
                Err(code) => {
                    out.fail(
                        bucket.name.clone(),
                        loc,
                        format!("no default encryption is configured ({code})"),
                        ev,
                    );
                    continue;
                }
                Ok(rules) => rules,
            };
            let algorithms: Vec<&str> = rules.iter().map(|r| r.algorithm.as_str()).collect();
            let kms = algorithms.iter().any(|a| a.starts_with("aws:kms"));
            let sse_s3 = algorithms.contains(&"AES256");
            match (required, kms, sse_s3) {
                (_, true, _) => out.pass(bucket.name.clone(), loc, format!("default encryption is SSE-KMS ({})", algorithms.join(", ")), ev),
                (S3Encryption::Any, false, true) => out.pass(bucket.name.clone(), loc, "default encryption is SSE-S3 (AES256)", ev),
                (S3Encryption::Kms, false, true) => out.fail(bucket.name.clone(), loc, "default encryption is SSE-S3 (AES256) but [aws] s3_encryption requires SSE-KMS", ev),
                (_, false, false) => out.fail(bucket.name.clone(), loc, format!("no recognised default encryption rule ({algorithms:?})"), ev),
            }
        }
    }
}
