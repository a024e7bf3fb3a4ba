//! KMS in one region: every key, described, and the rotation status of the enabled
//! customer-managed symmetric keys whose material KMS generated (only those can rotate
//! automatically; asking for the others would only collect errors).

use std::sync::Arc;

use aws_sdk_kms::Client;
use checks::facts::aws::{Call, Listing, Read};
use checks::facts::aws_infra::{Key, KeyMetadata, KeyRotation};

use super::calls::Api;
use super::collector::{Ctx, name, paginate, spawn_all};

pub(crate) async fn keys(client: Client, ctx: Arc<Ctx>) -> Listing<Key> {
    let (mut listing, _) = paginate!(
        ctx,
        Api::KmsListKeys,
        client.list_keys().into_paginator(),
        |out, call| out.keys().iter().map(|k| Key {
            id: k.key_id().unwrap_or_default().to_owned(),
            arn: k.key_arn().unwrap_or_default().to_owned(),
            call: call.clone(),
            metadata: Read::NotRead,
            rotation: Read::NotRead,
        })
    );
    let tasks: Vec<_> = listing
        .items
        .iter()
        .map(|k| {
            let (client, ctx, id) = (client.clone(), ctx.clone(), k.id.clone());
            async move { describe(&client, &ctx, &id).await }
        })
        .collect();
    let lost = |_: usize, cause: String| {
        let metadata = Read::Error {
            message: cause.clone(),
            call: Call::default(),
        };
        let rotation = Read::Error {
            message: cause,
            call: Call::default(),
        };
        (metadata, rotation)
    };
    let reads = spawn_all(tasks, lost).await;
    for (k, (metadata, rotation)) in listing.items.iter_mut().zip(reads) {
        k.metadata = metadata;
        k.rotation = rotation;
    }
    listing
}

async fn describe(client: &Client, ctx: &Ctx, id: &str) -> (Read<KeyMetadata>, Read<KeyRotation>) {
    let metadata = ctx
        .call(Api::KmsDescribeKey, client.describe_key().key_id(id).send())
        .await
        .read_some(&[], "KeyMetadata", |out| {
            out.key_metadata().map(|m| KeyMetadata {
                manager: name(m.key_manager()),
                spec: name(m.key_spec()),
                state: name(m.key_state()),
                origin: name(m.origin()),
            })
        });
    let rotates_automatically = matches!(&metadata, Read::Value { value: m, .. }
        if m.manager == "CUSTOMER" && m.state == "Enabled" && m.spec == "SYMMETRIC_DEFAULT"
            && m.origin == "AWS_KMS");
    if !rotates_automatically {
        return (metadata, Read::NotRead);
    }
    let rotation = ctx
        .call(
            Api::KmsGetKeyRotationStatus,
            client.get_key_rotation_status().key_id(id).send(),
        )
        .await
        .read(&[], |out| KeyRotation {
            enabled: out.key_rotation_enabled(),
            period_days: out.rotation_period_in_days(),
        });
    (metadata, rotation)
}
