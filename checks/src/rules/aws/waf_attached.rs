use serde_json::json;

use super::aws_edge_shared::{distributions, load_balancers, read_or_error};
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct WafAttached;

impl Rule for WafAttached {
    const META: Meta = Meta {
        id: "waf-attached",
        title: "Every internet-facing ALB and CloudFront distribution has a web ACL",
        severity: Severity::High,
        controls: &["WAF-01"],
        source: Source::Aws,
        docs: r#"
## Why
"Behind a managed WAF" holds only for the entry points that actually have a web ACL
associated. One internet-facing load balancer without it (a new service, a forgotten staging
origin) lets every request past the rule sets and the rate limit.

## What is judged
Every internet-facing application load balancer has a WAFv2 web ACL associated
(`wafv2:GetWebACLForResource`), and every CloudFront distribution has a `WebACLId`. Internal
and network load balancers are not judged (WAF cannot attach to a network load balancer).
A lookup that failed is an `error`.

## How to fix
`aws wafv2 associate-web-acl --web-acl-arn ACL --resource-arn ALB` (regional web ACL); for
CloudFront set the distribution's `WebACLId` to a web ACL of scope `CLOUDFRONT`.

## Evidence
The resource, its scheme, the associated web ACL's ARN (or none) and the calls.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        let internet_facing_albs = load_balancers(cx, out)
            .into_iter()
            .filter(|(lb, _)| lb.kind == "application" && lb.internet_facing());
        for (lb, _) in internet_facing_albs {
            let Some(acl) = read_or_error(&lb.name, &lb.arn, "the web ACL", &lb.web_acl, out)
            else {
                continue;
            };
            let evidence = json!({
                "load_balancer": lb.name, "scheme": lb.scheme, "web_acl": acl,
                "call": lb.web_acl.call(),
            });
            let at = Location::arn(lb.arn.clone());
            match acl {
                Some(arn) => out.pass(
                    lb.name.clone(),
                    at,
                    format!("internet-facing ALB {} has web ACL {arn}", lb.name),
                    evidence,
                ),
                None => out.fail(
                    lb.name.clone(),
                    at,
                    format!("internet-facing ALB {} has no web ACL", lb.name),
                    evidence,
                ),
            }
        }
        for d in distributions(cx, out) {
            let evidence =
                json!({ "distribution": d.id, "web_acl_id": d.web_acl_id, "call": d.call });
            let at = Location::arn(d.arn.clone());
            if d.web_acl_id.is_empty() {
                out.fail(
                    d.id.clone(),
                    at,
                    format!("distribution {} ({}) has no web ACL", d.id, d.domain_name),
                    evidence,
                );
            } else {
                out.pass(
                    d.id.clone(),
                    at,
                    format!("distribution {} has web ACL {}", d.id, d.web_acl_id),
                    evidence,
                );
            }
        }
    }
}
