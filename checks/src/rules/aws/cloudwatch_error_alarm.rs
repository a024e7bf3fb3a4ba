use serde_json::json;

use super::aws_infra_shared::{infra_regions, region_arn, region_subject};
use super::aws_shared::listing_error;
use crate::facts::aws_infra::Alarm;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct CloudwatchErrorAlarm;

impl Rule for CloudwatchErrorAlarm {
    const META: Meta = Meta {
        id: "cloudwatch-error-alarm",
        title: "A CloudWatch alarm with an action watches the error rate (informational)",
        severity: Severity::Info,
        controls: &["THR-01"],
        source: Source::Aws,
        docs: r#"
## Why
"An alarm fires when the error rate crosses a threshold" needs an alarm on an error metric
that notifies someone. It is informational: which metric reflects errors depends on the
architecture, and alerting may live outside CloudWatch.

## What is judged
In each audited region, the metric alarms (`cloudwatch:DescribeAlarms`): the region passes
when an alarm watches one of `[aws] error_alarm_metrics` (by default
`HTTPCode_Target_5XX_Count`, `HTTPCode_ELB_5XX_Count`, `5XXError`, `5xxErrorRate`, `Errors`),
directly or inside metric math, with actions enabled and at least one alarm action. The
subject is `ACCOUNT/REGION`. A failed listing is an `error`.

## How to fix
`aws cloudwatch put-metric-alarm --metric-name HTTPCode_Target_5XX_Count --namespace
AWS/ApplicationELB ... --alarm-actions SNS_TOPIC_ARN`.

## Evidence
The matching alarms (metric, actions), with the request id of `DescribeAlarms`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let metrics = &cx.options.aws.error_alarm_metrics;
        for (account, infra) in infra_regions(cx, out, "cloudwatch") {
            if listing_error(
                account,
                &infra.name,
                "cloudwatch",
                "CloudWatch alarms",
                &infra.alarms,
                out,
            ) {
                continue;
            }
            let subject = region_subject(account, &infra.name);
            let watching: Vec<&Alarm> = infra
                .alarms
                .items
                .iter()
                .filter(|a| watches(a, metrics))
                .collect();
            let firing = watching
                .iter()
                .find(|a| a.actions_enabled && !a.alarm_actions.is_empty());
            let ev = json!({ "region": infra.name, "error_alarm_metrics": metrics,
                             "alarms_on_error_metrics": watching });
            match firing {
                Some(a) => out.pass(
                    subject,
                    Location::arn(a.arn.clone()),
                    format!(
                        "alarm {} watches {} and notifies {}",
                        a.name,
                        a.metric_name
                            .as_deref()
                            .unwrap_or("a metric-math expression"),
                        a.alarm_actions.join(", ")
                    ),
                    ev,
                ),
                None if watching.is_empty() => out.fail(
                    subject,
                    region_arn(account, "cloudwatch", &infra.name, "alarm:*"),
                    format!(
                        "no CloudWatch alarm in {} watches an error metric ({})",
                        infra.name,
                        metrics.join(", ")
                    ),
                    ev,
                ),
                None => out.fail(
                    subject,
                    region_arn(account, "cloudwatch", &infra.name, "alarm:*"),
                    format!(
                        "alarms on error metrics notify nobody (actions disabled or none): {}",
                        watching
                            .iter()
                            .map(|a| a.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ev,
                ),
            }
        }
    }
}

fn watches(alarm: &Alarm, metrics: &[String]) -> bool {
    alarm
        .metric_name
        .iter()
        .chain(&alarm.metrics)
        .any(|m| metrics.contains(m))
}
