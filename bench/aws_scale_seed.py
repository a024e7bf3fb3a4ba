"""Seeds a moto server for bench/aws.sh: N RDS instances, M buckets, and optionally security
groups, application load balancers and web ACLs.

Usage: python aws_scale_seed.py ENDPOINT_URL INSTANCES BUCKETS [SGS LBS ACLS]
Half the instances are encrypted with backups; every third bucket gets encryption, a Block
Public Access configuration and versioning; every other security group admits 5432 from
0.0.0.0/0 (the rest only from the first group), and instance i carries group i mod SGS; every
load balancer is internet-facing with an HTTPS listener (even ones on a 2016 TLS policy) and an
HTTP listener (even ones redirect); web ACL i has a rate-based and two managed rules and is
associated with load balancer i. So the scan sees both answers of every call.
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

ENDPOINT, INSTANCES, BUCKETS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SGS, LBS, ACLS = (int(a) for a in (sys.argv[4:7] + ["0", "0", "0"])[:3])
REGION = "us-east-1"
KW = dict(endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="testing",
          aws_secret_access_key="testing", config=Config(max_pool_connections=32, retries={"max_attempts": 10}))
rds, s3, ec2, elb, waf, acm = (boto3.client(s, **KW) for s in ("rds", "s3", "ec2", "elbv2", "wafv2", "acm"))
POOL = ThreadPoolExecutor(16)
# moto's EC2, ELBv2 and WAFv2 backends are not safe under concurrent creates (an internal error
# at a few hundred security groups): those are made one at a time.
ONE_BY_ONE = ThreadPoolExecutor(1)


def security_groups():
    if not SGS:
        return []
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    def group(i):
        return ec2.create_security_group(GroupName=f"bench-db-{i:04}", Description="bench", VpcId=vpc)["GroupId"]

    groups = list(ONE_BY_ONE.map(group, range(SGS)))

    def rule(i):
        source = ({"IpRanges": [{"CidrIp": "0.0.0.0/0"}]} if i % 2 == 0
                  else {"UserIdGroupPairs": [{"GroupId": groups[0]}]})
        ec2.authorize_security_group_ingress(GroupId=groups[i], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, **source}])

    list(ONE_BY_ONE.map(rule, range(SGS)))
    return groups


def instances(groups):
    def instance(i):
        extra = {"VpcSecurityGroupIds": [groups[i % len(groups)]]} if groups else {}
        rds.create_db_instance(DBInstanceIdentifier=f"db-{i:05}", DBInstanceClass="db.t3.micro", Engine="postgres",
                               EngineVersion="16.3", MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                               AllocatedStorage=20, StorageEncrypted=i % 2 == 0, PubliclyAccessible=False,
                               BackupRetentionPeriod=7 if i % 2 == 0 else 0, **extra)

    list(POOL.map(instance, range(INSTANCES)))


def buckets():
    def bucket(i):
        name = f"bench-bucket-{i:05}"
        s3.create_bucket(Bucket=name)
        if i % 3 == 0:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    list(POOL.map(bucket, range(BUCKETS)))


def load_balancers():
    if not LBS:
        return []
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i}.0/24", AvailabilityZone=f"{REGION}{z}")
               ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    cert = acm.request_certificate(DomainName="bench.example.com")["CertificateArn"]
    tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]

    def balancer(i):
        arn = elb.create_load_balancer(Name=f"bench-alb-{i:04}", Subnets=subnets, Scheme="internet-facing",
                                       Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
        policy = "ELBSecurityPolicy-TLS13-1-2-2021-06" if i % 2 else "ELBSecurityPolicy-2016-08"
        elb.create_listener(LoadBalancerArn=arn, Protocol="HTTPS", Port=443, SslPolicy=policy,
                            Certificates=[{"CertificateArn": cert}], DefaultActions=forward)
        elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                            DefaultActions=redirect if i % 2 == 0 else forward)
        return arn

    return list(ONE_BY_ONE.map(balancer, range(LBS)))


def web_acls(balancers):
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}

    def managed(name, priority):
        return {"Name": name, "Priority": priority, "VisibilityConfig": vis, "OverrideAction": {"None": {}},
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}}}

    def acl(i):
        rules = [{"Name": "per-ip", "Priority": 0, "VisibilityConfig": vis, "Action": {"Block": {}},
                  "Statement": {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}}},
                 managed("AWSManagedRulesCommonRuleSet", 1), managed("AWSManagedRulesKnownBadInputsRuleSet", 2)]
        arn = waf.create_web_acl(Name=f"bench-acl-{i:03}", Scope="REGIONAL", DefaultAction={"Allow": {}},
                                 Rules=rules if i % 2 == 0 else rules[1:2], VisibilityConfig=vis)["Summary"]["ARN"]
        if i < len(balancers):
            waf.associate_web_acl(WebACLArn=arn, ResourceArn=balancers[i])

    list(ONE_BY_ONE.map(acl, range(ACLS)))


groups = security_groups()
instances(groups)
buckets()
web_acls(load_balancers())
print(f"seeded {INSTANCES} instances, {BUCKETS} buckets, {SGS} security groups, "
      f"{LBS} load balancers, {ACLS} web ACLs")
