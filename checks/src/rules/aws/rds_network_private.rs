use serde_json::{Value, json};

use super::aws_infra_shared::db_instances_with_infra;
use super::aws_shared::{evidence, public_address_problem};
use crate::facts::aws::DbInstance;
use crate::facts::aws_infra::{InfraRegion, RouteTable};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source, Status};

pub struct RdsNetworkPrivate;

impl Rule for RdsNetworkPrivate {
    const META: Meta = Meta {
        id: "rds-network-private",
        title: "RDS instances sit in private subnets and have no public address",
        severity: Severity::High,
        controls: &["NET-01"],
        source: Source::Aws,
        docs: r#"
## Why
"The database is in a private subnet with no public IP" is two facts: the instance has no
public address, and no subnet it can be placed in routes to an internet gateway. A private
instance in a public subnet is one `--publicly-accessible` away from the internet, and RDS may
move it to any subnet of its DB subnet group on failover or maintenance.

## What is judged
Every DB instance (Aurora members included): `PubliclyAccessible` must be false, and every
subnet of its DB subnet group must use a route table (its explicit association, else the VPC's
main table) with no active route to an internet gateway (`igw-…`). Routes to NAT gateways or
egress-only internet gateways are outbound only and are accepted. A subnet whose route table
cannot be found, or route tables that could not be listed, make the verdict `error`.

## How to fix
Move the instance to a DB subnet group whose subnets route to the internet only through a
NAT gateway (or not at all), and `aws rds modify-db-instance --no-publicly-accessible`.

## Evidence
For each subnet: the route table that serves it (and whether explicitly associated) and the
offending internet-gateway routes, with the request ids of `ec2:DescribeRouteTables` and
`rds:DescribeDBInstances`. Also the RDS network interfaces (`ec2:DescribeNetworkInterfaces`,
description `RDSNetworkInterface`) in the instance's subnets that carry one of its security
groups, with their private and any public address: where the instance's addresses actually
live. They are evidence, not the verdict: RDS does not name the instance on its interfaces,
so another instance sharing the subnets and groups could not be told apart.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for (_, infra, dbs) in db_instances_with_infra(cx, out) {
            for db in dbs {
                judge(db, infra, out);
            }
        }
    }
}

/// Why the instance is not judged by its subnets' routes, as the status and message of its
/// finding: a public address, or subnets or route tables that were not read.
fn unjudgeable(db: &DbInstance, infra: &InfraRegion) -> Option<(Status, String)> {
    if let Some((status, message)) = public_address_problem(db) {
        return Some((status, message.to_owned()));
    }
    if db.subnets.is_empty() {
        return Some((
            Status::Error,
            "DescribeDBInstances gave no DB subnet group subnets, so the network cannot be judged"
                .to_owned(),
        ));
    }
    let cause = infra.route_tables.failure()?;
    Some((
        Status::Error,
        format!("route tables could not be listed: {cause}"),
    ))
}

fn judge(db: &DbInstance, infra: &InfraRegion, out: &mut Findings) {
    let id = db.identifier.clone();
    let at = Location::arn(db.arn.clone());
    let base = super::aws_shared::merged(
        json!({ "identifier": db.identifier, "publicly_accessible": db.publicly_accessible,
                "vpc_id": db.vpc_id, "subnets": db.subnets }),
        interfaces(db, infra),
    );
    if let Some((status, message)) = unjudgeable(db, infra) {
        return out.push(status, id, at, message, evidence(base, Some(&db.call)));
    }
    let mut public = Vec::new();
    let mut unknown = Vec::new();
    let mut served = Vec::new();
    for subnet in &db.subnets {
        match route_table_of(subnet, db.vpc_id.as_deref(), infra) {
            None => unknown.push(subnet.clone()),
            Some((table, explicit)) => {
                let igw: Vec<Value> = table
                    .routes
                    .iter()
                    .filter(|r| r.target.starts_with("igw-") && r.state != "blackhole")
                    .map(|r| json!({ "destination": r.destination, "target": r.target }))
                    .collect();
                let entry = json!({ "subnet": subnet, "route_table": table.id,
                                    "explicit_association": explicit, "internet_gateway_routes": igw,
                                    "call": table.call });
                if !igw.is_empty() {
                    public.push(format!(
                        "{subnet} (route table {}: {} -> {})",
                        table.id,
                        igw[0]["destination"].as_str().unwrap_or_default(),
                        igw[0]["target"].as_str().unwrap_or_default()
                    ));
                }
                served.push(entry);
            }
        }
    }
    let ev = evidence(
        super::aws_shared::merged(base, json!({ "route_tables": served })),
        Some(&db.call),
    );
    if !public.is_empty() {
        out.fail(
            id,
            at,
            format!(
                "DB instance can be placed in a public subnet: {} routes to an internet gateway",
                public.join(", ")
            ),
            ev,
        );
    } else if !unknown.is_empty() {
        out.error(
            id,
            at,
            format!(
                "no route table found for subnet {} of the DB subnet group",
                unknown.join(", ")
            ),
            ev,
        );
    } else {
        out.pass(
            id,
            at,
            "DB instance is not publicly accessible and no subnet of its DB subnet group routes to an internet gateway",
            ev,
        );
    }
}

/// Evidence only: the RDS network interfaces that can be this instance's (RDS does not name the
/// instance on them: those in its subnets carrying one of its security groups), with their
/// private and public addresses. `PubliclyAccessible` and the routes decide the verdict; an
/// interface of another instance sharing the subnets and groups would be indistinguishable.
fn interfaces(db: &DbInstance, infra: &InfraRegion) -> Value {
    if let Some(cause) = infra.rds_network_interfaces.failure() {
        return json!({ "network_interfaces_error": cause });
    }
    let mine: Vec<Value> = infra
        .rds_network_interfaces
        .items
        .iter()
        .filter(|n| db.subnets.contains(&n.subnet_id))
        .filter(|n| {
            n.security_groups
                .iter()
                .any(|g| db.security_groups.contains(g))
        })
        .map(|n| {
            json!({ "id": n.id, "subnet": n.subnet_id, "private_ip": n.private_ip,
                    "public_ip": n.public_ip, "call": n.call })
        })
        .collect();
    json!({ "network_interfaces": mine })
}

/// The route table serving a subnet: its explicit association, else the main table of its VPC
/// (from the subnet listing, else the DB subnet group's VPC). The flag says which.
fn route_table_of<'a>(
    subnet: &str,
    db_vpc: Option<&str>,
    infra: &'a InfraRegion,
) -> Option<(&'a RouteTable, bool)> {
    let tables = &infra.route_tables.items;
    if let Some(t) = tables
        .iter()
        .find(|t| t.subnets.iter().any(|s| s == subnet))
    {
        return Some((t, true));
    }
    let vpc = infra
        .subnets
        .items
        .iter()
        .find(|s| s.id == subnet)
        .map(|s| s.vpc_id.as_str())
        .or(db_vpc)?;
    tables
        .iter()
        .find(|t| t.main && t.vpc_id == vpc)
        .map(|t| (t, false))
}
