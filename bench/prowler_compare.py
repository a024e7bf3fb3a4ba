"""Compares vouch's AWS verdicts with Prowler's, resource by resource (bench/prowler.sh).

Usage:
  python prowler_compare.py --prowler-checks
      prints the Prowler checks that ask the questions vouch's checks ask (one line)
  python prowler_compare.py VOUCH_REPORT.json VOUCH_FACTS.json PROWLER.csv [--table OUT.tsv]
      writes one row per (resource, Prowler check) with both verdicts, prints the agreements
      and disagreements, and exits 1 when a disagreement is not one explained in
      docs/aws-prowler.md (EXPLAINED below names each with its section there).

Resources are matched by ARN. Three vouch checks judge at another level than Prowler, and are
matched through the facts: sg-db-ingress-restricted judges the database (Prowler the security
group: each database carrying the group is compared), guardduty-enabled judges the region
(Prowler the detector), cloudtrail-enabled the account (Prowler each trail).
"""

import csv
import json
import re
import sys

# Prowler check -> the vouch check asking the same question.
MAP = {
    "rds_instance_storage_encrypted": "rds-storage-encrypted",
    "rds_cluster_storage_encrypted": "rds-storage-encrypted",
    "rds_instance_no_public_access": "rds-not-public",
    "rds_instance_backup_enabled": "rds-backup-retention",
    "rds_instance_deletion_protection": "rds-deletion-protection",
    "rds_cluster_deletion_protection": "rds-deletion-protection",
    "rds_instance_iam_authentication_enabled": "rds-iam-auth",
    "rds_cluster_iam_authentication_enabled": "rds-iam-auth",
    "rds_instance_transport_encrypted": "rds-force-ssl",
    "rds_instance_integration_cloudwatch_logs": "rds-log-exports",
    "rds_cluster_integration_cloudwatch_logs": "rds-log-exports",
    "rds_snapshots_encrypted": "rds-snapshot-encrypted",
    "rds_snapshots_public_access": "rds-snapshot-not-public",
    "s3_bucket_default_encryption": "s3-default-encryption",
    "s3_bucket_level_public_access_block": "s3-public-access-block",
    "s3_bucket_public_access": "s3-not-public",
    "s3_bucket_secure_transport_policy": "s3-secure-transport",
    "s3_bucket_object_versioning": "s3-versioning",
    "s3_bucket_object_lock": "s3-object-lock",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432": "sg-db-ingress-restricted",
    "cloudtrail_multi_region_enabled": "cloudtrail-enabled",
    "cloudtrail_log_file_validation_enabled": "cloudtrail-enabled",
    "cloudtrail_kms_encryption_enabled": "cloudtrail-enabled",
    "vpc_flow_logs_enabled": "vpc-flow-logs",
    "guardduty_is_enabled": "guardduty-enabled",
    "kms_cmk_rotation_enabled": "kms-key-rotation",
    "secretsmanager_automatic_rotation_enabled": "secrets-rotation",
    "cloudwatch_log_group_kms_encryption_enabled": "logs-encrypted-retained",
    "cloudwatch_log_group_retention_policy_specific_days_enabled": "logs-encrypted-retained",
    "elbv2_insecure_ssl_ciphers": "elb-tls-policy",
    "elbv2_ssl_listeners": "elb-tls-policy",
    "cloudfront_distributions_https_enabled": "cloudfront-tls",
    "cloudfront_distributions_using_deprecated_ssl_protocols": "cloudfront-tls",
    "elbv2_waf_acl_attached": "waf-attached",
    "cloudfront_distributions_using_waf": "waf-attached",
    "wafv2_webacl_managed_rule_groups_enabled": "waf-managed-rules",
    "ecr_repositories_scan_images_on_push_enabled": "ecr-scan-on-push",
    "ecr_repositories_tag_immutability": "ecr-tag-immutable",
}

# The disagreements docs/aws-prowler.md explains: (Prowler check, ARN pattern, Prowler's status,
# vouch's status, words vouch's message must hold, the section there). Each names the seeded
# resources it is about, so a new disagreement elsewhere is not explained away.
EXPLAINED = [
    ("rds_instance_no_public_access", r":db:bad-db$", "PASS", "fail", "publicly accessible",
     "publicly accessible without an open security group"),
    ("rds_instance_backup_enabled", r":db:net-(good|bad)-db$", "PASS", "fail", "kept 1 day(s)",
     "one day of backups"),
    ("rds_instance_transport_encrypted", r":db:net-(good|bad)-db$", "FAIL", "pass", "default",
     "rds.force_ssl left at the engine default"),
    ("elbv2_waf_acl_attached", r"/app/good-alb/", "FAIL", "pass", "web ACL",
     "web ACL associations on moto"),
    ("wafv2_webacl_managed_rule_groups_enabled", r"/webacl/bad-acl/", "PASS", "fail", "missing",
     "which managed rule groups, enforced"),
    ("cloudfront_distributions_using_deprecated_ssl_protocols", r":distribution/", "PASS", "fail",
     "is older", "origin protocols against the viewer minimum"),
]


def explanation(check, arn, prowler, vouch, messages):
    for c, pattern, p, v, words, section in EXPLAINED:
        if (c == check and re.search(pattern, arn) and p == prowler and v == vouch
                and all(words in m for m in messages)):
            return section
    return ""


def arn_key(uid):
    """An ARN as both tools write it: CloudWatch log group ARNs end in `:*` in Prowler."""
    return uid.removesuffix(":*")


def vouch_findings(report):
    by_check_uri, by_check_subject = {}, {}
    for f in report["findings"]:
        uri = f.get("location", {}).get("uri", "")
        by_check_uri.setdefault((f["check"], arn_key(uri)), []).append(f)
        by_check_subject.setdefault((f["check"], f["subject"]), []).append(f)
    return by_check_uri, by_check_subject


def databases_with_group(facts, group_id):
    return sorted(db["identifier"] for account in facts.get("aws", [])
                  for region in account.get("regions", [])
                  for db in region.get("db_instances", {}).get("items", [])
                  if group_id in db.get("security_groups", []))


def counterparts(row, vouch_check, by_uri, by_subject, facts):
    """The vouch findings judging the same resource as the Prowler row."""
    uid, region, account = arn_key(row["RESOURCE_UID"]), row["REGION"], row["ACCOUNT_UID"]
    if vouch_check == "sg-db-ingress-restricted":
        group = uid.rsplit("/", 1)[-1]
        return [f for db in databases_with_group(facts, group)
                for f in by_subject.get((vouch_check, db), [])]
    if vouch_check == "guardduty-enabled":
        return by_subject.get((vouch_check, f"{account}/{region}"), [])
    if vouch_check == "cloudtrail-enabled":
        return by_subject.get((vouch_check, account), [])
    return by_uri.get((vouch_check, uid), [])


def verdict(prowler_status, vouch_statuses):
    if not vouch_statuses:
        return "not judged by vouch"
    p = {"PASS": "pass", "FAIL": "fail"}.get(prowler_status, prowler_status.lower())
    return "agree" if set(vouch_statuses) == {p} else "disagree"


def main(argv):
    if argv[1:] == ["--prowler-checks"]:
        print(" ".join(MAP))
        return 0
    report, facts = json.load(open(argv[1])), json.load(open(argv[2]))
    table = argv[argv.index("--table") + 1] if "--table" in argv else None
    by_uri, by_subject = vouch_findings(report)
    rows = []
    with open(argv[3], newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            check = row["CHECK_ID"]
            if check not in MAP:
                continue
            vouch_check = MAP[check]
            mine = counterparts(row, vouch_check, by_uri, by_subject, facts)
            statuses = sorted({f["status"] for f in mine})
            name = row["RESOURCE_NAME"] or arn_key(row["RESOURCE_UID"]).rsplit("/", 1)[-1]
            v = verdict(row["STATUS"], statuses)
            why = explanation(check, arn_key(row["RESOURCE_UID"]), row["STATUS"], ",".join(statuses),
                              [f["message"] for f in mine])
            rows.append({"resource": name, "arn": arn_key(row["RESOURCE_UID"]), "prowler_check": check,
                         "prowler": row["STATUS"], "vouch_check": vouch_check,
                         "vouch": ",".join(statuses) or "-",
                         "vouch_subjects": ",".join(sorted({f["subject"] for f in mine})),
                         "verdict": v, "explained": why})
    rows.sort(key=lambda r: (r["vouch_check"], r["resource"], r["prowler_check"]))
    judged = {MAP[r["prowler_check"]] for r in rows}
    unmatched = sorted({(f["check"], f["subject"], f["status"]) for f in report["findings"]
                        if f["check"] in set(MAP.values())} -
                       {(r["vouch_check"], s, st) for r in rows
                        for s in r["vouch_subjects"].split(",") for st in r["vouch"].split(",")})
    if table:
        with open(table, "w", newline="") as out:
            w = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["resource"], delimiter="\t")
            w.writeheader()
            w.writerows(rows)
    counts = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    print("resource\tprowler check\tprowler\tvouch check\tvouch\tverdict")
    for r in rows:
        mark = r["verdict"] if not r["explained"] else f"{r['verdict']} (explained: {r['explained']})"
        print(f"{r['resource']}\t{r['prowler_check']}\t{r['prowler']}\t{r['vouch_check']}\t{r['vouch']}\t{mark}")
    explained = sum(1 for r in rows if r["verdict"] == "disagree" and r["explained"])
    print(f"\n{len(rows)} Prowler findings on overlapping checks: "
          + ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
          + f" ({explained} of the disagreements explained in docs/aws-prowler.md)")
    print(f"vouch findings of the overlapping checks with no Prowler finding: {len(unmatched)}")
    for check, subject, status in unmatched:
        print(f"  vouch only\t{check}\t{subject}\t{status}")
    missing = sorted(set(MAP.values()) - judged)
    if missing:
        print(f"overlapping vouch checks Prowler gave no finding for: {', '.join(missing)}")
    unexplained = [r for r in rows if r["verdict"] == "disagree" and not r["explained"]]
    for r in unexplained:
        print(f"UNEXPLAINED: {r['resource']} {r['prowler_check']} prowler {r['prowler']} vs vouch {r['vouch']}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
