//! The edge and registry checks (`elb-tls-policy`, `cloudfront-tls`, `waf-*`, `ecr-*`) against
//! a real moto server seeded by `aws_edge_seed.py` with secure (`good-*`) and insecure (`bad-*`)
//! load balancers, web ACLs, CloudFront distributions and ECR repositories.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::harness::{repo_root, vouch};
use crate::moto::{Moto, python};

/// The AWS checks this file's emulator test covers (`aws.rs` accepts them as covered).
pub const CHECKS: &[&str] = &[
    "elb-tls-policy",
    "cloudfront-tls",
    "waf-attached",
    "waf-managed-rules",
    "waf-rate-limit",
    "ecr-scan-on-push",
    "ecr-tag-immutable",
];

/// Seeds the emulator; returns the generated CloudFront ids (`good_dist`, `bad_dist`).
fn seed(moto: &Moto) -> Value {
    let out = Command::new(python())
        .arg(repo_root().join("tests/e2e/aws_edge_seed.py"))
        .arg(moto.endpoint())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "aws_edge_seed.py failed: {}\nmoto log: {}",
        String::from_utf8_lossy(&out.stderr),
        moto.log()
    );
    serde_json::from_slice(&out.stdout).expect("the seed prints JSON")
}

/// `vouch scan --target emu` with fake credentials and `settings` as the `[aws]` table; the
/// report's findings by (check, subject).
fn scan(moto: &Moto, settings: &str) -> BTreeMap<(String, String), Value> {
    let repo = moto.dir().join("edge-repo");
    std::fs::create_dir_all(&repo).expect("repo dir");
    std::fs::write(
        repo.join("vouch.toml"),
        format!(
            "[aws]\n{settings}\n\n[[target.aws]]\nname = \"emu\"\nregions = [\"us-east-1\"]\nendpoint_url = \"{}\"\n",
            moto.endpoint()
        ),
    )
    .expect("config");
    let out = vouch()
        .arg("scan")
        .arg(&repo)
        .args(["--target", "emu", "--format", "json"])
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
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let key = (
                f["check"].as_str().unwrap_or_default().to_owned(),
                f["subject"].as_str().unwrap_or_default().to_owned(),
            );
            (key, f.clone())
        })
        .collect()
}

/// Every edge check passes its secure resource and fails its insecure one, each located by
/// ARN and carrying the request id of the call that read it.
#[test]
fn emulator_edge_checks_pass_secure_and_fail_insecure_resources() {
    let moto = Moto::start();
    let ids = seed(&moto);
    let (good_dist, bad_dist) = (
        ids["good_dist"].as_str().expect("good_dist"),
        ids["bad_dist"].as_str().expect("bad_dist"),
    );
    let findings = scan(&moto, "");
    let expected: &[(&str, &str, &str)] = &[
        ("elb-tls-policy", "good-alb", "bad-alb"),
        ("waf-attached", "good-alb", "bad-alb"),
        ("waf-attached", good_dist, bad_dist),
        ("cloudfront-tls", good_dist, bad_dist),
        ("waf-managed-rules", "good-acl", "bad-acl"),
        ("waf-rate-limit", "good-acl", "bad-acl"),
        ("waf-managed-rules", "good-cf-acl", "bad-acl"),
        ("ecr-scan-on-push", "good-repo", "bad-repo"),
        ("ecr-tag-immutable", "good-repo", "bad-repo"),
    ];
    let get = |check: &str, subject: &str| -> &Value {
        findings
            .get(&(check.to_owned(), subject.to_owned()))
            .unwrap_or_else(|| {
                panic!(
                    "no {check} finding for {subject}; have {:?}",
                    findings.keys()
                )
            })
    };
    for check in CHECKS {
        assert!(
            expected.iter().any(|(c, ..)| c == check),
            "{check} has no emulator case"
        );
    }
    for (check, good, bad) in expected {
        let pass = get(check, good);
        assert_eq!(
            pass["status"], "pass",
            "{check} {good}: {}",
            pass["message"]
        );
        let fail = get(check, bad);
        assert_eq!(fail["status"], "fail", "{check} {bad}: {}", fail["message"]);
        for f in [pass, fail] {
            let uri = f["location"]["uri"].as_str().unwrap_or_default();
            assert!(
                uri.starts_with("arn:aws:"),
                "{check}: located by ARN: {uri}"
            );
        }
    }
    let message = |check: &str, subject: &str| {
        get(check, subject)["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let tls = message("elb-tls-policy", "bad-alb");
    assert!(
        tls.contains("ELBSecurityPolicy-2016-08") && tls.contains("TLSv1"),
        "{tls}"
    );
    assert!(tls.contains("port 80 does not redirect"), "{tls}");
    let managed = message("waf-managed-rules", "bad-acl");
    assert!(
        managed.contains("missing AWSManagedRulesKnownBadInputsRuleSet")
            && managed
                .contains("only counting (override action count) AWSManagedRulesCommonRuleSet"),
        "{managed}"
    );
    let rate = message("waf-rate-limit", "good-acl");
    assert!(rate.contains("1000 requests per 300 s per IP"), "{rate}");
    assert!(message("waf-rate-limit", "bad-acl").contains("only count"));
    let cf = message("cloudfront-tls", bad_dist);
    assert!(
        cf.contains("allow-all") && cf.contains("TLSv1 is older"),
        "{cf}"
    );
    let scan_evidence = &get("ecr-scan-on-push", "good-repo")["evidence"];
    assert_eq!(
        scan_evidence["registry_scanning"]["value"]["value"]["scan_type"],
        "BASIC"
    );
    let request_id =
        get("ecr-tag-immutable", "bad-repo")["evidence"]["repository"]["call"]["request_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    assert!(
        !request_id.is_empty(),
        "the DescribeRepositories request id is evidence"
    );
}

/// The seed claim "a managed WAF with the OWASP core rule set, the known-bad-inputs rule set and
/// an IP reputation list": with `waf_required_rule_groups` naming all three, the web ACL that has
/// them passes and the one with only the first two fails, naming the missing list.
#[test]
fn emulator_waf_claim_with_ip_reputation_passes_full_acl_and_fails_partial_one() {
    let moto = Moto::start();
    seed(&moto);
    let findings = scan(
        &moto,
        "waf_required_rule_groups = [\"AWSManagedRulesCommonRuleSet\", \
         \"AWSManagedRulesKnownBadInputsRuleSet\", \"AWSManagedRulesAmazonIpReputationList\"]",
    );
    let get = |subject: &str| {
        findings
            .get(&("waf-managed-rules".to_owned(), subject.to_owned()))
            .unwrap_or_else(|| panic!("no waf-managed-rules finding for {subject}"))
    };
    assert_eq!(get("claim-acl")["status"], "pass", "{}", get("claim-acl"));
    let partial = get("good-acl");
    assert_eq!(partial["status"], "fail", "{partial}");
    assert!(
        partial["message"]
            .as_str()
            .unwrap_or_default()
            .contains("missing AWSManagedRulesAmazonIpReputationList"),
        "{partial}"
    );
}
