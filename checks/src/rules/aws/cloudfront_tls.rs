use serde_json::json;

use super::aws_edge_shared::distributions;
use crate::facts::aws_edge::Distribution;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct CloudfrontTls;

/// Security policies that meet the bar, oldest first; anything else (older or unknown) fails.
const MODERN: &[&str] = &["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"];

impl Rule for CloudfrontTls {
    const META: Meta = Meta {
        id: "cloudfront-tls",
        title: "CloudFront serves viewers HTTPS only, with TLSv1.2_2021 or newer",
        severity: Severity::High,
        controls: &["TLS-01", "APP-01"],
        source: Source::Aws,
        docs: r#"
## Why
A CloudFront distribution decides per cache behavior whether viewers may use plain HTTP, and
per distribution which TLS versions and suites it accepts. `allow-all` serves content in clear
text; a security policy older than `TLSv1.2_2021` accepts TLS 1.0/1.1 or weak CBC suites. The
`*.cloudfront.net` default certificate accepts TLS 1.0 whatever the setting says.

## What is judged
Every distribution: every cache behavior (the default and each path pattern) has
`ViewerProtocolPolicy` `redirect-to-https` or `https-only`; the viewer certificate is not the
CloudFront default certificate and its `MinimumProtocolVersion` is `TLSv1.2_2021` or newer
(`TLSv1.2_2025`, `TLSv1.3_2025`). Disabled distributions are judged too (they can be enabled
again as they are). A listing that failed is an `error`.

## How to fix
Set each behavior's viewer protocol policy to `redirect-to-https`, attach an ACM certificate
for your domain and choose the security policy `TLSv1.2_2021` (Terraform:
`viewer_certificate { minimum_protocol_version = "TLSv1.2_2021" ssl_support_method = "sni-only" }`).

## Evidence
The distribution id, domain, the behaviors' policies, the certificate settings and the
`ListDistributions` call.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for d in distributions(cx, out) {
            judge(d, out);
        }
    }
}

fn judge(d: &Distribution, out: &mut Findings) {
    let mut problems: Vec<String> = d
        .behaviors
        .iter()
        .filter(|b| {
            !matches!(
                b.viewer_protocol_policy.as_str(),
                "redirect-to-https" | "https-only"
            )
        })
        .map(|b| {
            format!(
                "behavior {:?} allows viewers over HTTP ({})",
                b.path_pattern, b.viewer_protocol_policy
            )
        })
        .collect();
    if d.behaviors.is_empty() {
        problems.push("no cache behavior was listed".to_owned());
    }
    let version = d.minimum_protocol_version.as_deref().unwrap_or("none");
    if d.cloudfront_default_certificate {
        problems.push(
            "it uses the default *.cloudfront.net certificate, which accepts TLS 1.0".to_owned(),
        );
    } else if !MODERN.contains(&version) {
        problems.push(format!(
            "minimum protocol version {version} is older than TLSv1.2_2021"
        ));
    }
    let evidence = json!({ "distribution": d, "call": d.call });
    let at = Location::arn(d.arn.clone());
    if problems.is_empty() {
        out.pass(
            d.id.clone(),
            at,
            format!(
                "distribution {} ({}): HTTPS only, {version}",
                d.id, d.domain_name
            ),
            evidence,
        );
    } else {
        out.fail(
            d.id.clone(),
            at,
            format!(
                "distribution {} ({}): {}",
                d.id,
                d.domain_name,
                problems.join("; ")
            ),
            evidence,
        );
    }
}
