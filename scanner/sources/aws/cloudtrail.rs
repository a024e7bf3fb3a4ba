//! CloudTrail: the trails visible in one region (multi-region trails of every home region are
//! listed there), each with its logging status and event selectors.

use std::sync::Arc;

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types as ct;
use checks::facts::aws::{Call, Listing, Read};
use checks::facts::aws_infra::{
    AdvancedSelector, BasicSelector, EventSelectors, FieldSelector, Trail,
};

use super::calls::Api;
use super::collector::{Ctx, s, spawn_all};

pub(crate) async fn trails(client: Client, ctx: Arc<Ctx>) -> Listing<Trail> {
    let answer = ctx
        .call(
            Api::CloudTrailDescribeTrails,
            client.describe_trails().include_shadow_trails(true).send(),
        )
        .await;
    let call = answer.call;
    let listed = match answer.result {
        Ok(out) => out
            .trail_list()
            .iter()
            .map(|t| trail(t, &call))
            .collect::<Vec<_>>(),
        Err(f) => {
            return Listing::failed(f.message);
        }
    };
    let tasks: Vec<_> = listed
        .into_iter()
        .map(|t| {
            let (client, ctx) = (client.clone(), ctx.clone());
            async move { Box::pin(with_status(t, &client, &ctx)).await }
        })
        .collect();
    let items = spawn_all(tasks, |_, cause| Trail {
        logging: Read::Error {
            message: cause.clone(),
            call: Call::default(),
        },
        event_selectors: Read::Error {
            message: cause,
            call: Call::default(),
        },
        ..Trail::default()
    })
    .await;
    Listing {
        items,
        error: None,
        call: Some(call),
    }
}

fn trail(t: &ct::Trail, call: &Call) -> Trail {
    Trail {
        name: s(t.name()),
        arn: s(t.trail_arn()),
        home_region: s(t.home_region()),
        multi_region: t.is_multi_region_trail().unwrap_or(false),
        organization: t.is_organization_trail().unwrap_or(false),
        log_file_validation: t.log_file_validation_enabled().unwrap_or(false),
        kms_key_id: t.kms_key_id().map(str::to_owned),
        call: call.clone(),
        logging: Read::NotRead,
        event_selectors: Read::NotRead,
    }
}

/// GetTrailStatus and GetEventSelectors, by ARN (a shadow trail's home is another region).
async fn with_status(mut t: Trail, client: &Client, ctx: &Ctx) -> Trail {
    let status = ctx.call(
        Api::CloudTrailGetTrailStatus,
        client.get_trail_status().name(&t.arn).send(),
    );
    let selectors = ctx.call(
        Api::CloudTrailGetEventSelectors,
        client.get_event_selectors().trail_name(&t.arn).send(),
    );
    let (status, selectors) = tokio::join!(status, selectors);
    t.logging = status.read_some(&[], "IsLogging", |out| out.is_logging());
    t.event_selectors = selectors.read(&[], |out| EventSelectors {
        basic: out.event_selectors().iter().map(basic).collect(),
        advanced: out
            .advanced_event_selectors()
            .iter()
            .map(advanced)
            .collect(),
    });
    t
}

fn basic(e: &ct::EventSelector) -> BasicSelector {
    BasicSelector {
        read_write_type: e
            .read_write_type()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        include_management_events: e.include_management_events().unwrap_or(false),
    }
}

fn advanced(a: &ct::AdvancedEventSelector) -> AdvancedSelector {
    AdvancedSelector {
        name: a.name().map(str::to_owned),
        fields: a
            .field_selectors()
            .iter()
            .map(|f| FieldSelector {
                field: f.field().to_owned(),
                equals: f.equals().to_vec(),
                not_equals: f.not_equals().to_vec(),
                starts_with: f.starts_with().to_vec(),
                not_starts_with: f.not_starts_with().to_vec(),
                ends_with: f.ends_with().to_vec(),
                not_ends_with: f.not_ends_with().to_vec(),
            })
            .collect(),
    }
}
