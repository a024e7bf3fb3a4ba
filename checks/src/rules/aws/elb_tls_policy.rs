use serde_json::json;

use super::aws_edge_shared::{load_balancers, read_or_error};
use crate::facts::aws_edge::{EdgeRegion, Listener, LoadBalancer};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};
use crate::resolve::TlsVersion;

pub struct ElbTlsPolicy;

impl Rule for ElbTlsPolicy {
    const META: Meta = Meta {
        id: "elb-tls-policy",
        title: "Load balancers negotiate TLS at the floor or above, and redirect HTTP to HTTPS",
        severity: Severity::High,
        controls: &["TLS-01", "APP-01"],
        source: Source::Aws,
        docs: r#"
## Why
The TLS policy of an ELBv2 listener decides which protocol versions the load balancer
accepts. The default `ELBSecurityPolicy-2016-08` still accepts TLS 1.0 and 1.1, so a page that
claims "TLS 1.2+" is false for every listener created with defaults. An internet-facing HTTP
listener that forwards instead of redirecting serves the application in clear text.

## What is judged
For every load balancer (application, network, gateway) in the audited regions:
- every `HTTPS` or `TLS` listener's policy, described with `DescribeSSLPolicies`, offers no
  protocol below `[endpoint] tls_floor` (default 1.2);
- on an internet-facing load balancer, every `HTTP` listener's first default action is a
  `redirect` to protocol `HTTPS` (a redirect that keeps `#{protocol}` keeps HTTP). Only default
  actions are judged, not path rules. Internal load balancers may serve HTTP (service meshes
  often do); that is reported in the message, not failed.
A listener or policy that could not be read is an `error`.

## How to fix
`aws elbv2 modify-listener --listener-arn ARN --ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06`;
an HTTP listener's default action `{"Type":"redirect","RedirectConfig":{"Protocol":"HTTPS",
"Port":"443","StatusCode":"HTTP_301"}}`.

## Evidence
The load balancer's type and scheme, each listener (port, protocol, policy, default actions),
the policies' protocols, and the describe calls.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let floor = cx.options.endpoint.tls_floor;
        for (lb, region) in load_balancers(cx, out) {
            judge(lb, region, floor, out);
        }
    }
}

fn judge(lb: &LoadBalancer, region: &EdgeRegion, floor: TlsVersion, out: &mut Findings) {
    let Some(listeners) = read_or_error(&lb.name, &lb.arn, "the listeners", &lb.listeners, out)
    else {
        return;
    };
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut policies = Vec::new();
    for l in listeners {
        match l.protocol.as_str() {
            "HTTPS" | "TLS" => match policy_floor_problem(l, region, floor) {
                Ok((policy, protocols)) => {
                    policies.push(json!({ "name": policy, "protocols": protocols }));
                }
                Err(Problem::Fail(p)) => problems.push(p),
                Err(Problem::Unknown(cause)) => {
                    out.error(
                        lb.name.clone(),
                        Location::arn(lb.arn.clone()),
                        format!("load balancer {}: {cause}", lb.name),
                        json!({ "load_balancer": lb.name, "listener": l }),
                    );
                    return;
                }
            },
            "HTTP" if !redirects_to_https(l) => {
                let what = format!(
                    "HTTP listener on port {} does not redirect to HTTPS",
                    l.port
                );
                if lb.internet_facing() {
                    problems.push(what);
                } else {
                    notes.push(format!("{what} (internal load balancer: not failed)"));
                }
            }
            _ => {}
        }
    }
    let evidence = json!({
        "load_balancer": lb.name, "type": lb.kind, "scheme": lb.scheme, "tls_floor": floor.as_str(),
        "listeners": listeners, "policies": policies, "call": lb.call, "listeners_call": lb.listeners.call(),
    });
    let subject = lb.name.clone();
    let at = Location::arn(lb.arn.clone());
    let note = if notes.is_empty() {
        String::new()
    } else {
        format!(" (note: {})", notes.join("; "))
    };
    if problems.is_empty() {
        out.pass(
            subject,
            at,
            format!(
                "{} load balancer {}: {} listener(s), TLS policies at TLS {floor} or above{}{note}",
                lb.scheme,
                lb.name,
                listeners.len(),
                if lb.internet_facing() {
                    ", HTTP redirected to HTTPS"
                } else {
                    ""
                }
            ),
            evidence,
        );
    } else {
        out.fail(
            subject,
            at,
            format!("load balancer {}: {}{note}", lb.name, problems.join("; ")),
            evidence,
        );
    }
}

enum Problem {
    Fail(String),
    Unknown(String),
}

/// The listener's policy and its protocols when they meet the floor.
fn policy_floor_problem<'a>(
    l: &Listener,
    region: &'a EdgeRegion,
    floor: TlsVersion,
) -> Result<(&'a str, &'a [String]), Problem> {
    let Some(name) = l.ssl_policy.as_deref() else {
        return Err(Problem::Unknown(format!(
            "{} listener on port {} names no TLS policy",
            l.protocol, l.port
        )));
    };
    let Some(policy) = region.ssl_policies.iter().find(|p| p.name == name) else {
        return Err(Problem::Unknown(format!(
            "TLS policy {name} was not described"
        )));
    };
    let protocols = match &policy.protocols {
        crate::facts::aws::Read::Value { value, .. } => value,
        other => {
            let cause = match other {
                crate::facts::aws::Read::Error { message, .. } => message.clone(),
                crate::facts::aws::Read::Absent { code, .. } => code.clone(),
                _ => "not collected".to_owned(),
            };
            return Err(Problem::Unknown(format!(
                "TLS policy {name} could not be described: {cause}"
            )));
        }
    };
    let mut below = Vec::new();
    for p in protocols {
        match aws_version(p) {
            Some(version) if version < AwsProtocol::Tls(floor) => below.push(p.as_str()),
            Some(_) => {}
            None => {
                return Err(Problem::Unknown(format!(
                    "TLS policy {name} lists unknown protocol {p:?}"
                )));
            }
        }
    }
    if protocols.is_empty() {
        return Err(Problem::Unknown(format!(
            "TLS policy {name} lists no protocol"
        )));
    }
    if below.is_empty() {
        Ok((policy.name.as_str(), protocols.as_slice()))
    } else {
        Err(Problem::Fail(format!(
            "{} listener on port {} uses {name}, which accepts {} (floor TLS {floor})",
            l.protocol,
            l.port,
            below.join(", ")
        )))
    }
}

/// A protocol an AWS TLS policy lists, oldest first: SSLv3 is below every TLS floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AwsProtocol {
    Ssl3,
    Tls(TlsVersion),
}

/// `SSLv3`, `TLSv1` … `TLSv1.3`; `None` for a name not known.
fn aws_version(protocol: &str) -> Option<AwsProtocol> {
    match protocol {
        "SSLv3" => Some(AwsProtocol::Ssl3),
        "TLSv1" => Some(AwsProtocol::Tls(TlsVersion::Tls10)),
        other => other
            .strip_prefix("TLSv")
            .and_then(TlsVersion::parse)
            .map(AwsProtocol::Tls),
    }
}

fn redirects_to_https(l: &Listener) -> bool {
    l.default_actions
        .first()
        .is_some_and(|a| a.kind == "redirect" && a.redirect_protocol.as_deref() == Some("HTTPS"))
}

#[cfg(test)]
mod tests {
    use super::{AwsProtocol, aws_version};
    use crate::resolve::TlsVersion;

    #[test]
    fn aws_protocol_names_order_like_tls_versions() {
        let tls = |v| Some(AwsProtocol::Tls(v));
        assert_eq!(aws_version("TLSv1"), tls(TlsVersion::Tls10));
        assert_eq!(aws_version("TLSv1.1"), tls(TlsVersion::Tls11));
        assert_eq!(aws_version("TLSv1.2"), tls(TlsVersion::Tls12));
        assert_eq!(aws_version("TLSv1.3"), tls(TlsVersion::Tls13));
        assert_eq!(aws_version("QUIC"), None);
        // SSLv3 is below every floor, the lowest one included.
        assert!(aws_version("SSLv3").unwrap() < AwsProtocol::Tls(TlsVersion::Tls10));
        assert!(aws_version("TLSv1.1").unwrap() < AwsProtocol::Tls(TlsVersion::Tls12));
    }
}
