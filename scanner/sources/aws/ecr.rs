//! ECR in one region: repositories (scan on push, tag mutability, encryption) and the
//! registry's scanning configuration (basic or enhanced, and its rules).

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_ecr::Client;
use checks::facts::aws::{Listing, Read};
use checks::facts::aws_edge::{RegistryScanning, Repository, ScanRule};

use super::calls::Api;
use super::collector::{Ctx, name, paginate};

pub(crate) async fn region(
    conf: SdkConfig,
    ctx: Arc<Ctx>,
) -> (Listing<Repository>, Read<RegistryScanning>) {
    let client = Client::new(&conf);
    let repos = repositories(&client, &ctx).await;
    let scanning = ctx
        .call(
            Api::EcrGetRegistryScanningConfiguration,
            client.get_registry_scanning_configuration().send(),
        )
        .await
        .read_some(&[], "scanning configuration", |out| {
            out.scanning_configuration().map(|c| RegistryScanning {
                scan_type: name(c.scan_type()),
                rules: c
                    .rules()
                    .iter()
                    .map(|r| ScanRule {
                        frequency: r.scan_frequency().as_str().to_owned(),
                        filters: r
                            .repository_filters()
                            .iter()
                            .map(|f| f.filter().to_owned())
                            .collect(),
                    })
                    .collect(),
            })
        });
    (repos, scanning)
}

async fn repositories(client: &Client, ctx: &Ctx) -> Listing<Repository> {
    let (listing, _) = paginate!(
        ctx,
        Api::EcrDescribeRepositories,
        client.describe_repositories().into_paginator(),
        |out, call| out.repositories().iter().map(|r| Repository {
            name: r.repository_name().unwrap_or_default().to_owned(),
            arn: r.repository_arn().unwrap_or_default().to_owned(),
            scan_on_push: r
                .image_scanning_configuration()
                .is_some_and(aws_sdk_ecr::types::ImageScanningConfiguration::scan_on_push),
            tag_mutability: name(r.image_tag_mutability()),
            encryption_type: r
                .encryption_configuration()
                .map(|e| e.encryption_type().as_str().to_owned())
                .unwrap_or_default(),
            kms_key: r
                .encryption_configuration()
                .and_then(|e| e.kms_key())
                .map(str::to_owned),
            call: call.clone(),
        })
    );
    listing
}
