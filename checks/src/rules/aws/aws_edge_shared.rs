//! Helpers shared by the edge and registry checks (`elb-*`, `cloudfront-*`, `waf-*`, `ecr-*`):
//! walking readable accounts and their regions, and turning failed listings and reads into
//! `error` findings.

use serde_json::json;

use super::aws_shared::{evidence, listing_location, readable_accounts};
use crate::facts::aws::{Account, Listing, Read};
use crate::facts::aws_edge::{Distribution, EdgeRegion, LoadBalancer, Repository, WebAcl};
use crate::model::{Context, Findings, Location};

/// Every audited region of every readable account, with its edge facts.
pub(crate) fn edge_regions<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> Vec<(&'a Account, &'a EdgeRegion)> {
    let mut all = Vec::new();
    for account in readable_accounts(cx, out) {
        all.extend(regions_of(account, out).into_iter().map(|r| (account, r)));
    }
    all
}

/// The account's edge facts for each audited region (the regions its databases were read in).
/// A region with no edge facts was not collected: an `error`, so no check passes for lack of
/// load balancers, web ACLs or repositories that were never looked for.
fn regions_of<'a>(account: &'a Account, out: &mut Findings) -> Vec<&'a EdgeRegion> {
    let mut found = Vec::new();
    for region in &account.regions {
        match account.edge.regions.iter().find(|r| r.name == region.name) {
            Some(edge) => found.push(edge),
            None => out.error(
                format!("{}/{}/edge", account.account_id, region.name),
                Location::aws(
                    &account.partition,
                    "elasticloadbalancing",
                    &region.name,
                    &account.account_id,
                    "*",
                ),
                format!(
                    "load balancers, web ACLs and ECR repositories of {} in account {} were not collected",
                    region.name, account.account_id
                ),
                json!({ "target": account.target, "region": region.name }),
            ),
        }
    }
    found
}

/// Every listed ECR repository of every readable account, with its region; a failed listing is
/// reported as an error first.
pub(crate) fn ecr_repositories<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> Vec<(&'a Repository, &'a EdgeRegion)> {
    regional(cx, out, "ecr", "ECR repositories", |r| &r.repositories)
}

/// Every listed load balancer of every readable account, with its region; a failed listing is
/// reported as an error first.
pub(crate) fn load_balancers<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> Vec<(&'a LoadBalancer, &'a EdgeRegion)> {
    regional(cx, out, "elasticloadbalancing", "Load balancers", |r| {
        &r.load_balancers
    })
}

/// The items of one regional listing (`listing` picks it from a region's edge facts) in every
/// audited region of every readable account, each with its region; a failed listing is reported
/// as an error first.
fn regional<'a, T>(
    cx: &Context<'a>,
    out: &mut Findings,
    service: &str,
    what: &str,
    listing: impl Fn(&'a EdgeRegion) -> &'a Listing<T>,
) -> Vec<(&'a T, &'a EdgeRegion)> {
    let mut all = Vec::new();
    for (account, region) in edge_regions(cx, out) {
        for item in listed(account, &region.name, service, what, listing(region), out) {
            all.push((item, region));
        }
    }
    all
}

/// Every listed CloudFront distribution of every readable account (a global listing); a failed
/// listing is reported as an error first.
pub(crate) fn distributions<'a>(cx: &Context<'a>, out: &mut Findings) -> Vec<&'a Distribution> {
    let mut all = Vec::new();
    for account in readable_accounts(cx, out) {
        all.extend(listed(
            account,
            "global",
            "cloudfront",
            "CloudFront distributions",
            &account.edge.distributions,
            out,
        ));
    }
    all
}

/// The listing's items, after reporting a failed listing as an error about
/// `ACCOUNT/REGION/SERVICE` (its items may then be incomplete).
pub(crate) fn listed<'a, T>(
    account: &Account,
    region: &str,
    service: &str,
    what: &str,
    listing: &'a Listing<T>,
    out: &mut Findings,
) -> &'a [T] {
    if let Some(cause) = listing.failure() {
        out.error(
            format!("{}/{region}/{service}", account.account_id),
            listing_location(account, service, region),
            format!(
                "{what}{} of account {} could not be listed: {cause}",
                if region == "global" {
                    String::new()
                } else {
                    format!(" in {region}")
                },
                account.account_id
            ),
            json!({ "target": account.target, "region": region, "error": cause }),
        );
    }
    &listing.items
}

/// The value of a read, or `None` after recording as `error` about (`subject`, `arn`) why it
/// is missing.
pub(crate) fn read_or_error<'a, T>(
    subject: &str,
    arn: &str,
    what: &str,
    read: &'a Read<T>,
    out: &mut Findings,
) -> Option<&'a T> {
    let (cause, call) = match read {
        Read::Value { value, .. } => return Some(value),
        Read::Absent { code, call } => (format!("the API answered {code}"), Some(call)),
        Read::Error { message, call } => (message.clone(), Some(call)),
        Read::NotRead => ("it was not collected".to_owned(), None),
    };
    out.error(
        subject.to_owned(),
        Location::arn(arn.to_owned()),
        format!("{what} of {subject} could not be read: {cause}"),
        evidence(json!({ "subject": subject, "error": cause }), call),
    );
    None
}

/// Every web ACL of every readable account (regional ones per region, then the CloudFront
/// ones), after reporting failed listings.
pub(crate) fn web_acls<'a>(cx: &Context<'a>, out: &mut Findings) -> Vec<&'a WebAcl> {
    let mut all = Vec::new();
    for account in readable_accounts(cx, out) {
        for region in regions_of(account, out) {
            all.extend(listed(
                account,
                &region.name,
                "wafv2",
                "Regional web ACLs",
                &region.web_acls,
                out,
            ));
        }
        all.extend(listed(
            account,
            "global",
            "wafv2",
            "CloudFront web ACLs",
            &account.edge.cloudfront_web_acls,
            out,
        ));
    }
    all
}
