use serde_json::json;

use super::aws_shared::{buckets, evidence};
use crate::facts::aws::{PublicAccessBlock, Read};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct S3PublicAccessBlock;

impl Rule for S3PublicAccessBlock {
    const META: Meta = Meta {
        id: "s3-public-access-block",
        title: "S3 Block Public Access is fully on for every bucket",
        severity: Severity::High,
        controls: &["STO-01"],
        source: Source::Aws,
        docs: r#"
## Why
Block Public Access is the guard rail that overrides a mistaken public ACL or bucket policy.
With all four settings on, nobody can make the bucket public by accident, whatever its policy
says.

## What is judged
For each bucket, every one of the four settings (`BlockPublicAcls`, `IgnorePublicAcls`,
`BlockPublicPolicy`, `RestrictPublicBuckets`) must be on at the bucket level or at the account
level (s3control `GetPublicAccessBlock`); S3 applies the more restrictive of the two. A bucket
without its own complete block whose account-level block could not be read is an error, never a
pass. "NoSuchPublicAccessBlockConfiguration" means not configured at that level.

## How to fix
At the account level: `aws s3control put-public-access-block --account-id ACCOUNT
--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`
(or per bucket with `aws s3api put-public-access-block`).

## Evidence
The bucket-level and account-level blocks as read (or their "not configured" codes), the calls.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (account, bucket) in buckets(cx, out) {
            let loc = Location::arn(bucket.arn.clone());
            let account_pab = &account.s3.account_public_access_block;
            let ev = evidence(
                json!({ "bucket": bucket.name, "bucket_level": &bucket.public_access_block, "account_level": account_pab }),
                None,
            );
            let name = bucket.name.clone();
            let bucket_level = level(&bucket.public_access_block);
            if bucket_level
                .as_ref()
                .ok()
                .and_then(Option::as_ref)
                .is_some_and(PublicAccessBlock::all_on)
            {
                out.pass(
                    name,
                    loc,
                    "all four Block Public Access settings are on at the bucket level",
                    ev,
                );
                continue;
            }
            let account_level = level(account_pab);
            match (bucket_level, account_level) {
                (_, Ok(Some(a))) if a.all_on() => out.pass(name, loc, "all four Block Public Access settings are on at the account level", ev),
                (Err(why), _) => out.error(name, loc, format!("the bucket-level block could not be read ({why}) and the account level does not cover all four settings"), ev),
                (Ok(_), Err(why)) => out.error(name, loc, format!("the bucket has no complete block of its own and the account-level block could not be read: {why}"), ev),
                (Ok(b), Ok(a)) => {
                    let off = missing_settings(b.unwrap_or_default(), a.unwrap_or_default());
                    if off.is_empty() {
                        out.pass(name, loc, "all four Block Public Access settings are on, combining bucket and account level", ev);
                        continue;
                    }
                    out.fail(name, loc, format!("Block Public Access is off for {} at both bucket and account level", off.join(", ")), ev);
                }
            }
        }
    }
}

/// The block at one level: `Ok(None)` when not configured, `Err` when it could not be read.
fn level(read: &Read<PublicAccessBlock>) -> Result<Option<PublicAccessBlock>, String> {
    match read {
        Read::Value { value, .. } => Ok(Some(*value)),
        Read::Absent { .. } => Ok(None),
        Read::Error { message, .. } => Err(message.clone()),
        Read::NotRead => Err("it was not collected".to_owned()),
    }
}

/// The settings on at neither level (S3 applies each setting if either level sets it).
fn missing_settings(bucket: PublicAccessBlock, account: PublicAccessBlock) -> Vec<&'static str> {
    let pairs = [
        (
            "BlockPublicAcls",
            bucket.block_public_acls || account.block_public_acls,
        ),
        (
            "IgnorePublicAcls",
            bucket.ignore_public_acls || account.ignore_public_acls,
        ),
        (
            "BlockPublicPolicy",
            bucket.block_public_policy || account.block_public_policy,
        ),
        (
            "RestrictPublicBuckets",
            bucket.restrict_public_buckets || account.restrict_public_buckets,
        ),
    ];
    pairs
        .iter()
        .filter(|(_, on)| !on)
        .map(|(n, _)| *n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_combine_across_levels() {
        let b = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            ..Default::default()
        };
        let a = PublicAccessBlock {
            block_public_policy: true,
            ..Default::default()
        };
        assert_eq!(missing_settings(b, a), vec!["RestrictPublicBuckets"]);
    }
}
