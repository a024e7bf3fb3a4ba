use serde_json::json;

use super::aws_shared::{bucket_read, buckets, evidence};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct S3NotPublic;

/// ACL grantee groups that mean "anyone" and "any AWS account".
const PUBLIC_GROUPS: [&str; 2] = [
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

impl Rule for S3NotPublic {
    const META: Meta = Meta {
        id: "s3-not-public",
        title: "S3 buckets grant no public access",
        severity: Severity::Critical,
        controls: &["STO-01"],
        source: Source::Aws,
        docs: r#"
## Why
A bucket policy or ACL that grants access to everyone publishes the bucket's objects. Most
large data leaks from S3 were a single public grant.

## What is judged
The bucket's policy status (`GetBucketPolicyStatus` `IsPublic`, computed by S3 from the policy)
and its ACL grants: a grant to the `AllUsers` or `AuthenticatedUsers` group fails. A bucket
with no policy (`NoSuchBucketPolicy`) is not public by policy. The grant is reported even when
Block Public Access currently neutralises it, because the grant itself is the exposure waiting
for the block to be lifted.

## How to fix
Remove the public statements from the bucket policy (`aws s3api delete-bucket-policy` or edit
it), reset the ACL with `aws s3api put-bucket-acl --bucket B --acl private`, and enforce
`BucketOwnerEnforced` object ownership to disable ACLs altogether. Serve public content through
CloudFront with origin access control instead.

## Evidence
`IsPublic`, the ACL grants, and the calls that returned them.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, bucket) in buckets(cx, out) {
            let Some(status) =
                bucket_read(bucket, "the policy status", &bucket.policy_is_public, out)
            else {
                continue;
            };
            let Some(acl) = bucket_read(bucket, "the ACL", &bucket.acl_grants, out) else {
                continue;
            };
            let loc = Location::arn(bucket.arn.clone());
            let ev = evidence(
                json!({ "bucket": bucket.name, "policy_is_public": &bucket.policy_is_public, "acl_grants": &bucket.acl_grants }),
                None,
            );
            let mut reasons = Vec::new();
            if status == Ok(&true) {
                reasons.push("its bucket policy is public (IsPublic)".to_owned());
            }
            for grant in acl
                .unwrap_or(&Vec::new())
                .iter()
                .filter(|g| PUBLIC_GROUPS.contains(&g.grantee.as_str()))
            {
                let group = grant.grantee.rsplit('/').next().unwrap_or(&grant.grantee);
                reasons.push(format!("its ACL grants {} to {group}", grant.permission));
            }
            if reasons.is_empty() {
                out.pass(
                    bucket.name.clone(),
                    loc,
                    "neither the bucket policy nor the ACL grants public access",
                    ev,
                );
            } else {
                out.fail(
                    bucket.name.clone(),
                    loc,
                    format!("the bucket is public: {}", reasons.join("; ")),
                    ev,
                );
            }
        }
    }
}
