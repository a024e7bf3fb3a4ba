//! GuardDuty in one region: the detectors and the status of each.

use std::sync::Arc;

use aws_sdk_guardduty::Client;
use checks::facts::aws::{Call, Listing, Read};
use checks::facts::aws_infra::Detector;

use super::calls::Api;
use super::collector::{Ctx, paginate, spawn_all};

pub(crate) async fn detectors(client: Client, ctx: Arc<Ctx>) -> Listing<Detector> {
    let (mut listing, _) = paginate!(
        ctx,
        Api::GuardDutyListDetectors,
        client.list_detectors().into_paginator(),
        |out, call| out.detector_ids().iter().map(|id| Detector {
            id: id.clone(),
            call: call.clone(),
            status: Read::NotRead,
        })
    );
    let tasks: Vec<_> = listing
        .items
        .iter()
        .map(|d| {
            let (client, ctx, id) = (client.clone(), ctx.clone(), d.id.clone());
            async move {
                ctx.call(
                    Api::GuardDutyGetDetector,
                    client.get_detector().detector_id(id).send(),
                )
                .await
                .read_some(&[], "detector status", |out| {
                    out.status().map(|s| s.as_str().to_owned())
                })
            }
        })
        .collect();
    let statuses = spawn_all(tasks, |_, cause| Read::Error {
        message: cause,
        call: Call::default(),
    })
    .await;
    for (d, status) in listing.items.iter_mut().zip(statuses) {
        d.status = status;
    }
    listing
}
