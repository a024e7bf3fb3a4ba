//! WAFv2 web ACLs of one scope (REGIONAL per region, CLOUDFRONT in us-east-1) and their rules:
//! managed rule groups with their overrides, rate-based rules with limit, window and key.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::{Rule, Statement};
use checks::facts::aws::{Call, Listing, Read};
use checks::facts::aws_edge::{WafRule, WafStatement, WebAcl};

use super::calls::Api;
use super::collector::{Ctx, spawn_all};

#[derive(Clone, Copy)]
pub(crate) enum Scope {
    Regional,
    Cloudfront,
}

impl Scope {
    fn sdk(self) -> aws_sdk_wafv2::types::Scope {
        match self {
            Scope::Regional => aws_sdk_wafv2::types::Scope::Regional,
            Scope::Cloudfront => aws_sdk_wafv2::types::Scope::Cloudfront,
        }
    }
}

/// WAF lists at most 100 per page.
const PAGE: i32 = 100;
/// A NextMarker that never ends would loop forever: no account has this many pages.
const MAX_PAGES: usize = 1_000;

pub(crate) async fn web_acls(conf: SdkConfig, scope: Scope, ctx: Arc<Ctx>) -> Listing<WebAcl> {
    let client = Client::new(&conf);
    let mut listing = list(&client, scope, &ctx).await;
    let tasks: Vec<_> = listing
        .items
        .iter()
        .map(|acl| {
            let (client, ctx, name, id) = (
                client.clone(),
                ctx.clone(),
                acl.name.clone(),
                acl.id.clone(),
            );
            async move { rules(&client, &ctx, scope, &name, &id).await }
        })
        .collect();
    let reads = spawn_all(tasks, |_, cause| Read::Error {
        message: cause,
        call: Call::default(),
    })
    .await;
    for (acl, read) in listing.items.iter_mut().zip(reads) {
        acl.rules = read;
    }
    listing
}

/// `ListWebACLs`, page by page (the operation has no SDK paginator).
async fn list(client: &Client, scope: Scope, ctx: &Ctx) -> Listing<WebAcl> {
    let mut listing = Listing::default();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let request = client
            .list_web_acls()
            .scope(scope.sdk())
            .limit(PAGE)
            .set_next_marker(marker.clone());
        let answer = ctx.call(Api::WafListWebAcls, request.send()).await;
        let out = match answer.result {
            Ok(out) => out,
            Err(f) => {
                listing.error = Some(f.message);
                return listing;
            }
        };
        let scope_name = scope.sdk().as_str().to_owned();
        listing.call = Some(answer.call.clone());
        listing.items.extend(out.web_acls().iter().map(|a| WebAcl {
            name: a.name().unwrap_or_default().to_owned(),
            id: a.id().unwrap_or_default().to_owned(),
            arn: a.arn().unwrap_or_default().to_owned(),
            scope: scope_name.clone(),
            call: answer.call.clone(),
            rules: Read::NotRead,
        }));
        // An empty page ends the listing even if a marker came back (some services do that).
        match out.next_marker() {
            Some(next) if !next.is_empty() && !out.web_acls().is_empty() => {
                marker = Some(next.to_owned());
            }
            _ => return listing,
        }
    }
    listing.error = Some(format!(
        "wafv2:ListWebACLs returned more than {MAX_PAGES} pages"
    ));
    listing
}

async fn rules(
    client: &Client,
    ctx: &Ctx,
    scope: Scope,
    name: &str,
    id: &str,
) -> Read<Vec<WafRule>> {
    let request = client.get_web_acl().scope(scope.sdk()).name(name).id(id);
    ctx.call(Api::WafGetWebAcl, request.send())
        .await
        .read_some(&[], "web ACL", |out| {
            out.web_acl().map(|acl| {
                let mut rules: Vec<WafRule> = acl.rules().iter().map(rule).collect();
                rules.sort_by_key(|r| r.priority);
                rules
            })
        })
}

fn rule(r: &Rule) -> WafRule {
    let action = match (r.action(), r.override_action()) {
        (Some(a), _) if a.block().is_some() => "block",
        (Some(a), _) if a.captcha().is_some() => "captcha",
        (Some(a), _) if a.challenge().is_some() => "challenge",
        (Some(a), _) if a.count().is_some() => "count",
        (Some(a), _) if a.allow().is_some() => "allow",
        (_, Some(o)) if o.count().is_some() => "count",
        (_, Some(o)) if o.none().is_some() => "none",
        // No action at all: nothing is enforced, so it must not read as enforcing.
        _ => "",
    };
    WafRule {
        name: r.name().to_owned(),
        priority: r.priority(),
        action: action.to_owned(),
        statement: r.statement().map_or_else(WafStatement::default, statement),
    }
}

fn statement(s: &Statement) -> WafStatement {
    if let Some(m) = s.managed_rule_group_statement() {
        let mut overridden: Vec<String> = m
            .rule_action_overrides()
            .iter()
            .map(|o| o.name().to_owned())
            .chain(m.excluded_rules().iter().map(|e| e.name().to_owned()))
            .collect();
        overridden.sort();
        overridden.dedup();
        return WafStatement::ManagedRuleGroup {
            vendor: m.vendor_name().to_owned(),
            name: m.name().to_owned(),
            overridden_rules: overridden,
        };
    }
    if let Some(r) = s.rate_based_statement() {
        return WafStatement::RateBased {
            limit: r.limit(),
            aggregate_key_type: r.aggregate_key_type().as_str().to_owned(),
            // 0 when the answer leaves it out: AWS's default window is 300 s.
            window_seconds: if r.evaluation_window_sec() > 0 {
                r.evaluation_window_sec()
            } else {
                300
            },
            scoped_down: r.scope_down_statement().is_some(),
        };
    }
    if let Some(g) = s.rule_group_reference_statement() {
        return WafStatement::RuleGroup {
            arn: g.arn().to_owned(),
        };
    }
    WafStatement::Other {
        statement: kind(s).to_owned(),
    }
}

/// The name of the statement type set, for the evidence.
fn kind(s: &Statement) -> &'static str {
    if s.byte_match_statement().is_some() {
        "ByteMatchStatement"
    } else if s.ip_set_reference_statement().is_some() {
        "IPSetReferenceStatement"
    } else if s.geo_match_statement().is_some() {
        "GeoMatchStatement"
    } else if s.and_statement().is_some()
        || s.or_statement().is_some()
        || s.not_statement().is_some()
    {
        "logical statement"
    } else {
        "other statement"
    }
}
