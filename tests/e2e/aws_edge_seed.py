"""Seeds a moto server with secure (`good-*`) and insecure (`bad-*`) load balancers, web ACLs,
CloudFront distributions, ECR repositories and CloudWatch alarms for tests/e2e/aws_edge.rs, and
the resources each regenerated facts fixture of these checks is cut from (one fault each).

Regions: us-east-1 holds almost everything (a basic-scanning ECR registry, a 5xx alarm that
notifies); us-west-2 an enhanced-scanning registry and a 5xx alarm that notifies nobody;
eu-west-1 nothing (no alarm).

Usage: python aws_edge_seed.py ENDPOINT_URL
Prints one JSON object: the ids the test needs (CloudFront distribution ids are generated).
"""

import json
import sys

from moto_client import REGION, connect

client = connect(sys.argv[1])
WEST = "us-west-2"
ec2 = client("ec2")
elb = client("elbv2")
waf = client("wafv2")
cf = client("cloudfront")
ecr = client("ecr")
acm = client("acm")

vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
           for i, z in ((1, "a"), (2, "b"))]
CERT = acm.request_certificate(DomainName="app.example.com")["CertificateArn"]
tg = elb.create_target_group(Name="app", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
FORWARD = [{"Type": "forward", "TargetGroupArn": tg}]
REDIRECT = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]


def load_balancer(name, policy, http_actions, scheme="internet-facing"):
    arn = elb.create_load_balancer(Name=name, Subnets=subnets, Scheme=scheme, Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTPS", Port=443, SslPolicy=policy,
                        Certificates=[{"CertificateArn": CERT}], DefaultActions=FORWARD)
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=http_actions)
    return arn


good_lb = load_balancer("good-alb", "ELBSecurityPolicy-TLS13-1-2-2021-06", REDIRECT)
bad_lb = load_balancer("bad-alb", "ELBSecurityPolicy-2016-08", FORWARD)
# One fault each: an old TLS policy (port 80 redirects), plain HTTP forwarded (TLS 1.2+ policy).
load_balancer("old-tls-alb", "ELBSecurityPolicy-2016-08", REDIRECT)
load_balancer("clear-http-alb", "ELBSecurityPolicy-TLS13-1-2-2021-06", FORWARD)
# Internal, plain HTTP only: neither failed for TLS nor required to carry a web ACL.
internal = elb.create_load_balancer(Name="internal-api", Subnets=subnets, Scheme="internal",
                                    Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
elb.create_listener(LoadBalancerArn=internal, Protocol="HTTP", Port=8080, DefaultActions=FORWARD)

VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def managed(name, priority, count=False):
    return {"Name": name, "Priority": priority, "VisibilityConfig": VIS,
            "OverrideAction": {"Count": {}} if count else {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}}}


def rate(action):
    return {"Name": "per-ip", "Priority": 0, "VisibilityConfig": VIS, "Action": {action: {}},
            "Statement": {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}}}


def web_acl(name, rules, scope="REGIONAL"):
    return waf.create_web_acl(Name=name, Scope=scope, DefaultAction={"Allow": {}}, Rules=rules,
                              VisibilityConfig=VIS)["Summary"]["ARN"]


good_acl = web_acl("good-acl", [rate("Block"), managed("AWSManagedRulesCommonRuleSet", 1),
                                managed("AWSManagedRulesKnownBadInputsRuleSet", 2)])
# Common rule set only counting, known-bad-inputs missing, rate rule only counting.
web_acl("bad-acl", [rate("Count"), managed("AWSManagedRulesCommonRuleSet", 1, count=True)])
good_cf_acl = web_acl("good-cf-acl", [rate("Block"), managed("AWSManagedRulesCommonRuleSet", 1),
                                      managed("AWSManagedRulesKnownBadInputsRuleSet", 2)], scope="CLOUDFRONT")
# The seed claim in full: OWASP core, known-bad-inputs and an IP reputation list (judged with
# `waf_required_rule_groups` naming all three; good-acl then lacks the third).
web_acl("claim-acl", [rate("Block"), managed("AWSManagedRulesCommonRuleSet", 1),
                      managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
                      managed("AWSManagedRulesAmazonIpReputationList", 3)])
# One fault each: the known-bad-inputs set missing; no rate-based rule; a CloudFront ACL whose
# common rule set only counts.
web_acl("no-bad-inputs-acl", [rate("Block"), managed("AWSManagedRulesCommonRuleSet", 1)])
web_acl("no-rate-acl", [managed("AWSManagedRulesCommonRuleSet", 1),
                        managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
                        managed("AWSManagedRulesAmazonIpReputationList", 3)])
web_acl("counting-cf-acl", [managed("AWSManagedRulesCommonRuleSet", 1, count=True),
                            managed("AWSManagedRulesKnownBadInputsRuleSet", 2)], scope="CLOUDFRONT")
waf.associate_web_acl(WebACLArn=good_acl, ResourceArn=good_lb)


def distribution(ref, viewer_policy, version, acl, paths=(), default_certificate=False):
    """`paths`: extra cache behaviors (path pattern, viewer protocol policy)."""
    config = {
        "CallerReference": ref, "Comment": ref, "Enabled": True, "WebACLId": acl,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example.com",
                                                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                                                       "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": viewer_policy,
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        "ViewerCertificate": {"ACMCertificateArn": CERT, "SSLSupportMethod": "sni-only",
                              # moto defaults this to true even with an ACM certificate; AWS sets it false.
                              "CloudFrontDefaultCertificate": False,
                              "MinimumProtocolVersion": version},
    }
    if paths:
        config["CacheBehaviors"] = {"Quantity": len(paths), "Items": [
            {"PathPattern": p, "TargetOriginId": "o", "ViewerProtocolPolicy": v,
             "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"} for p, v in paths]}
    if default_certificate:
        # The *.cloudfront.net certificate: no ACM certificate, no minimum version chosen
        # (CloudFront then answers TLSv1).
        config["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}
    return cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


good_dist = distribution("good-dist", "redirect-to-https", "TLSv1.2_2021", good_cf_acl,
                         paths=[("/api/*", "https-only")])
bad_dist = distribution("bad-dist", "allow-all", "TLSv1", "")
# One fault each, all behind the CloudFront web ACL.
allow_all_dist = distribution("allow-all-path-dist", "redirect-to-https", "TLSv1.2_2021", good_cf_acl,
                              paths=[("/p1/*", "allow-all")])
old_policy_dist = distribution("old-policy-dist", "redirect-to-https", "TLSv1.2_2018", good_cf_acl)
default_cert_dist = distribution("default-cert-dist", "redirect-to-https", "", good_cf_acl,
                                 default_certificate=True)

ecr.create_repository(repositoryName="good-repo", imageTagMutability="IMMUTABLE",
                      imageScanningConfiguration={"scanOnPush": True})
ecr.create_repository(repositoryName="bad-repo", imageTagMutability="MUTABLE",
                      imageScanningConfiguration={"scanOnPush": False})

# Enhanced scanning in us-west-2: continuous scanning of `prod-*` covers prod-api (its own
# scan-on-push flag off, ignored under enhanced scanning); dev-api matches no rule.
west_ecr = client("ecr", WEST)
west_ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
    {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]}])
west_ecr.create_repository(repositoryName="prod-api", imageTagMutability="IMMUTABLE",
                           imageScanningConfiguration={"scanOnPush": False})
west_ecr.create_repository(repositoryName="dev-api", imageTagMutability="IMMUTABLE",
                           imageScanningConfiguration={"scanOnPush": True})

# CloudWatch: in us-east-1 a 5xx alarm that notifies the on-call topic; in us-west-2 one that
# notifies nobody; eu-west-1 has none.
sns = client("sns")
topic = sns.create_topic(Name="oncall")["TopicArn"]


def alarm(cloudwatch, name, actions):
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/ApplicationELB",
                                MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
                                ActionsEnabled=True, AlarmActions=actions)


alarm(client("cloudwatch"), "api-5xx", [topic])
alarm(client("cloudwatch", WEST), "api-5xx", [])

print(json.dumps({"good_dist": good_dist, "bad_dist": bad_dist, "allow_all_dist": allow_all_dist,
                  "old_policy_dist": old_policy_dist, "default_cert_dist": default_cert_dist}))
