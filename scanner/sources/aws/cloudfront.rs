//! CloudFront distributions (global): viewer protocol policy of every cache behavior, the
//! viewer certificate's minimum protocol version, and the web ACL.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_cloudfront::Client;
use checks::facts::aws::Listing;
use checks::facts::aws_edge::{CacheBehavior, Distribution};

use super::calls::Api;
use super::collector::{Ctx, paginate};

pub(crate) async fn distributions(conf: SdkConfig, ctx: Arc<Ctx>) -> Listing<Distribution> {
    let client = Client::new(&conf);
    let (listing, _) = paginate!(
        ctx,
        Api::CloudFrontListDistributions,
        client.list_distributions().into_paginator(),
        |out, call| {
            let items = out
                .distribution_list()
                .map(aws_sdk_cloudfront::types::DistributionList::items)
                .unwrap_or_default();
            items
                .iter()
                .map(|d| distribution(d, call))
                .collect::<Vec<_>>()
        }
    );
    listing
}

fn distribution(
    d: &aws_sdk_cloudfront::types::DistributionSummary,
    call: &checks::facts::aws::Call,
) -> Distribution {
    let mut behaviors = Vec::new();
    if let Some(b) = d.default_cache_behavior() {
        behaviors.push(CacheBehavior {
            path_pattern: "*".to_owned(),
            viewer_protocol_policy: b.viewer_protocol_policy().as_str().to_owned(),
        });
    }
    if let Some(list) = d.cache_behaviors() {
        behaviors.extend(list.items().iter().map(|b| CacheBehavior {
            path_pattern: b.path_pattern().to_owned(),
            viewer_protocol_policy: b.viewer_protocol_policy().as_str().to_owned(),
        }));
    }
    let cert = d.viewer_certificate();
    Distribution {
        id: d.id().to_owned(),
        arn: d.arn().to_owned(),
        domain_name: d.domain_name().to_owned(),
        enabled: d.enabled(),
        web_acl_id: d.web_acl_id().to_owned(),
        minimum_protocol_version: cert
            .and_then(|c| c.minimum_protocol_version())
            .map(|v| v.as_str().to_owned()),
        // No viewer certificate in the answer: CloudFront then uses its default one.
        cloudfront_default_certificate: cert
            .is_none_or(|c| c.cloud_front_default_certificate().unwrap_or(false)),
        behaviors,
        call: call.clone(),
    }
}
