//! The edge and registry checks (`elb-tls-policy`, `cloudfront-tls`, `waf-*`, `ecr-*`) and
//! `cloudwatch-error-alarm` against a real moto server seeded by `aws_edge_seed.py` with secure
//! (`good-*`) and insecure (`bad-*`) load balancers, web ACLs, CloudFront distributions, ECR
//! repositories and alarms; the scans regenerate these checks' facts fixtures (ORIGINS.toml).

use serde_json::Value;

use crate::aws::resolve;
use crate::harness::{Findings, findings_by_key, keyed};
use crate::live_fixtures::Fragment;
use crate::moto::Moto;

/// The audited regions: us-east-1 holds most of the seed; us-west-2 an enhanced-scanning ECR
/// registry and an alarm that notifies nobody; eu-west-1 nothing.
const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1"];

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

/// Seeds the emulator; returns the generated CloudFront ids (`good_dist`, `bad_dist`…).
fn seed(moto: &Moto) -> Value {
    let ids = moto.run_script("aws_edge_seed.py", &[&moto.endpoint()]);
    serde_json::from_str(&ids).expect("the seed prints JSON")
}

/// `vouch scan --target emu` with fake credentials and `settings` as the `[aws]` table; the
/// report's findings by (check, subject), and the facts collected (`--dump-facts`).
fn scan(moto: &Moto, settings: &str) -> (Findings, Value) {
    let repo = moto.dir().join("edge-repo");
    std::fs::create_dir_all(&repo).expect("repo dir");
    let regions: Vec<String> = REGIONS.iter().map(|r| format!("\"{r}\"")).collect();
    std::fs::write(
        repo.join("vouch.toml"),
        format!(
            "[aws]\n{settings}\n\n[[target.aws]]\nname = \"emu\"\nregions = [{}]\nendpoint_url = \"{}\"\n",
            regions.join(", "),
            moto.endpoint()
        ),
    )
    .expect("config");
    let (_, report, facts) = crate::aws::scan(&repo);
    (findings_by_key(&report), facts)
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
    let (findings, facts) = scan(&moto, "");
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
    let get = |check: &str, subject: &str| -> &Value { keyed(&findings, check, subject) };
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
    // The one-fault resources each fixture case is cut from.
    for (check, subject, status, says) in ONE_FAULT {
        let subject = resolve(subject, &ids);
        let f = get(check, &subject);
        assert_eq!(f["status"], *status, "{check} {subject}: {}", f["message"]);
        let message = f["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{check} {subject}: {message}");
    }
    for case in SCANNED_CASES {
        case.assert_fixture(
            &facts,
            &ids,
            moto.port,
            "aws_edge::emulator_edge_checks_pass_secure_and_fail_insecure_resources",
        );
    }
}

/// (check, subject, status, text of the message) of the resources seeded with one fault each
/// (or none), beyond the good/bad pairs; `{name}` is a distribution id the seed printed.
const ONE_FAULT: &[(&str, &str, &str, &str)] = &[
    (
        "elb-tls-policy",
        "old-tls-alb",
        "fail",
        "ELBSecurityPolicy-2016-08",
    ),
    (
        "elb-tls-policy",
        "clear-http-alb",
        "fail",
        "port 80 does not redirect",
    ),
    (
        "elb-tls-policy",
        "internal-api",
        "pass",
        "internal load balancer: not failed",
    ),
    (
        "waf-managed-rules",
        "no-bad-inputs-acl",
        "fail",
        "missing AWSManagedRulesKnownBadInputsRuleSet",
    ),
    (
        "waf-managed-rules",
        "counting-cf-acl",
        "fail",
        "only counting (override action count) AWSManagedRulesCommonRuleSet",
    ),
    (
        "waf-rate-limit",
        "no-rate-acl",
        "fail",
        "has no rate-based rule",
    ),
    ("cloudfront-tls", "{allow_all_dist}", "fail", "allow-all"),
    (
        "cloudfront-tls",
        "{old_policy_dist}",
        "fail",
        "TLSv1.2_2018",
    ),
    ("cloudfront-tls", "{default_cert_dist}", "fail", "default"),
    ("ecr-scan-on-push", "prod-api", "pass", "CONTINUOUS_SCAN"),
    (
        "ecr-scan-on-push",
        "dev-api",
        "fail",
        "enhanced scanning is on but no registry rule matches it",
    ),
    (
        "cloudwatch-error-alarm",
        "123456789012/us-east-1",
        "pass",
        "alarm api-5xx watches HTTPCode_Target_5XX_Count",
    ),
    (
        "cloudwatch-error-alarm",
        "123456789012/us-west-2",
        "fail",
        "notify nobody",
    ),
    (
        "cloudwatch-error-alarm",
        "123456789012/eu-west-1",
        "fail",
        "no CloudWatch alarm in eu-west-1",
    ),
];

/// What a fixture case keeps of one account: the edge parts a check reads, or the alarms.
#[derive(Clone, Copy)]
enum Part {
    /// `cloudfront-tls`: the distributions.
    Distributions,
    /// `elb-tls-policy`: the load balancers and their TLS policies.
    LoadBalancers,
    /// `waf-attached`: the load balancers and the distributions.
    Attachments,
    /// `waf-managed-rules`, `waf-rate-limit`: the regional and CloudFront web ACLs.
    WebAcls,
    /// `ecr-*`: the repositories and the registry's scanning configuration.
    Registry,
    /// `cloudwatch-error-alarm`: the region's alarms.
    Alarms,
}

impl Part {
    /// The `EdgeRegion` fields kept, and whether the global distributions and CloudFront web
    /// ACLs are.
    fn edge_fields(self) -> (&'static [&'static str], bool, bool) {
        match self {
            Part::Distributions => (&[], true, false),
            Part::LoadBalancers => (&["load_balancers", "ssl_policies"], false, false),
            Part::Attachments => (&["load_balancers"], true, false),
            Part::WebAcls => (&["web_acls"], false, true),
            Part::Registry => (&["repositories", "registry_scanning"], false, false),
            Part::Alarms => (&[], false, false),
        }
    }
}

/// A fixture case cut from a scan: its region, the part of the account it keeps, and the
/// resources (by name; `{key}` a distribution id the seed printed).
struct Case {
    /// `<check>/<expect>/<case>`.
    id: &'static str,
    region: &'static str,
    part: Part,
    keep: &'static [&'static str],
}

const fn case(
    id: &'static str,
    region: &'static str,
    part: Part,
    keep: &'static [&'static str],
) -> Case {
    Case {
        id,
        region,
        part,
        keep,
    }
}

/// The fixtures the seeded emulator's scan produces.
const SCANNED_CASES: &[Case] = &[
    case(
        "cloudfront-tls/pass/https-only-tls12-2021",
        "us-east-1",
        Part::Distributions,
        &["{good_dist}"],
    ),
    case(
        "cloudfront-tls/fail/allow-all-behavior",
        "us-east-1",
        Part::Distributions,
        &["{allow_all_dist}"],
    ),
    case(
        "cloudfront-tls/fail/default-certificate",
        "us-east-1",
        Part::Distributions,
        &["{default_cert_dist}"],
    ),
    case(
        "cloudfront-tls/fail/old-policy",
        "us-east-1",
        Part::Distributions,
        &["{old_policy_dist}"],
    ),
    case(
        "cloudwatch-error-alarm/pass/5xx-alarm-notifies",
        "us-east-1",
        Part::Alarms,
        &[],
    ),
    case(
        "cloudwatch-error-alarm/fail/alarm-without-action",
        "us-west-2",
        Part::Alarms,
        &[],
    ),
    case(
        "cloudwatch-error-alarm/fail/no-alarm",
        "eu-west-1",
        Part::Alarms,
        &[],
    ),
    case(
        "ecr-scan-on-push/pass/basic-repo-flag",
        "us-east-1",
        Part::Registry,
        &["good-repo"],
    ),
    case(
        "ecr-scan-on-push/pass/enhanced-registry-rule",
        "us-west-2",
        Part::Registry,
        &["prod-api"],
    ),
    case(
        "ecr-scan-on-push/fail/basic-flag-off",
        "us-east-1",
        Part::Registry,
        &["bad-repo"],
    ),
    case(
        "ecr-scan-on-push/fail/enhanced-without-matching-rule",
        "us-west-2",
        Part::Registry,
        &["dev-api"],
    ),
    case(
        "ecr-tag-immutable/pass/immutable",
        "us-east-1",
        Part::Registry,
        &["good-repo"],
    ),
    case(
        "ecr-tag-immutable/fail/mutable",
        "us-east-1",
        Part::Registry,
        &["bad-repo"],
    ),
    case(
        "elb-tls-policy/pass/tls12-policy-and-redirect",
        "us-east-1",
        Part::LoadBalancers,
        &["good-alb", "internal-api"],
    ),
    case(
        "elb-tls-policy/fail/default-2016-policy",
        "us-east-1",
        Part::LoadBalancers,
        &["old-tls-alb"],
    ),
    case(
        "elb-tls-policy/fail/http-forwarded-in-clear",
        "us-east-1",
        Part::LoadBalancers,
        &["clear-http-alb"],
    ),
    case(
        "waf-attached/pass/alb-and-distribution-protected",
        "us-east-1",
        Part::Attachments,
        &["good-alb", "internal-api", "{good_dist}"],
    ),
    case(
        "waf-attached/fail/alb-without-acl",
        "us-east-1",
        Part::Attachments,
        &["bad-alb"],
    ),
    case(
        "waf-attached/fail/distribution-without-acl",
        "us-east-1",
        Part::Attachments,
        &["{bad_dist}"],
    ),
    case(
        "waf-managed-rules/pass/common-and-bad-inputs",
        "us-east-1",
        Part::WebAcls,
        &["good-acl"],
    ),
    case(
        "waf-managed-rules/fail/bad-inputs-missing",
        "us-east-1",
        Part::WebAcls,
        &["no-bad-inputs-acl"],
    ),
    case(
        "waf-managed-rules/fail/common-only-counting",
        "us-east-1",
        Part::WebAcls,
        &["counting-cf-acl"],
    ),
    case(
        "waf-rate-limit/pass/per-ip-block",
        "us-east-1",
        Part::WebAcls,
        &["good-acl"],
    ),
    case(
        "waf-rate-limit/fail/no-rate-rule",
        "us-east-1",
        Part::WebAcls,
        &["no-rate-acl"],
    ),
    case(
        "waf-rate-limit/fail/rate-rule-counts",
        "us-east-1",
        Part::WebAcls,
        &["bad-acl"],
    ),
];

impl Case {
    /// Compares the case's fragment of the scan's facts with its fixture (`test` produced it):
    /// the account with only the case's region and part, the kept resources, and the
    /// emulator's random ids, request ids and times made stable.
    fn assert_fixture(&self, facts: &Value, ids: &Value, port: u16, test: &str) {
        let keep: Vec<String> = self.keep.iter().map(|k| resolve(k, ids)).collect();
        let mut cut = facts.clone();
        let mut replace = Vec::new();
        for target in cut["settings"]["target"]["aws"]
            .as_array_mut()
            .expect("the AWS targets")
        {
            target["regions"] = serde_json::json!([self.region]);
        }
        let account = cut["aws"]
            .as_array_mut()
            .and_then(|a| a.iter_mut().find(|a| a["target"] == "emu"))
            .expect("the emu account");
        let mut kept = serde_json::Map::new();
        for key in ["target", "account_id", "partition", "error"] {
            if let Some(v) = account.get(key) {
                kept.insert(key.to_owned(), v.clone());
            }
        }
        kept.insert(
            "regions".to_owned(),
            serde_json::json!([{ "name": self.region }]),
        );
        if let Part::Alarms = self.part {
            let region = find_region(&account["infra"]["regions"], self.region);
            kept.insert(
                "infra".to_owned(),
                serde_json::json!({ "regions": [{ "name": self.region, "alarms": region["alarms"] }] }),
            );
        } else {
            let (fields, distributions, cloudfront_acls) = self.part.edge_fields();
            let edge = &account["edge"];
            let region = find_region(&edge["regions"], self.region);
            let mut kept_region = serde_json::Map::new();
            kept_region.insert("name".to_owned(), Value::from(self.region));
            for field in fields {
                let mut value = region[*field].clone();
                if matches!(*field, "load_balancers" | "web_acls" | "repositories") {
                    retain(&mut value, "name", &keep);
                }
                kept_region.insert((*field).to_owned(), value);
            }
            // Only the TLS policies the kept listeners use.
            if fields.contains(&"ssl_policies") {
                let used = used_policies(&kept_region["load_balancers"]);
                if let Some(Value::Array(policies)) = kept_region.get_mut("ssl_policies") {
                    policies.retain(|p| {
                        p["name"]
                            .as_str()
                            .is_some_and(|n| used.iter().any(|u| u == n))
                    });
                }
            }
            let mut kept_edge = serde_json::Map::new();
            kept_edge.insert(
                "regions".to_owned(),
                Value::Array(vec![Value::Object(kept_region)]),
            );
            if distributions {
                let mut listing = edge["distributions"].clone();
                retain(&mut listing, "id", &keep);
                for (n, d) in listing["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let id = d["id"].as_str().unwrap_or_default().to_owned();
                    let domain = d["domain_name"].as_str().unwrap_or_default().to_owned();
                    replace.push((id, format!("E{:012}", n + 1)));
                    replace.push((domain, format!("d{:012}.cloudfront.net", n + 1)));
                }
                kept_edge.insert("distributions".to_owned(), listing);
            }
            if cloudfront_acls {
                let mut listing = edge["cloudfront_web_acls"].clone();
                retain(&mut listing, "name", &keep);
                kept_edge.insert("cloudfront_web_acls".to_owned(), listing);
            }
            kept.insert("edge".to_owned(), Value::Object(kept_edge));
        }
        let mut account = Value::Object(kept);
        stable_hex_segments(&mut account, &mut Vec::new());
        cut["aws"] = Value::Array(vec![account]);
        let mut fragment = Fragment::new(&cut, "aws")
            .target("emu")
            .port(port)
            .replace(format!("localhost:{port}"), "localhost:PORT")
            .noise("request_id", "<request-id>")
            .noise("at", "2026-01-01T00:00:00Z")
            .uuids();
        for (from, to) in replace {
            fragment = fragment.replace(from, &to);
        }
        fragment.assert_fixture(test, self.id);
    }
}

/// The region named `name` in an array of regions.
fn find_region<'a>(regions: &'a Value, name: &str) -> &'a Value {
    regions
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("region {name} was not collected: {regions}"))
}

/// A listing cut to the items whose `field` is one of `keep`.
fn retain(listing: &mut Value, field: &str, keep: &[String]) {
    if let Some(items) = listing["items"].as_array_mut() {
        items.retain(|i| {
            i[field]
                .as_str()
                .is_some_and(|n| keep.iter().any(|k| k == n))
        });
    }
}

/// The TLS policies named by the listeners of these load balancers.
fn used_policies(load_balancers: &Value) -> Vec<String> {
    let mut used = Vec::new();
    for lb in load_balancers["items"].as_array().into_iter().flatten() {
        for l in lb["listeners"]["value"]["value"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(p) = l["ssl_policy"].as_str() {
                used.push(p.to_owned());
            }
        }
    }
    used
}

/// The emulator's random 16-hex-digit path segments (load balancer and listener ids in ELB
/// ARNs) numbered by first appearance: `/0000000000000001`.
fn stable_hex_segments(value: &mut Value, seen: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with("arn:") => {
            let segments: Vec<String> = s
                .split('/')
                .map(|seg| {
                    if seg.len() == 16 && seg.bytes().all(|b| b.is_ascii_hexdigit()) {
                        let n = seen.iter().position(|x| x == seg).unwrap_or_else(|| {
                            seen.push(seg.to_owned());
                            seen.len() - 1
                        });
                        format!("{:016}", n + 1)
                    } else {
                        seg.to_owned()
                    }
                })
                .collect();
            *s = segments.join("/");
        }
        Value::Array(items) => items.iter_mut().for_each(|v| stable_hex_segments(v, seen)),
        Value::Object(map) => map.values_mut().for_each(|v| stable_hex_segments(v, seen)),
        _ => {}
    }
}

/// Denied calls, one scan per set (a denied listing hides what a later call would read): each
/// case's check reports `error` naming the IAM action; the fixtures are cut from these scans.
/// Per scan: the operations denied; (check, IAM action its error names, whether nothing of the
/// check may pass: a distribution's web ACL is read without the association lookup); the
/// fixture cases cut from it.
type DeniedScan = (
    &'static [&'static str],
    &'static [(&'static str, &'static str, bool)],
    &'static [Case],
);

const DENIED_SCANS: &[DeniedScan] = &[
    (
        &[
            "DescribeListeners",
            "GetWebACL",
            "GetRegistryScanningConfiguration",
            "DescribeAlarms",
        ],
        &[
            (
                "elb-tls-policy",
                "elasticloadbalancing:DescribeListeners",
                true,
            ),
            ("waf-managed-rules", "wafv2:GetWebACL", true),
            ("waf-rate-limit", "wafv2:GetWebACL", true),
            (
                "ecr-scan-on-push",
                "ecr:GetRegistryScanningConfiguration",
                true,
            ),
            ("cloudwatch-error-alarm", "cloudwatch:DescribeAlarms", true),
        ],
        &[
            case(
                "elb-tls-policy/error/listeners-denied",
                "us-east-1",
                Part::LoadBalancers,
                &["good-alb"],
            ),
            case(
                "waf-managed-rules/error/get-web-acl-denied",
                "us-east-1",
                Part::WebAcls,
                &["good-acl"],
            ),
            case(
                "ecr-scan-on-push/error/registry-configuration-denied",
                "us-east-1",
                Part::Registry,
                &["good-repo"],
            ),
            case(
                "cloudwatch-error-alarm/error/describe-alarms-denied",
                "us-east-1",
                Part::Alarms,
                &[],
            ),
        ],
    ),
    (
        &[
            "DescribeLoadBalancers",
            "ListWebACLs",
            "DescribeRepositories",
            "ListDistributions",
        ],
        &[
            (
                "elb-tls-policy",
                "elasticloadbalancing:DescribeLoadBalancers",
                true,
            ),
            (
                "waf-attached",
                "elasticloadbalancing:DescribeLoadBalancers",
                true,
            ),
            ("waf-attached", "cloudfront:ListDistributions", true),
            ("waf-rate-limit", "wafv2:ListWebACLs", true),
            ("ecr-tag-immutable", "ecr:DescribeRepositories", true),
            ("cloudfront-tls", "cloudfront:ListDistributions", true),
        ],
        &[
            case(
                "elb-tls-policy/error/listing-denied",
                "us-east-1",
                Part::LoadBalancers,
                &[],
            ),
            case(
                "waf-rate-limit/error/list-web-acls-denied",
                "us-east-1",
                Part::WebAcls,
                &[],
            ),
            case(
                "ecr-tag-immutable/error/describe-repositories-denied",
                "us-east-1",
                Part::Registry,
                &[],
            ),
            case(
                "cloudfront-tls/error/listing-denied",
                "us-east-1",
                Part::Distributions,
                &[],
            ),
        ],
    ),
    (
        &["GetWebACLForResource"],
        &[("waf-attached", "wafv2:GetWebACLForResource", false)],
        &[case(
            "waf-attached/error/association-lookup-denied",
            "us-east-1",
            Part::Attachments,
            &["good-alb"],
        )],
    ),
];

/// Each denied call makes its checks report `error` naming the IAM action to grant, never a
/// pass on what could not be read; the scans are the denied fixtures' origin.
#[test]
fn denied_edge_and_alarm_calls_are_errors_naming_the_iam_action() {
    let moto = Moto::start();
    let ids = seed(&moto);
    for (operations, expected, cases) in DENIED_SCANS {
        moto.post(&format!("/vouch-deny/{}", operations.join(",")))
            .expect("deny");
        let (findings, facts) = scan(&moto, "");
        for (check, action, _) in *expected {
            let denied: Vec<&Value> = findings
                .iter()
                .filter(|((c, _), f)| {
                    c == check
                        && f["status"] == "error"
                        && f["message"]
                            .as_str()
                            .is_some_and(|m| m.contains(&format!("{action} was denied")))
                })
                .map(|(_, f)| f)
                .collect();
            assert!(
                !denied.is_empty(),
                "{check}: no error naming {action}; findings: {:?}",
                findings
                    .iter()
                    .filter(|((c, _), _)| c == check)
                    .map(|(k, f)| (k, &f["status"], &f["message"]))
                    .collect::<Vec<_>>()
            );
        }
        for ((check, subject), f) in &findings {
            if expected
                .iter()
                .any(|(c, _, none_pass)| c == check && *none_pass)
            {
                assert_ne!(
                    f["status"], "pass",
                    "{check} {subject} passed with {operations:?} denied: {}",
                    f["message"]
                );
            }
        }
        for case in *cases {
            case.assert_fixture(
                &facts,
                &ids,
                moto.port,
                "aws_edge::denied_edge_and_alarm_calls_are_errors_naming_the_iam_action",
            );
        }
    }
    moto.post("/vouch-deny/").expect("clear the denials");
}

/// The seed claim "a managed WAF with the OWASP core rule set, the known-bad-inputs rule set and
/// an IP reputation list": with `waf_required_rule_groups` naming all three, the web ACL that has
/// them passes and the one with only the first two fails, naming the missing list.
#[test]
fn emulator_waf_claim_with_ip_reputation_passes_full_acl_and_fails_partial_one() {
    let moto = Moto::start();
    seed(&moto);
    let (findings, _) = scan(
        &moto,
        "waf_required_rule_groups = [\"AWSManagedRulesCommonRuleSet\", \
         \"AWSManagedRulesKnownBadInputsRuleSet\", \"AWSManagedRulesAmazonIpReputationList\"]",
    );
    let get = |subject: &str| keyed(&findings, "waf-managed-rules", subject);
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
