//! CloudWatch in one region: log groups (retention, KMS key) and metric alarms.

use std::sync::Arc;

use checks::facts::aws::Listing;
use checks::facts::aws_infra::{Alarm, LogGroup};

use super::calls::Api;
use super::collector::{Ctx, paginate};

pub(crate) async fn log_groups(
    client: aws_sdk_cloudwatchlogs::Client,
    ctx: Arc<Ctx>,
) -> Listing<LogGroup> {
    paginate!(
        ctx,
        Api::LogsDescribeLogGroups,
        client.describe_log_groups().into_paginator(),
        |out, call| out.log_groups().iter().map(|g| LogGroup {
            name: g.log_group_name().unwrap_or_default().to_owned(),
            arn: g.log_group_arn().or(g.arn()).unwrap_or_default().to_owned(),
            retention_days: g.retention_in_days(),
            kms_key_id: g.kms_key_id().map(str::to_owned),
            call: call.clone(),
        })
    )
    .0
}

pub(crate) async fn alarms(client: aws_sdk_cloudwatch::Client, ctx: Arc<Ctx>) -> Listing<Alarm> {
    paginate!(
        ctx,
        Api::CloudWatchDescribeAlarms,
        client.describe_alarms().into_paginator(),
        |out, call| out.metric_alarms().iter().map(|a| Alarm {
            name: a.alarm_name().unwrap_or_default().to_owned(),
            arn: a.alarm_arn().unwrap_or_default().to_owned(),
            namespace: a.namespace().map(str::to_owned),
            metric_name: a.metric_name().map(str::to_owned),
            metrics: a
                .metrics()
                .iter()
                .filter_map(|q| q.metric_stat())
                .filter_map(|s| s.metric())
                .filter_map(|m| m.metric_name().map(str::to_owned))
                .collect(),
            actions_enabled: a.actions_enabled().unwrap_or(false),
            alarm_actions: a.alarm_actions().to_vec(),
            call: call.clone(),
        })
    )
    .0
}
