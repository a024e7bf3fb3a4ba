use std::collections::BTreeMap;

use serde_json::json;

use super::aws_infra_shared::db_instances_with_infra;
use super::aws_shared::listing_error;
use crate::facts::aws::{Account, DbInstance};
use crate::facts::aws_infra::InfraRegion;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct VpcFlowLogs;

impl Rule for VpcFlowLogs {
    const META: Meta = Meta {
        id: "vpc-flow-logs",
        title: "Every VPC with a database records flow logs",
        severity: Severity::Medium,
        controls: &["LOG-02"],
        source: Source::Aws,
        docs: r#"
## Why
Flow logs record which addresses talked to which on which port, accepted or rejected. After an
incident they are the record of who reached the database network; without them "network flow
logs are captured" is a promise nobody can check.

## What is judged
Every VPC holding a DB instance (from its DB subnet group) must have a VPC-level flow log that
is `ACTIVE` and not failing delivery (`DeliverLogsStatus` other than `FAILED`). Subnet- or
interface-level flow logs do not cover the whole VPC and are not counted. The subject is the
VPC id. A DB instance whose VPC is unknown, or a failed flow-log listing, is an `error`.

## How to fix
`aws ec2 create-flow-logs --resource-type VPC --resource-ids VPC --traffic-type ALL
--log-destination-type s3 --log-destination arn:aws:s3:::BUCKET` (or CloudWatch Logs).

## Evidence
The VPC, the databases in it, and its flow logs (traffic type, destination, status), with the
request id of `ec2:DescribeFlowLogs`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (account, infra, dbs) in db_instances_with_infra(cx, out) {
            let mut vpcs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for db in dbs {
                match db.vpc_id.as_deref() {
                    Some(vpc) if !vpc.is_empty() => {
                        vpcs.entry(vpc).or_default().push(&db.identifier);
                    }
                    _ => unknown_vpc(db, out),
                }
            }
            if vpcs.is_empty()
                || listing_error(
                    account,
                    &infra.name,
                    "ec2",
                    "VPC flow logs",
                    &infra.flow_logs,
                    out,
                )
            {
                continue;
            }
            for (vpc, dbs) in vpcs {
                judge(account, infra, vpc, &dbs, out);
            }
        }
    }
}

fn unknown_vpc(db: &DbInstance, out: &mut Findings) {
    out.error(
        db.identifier.clone(),
        Location::arn(db.arn.clone()),
        "DescribeDBInstances gave no VPC for the DB instance, so its flow logs cannot be judged",
        json!({ "identifier": db.identifier, "call": db.call }),
    );
}

fn judge(account: &Account, infra: &InfraRegion, vpc: &str, dbs: &[&str], out: &mut Findings) {
    let at = Location::aws(
        &account.partition,
        "ec2",
        &infra.name,
        &account.account_id,
        &format!("vpc/{vpc}"),
    );
    let logs: Vec<_> = infra
        .flow_logs
        .items
        .iter()
        .filter(|f| f.resource_id == vpc)
        .collect();
    let working: Vec<_> = logs
        .iter()
        .filter(|f| f.status == "ACTIVE" && f.deliver_status.as_deref() != Some("FAILED"))
        .collect();
    let ev = json!({ "vpc_id": vpc, "databases": dbs, "flow_logs": logs });
    let subject = vpc.to_owned();
    match (working.first(), logs.is_empty()) {
        (Some(f), _) => out.pass(
            subject,
            at,
            format!(
                "VPC flow log {} captures {} traffic to {}",
                f.id,
                f.traffic_type,
                f.destination.as_deref().unwrap_or(&f.destination_type)
            ),
            ev,
        ),
        (None, true) => out.fail(
            subject,
            at,
            format!(
                "the VPC of {} has no flow log: its network traffic is not recorded",
                dbs.join(", ")
            ),
            ev,
        ),
        (None, false) => out.fail(
            subject,
            at,
            format!(
                "the VPC's flow logs are not working ({}): its network traffic is not recorded",
                logs.iter()
                    .map(|f| format!(
                        "{} {} delivery {}",
                        f.id,
                        f.status,
                        f.deliver_status.as_deref().unwrap_or("unknown")
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ev,
        ),
    }
}
