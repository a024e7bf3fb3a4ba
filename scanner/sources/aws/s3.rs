//! S3 of one account: the account-level Block Public Access and, per bucket, encryption, Block
//! Public Access, policy status and document, ACL grants, versioning and Object Lock.
//!
//! Each bucket is read through a client of its own region (a bucket answers only there).
//! "Not configured" error codes are recorded as facts ([`Read::Absent`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object_lock_configuration::GetObjectLockConfigurationOutput;
use aws_sdk_s3::types::PublicAccessBlockConfiguration as S3Block;
use aws_sdk_s3control::types::PublicAccessBlockConfiguration as S3ControlBlock;
use checks::facts::aws::{
    Bucket, Call, EncryptionRule, Grant, Listing, ObjectLock, PublicAccessBlock, Read, S3,
};

use super::calls::Api;
use super::client;
use super::collector::{Ctx, paginate, spawn_all};
use super::rds::Ids;

const NO_PUBLIC_ACCESS_BLOCK: &str = "NoSuchPublicAccessBlockConfiguration";
const NO_ENCRYPTION: &str = "ServerSideEncryptionConfigurationNotFoundError";
const NO_POLICY: &str = "NoSuchBucketPolicy";
const NO_OBJECT_LOCK: &str = "ObjectLockConfigurationNotFoundError";

pub(crate) async fn account(base: SdkConfig, home: String, ids: Ids, ctx: Arc<Ctx>) -> S3 {
    let home_client = client::s3(&base, &home);
    let control = aws_sdk_s3control::Client::new(&base);
    let account_public_access_block = account_block(&control, &ids.account, &ctx).await;
    let listing = list_buckets(&home_client, &ids, &ctx).await;
    let (buckets, error, call) = (listing.items, listing.error, listing.call);
    ctx.note(format!("S3: {} buckets", buckets.len()));
    let clients = Arc::new(Clients {
        base,
        home: home.clone(),
        by_region: Mutex::new(BTreeMap::from([(home, home_client)])),
    });
    let tasks: Vec<_> = buckets
        .into_iter()
        .map(|bucket| {
            let (clients, ctx) = (clients.clone(), ctx.clone());
            async move {
                let (client, bucket) = place(&clients, bucket, &ctx).await;
                read_bucket(&client, bucket, &ctx).await
            }
        })
        .collect();
    let items = spawn_all(tasks, |i, cause| Bucket {
        name: format!("#{i}"),
        encryption: Read::Error {
            message: cause,
            call: Call::default(),
        },
        ..Bucket::default()
    })
    .await;
    S3 {
        account_public_access_block,
        buckets: Listing { items, error, call },
    }
}

/// Every bucket; a failed page records its call, as every other listing does.
async fn list_buckets(client: &Client, ids: &Ids, ctx: &Ctx) -> Listing<Bucket> {
    let (listing, _) = paginate!(
        ctx,
        Api::S3ListAllMyBuckets,
        client.list_buckets().into_paginator(),
        |out, call| {
            out.buckets()
                .iter()
                .filter_map(|b| {
                    let name = b.name()?.to_owned();
                    Some(Bucket {
                        arn: format!("arn:{}:s3:::{name}", ids.partition),
                        name,
                        region: b.bucket_region().map(str::to_owned),
                        call: call.clone(),
                        ..Bucket::default()
                    })
                })
                .collect::<Vec<_>>()
        }
    );
    listing
}

/// One S3 client per region, made on first use: a bucket answers only in its own region.
struct Clients {
    base: SdkConfig,
    home: String,
    by_region: Mutex<BTreeMap<String, Client>>,
}

impl Clients {
    fn get(&self, region: &str) -> Client {
        let mut map = self
            .by_region
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(region.to_owned())
            .or_insert_with(|| client::s3(&self.base, region))
            .clone()
    }
}

/// The bucket's region (from ListBuckets, or GetBucketLocation where older endpoints and
/// emulators omit `BucketRegion`) and the client for it. A bucket whose location cannot be
/// read is read through the home region, where its calls fail with their own errors.
async fn place(clients: &Clients, mut bucket: Bucket, ctx: &Ctx) -> (Client, Bucket) {
    if bucket.region.is_none() {
        let home = clients.get(&clients.home);
        let req = home.get_bucket_location().bucket(&bucket.name);
        if let Ok(out) = ctx.call(Api::S3GetBucketLocation, req.send()).await.result {
            // An empty constraint is us-east-1; `EU` is the legacy name of eu-west-1.
            let region = match out
                .location_constraint()
                .map(aws_sdk_s3::types::BucketLocationConstraint::as_str)
            {
                None | Some("") => "us-east-1",
                Some("EU") => "eu-west-1",
                Some(r) => r,
            };
            bucket.region = Some(region.to_owned());
        }
    }
    let region = bucket.region.as_deref().unwrap_or(&clients.home);
    (clients.get(region), bucket)
}

async fn account_block(
    control: &aws_sdk_s3control::Client,
    account: &str,
    ctx: &Ctx,
) -> Read<PublicAccessBlock> {
    let req = control.get_public_access_block().account_id(account);
    ctx.call(Api::S3GetAccountPublicAccessBlock, req.send())
        .await
        .read(&[NO_PUBLIC_ACCESS_BLOCK], |out| {
            let c = out.public_access_block_configuration();
            PublicAccessBlock {
                block_public_acls: c
                    .and_then(S3ControlBlock::block_public_acls)
                    .unwrap_or(false),
                ignore_public_acls: c
                    .and_then(S3ControlBlock::ignore_public_acls)
                    .unwrap_or(false),
                block_public_policy: c
                    .and_then(S3ControlBlock::block_public_policy)
                    .unwrap_or(false),
                restrict_public_buckets: c
                    .and_then(S3ControlBlock::restrict_public_buckets)
                    .unwrap_or(false),
            }
        })
}

/// The seven reads of one bucket.
async fn read_bucket(client: &Client, mut bucket: Bucket, ctx: &Ctx) -> Bucket {
    let name = bucket.name.clone();
    // One bucket's reads are sequential: buckets run side by side, which keeps the in-flight
    // limit busy on any account with more than a handful of buckets.
    let encryption = ctx
        .call(
            Api::S3GetEncryptionConfiguration,
            client.get_bucket_encryption().bucket(&name).send(),
        )
        .await;
    let block = ctx
        .call(
            Api::S3GetBucketPublicAccessBlock,
            client.get_public_access_block().bucket(&name).send(),
        )
        .await;
    let status = ctx
        .call(
            Api::S3GetBucketPolicyStatus,
            client.get_bucket_policy_status().bucket(&name).send(),
        )
        .await;
    let policy = ctx
        .call(
            Api::S3GetBucketPolicy,
            client.get_bucket_policy().bucket(&name).send(),
        )
        .await;
    let acl = ctx
        .call(
            Api::S3GetBucketAcl,
            client.get_bucket_acl().bucket(&name).send(),
        )
        .await;
    let versioning = ctx
        .call(
            Api::S3GetBucketVersioning,
            client.get_bucket_versioning().bucket(&name).send(),
        )
        .await;
    let lock = ctx
        .call(
            Api::S3GetBucketObjectLockConfiguration,
            client.get_object_lock_configuration().bucket(&name).send(),
        )
        .await;
    bucket.encryption = encryption.read(&[NO_ENCRYPTION], |out| {
        out.server_side_encryption_configuration()
            .map(|c| c.rules().iter().map(encryption_rule).collect())
            .unwrap_or_default()
    });
    bucket.public_access_block = block.read(&[NO_PUBLIC_ACCESS_BLOCK], |out| {
        let c = out.public_access_block_configuration();
        PublicAccessBlock {
            block_public_acls: c.and_then(S3Block::block_public_acls).unwrap_or(false),
            ignore_public_acls: c.and_then(S3Block::ignore_public_acls).unwrap_or(false),
            block_public_policy: c.and_then(S3Block::block_public_policy).unwrap_or(false),
            restrict_public_buckets: c
                .and_then(S3Block::restrict_public_buckets)
                .unwrap_or(false),
        }
    });
    bucket.policy_is_public = status.read_some(&[NO_POLICY], "PolicyStatus.IsPublic", |out| {
        out.policy_status()
            .and_then(aws_sdk_s3::types::PolicyStatus::is_public)
    });
    bucket.policy = policy_document(policy.read(&[NO_POLICY], |out| {
        out.policy().unwrap_or_default().to_owned()
    }));
    bucket.acl_grants = acl.read(&[], |out| out.grants().iter().map(grant).collect());
    bucket.versioning =
        match versioning.read(&[], |out| out.status().map(|s| s.as_str().to_owned())) {
            Read::Value { value: None, call } => Read::Absent {
                code: "Unset".to_owned(),
                call,
            },
            other => map_read(other, Option::unwrap_or_default),
        };
    bucket.object_lock = lock.read(&[NO_OBJECT_LOCK], |out| object_lock(&out));
    bucket
}

fn map_read<A, B>(read: Read<A>, f: impl FnOnce(A) -> B) -> Read<B> {
    match read {
        Read::NotRead => Read::NotRead,
        Read::Value { value, call } => Read::Value {
            value: f(value),
            call,
        },
        Read::Absent { code, call } => Read::Absent { code, call },
        Read::Error { message, call } => Read::Error { message, call },
    }
}

/// The policy text parsed as JSON; text that is not JSON is an error, never "no policy".
fn policy_document(read: Read<String>) -> Read<serde_json::Value> {
    match read {
        Read::Value { value, call } => match serde_json::from_str(&value) {
            Ok(doc) => Read::Value { value: doc, call },
            Err(e) => Read::Error {
                message: format!("the bucket policy is not valid JSON: {e}"),
                call,
            },
        },
        other => map_read(other, |_| serde_json::Value::Null),
    }
}

fn encryption_rule(rule: &aws_sdk_s3::types::ServerSideEncryptionRule) -> EncryptionRule {
    let default = rule.apply_server_side_encryption_by_default();
    EncryptionRule {
        algorithm: default
            .map(|d| d.sse_algorithm().as_str().to_owned())
            .unwrap_or_default(),
        kms_key_id: default.and_then(|d| d.kms_master_key_id().map(str::to_owned)),
        bucket_key_enabled: rule.bucket_key_enabled().unwrap_or(false),
    }
}

fn grant(g: &aws_sdk_s3::types::Grant) -> Grant {
    let grantee = g.grantee().map_or_else(String::new, |who| {
        who.uri()
            .or(who.id())
            .or(who.email_address())
            .unwrap_or_default()
            .to_owned()
    });
    Grant {
        grantee,
        permission: g
            .permission()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
    }
}

fn object_lock(out: &GetObjectLockConfigurationOutput) -> ObjectLock {
    let config = out.object_lock_configuration();
    let retention = config
        .and_then(|c| c.rule())
        .and_then(|r| r.default_retention());
    ObjectLock {
        enabled: config
            .and_then(|c| c.object_lock_enabled())
            .is_some_and(|e| e.as_str() == "Enabled"),
        default_mode: retention.and_then(|r| r.mode().map(|m| m.as_str().to_owned())),
        default_days: retention.and_then(|r| r.days().map(i64::from)),
        default_years: retention.and_then(|r| r.years().map(i64::from)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::aws::tests::{DENIED, Scripted, unit_config};

    /// A refused bucket listing is an error that keeps its call (the action and request id an
    /// auditor looks up), as every other listing's failure does.
    #[test]
    fn a_refused_bucket_listing_is_an_error_that_keeps_its_call() {
        let scripted = Scripted::default();
        scripted.replies.lock().unwrap().push_back((403, DENIED));
        let (rt, conf) = unit_config("http://s3.unit.invalid", scripted.clone());
        let listing = rt.block_on(async {
            let s3conf = aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build();
            let ids = Ids {
                account: "123456789012".to_owned(),
                partition: "aws".to_owned(),
            };
            list_buckets(&Client::from_conf(s3conf), &ids, &Ctx::new(4)).await
        });
        let error = listing.error.expect("an error");
        assert!(
            error.starts_with("s3:ListAllMyBuckets was denied"),
            "{error}"
        );
        assert_eq!(
            listing.call.expect("the failed call").action,
            "s3:ListAllMyBuckets"
        );
        assert!(listing.items.is_empty());
    }
}
