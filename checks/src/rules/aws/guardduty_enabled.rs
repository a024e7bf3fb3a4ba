use serde_json::json;

use super::aws_infra_shared::{infra_regions, region_arn, region_subject};
use super::aws_shared::listing_error;
use crate::facts::aws::Read;
use crate::model::{Context, Findings, Meta, Rule, Severity, Source};

pub struct GuarddutyEnabled;

impl Rule for GuarddutyEnabled {
    const META: Meta = Meta {
        id: "guardduty-enabled",
        title: "GuardDuty threat detection is enabled in every audited region",
        severity: Severity::High,
        controls: &["THR-01"],
        source: Source::Aws,
        docs: r#"
## Why
"Continuous threat detection is enabled" is a per-region fact: GuardDuty analyses CloudTrail,
VPC flow and DNS logs of the region its detector lives in. A region without an enabled detector
is a region where credential misuse, crypto-mining or exfiltration goes unnoticed.

## What is judged
In each audited region, `guardduty:ListDetectors` and `GetDetector`: the region passes when a
detector's status is `ENABLED`. No detector, or only disabled ones, fails. A failed listing, or
a detector whose status could not be read while none is known to be enabled, is an `error`.
The subject is `ACCOUNT/REGION`.

## How to fix
`aws guardduty create-detector --enable --region REGION` (or enable it for the organisation
from the delegated administrator).

## Evidence
The detectors and their statuses, with the request ids of `ListDetectors` and `GetDetector`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (account, infra) in infra_regions(cx, out, "guardduty") {
            let detectors = &infra.guardduty_detectors;
            if listing_error(
                account,
                &infra.name,
                "guardduty",
                "GuardDuty detectors",
                detectors,
                out,
            ) {
                continue;
            }
            let subject = region_subject(account, &infra.name);
            let ev = json!({ "region": infra.name, "detectors": detectors.items });
            let enabled = detectors
                .items
                .iter()
                .find(|d| matches!(&d.status, Read::Value { value, .. } if value == "ENABLED"));
            let unreadable: Vec<String> = detectors
                .items
                .iter()
                .filter_map(|d| match &d.status {
                    Read::Value { .. } => None,
                    Read::Error { message, .. } => Some(format!("{}: {message}", d.id)),
                    Read::Absent { code, .. } => Some(format!("{}: {code}", d.id)),
                    Read::NotRead => Some(format!("{}: status not read", d.id)),
                })
                .collect();
            if let Some(d) = enabled {
                out.pass(
                    subject,
                    region_arn(
                        account,
                        "guardduty",
                        &infra.name,
                        &format!("detector/{}", d.id),
                    ),
                    format!("GuardDuty detector {} is ENABLED", d.id),
                    ev,
                );
            } else if !unreadable.is_empty() {
                out.error(
                    subject,
                    region_arn(account, "guardduty", &infra.name, "detector/*"),
                    format!(
                        "GuardDuty detector status could not be read: {}",
                        unreadable.join("; ")
                    ),
                    ev,
                );
            } else if detectors.items.is_empty() {
                out.fail(
                    subject,
                    region_arn(account, "guardduty", &infra.name, "detector/*"),
                    format!(
                        "{} has no GuardDuty detector: threats there go undetected",
                        infra.name
                    ),
                    ev,
                );
            } else {
                out.fail(
                    subject,
                    region_arn(account, "guardduty", &infra.name, "detector/*"),
                    format!(
                        "every GuardDuty detector in {} is disabled ({})",
                        infra.name,
                        detectors
                            .items
                            .iter()
                            .map(|d| d.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ev,
                );
            }
        }
    }
}
