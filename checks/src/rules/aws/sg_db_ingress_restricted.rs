use serde_json::json;

use super::aws_infra_shared::db_instances_with_infra;
use super::aws_shared::{evidence, merged};
use crate::facts::aws::DbInstance;
use crate::facts::aws_infra::{InfraRegion, Permission};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct SgDbIngressRestricted;

impl Rule for SgDbIngressRestricted {
    const META: Meta = Meta {
        id: "sg-db-ingress-restricted",
        title: "Database security groups admit the database port only from the application",
        severity: Severity::High,
        controls: &["NET-01"],
        source: Source::Aws,
        docs: r#"
## Why
"The database is reachable only from the application's security group on the database port"
is a statement about the inbound rules of the database's security groups. A rule admitting
the port from `0.0.0.0/0` or `::/0` leaves only the subnet routing between the database and
the internet; any other source is one more path to the data.

## What is judged
For every DB instance (Aurora members included), every inbound rule of each of its VPC
security groups that covers its port (TCP with the port in range, or all traffic `-1`):
- a source of `0.0.0.0/0` or `::/0` fails;
- when `[aws] app_security_groups` is set, any source other than those groups fails (CIDR
  ranges, prefix lists, other security groups, the database's own group included).
A security group that was not found, an instance without a recorded port or security group,
or a failed listing is an `error`.

## How to fix
Remove the open rules (`aws ec2 revoke-security-group-ingress`) and admit the port from the
application's security group only (`--source-group sg-…`).

## Evidence
The port, each security group and the offending rules, with the request ids of
`ec2:DescribeSecurityGroups` and `rds:DescribeDBInstances`.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let app = &cx.options.aws.app_security_groups;
        for (_, infra, dbs) in db_instances_with_infra(cx, out) {
            for db in dbs {
                judge(db, infra, app, out);
            }
        }
    }
}

/// The database's port, once its security groups can be judged; else why they cannot.
fn judged_port(db: &DbInstance, infra: &InfraRegion) -> Result<i32, String> {
    let Some(port) = db.port else {
        return Err("DescribeDBInstances gave no port, so the rules cannot be judged".to_owned());
    };
    if db.security_groups.is_empty() {
        return Err("DescribeDBInstances gave no VPC security group".to_owned());
    }
    if let Some(cause) = infra.security_groups.failure() {
        return Err(format!("security groups could not be listed: {cause}"));
    }
    Ok(port)
}

fn judge(db: &DbInstance, infra: &InfraRegion, app: &[String], out: &mut Findings) {
    let id = db.identifier.clone();
    let at = Location::arn(db.arn.clone());
    let base = json!({ "identifier": db.identifier, "port": db.port,
                       "security_groups": db.security_groups, "app_security_groups": app });
    let port = match judged_port(db, infra) {
        Ok(port) => port,
        Err(why) => return out.error(id, at, why, evidence(base, Some(&db.call))),
    };
    let mut offending = Vec::new();
    let mut judged = Vec::new();
    for sg_id in &db.security_groups {
        let Some(sg) = infra.security_groups.items.iter().find(|g| &g.id == sg_id) else {
            return out.error(
                id,
                at,
                format!("security group {sg_id} was not found in DescribeSecurityGroups"),
                evidence(base, Some(&db.call)),
            );
        };
        let rules: Vec<&Permission> = sg.ingress.iter().filter(|p| covers(p, port)).collect();
        for rule in &rules {
            offending.extend(
                bad_sources(rule, app)
                    .into_iter()
                    .map(|s| format!("{sg_id} admits port {port} from {s}")),
            );
        }
        judged.push(
            json!({ "id": sg.id, "name": sg.name, "rules_covering_port": rules,
                            "call": sg.call }),
        );
    }
    let ev = evidence(
        merged(base, json!({ "judged": judged, "offending": offending })),
        Some(&db.call),
    );
    if offending.is_empty() {
        let whom = if app.is_empty() {
            "no open source (0.0.0.0/0, ::/0)".to_owned()
        } else {
            format!("only {}", app.join(", "))
        };
        out.pass(
            id,
            at,
            format!("the security groups admit port {port} from {whom}"),
            ev,
        );
    } else {
        out.fail(id, at, offending.join("; "), ev);
    }
}

/// Whether an inbound rule covers the TCP port.
fn covers(rule: &Permission, port: i32) -> bool {
    match rule.protocol.as_str() {
        "-1" | "all" => true,
        "tcp" | "6" => {
            let from = rule.from_port.unwrap_or(0);
            let to = rule.to_port.unwrap_or(65535);
            // -1 means every port for TCP rules given that way.
            (from == -1 && to == -1) || (from <= port && port <= to)
        }
        _ => false,
    }
}

/// The sources of a rule the claim does not allow.
fn bad_sources(rule: &Permission, app: &[String]) -> Vec<String> {
    let open = |c: &String| c == "0.0.0.0/0" || c == "::/0";
    let cidrs = rule.ipv4_ranges.iter().chain(&rule.ipv6_ranges);
    if app.is_empty() {
        return cidrs.filter(|c| open(c)).cloned().collect();
    }
    let mut bad: Vec<String> = cidrs.cloned().collect();
    bad.extend(rule.prefix_lists.iter().map(|p| format!("prefix list {p}")));
    bad.extend(
        rule.groups
            .iter()
            .filter(|g| !app.contains(g))
            .map(|g| format!("security group {g}")),
    );
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, from: i32, to: i32) -> Permission {
        Permission {
            protocol: protocol.to_owned(),
            from_port: Some(from),
            to_port: Some(to),
            ipv4_ranges: vec!["0.0.0.0/0".to_owned()],
            groups: vec!["sg-app".to_owned(), "sg-other".to_owned()],
            ..Permission::default()
        }
    }

    #[test]
    fn port_ranges_and_all_traffic_cover_the_port() {
        assert!(covers(&rule("tcp", 5432, 5432), 5432));
        assert!(covers(&rule("tcp", 0, 65535), 5432));
        assert!(covers(&rule("-1", -1, -1), 5432));
        assert!(!covers(&rule("tcp", 22, 22), 5432));
        assert!(!covers(&rule("udp", 0, 65535), 5432));
    }

    #[test]
    fn with_app_groups_every_other_source_is_bad() {
        let r = rule("tcp", 5432, 5432);
        assert_eq!(bad_sources(&r, &[]), vec!["0.0.0.0/0"]);
        assert_eq!(
            bad_sources(&r, &["sg-app".to_owned()]),
            vec!["0.0.0.0/0", "security group sg-other"]
        );
    }
}
