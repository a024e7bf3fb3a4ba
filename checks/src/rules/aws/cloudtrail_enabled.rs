use serde_json::json;

use super::aws_shared::{evidence, readable_accounts};
use crate::facts::aws::{Account, Read};
use crate::facts::aws_infra::{EventSelectors, Trail};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct CloudtrailEnabled;

impl Rule for CloudtrailEnabled {
    const META: Meta = Meta {
        id: "cloudtrail-enabled",
        title: "A multi-region CloudTrail trail logs management events, validated and KMS-encrypted",
        severity: Severity::High,
        controls: &["LOG-02"],
        source: Source::Aws,
        docs: r#"
## Why
"Management-plane activity is captured" means every API call that changes the account (IAM,
security groups, databases, keys) is recorded in every region, in files whose integrity can be
proven and that only key holders can read. Without a multi-region trail, activity in an unused
region (a favourite place for an intruder) goes unrecorded.

## What is judged
Per account, the trails listed by `DescribeTrails` in the first audited region (multi-region
trails of every home region are listed there). The account passes when one trail is
multi-region, is logging (`GetTrailStatus` `IsLogging`), has log file validation on, is
encrypted with a KMS key, and selects all management events (`GetEventSelectors`: a basic
selector with `ReadWriteType` `All` and management events included, or an advanced selector on
`eventCategory = Management` without a `readOnly` restriction). Otherwise it fails, naming
what each trail lacks; when a trail lacking nothing else could not be read completely the
verdict is `error`.

## How to fix
`aws cloudtrail create-trail --name audit --s3-bucket-name BUCKET --is-multi-region-trail
--enable-log-file-validation --kms-key-id KEY`, then `aws cloudtrail start-logging --name audit`.

## Evidence
Each trail's settings and what it lacks, with the request ids of `DescribeTrails`,
`GetTrailStatus` and `GetEventSelectors`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for account in readable_accounts(cx, out) {
            judge(account, out);
        }
    }
}

/// What one trail lacks (`missing`) and what could not be read (`unknown`).
struct Shortfalls {
    missing: Vec<String>,
    unknown: Vec<String>,
}

fn shortfalls(trail: &Trail) -> Shortfalls {
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    if !trail.multi_region {
        missing.push("it is single-region".to_owned());
    }
    match &trail.logging {
        Read::Value { value: true, .. } => {}
        Read::Value { value: false, .. } => missing.push("logging is stopped".to_owned()),
        Read::Error { message, .. } => unknown.push(format!("status: {message}")),
        Read::Absent { code, .. } => unknown.push(format!("status: {code}")),
        Read::NotRead => unknown.push("status was not read".to_owned()),
    }
    if !trail.log_file_validation {
        missing.push("log file validation is off".to_owned());
    }
    if trail.kms_key_id.as_deref().is_none_or(str::is_empty) {
        missing.push("it is not KMS-encrypted".to_owned());
    }
    match &trail.event_selectors {
        Read::Value { value, .. } if all_management_events(value) => {}
        Read::Value { .. } => {
            missing.push("its event selectors do not select all management events".to_owned());
        }
        Read::Error { message, .. } => unknown.push(format!("event selectors: {message}")),
        Read::Absent { code, .. } => unknown.push(format!("event selectors: {code}")),
        Read::NotRead => unknown.push("event selectors were not read".to_owned()),
    }
    Shortfalls { missing, unknown }
}

/// Whether the selectors record every management event, read and write.
pub(crate) fn all_management_events(selectors: &EventSelectors) -> bool {
    let basic = selectors
        .basic
        .iter()
        .any(|s| s.include_management_events && s.read_write_type == "All");
    let advanced = selectors.advanced.iter().any(|s| {
        let management = s
            .fields
            .iter()
            .any(|f| f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management"));
        let restricted = s.fields.iter().any(|f| f.field == "readOnly");
        management && !restricted
    });
    basic || advanced
}

fn judge(account: &Account, out: &mut Findings) {
    let subject = account.account_id.clone();
    let any_trail = Location::aws(
        &account.partition,
        "cloudtrail",
        &account.infra.trail_region,
        &account.account_id,
        "trail/*",
    );
    let trails = &account.infra.trails;
    if let Some(cause) = trails.failure() {
        return out.error(
            subject,
            any_trail,
            format!("CloudTrail trails could not be listed: {cause}"),
            json!({ "target": account.target, "error": cause }),
        );
    }
    if account.infra.trail_region.is_empty() {
        return out.error(
            subject,
            any_trail,
            "CloudTrail trails were not collected",
            json!({ "target": account.target }),
        );
    }
    let mut judged = Vec::new();
    let mut blocked_by_unknown = false;
    for trail in &trails.items {
        let s = shortfalls(trail);
        let ev = json!({ "name": trail.name, "arn": trail.arn, "home_region": trail.home_region,
            "multi_region": trail.multi_region, "log_file_validation": trail.log_file_validation,
            "kms_key_id": trail.kms_key_id, "logging": trail.logging,
            "event_selectors": trail.event_selectors, "lacks": s.missing, "unreadable": s.unknown });
        if s.missing.is_empty() && s.unknown.is_empty() {
            return out.pass(
                subject,
                Location::arn(trail.arn.clone()),
                format!(
                    "trail {} is multi-region, logging all management events, with log file validation and KMS encryption",
                    trail.name
                ),
                evidence(ev, Some(&trail.call)),
            );
        }
        blocked_by_unknown |= s.missing.is_empty();
        judged.push((trail.name.clone(), s, ev));
    }
    let detail: Vec<String> = judged
        .iter()
        .map(|(name, s, _)| {
            let mut all = s.missing.clone();
            all.extend(s.unknown.iter().map(|u| format!("unreadable {u}")));
            format!("{name}: {}", all.join(", "))
        })
        .collect();
    let ev = json!({ "target": account.target, "listed_in": account.infra.trail_region,
                     "trails": judged.iter().map(|(_, _, e)| e).collect::<Vec<_>>() });
    if judged.is_empty() {
        out.fail(
            subject,
            any_trail,
            "the account has no CloudTrail trail: management-plane activity is not recorded",
            ev,
        );
    } else if blocked_by_unknown {
        out.error(
            subject,
            any_trail,
            format!("no trail could be proven complete: {}", detail.join("; ")),
            ev,
        );
    } else {
        out.fail(
            subject,
            any_trail,
            format!(
                "no multi-region, logging, validated, KMS-encrypted trail of all management events: {}",
                detail.join("; ")
            ),
            ev,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::aws_infra::{AdvancedSelector, FieldSelector};

    fn field(name: &str, equals: &[&str]) -> FieldSelector {
        FieldSelector {
            field: name.to_owned(),
            equals: equals.iter().map(|s| (*s).to_owned()).collect(),
            ..FieldSelector::default()
        }
    }

    #[test]
    fn advanced_selectors_count_only_unrestricted_management_events() {
        let all = EventSelectors {
            advanced: vec![AdvancedSelector {
                name: None,
                fields: vec![field("eventCategory", &["Management"])],
            }],
            ..EventSelectors::default()
        };
        assert!(all_management_events(&all));
        let write_only = EventSelectors {
            advanced: vec![AdvancedSelector {
                name: None,
                fields: vec![
                    field("eventCategory", &["Management"]),
                    field("readOnly", &["false"]),
                ],
            }],
            ..EventSelectors::default()
        };
        assert!(!all_management_events(&write_only));
        let data_only = EventSelectors {
            advanced: vec![AdvancedSelector {
                name: None,
                fields: vec![field("eventCategory", &["Data"])],
            }],
            ..EventSelectors::default()
        };
        assert!(!all_management_events(&data_only));
        assert!(!all_management_events(&EventSelectors::default()));
    }
}
