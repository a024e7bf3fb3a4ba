//! The account's infrastructure beyond RDS and S3 ([`checks::facts::aws_infra`]): CloudTrail
//! once (in the home region), and per audited region EC2 networking, GuardDuty, KMS keys,
//! secrets, log groups and alarms, all side by side under the shared in-flight limit.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use checks::facts::aws::Listing;
use checks::facts::aws_infra::{Infra, InfraRegion};
use checks::settings::AwsTarget;

use super::collector::{Ctx, spawn_all};
use super::{client, cloudtrail, ec2, guardduty, kms, logs, secrets};

pub(crate) async fn account(
    target: AwsTarget,
    home: SdkConfig,
    home_region: String,
    regions: Vec<String>,
    http: SharedHttpClient,
    ctx: Arc<Ctx>,
) -> Infra {
    let trails = tokio::spawn(cloudtrail::trails(
        aws_sdk_cloudtrail::Client::new(&home),
        ctx.clone(),
    ));
    let tasks: Vec<_> = regions
        .iter()
        .map(|r| {
            let (target, http, ctx, r) = (target.clone(), http.clone(), ctx.clone(), r.clone());
            async move {
                let conf = client::load(&target, Some(&r), http).await;
                region(conf, r, ctx).await
            }
        })
        .collect();
    let names = regions.clone();
    let regions = spawn_all(tasks, |i, cause| lost_region(&names[i], &cause)).await;
    let trails = trails
        .await
        .unwrap_or_else(|e| Listing::failed(format!("the CloudTrail collector failed: {e}")));
    Infra {
        trail_region: home_region,
        trails,
        regions,
    }
}

async fn region(conf: SdkConfig, name: String, ctx: Arc<Ctx>) -> InfraRegion {
    ctx.note(format!("network, keys and logs {name}"));
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    // One join: every listing of the region is asked for at once.
    let mut region = InfraRegion {
        name,
        ..InfraRegion::default()
    };
    (
        region.subnets,
        region.route_tables,
        region.internet_gateways,
        region.nat_gateways,
        region.security_groups,
        region.rds_network_interfaces,
        region.flow_logs,
        region.guardduty_detectors,
        region.kms_keys,
        region.secrets,
        region.log_groups,
        region.alarms,
    ) = tokio::join!(
        ec2::subnets(&ec2, &ctx),
        ec2::route_tables(&ec2, &ctx),
        ec2::internet_gateways(&ec2, &ctx),
        ec2::nat_gateways(&ec2, &ctx),
        ec2::security_groups(&ec2, &ctx),
        ec2::rds_network_interfaces(&ec2, &ctx),
        ec2::flow_logs(&ec2, &ctx),
        guardduty::detectors(aws_sdk_guardduty::Client::new(&conf), ctx.clone()),
        kms::keys(aws_sdk_kms::Client::new(&conf), ctx.clone()),
        secrets::secrets(aws_sdk_secretsmanager::Client::new(&conf), ctx.clone()),
        logs::log_groups(aws_sdk_cloudwatchlogs::Client::new(&conf), ctx.clone()),
        logs::alarms(aws_sdk_cloudwatch::Client::new(&conf), ctx.clone()),
    );
    region
}

/// A region whose collector task died: every listing is an error, so nothing passes.
fn lost_region(name: &str, cause: &str) -> InfraRegion {
    fn failed<T>(cause: &str) -> Listing<T> {
        Listing::failed(cause)
    }
    InfraRegion {
        name: name.to_owned(),
        subnets: failed(cause),
        route_tables: failed(cause),
        internet_gateways: failed(cause),
        nat_gateways: failed(cause),
        security_groups: failed(cause),
        rds_network_interfaces: failed(cause),
        flow_logs: failed(cause),
        guardduty_detectors: failed(cause),
        kms_keys: failed(cause),
        secrets: failed(cause),
        log_groups: failed(cause),
        alarms: failed(cause),
    }
}
