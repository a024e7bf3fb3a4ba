//! ELBv2 in one region: load balancers, their listeners (protocol, TLS policy, default
//! actions), the TLS policies in use, and the web ACL of each internet-facing ALB.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2::Client;
use checks::facts::aws::{Call, Listing, Read};
use checks::facts::aws_edge::{Listener, ListenerAction, LoadBalancer, SslPolicy};

use super::calls::Api;
use super::collector::{Ctx, name, paginate, s, spawn_all};

pub(crate) async fn region(
    conf: SdkConfig,
    ctx: Arc<Ctx>,
) -> (Listing<LoadBalancer>, Vec<SslPolicy>) {
    let client = Client::new(&conf);
    let waf = aws_sdk_wafv2::Client::new(&conf);
    let mut lbs = load_balancers(&client, &ctx).await;
    let tasks: Vec<_> = lbs
        .items
        .iter()
        .map(|lb| {
            let (client, waf, ctx, arn) =
                (client.clone(), waf.clone(), ctx.clone(), lb.arn.clone());
            let wants_acl = lb.kind == "application" && lb.internet_facing();
            async move {
                let listeners = listeners(&client, &ctx, &arn).await;
                let acl = if wants_acl {
                    web_acl(&waf, &ctx, &arn).await
                } else {
                    Read::NotRead
                };
                (listeners, acl)
            }
        })
        .collect();
    let reads = spawn_all(tasks, |_, cause| {
        let listeners = Read::Error {
            message: cause.clone(),
            call: Call::default(),
        };
        (
            listeners,
            Read::Error {
                message: cause,
                call: Call::default(),
            },
        )
    })
    .await;
    for (lb, (listeners, acl)) in lbs.items.iter_mut().zip(reads) {
        lb.listeners = listeners;
        lb.web_acl = acl;
    }
    let policies = ssl_policies(&client, &ctx, &lbs).await;
    (lbs, policies)
}

async fn load_balancers(client: &Client, ctx: &Ctx) -> Listing<LoadBalancer> {
    let (listing, _) = paginate!(
        ctx,
        Api::ElbDescribeLoadBalancers,
        client.describe_load_balancers().into_paginator(),
        |out, call| out.load_balancers().iter().map(|lb| LoadBalancer {
            name: s(lb.load_balancer_name()),
            arn: s(lb.load_balancer_arn()),
            kind: name(lb.r#type()),
            scheme: name(lb.scheme()),
            call: call.clone(),
            listeners: Read::NotRead,
            web_acl: Read::NotRead,
        })
    );
    listing
}

async fn listeners(client: &Client, ctx: &Ctx, arn: &str) -> Read<Vec<Listener>> {
    let (listing, last) = paginate!(
        ctx,
        Api::ElbDescribeListeners,
        client
            .describe_listeners()
            .load_balancer_arn(arn)
            .into_paginator(),
        |out, _call| out
            .listeners()
            .iter()
            .map(|l| Listener {
                arn: s(l.listener_arn()),
                port: l.port().unwrap_or_default(),
                protocol: name(l.protocol()),
                ssl_policy: l.ssl_policy().map(str::to_owned),
                default_actions: actions(l.default_actions()),
            })
            .collect::<Vec<_>>()
    );
    let call = last.unwrap_or_default();
    match listing.error {
        Some(message) => Read::Error { message, call },
        None => Read::Value {
            value: listing.items,
            call,
        },
    }
}

/// Default actions in their `Order` (AWS applies the lowest first).
fn actions(raw: &[aws_sdk_elasticloadbalancingv2::types::Action]) -> Vec<ListenerAction> {
    let mut sorted: Vec<_> = raw.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    sorted
        .into_iter()
        .map(|a| ListenerAction {
            kind: name(a.r#type()),
            redirect_protocol: a
                .redirect_config()
                .and_then(|r| r.protocol())
                .map(str::to_owned),
            redirect_status: a
                .redirect_config()
                .and_then(|r| r.status_code())
                .map(|c| c.as_str().to_owned()),
        })
        .collect()
}

async fn web_acl(waf: &aws_sdk_wafv2::Client, ctx: &Ctx, arn: &str) -> Read<Option<String>> {
    ctx.call(
        Api::WafGetWebAclForResource,
        waf.get_web_acl_for_resource().resource_arn(arn).send(),
    )
    .await
    .read(&[], |out| out.web_acl().map(|acl| acl.arn().to_owned()))
}

/// Every TLS policy a listener uses, described in one call (names are few per region). A policy
/// the answer leaves out is recorded as an error, never as "no protocols".
async fn ssl_policies(client: &Client, ctx: &Ctx, lbs: &Listing<LoadBalancer>) -> Vec<SslPolicy> {
    let names: BTreeSet<String> = lbs
        .items
        .iter()
        .filter_map(|lb| match &lb.listeners {
            Read::Value { value, .. } => Some(value),
            _ => None,
        })
        .flatten()
        .filter_map(|l| l.ssl_policy.clone())
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    let mut request = client.describe_ssl_policies();
    for name in &names {
        request = request.names(name);
    }
    let answer = ctx.call(Api::ElbDescribeSslPolicies, request.send()).await;
    let call = answer.call.clone();
    match answer.result {
        Ok(out) => names
            .into_iter()
            .map(|name| {
                let found = out
                    .ssl_policies()
                    .iter()
                    .find(|p| p.name() == Some(name.as_str()));
                let protocols = match found {
                    Some(p) => Read::Value {
                        value: p.ssl_protocols().to_vec(),
                        call: call.clone(),
                    },
                    None => Read::Error {
                        message: format!(
                            "elasticloadbalancing:DescribeSSLPolicies did not return {name}"
                        ),
                        call: call.clone(),
                    },
                };
                SslPolicy { name, protocols }
            })
            .collect(),
        Err(f) => names
            .into_iter()
            .map(|name| SslPolicy {
                name,
                protocols: Read::Error {
                    message: f.message.clone(),
                    call: call.clone(),
                },
            })
            .collect(),
    }
}
