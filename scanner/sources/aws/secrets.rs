//! Secrets Manager in one region: the metadata of every secret (ListSecrets). Never a value:
//! vouch does not call GetSecretValue, and the call table does not allow it.

use std::sync::Arc;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::primitives::DateTimeFormat;
use checks::facts::aws::Listing;
use checks::facts::aws_infra::Secret;

use super::calls::Api;
use super::collector::{Ctx, paginate};

pub(crate) async fn secrets(client: Client, ctx: Arc<Ctx>) -> Listing<Secret> {
    paginate!(
        ctx,
        Api::SecretsManagerListSecrets,
        client.list_secrets().into_paginator(),
        |out, call| out.secret_list().iter().map(|x| Secret {
            name: x.name().unwrap_or_default().to_owned(),
            arn: x.arn().unwrap_or_default().to_owned(),
            // The API omits the flag when rotation was never configured.
            rotation_enabled: x.rotation_enabled().unwrap_or(false),
            rotation_days: x.rotation_rules().and_then(
                aws_sdk_secretsmanager::types::RotationRulesType::automatically_after_days
            ),
            rotation_schedule: x
                .rotation_rules()
                .and_then(|r| r.schedule_expression())
                .map(str::to_owned),
            last_rotated: x
                .last_rotated_date()
                .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
            kms_key_id: x.kms_key_id().map(str::to_owned),
            owning_service: x.owning_service().map(str::to_owned),
            call: call.clone(),
        })
    )
    .0
}
