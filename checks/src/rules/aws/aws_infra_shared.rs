//! Helpers shared by the checks over [`crate::facts::aws_infra`]: finding each audited region's
//! infrastructure facts (a region that was not collected is an `error`, never an empty pass),
//! and reporting failed listings.

use serde_json::json;

use super::aws_shared::{listing_error, readable_accounts};
use crate::facts::aws::{Account, DbInstance, Listing};
use crate::facts::aws_infra::InfraRegion;
use crate::model::{Context, Findings, Location};

/// The subject of a region-wide finding: `ACCOUNT/REGION`.
pub(crate) fn region_subject(account: &Account, region: &str) -> String {
    format!("{}/{region}", account.account_id)
}

/// A wildcard ARN naming a service's resources in one region of the account (the location of
/// a region-wide finding).
pub(crate) fn region_arn(account: &Account, service: &str, region: &str, rest: &str) -> Location {
    Location::aws(
        &account.partition,
        service,
        region,
        &account.account_id,
        rest,
    )
}

/// Every audited region (the regions the account was read in) of every readable account, with
/// its infrastructure facts. A region whose facts are missing is reported as an error naming
/// `what` and skipped.
pub(crate) fn infra_regions<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
    service: &str,
) -> Vec<(&'a Account, &'a InfraRegion)> {
    let mut all = Vec::new();
    for account in readable_accounts(cx, out) {
        for region in &account.regions {
            match account.infra.regions.iter().find(|r| r.name == region.name) {
                Some(infra) => all.push((account, infra)),
                None => out.error(
                    region_subject(account, &region.name),
                    region_arn(account, service, &region.name, "*"),
                    format!(
                        "{service} state of {} in account {} was not collected",
                        region.name, account.account_id
                    ),
                    json!({ "target": account.target, "region": region.name }),
                ),
            }
        }
    }
    all
}

/// Judges every item of one per-region listing (`what`, of `service`, picked by `listing`) of
/// every audited region, after reporting the region's failed listing as an error: the items a
/// failed listing did return are still judged, each on its own.
pub(crate) fn judge_listed<'a, T: 'a>(
    cx: &Context<'a>,
    out: &mut Findings,
    service: &str,
    what: &str,
    listing: impl Fn(&'a InfraRegion) -> &'a Listing<T>,
    mut judge: impl FnMut(&'a T, &mut Findings),
) {
    for (account, infra) in infra_regions(cx, out, service) {
        let listing = listing(infra);
        listing_error(account, &infra.name, service, what, listing, out);
        for item in &listing.items {
            judge(item, out);
        }
    }
}

/// The DB instances (Aurora members included) of every audited region, with the region's
/// account and infrastructure facts, for the checks that judge a database by its network.
/// Failed instance listings are reported as errors; the instances they did return are still
/// judged, each on its own.
pub(crate) fn db_instances_with_infra<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> Vec<(&'a Account, &'a InfraRegion, &'a [DbInstance])> {
    let mut all = Vec::new();
    for (account, infra) in infra_regions(cx, out, "ec2") {
        let Some(rds) = account.regions.iter().find(|r| r.name == infra.name) else {
            continue;
        };
        listing_error(
            account,
            &rds.name,
            "rds",
            "DB instances",
            &rds.db_instances,
            out,
        );
        all.push((account, infra, rds.db_instances.items.as_slice()));
    }
    all
}
