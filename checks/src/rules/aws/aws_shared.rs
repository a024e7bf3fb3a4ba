//! Helpers shared by the `rds-*` and `s3-*` checks: walking accounts and regions, turning
//! unreadable accounts and listings into `error` findings, and the evidence shape.

use serde_json::{Value, json};

use crate::facts::aws::{
    Account, Bucket, Call, DbCluster, DbInstance, Listing, Read, Region, Snapshot,
};
use crate::model::{Context, Findings, Location, Source, Status};

/// Every account that was read, after reporting the ones that could not be (subject: the
/// target's name) as errors.
pub(crate) fn readable_accounts<'a>(cx: &Context<'a>, out: &mut Findings) -> Vec<&'a Account> {
    let mut readable = Vec::new();
    for account in &cx.facts.aws {
        match &account.error {
            Some(cause) => out.error(
                account.target.clone(),
                Location::target(Source::Aws, &account.target),
                format!("AWS target `{}` could not be read: {cause}", account.target),
                json!({ "target": account.target, "error": cause }),
            ),
            None => readable.push(account),
        }
    }
    readable
}

/// Where a listing of `service` in `region` points: the ARN of every resource of the kind
/// (`arn:aws:ecr:eu-west-1:123456789012:*`).
pub(crate) fn listing_location(account: &Account, service: &str, region: &str) -> Location {
    Location::aws(
        &account.partition,
        service,
        region,
        &account.account_id,
        "*",
    )
}

/// Reports a failed or unread listing as an error about `ACCOUNT/REGION`; true when it failed
/// (its items may be incomplete, so nothing that needs all of them can pass).
pub(crate) fn listing_error<T>(
    account: &Account,
    region: &str,
    service: &str,
    what: &str,
    listing: &Listing<T>,
    out: &mut Findings,
) -> bool {
    let Some(cause) = listing.failure() else {
        return false;
    };
    out.error(
        format!("{}/{region}", account.account_id),
        listing_location(account, service, region),
        format!(
            "{what} in {region} of account {} could not be listed: {cause}",
            account.account_id
        ),
        json!({ "target": account.target, "region": region, "error": cause }),
    );
    true
}

/// The evidence of a finding: the judged fields plus the call that returned them.
pub(crate) fn evidence(fields: Value, call: Option<&Call>) -> Value {
    let mut v = fields;
    if let (Value::Object(map), Some(call)) = (&mut v, call) {
        map.insert("call".to_owned(), json!(call));
    }
    v
}

/// Why an instance's `PubliclyAccessible` does not prove it private, as the status and message
/// of its finding: `fail` when it is publicly accessible, `error` when the describe call did not
/// state the flag. `None` when it is not publicly accessible.
pub(crate) fn public_address_problem(db: &DbInstance) -> Option<(Status, &'static str)> {
    match db.publicly_accessible {
        Some(false) => None,
        Some(true) => Some((
            Status::Fail,
            "DB instance is publicly accessible: it has an internet-reachable address",
        )),
        None => Some((
            Status::Error,
            "DescribeDBInstances did not state PubliclyAccessible, so the instance cannot be proven private",
        )),
    }
}

/// A database judged at its own level: a standalone instance or an Aurora cluster (whose
/// members share its storage, backups and deletion protection).
pub(crate) enum Db<'a> {
    Instance(&'a DbInstance),
    Cluster(&'a DbCluster),
}

impl Db<'_> {
    pub(crate) fn identifier(&self) -> &str {
        match self {
            Db::Instance(i) => &i.identifier,
            Db::Cluster(c) => &c.identifier,
        }
    }
    pub(crate) fn location(&self) -> Location {
        Location::arn(match self {
            Db::Instance(i) => i.arn.clone(),
            Db::Cluster(c) => c.arn.clone(),
        })
    }
    pub(crate) fn call(&self) -> &Call {
        match self {
            Db::Instance(i) => &i.call,
            Db::Cluster(c) => &c.call,
        }
    }
    /// `DB instance` or `Aurora cluster`, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Db::Instance(_) => "DB instance",
            Db::Cluster(_) => "DB cluster",
        }
    }
    pub(crate) fn engine(&self) -> (&str, &str) {
        match self {
            Db::Instance(i) => (&i.engine, &i.engine_version),
            Db::Cluster(c) => (&c.engine, &c.engine_version),
        }
    }
}

/// Records the verdict on one boolean setting of an instance or cluster (`field` names it in
/// the evidence): pass when on, fail when off. The flag comes straight from the describe call,
/// so there is no unknown state here; a database that could not be described never reaches this.
pub(crate) fn judge_flag(
    out: &mut Findings,
    db: &Db<'_>,
    field: &str,
    on: bool,
    pass_message: &str,
    fail_message: &str,
) {
    let ev = evidence(
        json!({ "identifier": db.identifier(), field: on }),
        Some(db.call()),
    );
    let (id, at) = (db.identifier().to_owned(), db.location());
    if on {
        out.pass(id, at, format!("{} {pass_message}", db.kind()), ev);
    } else {
        out.fail(id, at, format!("{} {fail_message}", db.kind()), ev);
    }
}

/// Standalone instances and clusters of every readable region, after reporting failed
/// listings as errors.
pub(crate) fn databases<'a>(cx: &Context<'a>, out: &mut Findings) -> Vec<(&'a Region, Db<'a>)> {
    let mut dbs = Vec::new();
    for (account, region) in readable_regions(cx, out) {
        listing_error(
            account,
            &region.name,
            "rds",
            "DB instances",
            &region.db_instances,
            out,
        );
        listing_error(
            account,
            &region.name,
            "rds",
            "DB clusters",
            &region.db_clusters,
            out,
        );
        let standalone = region
            .db_instances
            .items
            .iter()
            .filter(|i| i.cluster.is_none());
        dbs.extend(standalone.map(|i| (region, Db::Instance(i))));
        dbs.extend(
            region
                .db_clusters
                .items
                .iter()
                .map(|c| (region, Db::Cluster(c))),
        );
    }
    dbs
}

/// Every region of every readable account, with its account, after reporting the accounts
/// that could not be read as errors.
fn readable_regions<'a>(cx: &Context<'a>, out: &mut Findings) -> Vec<(&'a Account, &'a Region)> {
    readable_accounts(cx, out)
        .into_iter()
        .flat_map(|account| account.regions.iter().map(move |region| (account, region)))
        .collect()
}

/// Every item of one per-region listing (`what`, of `service`, picked by `listing`) with its
/// region, after reporting the listings that failed as errors. The items a failed listing did
/// return are still judged, each on its own: only a verdict that needs all of them must not
/// pass on a partial listing.
fn regional_items<'a, T>(
    cx: &Context<'a>,
    out: &mut Findings,
    service: &str,
    what: &str,
    listing: impl Fn(&'a Region) -> &'a Listing<T>,
) -> Vec<(&'a Region, &'a T)> {
    let mut all = Vec::new();
    for (account, region) in readable_regions(cx, out) {
        let listing = listing(region);
        listing_error(account, &region.name, service, what, listing, out);
        all.extend(listing.items.iter().map(|item| (region, item)));
    }
    all
}

/// Every DB instance (Aurora members included: some settings are per instance) of every
/// readable region, after reporting failed listings as errors.
pub(crate) fn db_instances<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> Vec<(&'a Region, &'a DbInstance)> {
    regional_items(cx, out, "rds", "DB instances", |r| &r.db_instances)
}

/// Every DB snapshot and DB cluster snapshot of every readable region, after reporting failed
/// listings as errors.
pub(crate) fn snapshots<'a>(
    cx: &Context<'a>,
    out: &mut Findings,
) -> Vec<(&'a Region, &'a Snapshot)> {
    regional_items(cx, out, "rds", "DB snapshots", |r| &r.snapshots)
}

/// Every bucket of every readable account, with its account, after reporting failed bucket
/// listings as errors.
pub(crate) fn buckets<'a>(cx: &Context<'a>, out: &mut Findings) -> Vec<(&'a Account, &'a Bucket)> {
    let mut all = Vec::new();
    for account in readable_accounts(cx, out) {
        if let Some(cause) = account.s3.buckets.failure() {
            out.error(
                format!("{}/s3", account.account_id),
                Location::aws(&account.partition, "s3", "", "", "*"),
                format!(
                    "the buckets of account {} could not be listed: {cause}",
                    account.account_id
                ),
                json!({ "target": account.target, "error": cause }),
            );
        }
        all.extend(account.s3.buckets.items.iter().map(|b| (account, b)));
    }
    all
}

/// Reports a read that did not return a value (failed, or never made) as an error about the
/// bucket; returns the value or the absent code otherwise.
pub(crate) fn bucket_read<'a, T>(
    bucket: &Bucket,
    what: &str,
    read: &'a Read<T>,
    out: &mut Findings,
) -> Option<Result<&'a T, &'a str>> {
    match read {
        Read::Value { value, .. } => Some(Ok(value)),
        Read::Absent { code, .. } => Some(Err(code)),
        Read::Error { message, call } => {
            out.error(
                bucket.name.clone(),
                Location::arn(bucket.arn.clone()),
                format!(
                    "{what} of bucket {} could not be read: {message}",
                    bucket.name
                ),
                evidence(
                    json!({ "bucket": bucket.name, "error": message }),
                    Some(call),
                ),
            );
            None
        }
        Read::NotRead => {
            out.error(
                bucket.name.clone(),
                Location::arn(bucket.arn.clone()),
                format!("{what} of bucket {} was not collected", bucket.name),
                json!({ "bucket": bucket.name }),
            );
            None
        }
    }
}

/// Who manages the KMS key of encrypted storage in `region`, from `kms:DescribeKey`: evidence
/// fields to merge (`key_manager`, and its call or the reason it is unknown) and the phrase for
/// the message. Informational: an unknown key manager never changes the status.
pub(crate) fn key_manager(region: &Region, key_id: Option<&str>) -> (Value, String) {
    let read = key_id.and_then(|id| region.kms_keys.iter().find(|k| k.key_id == id));
    let unknown = |cause: &str| {
        (
            json!({ "key_manager": "unknown", "key_manager_error": cause }),
            format!("key manager unknown: {cause}"),
        )
    };
    match read.map(|k| &k.key_manager) {
        Some(Read::Value { value, call }) if value == "CUSTOMER" || value == "AWS" => {
            let phrase = if value == "CUSTOMER" {
                "customer-managed key"
            } else {
                "AWS-managed key"
            };
            (
                json!({ "key_manager": value, "key_manager_call": call }),
                format!("key manager {value}: {phrase}"),
            )
        }
        Some(Read::Value { value, .. }) => {
            unknown(&format!("kms:DescribeKey gave KeyManager `{value}`"))
        }
        Some(Read::Error { message, .. }) => unknown(message),
        Some(Read::Absent { code, .. }) => unknown(code),
        Some(Read::NotRead) | None if key_id.is_none_or(str::is_empty) => {
            unknown("the API gave no KmsKeyId")
        }
        Some(Read::NotRead) | None => unknown("the key was not described"),
    }
}

/// Merges `extra`'s fields into the object `base`.
pub(crate) fn merged(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}
