//! `vouch scan --target` against a real AWS API emulator (moto) seeded with secure (`good-*`)
//! and insecure (`bad-*`) RDS and S3 resources by `aws_seed.py`.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use serde_json::Value;

use crate::harness::{Findings, findings, findings_by_key, keyed, message, text, vouch};
use crate::live_fixtures::Fragment;
use crate::moto::Moto;

/// (check, subject that must pass, subject that must fail), as seeded.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("rds-storage-encrypted", "good-db", "bad-db"),
    ("rds-storage-encrypted", "good-cluster", "bad-cluster"),
    ("rds-not-public", "good-db", "bad-db"),
    ("rds-backup-retention", "good-db", "bad-db"),
    ("rds-backup-retention", "good-cluster", "bad-cluster"),
    ("rds-deletion-protection", "good-db", "bad-db"),
    ("rds-deletion-protection", "good-cluster", "bad-cluster"),
    ("rds-force-ssl", "good-db", "bad-db"),
    ("rds-force-ssl", "good-cluster", "bad-cluster"),
    ("rds-iam-auth", "good-db", "bad-db"),
    ("rds-snapshot-encrypted", "good-snap", "bad-snap"),
    ("rds-snapshot-encrypted", "good-snap", "bad-cluster-snap"),
    ("rds-snapshot-not-public", "good-snap", "bad-snap"),
    ("s3-default-encryption", "good-bucket", "bad-bucket"),
    ("s3-public-access-block", "good-bucket", "bad-bucket"),
    ("s3-not-public", "good-bucket", "bad-bucket"),
    ("s3-not-public", "good-audit-bucket", "bad-audit-bucket"),
    ("s3-secure-transport", "good-bucket", "bad-bucket"),
    ("s3-versioning", "good-bucket", "bad-bucket"),
    ("s3-object-lock", "good-audit-bucket", "bad-audit-bucket"),
];

fn write_config(moto: &Moto) -> std::path::PathBuf {
    let repo = moto.dir().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("vouch.toml"),
        format!(
            "[aws]\nevidence_buckets = [\"*-audit-*\"]\n\n[[target.aws]]\nname = \"emu\"\n\
             regions = [\"us-east-1\"]\nendpoint_url = \"{}\"\n",
            moto.endpoint()
        ),
    )
    .unwrap();
    repo
}

/// Runs `vouch scan REPO --target emu` with fake credentials; returns (exit code, report, facts).
pub(crate) fn scan(repo: &std::path::Path) -> (i32, Value, Value) {
    let facts_path = repo.join("facts.json");
    let out = vouch()
        .arg("scan")
        .arg(repo)
        .args(["--target", "emu", "--format", "json", "--dump-facts"])
        .arg(&facts_path)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_CONFIG_FILE", repo.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            repo.join("no-aws-credentials"),
        )
        .output()
        .expect("vouch runs");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let facts =
        serde_json::from_str(&std::fs::read_to_string(&facts_path).expect("the facts were dumped"))
            .expect("facts JSON");
    (out.status.code().unwrap_or(-1), report, facts)
}

/// The fixture fragment of the emulator account: only the named buckets and RDS resources,
/// the services' fields, with the per-call noise (request ids, response times) and random key
/// ids made stable.
fn aws_fragment<'a>(
    facts: &'a Value,
    port: u16,
    fields: &[&'static str],
    keep: &[&str],
) -> Fragment<'a> {
    let mut fragment = Fragment::new(facts, "aws");
    for (volatile, stable) in volatile_names(facts) {
        fragment = fragment.replace(volatile, &stable);
    }
    let groups = parameter_groups_of(facts, keep);
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    fragment
        .items("/regions/*/parameter_groups", "name", &groups)
        .target("emu")
        .port(port)
        .replace(format!("localhost:{port}"), "localhost:PORT")
        .fields(fields)
        .items("/s3/buckets/items", "name", keep)
        .items("/regions/*/db_instances/items", "identifier", keep)
        .items("/regions/*/db_clusters/items", "identifier", keep)
        .items("/regions/*/snapshots/items", "identifier", keep)
        .noise("request_id", "<request-id>")
        // Response times and the emulator's restore point (both "now") collapse to one
        // instant: the restore point is as recent as a real one is judged.
        .noise("at", "2026-01-01T00:00:00Z")
        .noise("latest_restorable_time", "2026-01-01T00:00:00Z")
        .uuids()
        .ids(&["sg", "vpc", "subnet"])
}

/// The parameter groups of the kept DB instances and clusters: the ones their checks read.
fn parameter_groups_of(facts: &Value, keep: &[&str]) -> Vec<String> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let kept = |r: &Value| r["identifier"].as_str().is_some_and(|i| keep.contains(&i));
    let mut groups = Vec::new();
    for account in list(&facts["aws"]) {
        for region in list(&account["regions"]) {
            for db in list(&region["db_instances"]["items"])
                .iter()
                .filter(|r| kept(r))
            {
                groups.extend(
                    list(&db["parameter_groups"])
                        .iter()
                        .filter_map(|g| g.as_str().map(str::to_owned)),
                );
            }
            for cluster in list(&region["db_clusters"]["items"])
                .iter()
                .filter(|r| kept(r))
            {
                groups.extend(cluster["parameter_group"].as_str().map(str::to_owned));
            }
        }
    }
    groups
}

/// Names the emulator makes up on each run, and their stable stand-ins: the minute in the name
/// of an automated snapshot (`rds:good-db-2026-12-06-05-27`), the random suffix of a secret's
/// ARN, a GuardDuty detector id.
fn volatile_names(facts: &Value) -> Vec<(String, String)> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for account in list(&facts["aws"]) {
        let mut secret_arns = Vec::new();
        for region in list(&account["regions"]) {
            for db in list(&region["db_instances"]["items"])
                .into_iter()
                .chain(list(&region["db_clusters"]["items"]))
            {
                secret_arns.extend(
                    db["master_user_secret"]["secret_arn"]
                        .as_str()
                        .map(str::to_owned),
                );
            }
            for snapshot in list(&region["snapshots"]["items"]) {
                let id = snapshot["identifier"].as_str().unwrap_or_default();
                // rds:DB-YYYY-MM-DD-HH-MM
                if let Some(db) = id
                    .strip_prefix("rds:")
                    .and_then(|rest| rest.get(..rest.len().checked_sub(16)?))
                {
                    out.push((id.to_owned(), format!("rds:{db}2026-01-01-00-00")));
                }
            }
        }
        for region in list(&account["infra"]["regions"]) {
            let name = region["name"].as_str().unwrap_or_default();
            for (i, detector) in list(&region["guardduty_detectors"]["items"])
                .iter()
                .enumerate()
            {
                if let Some(id) = detector["id"].as_str() {
                    out.push((id.to_owned(), format!("detector-{name}-{}", i + 1)));
                }
            }
            for secret in list(&region["secrets"]["items"]) {
                secret_arns.extend(secret["arn"].as_str().map(str::to_owned));
            }
        }
        // A secret's ARN ends in `-` and six random characters.
        for arn in secret_arns {
            if let Some((head, _)) = arn.rsplit_once('-') {
                let stable = format!("{head}-SUFFIX");
                out.push((arn, stable));
            }
        }
    }
    out
}

/// Infrastructure listings and the item field a fixture keeps them by: the kept VPCs' network,
/// the kept trails, keys, secrets, log groups and alarms. (A region's one GuardDuty detector
/// is kept whole.)
const INFRA_LISTS: &[(&str, &str)] = &[
    ("/infra/trails/items", "name"),
    ("/infra/regions/*/subnets/items", "vpc_id"),
    ("/infra/regions/*/route_tables/items", "vpc_id"),
    ("/infra/regions/*/internet_gateways/items", "attached_vpcs"),
    ("/infra/regions/*/nat_gateways/items", "vpc_id"),
    ("/infra/regions/*/security_groups/items", "vpc_id"),
    ("/infra/regions/*/rds_network_interfaces/items", "vpc_id"),
    ("/infra/regions/*/flow_logs/items", "resource_id"),
    ("/infra/regions/*/kms_keys/items", "id"),
    ("/infra/regions/*/secrets/items", "name"),
    ("/infra/regions/*/log_groups/items", "name"),
    ("/infra/regions/*/alarms/items", "name"),
];

/// The fixture fragment of an account's RDS and infrastructure state in `regions`: the
/// resources named in `keep` (DB identifiers, VPC ids, trail, secret and log group names, key
/// ids), every random EC2 id made stable.
fn infra_fragment<'a>(
    facts: &'a Value,
    port: u16,
    regions: &[&str],
    keep: &[&str],
) -> Fragment<'a> {
    let mut fragment = aws_fragment(facts, port, &["regions", "infra"], keep)
        .items("/regions", "name", regions)
        .items("/infra/regions", "name", regions);
    for (pointer, field) in INFRA_LISTS {
        fragment = fragment.items(pointer, field, keep);
    }
    fragment.ids(&["rtb", "igw", "nat", "eni", "fl", "eipalloc"])
}

/// `{name}` entries replaced by the named id.
fn resolve_all(keep: &[&str], ids: &Value) -> Vec<String> {
    keep.iter().map(|k| resolve(k, ids)).collect()
}

/// (case, Account fields, resources kept): the fixtures the seeded emulator produces; `{name}`
/// is a name the emulator made up (see `emulator_scan_…`).
const SEEDED_CASES: &[(&str, &[&str], &[&str])] = &[
    (
        "s3-default-encryption/fail/not-configured",
        &["s3"],
        &["bad-bucket"],
    ),
    (
        "s3-not-public/pass/private",
        &["s3"],
        &["good-bucket", "good-audit-bucket"],
    ),
    (
        "s3-not-public/fail/public-acl",
        &["s3"],
        &["bad-audit-bucket"],
    ),
    ("s3-not-public/fail/public-policy", &["s3"], &["bad-bucket"]),
    (
        "s3-public-access-block/pass/bucket-level",
        &["s3"],
        &["good-bucket"],
    ),
    ("s3-public-access-block/fail/none", &["s3"], &["bad-bucket"]),
    (
        "s3-secure-transport/pass/deny-insecure",
        &["s3"],
        &["good-bucket"],
    ),
    (
        "s3-secure-transport/fail/policy-without-deny",
        &["s3"],
        &["bad-bucket"],
    ),
    (
        "s3-secure-transport/fail/no-policy",
        &["s3"],
        &["bad-audit-bucket"],
    ),
    ("s3-versioning/pass/enabled", &["s3"], &["good-bucket"]),
    (
        "s3-versioning/fail/never-enabled-and-suspended",
        &["s3"],
        &["bad-bucket", "bad-audit-bucket"],
    ),
    (
        "s3-object-lock/pass/evidence-bucket-locked",
        &["s3"],
        &["good-audit-bucket"],
    ),
    (
        "s3-object-lock/fail/evidence-bucket-unlocked",
        &["s3"],
        &["bad-audit-bucket"],
    ),
    (
        "rds-storage-encrypted/pass/encrypted-instance-and-cluster",
        &["regions"],
        &["good-db", "good-cluster"],
    ),
    (
        "rds-storage-encrypted/fail/unencrypted-instance",
        &["regions"],
        &["bad-db"],
    ),
    (
        "rds-not-public/pass/private-instances",
        &["regions"],
        &["good-db"],
    ),
    (
        "rds-not-public/fail/public-instance",
        &["regions"],
        &["bad-db"],
    ),
    (
        "rds-backup-retention/pass/seven-days-recent-restore-point",
        &["regions"],
        &["good-db"],
    ),
    (
        "rds-backup-retention/fail/retention-zero",
        &["regions"],
        &["bad-db"],
    ),
    (
        "rds-deletion-protection/pass/protected",
        &["regions"],
        &["good-db", "good-cluster"],
    ),
    (
        "rds-deletion-protection/fail/unprotected-cluster",
        &["regions"],
        &["bad-cluster"],
    ),
    (
        "rds-force-ssl/pass/force-ssl-set",
        &["regions"],
        &["good-db"],
    ),
    (
        "rds-force-ssl/pass/aurora-mysql-cluster-requires-tls",
        &["regions"],
        &["good-cluster"],
    ),
    (
        "rds-force-ssl/fail/absent-on-postgres-14-uses-default-0",
        &["regions"],
        &["bad-db"],
    ),
    ("rds-iam-auth/pass/iam-auth-on", &["regions"], &["good-db"]),
    ("rds-iam-auth/fail/iam-auth-off", &["regions"], &["bad-db"]),
    (
        "rds-snapshot-encrypted/pass/encrypted-snapshots",
        &["regions"],
        &["good-snap"],
    ),
    (
        "rds-snapshot-encrypted/fail/unencrypted-cluster-snapshot",
        &["regions"],
        &["bad-cluster-snap"],
    ),
    (
        "rds-snapshot-not-public/fail/restore-all",
        &["regions"],
        &["bad-snap"],
    ),
    (
        "rds-snapshot-not-public/pass/private-shared-and-automated",
        &["regions"],
        &["good-snap", "shared-snap", "{automated_snapshot}"],
    ),
    (
        "rds-force-ssl/pass/absent-on-postgres-16-uses-default-1",
        &["regions"],
        &["pg16-db"],
    ),
    (
        "rds-force-ssl/fail/force-ssl-zero",
        &["regions"],
        &["bad-cluster"],
    ),
    (
        "rds-storage-encrypted/fail/placeholder-kms-key-is-not-encryption",
        &["regions"],
        &["bad-cluster"],
    ),
    (
        "s3-default-encryption/pass/kms-and-sse-s3",
        &["s3"],
        &["good-bucket", "sse-s3-bucket"],
    ),
    (
        "s3-object-lock/fail/enabled-without-default-retention",
        &["s3"],
        &["unretained-audit-bucket"],
    ),
    (
        "s3-public-access-block/fail/partial",
        &["s3"],
        &["partial-bucket"],
    ),
];

/// Cases of the same account scanned under stricter settings (`[aws] s3_encryption = "kms"`,
/// `backup_retention_days = 14`).
const STRICT_CASES: &[(&str, &[&str], &[&str])] = &[
    (
        "s3-default-encryption/fail/sse-s3-when-kms-required",
        &["s3"],
        &["sse-s3-bucket"],
    ),
    (
        "rds-backup-retention/fail/below-configured-minimum",
        &["regions"],
        &["good-db"],
    ),
];

/// Read calls denied together (one scan), and the cases that scan produces.
const DENIED_READS: &[&str] = &[
    "DescribeDBParameters",
    "DescribeDBSnapshotAttributes",
    "DescribeKey",
    "GetBucketEncryption",
    "GetAccountPublicAccessBlock",
];
const DENIED_READ_CASES: &[(&str, &[&str], &[&str])] = &[
    (
        "rds-force-ssl/error/group-unreadable",
        &["regions"],
        &["good-db"],
    ),
    (
        "rds-snapshot-not-public/error/attributes-denied",
        &["regions"],
        &["good-snap"],
    ),
    (
        "rds-storage-encrypted/pass/describe-key-denied-is-still-encrypted",
        &["regions"],
        &["good-db"],
    ),
    (
        "s3-default-encryption/error/access-denied",
        &["s3"],
        &["good-bucket"],
    ),
    (
        "s3-public-access-block/error/account-level-unreadable",
        &["s3"],
        &["bad-bucket"],
    ),
];

/// Each (check, subject) has the expected status.
fn assert_statuses(findings: &Findings, expected: &[(&str, &str, &str)]) {
    for (check, subject, expected) in expected {
        assert_eq!(
            status(findings, check, subject),
            *expected,
            "{check} on {subject}"
        );
    }
}

fn status<'a>(findings: &'a Findings, check: &str, subject: &str) -> &'a str {
    text(keyed(findings, check, subject), "status")
}

/// The seeded emulator: every AWS check passes its secure resource and fails its insecure one,
/// each finding located by ARN with the call's request id as evidence; and every request vouch
/// sent was a read (moto's recorder saw no Create/Put/Modify/Delete). Then the same account
/// under stricter settings, and with reads and listings denied: the fixtures of
/// `SEEDED_CASES`, `STRICT_CASES` and `DENIED_READ_CASES` come from these four scans.
#[test]
fn emulator_scan_passes_secure_and_fails_insecure_resources_read_only() {
    let moto = Moto::start();
    moto.run_script("aws_seed.py", &[&moto.endpoint()]);
    let repo = write_config(&moto);

    moto.start_recording();
    let (code, report, facts) = scan(&repo);
    let requests = moto.stop_recording();

    assert_eq!(code, 1, "insecure resources gate the scan");
    let findings = findings_by_key(&report);
    for (check, good, bad) in EXPECTED {
        assert_eq!(
            status(&findings, check, good),
            "pass",
            "{check} on {good}: {:?}",
            keyed(&findings, check, good)["message"]
        );
        assert_eq!(
            status(&findings, check, bad),
            "fail",
            "{check} on {bad}: {:?}",
            keyed(&findings, check, bad)["message"]
        );
    }
    for checks_meta in checks::ALL.iter().map(|c| c.meta()) {
        if checks_meta.source == checks::Source::Aws {
            assert!(
                EXPECTED
                    .iter()
                    .chain(INFRA_EXPECTED)
                    .any(|(c, _, _)| *c == checks_meta.id)
                    || INFRA_BY_SCAN.contains(&checks_meta.id)
                    || crate::aws_edge::CHECKS.contains(&checks_meta.id),
                "{} has no emulator case",
                checks_meta.id
            );
        }
    }
    // Evidence: ARN locations and the request id of the answering call.
    let db = keyed(&findings, "rds-storage-encrypted", "bad-db");
    assert_eq!(
        db["location"]["uri"],
        "arn:aws:rds:us-east-1:123456789012:db:bad-db"
    );
    assert!(
        db["evidence"]["call"]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    // The seeded key was made with KMS CreateKey: DescribeKey says the customer manages it.
    let good = keyed(&findings, "rds-storage-encrypted", "good-db");
    assert_eq!(good["evidence"]["key_manager"], "CUSTOMER", "{good}");
    assert_eq!(
        good["evidence"]["key_manager_call"]["action"],
        "kms:DescribeKey"
    );
    assert!(message(good).contains("key manager CUSTOMER"), "{good}");
    let bucket = keyed(&findings, "s3-versioning", "bad-bucket");
    assert_eq!(bucket["location"]["uri"], "arn:aws:s3:::bad-bucket");
    assert_eq!(
        bucket["evidence"]["versioning"]["value"]["value"],
        "Suspended"
    );
    // The engine default is the stated basis when rds.force_ssl is absent from the group.
    let ssl = keyed(&findings, "rds-force-ssl", "bad-db");
    assert!(message(ssl).contains("PostgreSQL 14 default"), "{ssl}");
    // "No account-level block" is a fact read through s3control, not an error.
    let account = &facts["aws"][0];
    assert_eq!(account["account_id"], "123456789012");
    assert_eq!(
        account["s3"]["account_public_access_block"]["absent"]["code"],
        "NoSuchPublicAccessBlockConfiguration"
    );

    assert!(
        requests.len() > 20,
        "the recorder saw the scan: {} requests",
        requests.len()
    );
    assert!(
        requests.iter().any(|r| operation_of(r) == "DescribeKey"),
        "the key manager came from kms:DescribeKey"
    );
    for request in &requests {
        let operation = operation_of(request);
        assert!(
            is_read(&operation),
            "vouch sent a non-read request: {operation}"
        );
    }
    let test = "aws::emulator_scan_passes_secure_and_fails_insecure_resources_read_only";
    // moto takes an automated snapshot of every instance, named by the minute.
    let names = serde_json::json!({
        "automated_snapshot": facts["aws"][0]["regions"][0]["snapshots"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["identifier"].as_str())
            .find(|id| id.starts_with("rds:good-db-"))
            .expect("moto's automated snapshot of good-db"),
    });
    for (case, fields, keep) in SEEDED_CASES {
        let keep = resolve_all(keep, &names);
        let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
        aws_fragment(&facts, moto.port, fields, &keep).assert_fixture(test, case);
    }
    // The account has no trail at all.
    infra_fragment(&facts, moto.port, &["us-east-1"], &[])
        .assert_fixture(test, "cloudtrail-enabled/fail/no-trail");
    let trail = keyed(&findings, "cloudtrail-enabled", "123456789012");
    assert_eq!(trail["status"], "fail", "{trail}");
    assert_statuses(
        &findings,
        &[
            ("rds-snapshot-not-public", "shared-snap", "pass"),
            ("rds-force-ssl", "pg16-db", "pass"),
            ("s3-default-encryption", "sse-s3-bucket", "pass"),
            ("s3-public-access-block", "partial-bucket", "fail"),
            ("s3-object-lock", "unretained-audit-bucket", "fail"),
        ],
    );

    // Stricter settings: SSE-S3 is not enough, 7 days of backups are too few.
    let strict = moto.dir().join("strict");
    std::fs::create_dir_all(&strict).unwrap();
    std::fs::write(
        strict.join("vouch.toml"),
        std::fs::read_to_string(repo.join("vouch.toml"))
            .unwrap()
            .replace(
                "[aws]\n",
                "[aws]\ns3_encryption = \"kms\"\nbackup_retention_days = 14\n",
            ),
    )
    .unwrap();
    let (_, report, strict_facts) = scan(&strict);
    let findings = findings_by_key(&report);
    assert_eq!(
        status(&findings, "s3-default-encryption", "sse-s3-bucket"),
        "fail"
    );
    assert_eq!(status(&findings, "rds-backup-retention", "good-db"), "fail");
    for (case, fields, keep) in STRICT_CASES {
        aws_fragment(&strict_facts, moto.port, fields, keep).assert_fixture(test, case);
    }

    // Denied reads: the resource each one judges is an error, except an encrypted instance
    // whose key could not be described, which is still encrypted.
    moto.post(&format!("/vouch-deny/{}", DENIED_READS.join(",")))
        .unwrap();
    let (_, report, denied_facts) = scan(&repo);
    let findings = findings_by_key(&report);
    assert_statuses(
        &findings,
        &[
            ("rds-force-ssl", "good-db", "error"),
            ("rds-snapshot-not-public", "good-snap", "error"),
            ("rds-storage-encrypted", "good-db", "pass"),
            ("s3-default-encryption", "good-bucket", "error"),
            ("s3-public-access-block", "bad-bucket", "error"),
        ],
    );
    for (case, fields, keep) in DENIED_READ_CASES {
        aws_fragment(&denied_facts, moto.port, fields, keep).assert_fixture(test, case);
    }
    // Denied listings: no DB instance and no trail can be judged.
    moto.post("/vouch-deny/DescribeDBInstances,DescribeTrails")
        .unwrap();
    let (_, _, denied_facts) = scan(&repo);
    moto.post("/vouch-deny/").unwrap();
    aws_fragment(&denied_facts, moto.port, &["regions"], &[])
        .assert_fixture(test, "rds-storage-encrypted/error/listing-denied");
    infra_fragment(&denied_facts, moto.port, &["us-east-1"], &[])
        .assert_fixture(test, "cloudtrail-enabled/error/describe-trails-denied");
}

/// With the account-level block on, a bucket without its own block passes at account level.
#[test]
fn account_level_block_covers_buckets_without_their_own() {
    let moto = Moto::start();
    moto.run_script("aws_seed.py", &[&moto.endpoint()]);
    moto.run_script("aws_account_block.py", &[&moto.port.to_string()]);
    let repo = write_config(&moto);
    let (_, report, facts) = scan(&repo);
    let findings = findings_by_key(&report);
    let f = keyed(&findings, "s3-public-access-block", "bad-bucket");
    assert_eq!(f["status"], "pass", "{f}");
    assert!(message(f).contains("account level"));
    aws_fragment(&facts, moto.port, &["s3"], &["bad-bucket"]).assert_fixture(
        "aws::account_level_block_covers_buckets_without_their_own",
        "s3-public-access-block/pass/account-level",
    );
}

/// An endpoint nobody answers: every AWS check reports `error` for the target, never `pass`.
#[test]
fn unreachable_target_is_an_error_for_every_aws_check() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::write(
        dir.path().join("vouch.toml"),
        format!("[[target.aws]]\nname = \"emu\"\nregions = [\"us-east-1\"]\nendpoint_url = \"http://127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let (code, report, facts) = scan(dir.path());
    assert_eq!(code, 1);
    // With evidence buckets configured, s3-object-lock judges the account too.
    let evidence = dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(
        evidence.join("vouch.toml"),
        format!("[aws]\nevidence_buckets = [\"*-audit-*\"]\n\n[[target.aws]]\nname = \"emu\"\nregions = [\"us-east-1\"]\nendpoint_url = \"http://127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let (_, evidence_report, evidence_facts) = scan(&evidence);
    let lock = findings_by_key(&evidence_report);
    assert_eq!(status(&lock, "s3-object-lock", "emu"), "error");
    aws_fragment(&evidence_facts, port, &[], &[]).assert_fixture(
        "aws::unreachable_target_is_an_error_for_every_aws_check",
        "s3-object-lock/error/account-unreadable",
    );
    // Every AWS check's `account-unreadable` case is this account.
    for check in checks::ALL.iter().map(|c| c.meta()) {
        let case = format!("{}/error/account-unreadable", check.id);
        // s3-object-lock judges configured evidence buckets only: none here.
        if check.source == checks::Source::Aws
            && check.id != "s3-object-lock"
            && crate::harness::fixture(&format!("facts/{case}.json")).exists()
        {
            aws_fragment(&facts, port, &[], &[]).assert_fixture(
                "aws::unreachable_target_is_an_error_for_every_aws_check",
                &case,
            );
        }
    }
    let aws_findings: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["subject"] == "emu")
        .collect();
    let aws_checks = checks::ALL
        .iter()
        .filter(|c| c.meta().source == checks::Source::Aws && c.meta().id != "s3-object-lock")
        .count();
    assert_eq!(aws_findings.len(), aws_checks, "{aws_findings:?}");
    for f in aws_findings {
        assert_eq!(f["status"], "error");
        assert!(message(f).contains("sts:GetCallerIdentity"), "{f}");
    }
}

#[test]
fn iam_policy_is_read_only_and_covers_the_collector() {
    let out = vouch().arg("iam-policy").output().unwrap();
    assert!(out.status.success());
    let policy: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(actions.contains(&"rds:DescribeDBInstances"));
    assert!(actions.contains(&"s3:GetAccountPublicAccessBlock"));
    assert!(actions.contains(&"kms:DescribeKey"));
    for action in [
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeNetworkInterfaces",
        "cloudtrail:GetEventSelectors",
        "guardduty:GetDetector",
        "kms:GetKeyRotationStatus",
        "secretsmanager:ListSecrets",
        "logs:DescribeLogGroups",
        "cloudwatch:DescribeAlarms",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from the policy"
        );
    }
    assert!(
        !actions.contains(&"secretsmanager:GetSecretValue"),
        "the policy must never grant reading secret values"
    );
    for action in &actions {
        let verb = action.split(':').nth(1).unwrap();
        assert!(is_read(verb), "{action}");
    }
    let narrow = vouch()
        .args(["iam-policy", "--check", "s3-versioning"])
        .output()
        .unwrap();
    let narrow: Value = serde_json::from_slice(&narrow.stdout).unwrap();
    assert_eq!(
        narrow["Statement"][0]["Action"],
        serde_json::json!([
            "s3:GetBucketLocation",
            "s3:GetBucketVersioning",
            "s3:ListAllMyBuckets"
        ])
    );
}

/// (check, subject that must pass, subject that must fail) on the infrastructure seed
/// (`aws_seed_infra.py`); `{name}` is an id the seed printed.
const INFRA_EXPECTED: &[(&str, &str, &str)] = &[
    ("rds-network-private", "net-good-db", "net-bad-db"),
    ("sg-db-ingress-restricted", "net-good-db", "net-bad-db"),
    ("vpc-flow-logs", "{good_vpc}", "{bad_vpc}"),
    (
        "guardduty-enabled",
        "123456789012/us-east-1",
        "123456789012/us-west-2",
    ),
    ("kms-key-rotation", "{good_key}", "{bad_key}"),
    ("secrets-rotation", "app/good-secret", "app/bad-secret"),
    ("secrets-rotation", "net-good-db", "net-bad-db"),
    ("rds-log-exports", "net-good-db", "net-bad-db"),
    ("logs-encrypted-retained", "/app/good", "/app/bad"),
];

/// Checks judged per account or region whose pass and fail come from two scans or are not
/// reachable on moto; `emulator_infra_scan_…` covers them explicitly.
const INFRA_BY_SCAN: &[&str] = &["cloudtrail-enabled", "cloudwatch-error-alarm"];

/// (check, subject, IAM action named in its error) when those calls are denied.
const INFRA_DENIED: &[(&str, &str, &str)] = &[
    (
        "rds-network-private",
        "net-good-db",
        "ec2:DescribeRouteTables",
    ),
    (
        "sg-db-ingress-restricted",
        "net-good-db",
        "ec2:DescribeSecurityGroups",
    ),
    (
        "vpc-flow-logs",
        "123456789012/us-east-1",
        "ec2:DescribeFlowLogs",
    ),
    (
        "cloudtrail-enabled",
        "123456789012",
        "cloudtrail:GetTrailStatus",
    ),
    (
        "guardduty-enabled",
        "123456789012/us-east-1",
        "guardduty:ListDetectors",
    ),
    ("kms-key-rotation", "{good_key}", "kms:GetKeyRotationStatus"),
    (
        "secrets-rotation",
        "123456789012/us-east-1",
        "secretsmanager:ListSecrets",
    ),
    (
        "rds-log-exports",
        "123456789012/us-east-1",
        "rds:DescribeDBClusters",
    ),
    (
        "logs-encrypted-retained",
        "123456789012/us-east-1",
        "logs:DescribeLogGroups",
    ),
];

/// (case, regions, resources kept) of the infrastructure scans: `{name}` is an id the seed
/// printed (or `rds_secret`, the secret RDS manages for `net-good-db`).
type InfraCase = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The seeded account.
const INFRA_CASES: &[InfraCase] = &[
    (
        "cloudtrail-enabled/pass/multi-region-validated-kms",
        &["us-east-1"],
        &["audit-trail"],
    ),
    (
        "guardduty-enabled/pass/detector-enabled",
        &["us-east-1"],
        &[],
    ),
    ("guardduty-enabled/fail/no-detector", &["us-west-2"], &[]),
    (
        "kms-key-rotation/pass/customer-key-rotates",
        &["us-east-1"],
        &["{good_key}"],
    ),
    (
        "kms-key-rotation/fail/rotation-off",
        &["us-east-1"],
        &["{bad_key}"],
    ),
    (
        "kms-key-rotation/fail/imported-material",
        &["us-east-1"],
        &["{imported_key}"],
    ),
    (
        "logs-encrypted-retained/pass/kms-and-long-retention",
        &["us-east-1"],
        &["/app/good"],
    ),
    (
        "logs-encrypted-retained/fail/unencrypted-short-retention",
        &["us-east-1"],
        &["/app/bad"],
    ),
    (
        "rds-log-exports/pass/postgresql-exported",
        &["us-east-1"],
        &["net-good-db"],
    ),
    (
        "rds-log-exports/fail/only-upgrade-log",
        &["us-east-1"],
        &["net-bad-db"],
    ),
    (
        "rds-log-exports/fail/neptune-audit-not-exported",
        &["us-east-1"],
        &["graph"],
    ),
    (
        "rds-log-exports/pass/neptune-audit-exported-and-on",
        &["us-east-1"],
        &["graph-old"],
    ),
    (
        "rds-log-exports/fail/neptune-audit-exported-but-off",
        &["us-east-1"],
        &["graph-audit-off"],
    ),
    (
        "rds-log-exports/error/neptune-audit-switch-unreadable",
        &["us-east-1"],
        &["graph-unread"],
    ),
    (
        "rds-force-ssl/pass/neptune-1-3-engine-requires-tls",
        &["us-east-1"],
        &["graph"],
    ),
    (
        "rds-force-ssl/fail/neptune-1-0-3-enforce-ssl-off",
        &["us-east-1"],
        &["graph-old"],
    ),
    (
        "rds-network-private/pass/private-subnets-nat-egress",
        &["us-east-1"],
        &["net-good-db", "{good_vpc}"],
    ),
    (
        "rds-network-private/fail/publicly-accessible",
        &["us-east-1"],
        &["net-public-db", "{good_vpc}"],
    ),
    (
        "rds-network-private/fail/subnet-routes-to-igw",
        &["us-east-1"],
        &["net-bad-db", "{bad_vpc}"],
    ),
    (
        "secrets-rotation/pass/rotating-secret-managed-master",
        &["us-east-1"],
        &["app/good-secret", "net-good-db", "{rds_secret}"],
    ),
    (
        "secrets-rotation/fail/master-password-by-hand",
        &["us-east-1"],
        &["net-bad-db"],
    ),
    (
        "secrets-rotation/fail/secret-not-rotating",
        &["us-east-1"],
        &["app/bad-secret"],
    ),
    (
        "sg-db-ingress-restricted/pass/only-app-group",
        &["us-east-1"],
        &["net-good-db", "{good_vpc}"],
    ),
    (
        "sg-db-ingress-restricted/fail/all-traffic-from-anywhere",
        &["us-east-1"],
        &["net-open-db", "{good_vpc}"],
    ),
    (
        "sg-db-ingress-restricted/fail/cidr-besides-app-group",
        &["us-east-1"],
        &["net-cidr-db", "{good_vpc}"],
    ),
    (
        "vpc-flow-logs/pass/vpc-flow-log-to-s3",
        &["us-east-1"],
        &["net-good-db", "{good_vpc}"],
    ),
    (
        "vpc-flow-logs/fail/no-flow-log",
        &["us-east-1"],
        &["net-bad-db", "{bad_vpc}"],
    ),
];

/// After `aws_seed_infra.py break`.
const INFRA_BROKEN_CASES: &[InfraCase] = &[
    (
        "cloudtrail-enabled/fail/logging-stopped-write-only",
        &["us-east-1"],
        &["write-only-trail"],
    ),
    (
        "cloudtrail-enabled/fail/single-region-no-kms",
        &["us-east-1"],
        &["region-trail"],
    ),
    (
        "guardduty-enabled/fail/detector-disabled",
        &["us-east-1"],
        &[],
    ),
    (
        "vpc-flow-logs/fail/delivery-failing",
        &["us-east-1"],
        &["net-bad-db", "{bad_vpc}"],
    ),
];

/// With the calls of `INFRA_DENIED` denied.
const INFRA_DENIED_CASES: &[InfraCase] = &[
    (
        "cloudtrail-enabled/error/status-denied",
        &["us-east-1"],
        &["audit-trail"],
    ),
    (
        "guardduty-enabled/error/list-detectors-denied",
        &["us-east-1"],
        &[],
    ),
    (
        "kms-key-rotation/error/rotation-status-denied",
        &["us-east-1"],
        &["{good_key}"],
    ),
    (
        "logs-encrypted-retained/error/describe-log-groups-denied",
        &["us-east-1"],
        &[],
    ),
    (
        "rds-network-private/error/route-tables-denied",
        &["us-east-1"],
        &["net-good-db", "{good_vpc}"],
    ),
    (
        "secrets-rotation/error/list-secrets-denied",
        &["us-east-1"],
        &[],
    ),
    (
        "sg-db-ingress-restricted/error/security-groups-denied",
        &["us-east-1"],
        &["net-good-db", "{good_vpc}"],
    ),
    (
        "vpc-flow-logs/error/flow-logs-denied",
        &["us-east-1"],
        &["net-good-db", "{good_vpc}"],
    ),
];

/// Asserts the fixtures of `cases` against one infrastructure scan's facts.
fn assert_infra_cases(facts: &Value, port: u16, ids: &Value, cases: &[InfraCase]) {
    for (case, regions, keep) in cases {
        let keep = resolve_all(keep, ids);
        let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
        infra_fragment(facts, port, regions, &keep).assert_fixture(
            "aws::emulator_infra_scan_passes_kept_claims_fails_broken_ones_and_errors_when_denied",
            case,
        );
    }
}

/// Runs `aws_seed_infra.py ENDPOINT MODE ARGS…`; the JSON object it printed last (the seeded
/// ids).
fn seed_infra(moto: &Moto, mode: &str, args: &[&str]) -> Value {
    let endpoint = moto.endpoint();
    let script_args: Vec<&str> = [endpoint.as_str(), mode]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let stdout = moto.run_script("aws_seed_infra.py", &script_args);
    serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or(Value::Null)
}

/// `{name}` replaced by the seeded id.
pub(crate) fn resolve(subject: &str, ids: &Value) -> String {
    subject
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .map_or_else(
            || subject.to_owned(),
            |k| ids[k].as_str().unwrap().to_owned(),
        )
}

/// The network, trail, detectors, keys, secrets and log groups around two databases: every
/// infrastructure check passes what keeps its claim and fails what breaks it; stopping the
/// trail (with the other faults of `aws_seed_infra.py break`) fails `cloudtrail-enabled`;
/// denying each check's calls makes it an `error` naming the IAM action; no request is a write
/// and none reads a secret value. Each of the three scans regenerates the infrastructure
/// fixtures it holds (`INFRA_CASES`, `INFRA_BROKEN_CASES`, `INFRA_DENIED_CASES`).
#[test]
fn emulator_infra_scan_passes_kept_claims_fails_broken_ones_and_errors_when_denied() {
    let moto = Moto::start();
    let mut ids = seed_infra(&moto, "seed", &[]);
    let repo = moto.dir().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("vouch.toml"),
        format!(
            "[aws]\napp_security_groups = [\"{}\"]\n\n[[target.aws]]\nname = \"emu\"\n\
             regions = [\"us-east-1\", \"us-west-2\"]\nendpoint_url = \"{}\"\n",
            ids["app_sg"].as_str().unwrap(),
            moto.endpoint()
        ),
    )
    .unwrap();

    moto.start_recording();
    let (_, report, facts) = scan(&repo);
    let requests = moto.stop_recording();
    let findings = findings_by_key(&report);
    // The secret RDS manages for net-good-db (named by a random id).
    ids["rds_secret"] = facts["aws"][0]["infra"]["regions"][0]["secrets"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["owning_service"] == "rds")
        .map(|s| s["name"].clone())
        .expect("the secret RDS manages");
    for (check, good, bad) in INFRA_EXPECTED {
        let (good, bad) = (resolve(good, &ids), resolve(bad, &ids));
        let said = |s: &str| keyed(&findings, check, s)["message"].clone();
        assert_eq!(
            status(&findings, check, &good),
            "pass",
            "{check} on {good}: {}",
            said(&good)
        );
        assert_eq!(
            status(&findings, check, &bad),
            "fail",
            "{check} on {bad}: {}",
            said(&bad)
        );
    }
    let trail = keyed(&findings, "cloudtrail-enabled", "123456789012");
    assert_eq!(trail["status"], "pass", "{trail}");
    assert_eq!(
        trail["location"]["uri"],
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/audit-trail"
    );
    // CloudWatch's CBOR protocol is translated by moto_server.py: the listing is read, and
    // this seed has no alarm on an error metric (aws_edge.rs seeds the passing one).
    let alarm = keyed(
        &findings,
        "cloudwatch-error-alarm",
        "123456789012/us-east-1",
    );
    assert_eq!(alarm["status"], "fail", "{alarm}");
    assert!(
        message(alarm).contains("no CloudWatch alarm in us-east-1"),
        "{alarm}"
    );
    // The quoted evidence: the offending rule and route.
    let sg = keyed(&findings, "sg-db-ingress-restricted", "net-bad-db");
    assert!(
        message(sg).contains("admits port 5432 from 0.0.0.0/0"),
        "{sg}"
    );
    // The RDS network interface in the good instance's subnet and security group is evidence.
    let good_net = keyed(&findings, "rds-network-private", "net-good-db");
    assert_eq!(
        good_net["evidence"]["network_interfaces"][0]["private_ip"], "10.10.1.25",
        "{good_net}"
    );
    assert!(good_net["evidence"]["network_interfaces"][0]["public_ip"].is_null());
    let net = keyed(&findings, "rds-network-private", "net-bad-db");
    assert!(message(net).contains("0.0.0.0/0 -> igw-"), "{net}");
    for request in &requests {
        let operation = operation_of(request);
        assert!(
            is_read(&operation),
            "vouch sent a non-read request: {operation}"
        );
        assert_ne!(operation, "GetSecretValue", "vouch read a secret value");
    }
    for needed in [
        "DescribeRouteTables",
        "DescribeNetworkInterfaces",
        "GetKeyRotationStatus",
        "ListSecrets",
        "GetEventSelectors",
    ] {
        assert!(
            requests.iter().any(|r| operation_of(r) == needed),
            "{needed} was not called"
        );
    }

    let imported_key = resolve("{imported_key}", &ids);
    assert_statuses(
        &findings,
        &[
            ("kms-key-rotation", &imported_key, "fail"),
            // Neptune, judged by what its documentation says (checks/src/rules/aws/engine.rs).
            ("rds-log-exports", "graph", "fail"),
            ("rds-log-exports", "graph-old", "pass"),
            ("rds-log-exports", "graph-audit-off", "fail"),
            ("rds-log-exports", "graph-unread", "error"),
            ("rds-force-ssl", "graph", "pass"),
            ("rds-force-ssl", "graph-old", "fail"),
            ("rds-iam-auth", "graph", "fail"),
            ("rds-network-private", "net-public-db", "fail"),
            ("sg-db-ingress-restricted", "net-open-db", "fail"),
            ("sg-db-ingress-restricted", "net-cidr-db", "fail"),
        ],
    );
    assert_infra_cases(&facts, moto.port, &ids, INFRA_CASES);

    seed_infra(&moto, "break", &[ids["bad_vpc"].as_str().unwrap()]);
    let (_, report, facts) = scan(&repo);
    let findings = findings_by_key(&report);
    let trail = keyed(&findings, "cloudtrail-enabled", "123456789012");
    assert_eq!(trail["status"], "fail", "{trail}");
    assert!(message(trail).contains("logging is stopped"), "{trail}");
    let bad_vpc = resolve("{bad_vpc}", &ids);
    assert_statuses(
        &findings,
        &[
            ("guardduty-enabled", "123456789012/us-east-1", "fail"),
            ("vpc-flow-logs", &bad_vpc, "fail"),
        ],
    );
    assert_infra_cases(&facts, moto.port, &ids, INFRA_BROKEN_CASES);

    let denied: Vec<&str> = INFRA_DENIED
        .iter()
        .map(|(_, _, action)| action.split(':').nth(1).unwrap())
        .collect();
    moto.post(&format!("/vouch-deny/{}", denied.join(",")))
        .unwrap();
    let (_, report, facts) = scan(&repo);
    let findings = findings_by_key(&report);
    assert_infra_cases(&facts, moto.port, &ids, INFRA_DENIED_CASES);
    for (check, subject, action) in INFRA_DENIED {
        let subject = resolve(subject, &ids);
        let f = keyed(&findings, check, &subject);
        assert_eq!(f["status"], "error", "{check} on {subject}: {f}");
        assert!(
            message(f).contains(&format!("{action} was denied")),
            "{check} on {subject}: {f}"
        );
    }
}

fn is_read(operation: &str) -> bool {
    ["Describe", "Get", "List"]
        .iter()
        .any(|p| operation.starts_with(p))
}

/// The operation of a recorded request: the `X-Amz-Target` header of a JSON-protocol call
/// (KMS: `TrentService.DescribeKey`), `Action=` of a query-protocol body (RDS, STS), or the
/// method of a REST call (S3), mapped to Get for GET/HEAD.
fn operation_of(request: &Value) -> String {
    let target = request["headers"].as_object().and_then(|headers| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-target"))
            .and_then(|(_, value)| value.as_str())
    });
    if let Some(target) = target {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    let method = request["method"].as_str().unwrap_or_default();
    let body = request["body"].as_str().unwrap_or_default();
    let body = if request["body_encoded"] == true {
        String::from_utf8(base64_decode(body)).unwrap_or_default()
    } else {
        body.to_owned()
    };
    if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    match method {
        "GET" | "HEAD" => format!("Get {}", request["url"].as_str().unwrap_or_default()),
        other => format!("{other} {}", request["url"].as_str().unwrap_or_default()),
    }
}

/// Standard base64 (the recorder's body encoding); no crate for eight lines.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        bits = (bits << 6) | u32::try_from(v).unwrap();
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).unwrap());
        }
    }
    out
}
