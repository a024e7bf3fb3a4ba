use serde_json::json;

use super::aws_edge_shared::{read_or_error, web_acls};
use crate::facts::aws_edge::WafStatement;
use crate::model::{Context, Findings, Location, Meta, Rule, Severity, Source};

pub struct WafRateLimit;

impl Rule for WafRateLimit {
    const META: Meta = Meta {
        id: "waf-rate-limit",
        title: "Web ACLs have an enforcing rate-based rule",
        severity: Severity::Medium,
        controls: &["NET-02", "WAF-01"],
        source: Source::Aws,
        docs: r#"
## Why
"A per-IP rate-limit rule caps abusive traffic" is true only if a rate-based rule exists in
the web ACL in front of the application and blocks (or challenges) when the limit is crossed;
in count mode it only measures.

## What is judged
Every WAFv2 web ACL has at least one rate-based rule whose action is `block`, `captcha` or
`challenge`. The limit, the evaluation window, the aggregation key (per IP, per forwarded IP,
custom keys) and whether a scope-down statement narrows it are the evidence and in the message;
the numbers are not judged (say what you claim, and prove it live with `http-rate-limited`).
A rate-based rule in count mode fails. A web ACL whose rules could not be read is an `error`.

## How to fix
Add a rule `{"Name":"per-ip","Priority":0,"Action":{"Block":{}},"Statement":{"RateBasedStatement":
{"Limit":1000,"AggregateKeyType":"IP"}},"VisibilityConfig":{…}}`.

## Evidence
The web ACL, its rate-based rules with limit, window, key and action, and the calls.
"#,
    };

    fn run(&self, cx: &Context<'_>, out: &mut Findings) {
        for acl in web_acls(cx, out) {
            let Some(rules) = read_or_error(&acl.name, &acl.arn, "the rules", &acl.rules, out)
            else {
                continue;
            };
            let rate_rules: Vec<_> = rules
                .iter()
                .filter_map(|r| match &r.statement {
                    WafStatement::RateBased {
                        limit,
                        aggregate_key_type,
                        window_seconds,
                        scoped_down,
                    } => Some((
                        r,
                        *limit,
                        aggregate_key_type.as_str(),
                        *window_seconds,
                        *scoped_down,
                    )),
                    _ => None,
                })
                .collect();
            let describe = |(r, limit, key, window, scoped): &(
                &crate::facts::aws_edge::WafRule,
                i64,
                &str,
                i64,
                bool,
            )| {
                format!(
                    "{} ({limit} requests per {window} s per {key}{}, action {})",
                    r.name,
                    if *scoped { ", scoped down" } else { "" },
                    r.action
                )
            };
            let evidence = json!({
                "web_acl": acl.name, "scope": acl.scope,
                "rate_based_rules": rate_rules.iter().map(|(r, ..)| r).collect::<Vec<_>>(),
                "call": acl.rules.call(),
            });
            let at = Location::arn(acl.arn.clone());
            let enforcing: Vec<String> = rate_rules
                .iter()
                .filter(|x| x.0.enforces())
                .map(describe)
                .collect();
            if !enforcing.is_empty() {
                out.pass(
                    acl.name.clone(),
                    at,
                    format!("web ACL {}: rate-based {}", acl.name, enforcing.join("; ")),
                    evidence,
                );
            } else if rate_rules.is_empty() {
                out.fail(
                    acl.name.clone(),
                    at,
                    format!("web ACL {} has no rate-based rule", acl.name),
                    evidence,
                );
            } else {
                let counting: Vec<String> = rate_rules.iter().map(describe).collect();
                out.fail(
                    acl.name.clone(),
                    at,
                    format!(
                        "web ACL {}: rate-based rules only count: {}",
                        acl.name,
                        counting.join("; ")
                    ),
                    evidence,
                );
            }
        }
    }
}
