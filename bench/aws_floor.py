"""The floor for bench/aws.sh: the same read calls vouch makes, issued by a minimal concurrent
boto3 client (32 threads, no processing beyond collecting the answers and picking the ids the
next calls need).

Usage: python aws_floor.py ENDPOINT_URL

Phase 1 runs every listing side by side (each paginated in its own thread); phase 2 every
per-resource read. vouch interleaves them (a resource's reads start as soon as its listing
page arrives), so the floor's phases only make it wait where vouch does not.
"""

import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
REGION = "us-east-1"
_getaddrinfo = socket.getaddrinfo
# s3control puts the account id in front of the host (ACCOUNT.localhost), as for vouch.
socket.getaddrinfo = lambda host, *a, **k: _getaddrinfo(
    "127.0.0.1" if isinstance(host, str) and host.endswith(".localhost") else host, *a, **k)
KW = dict(endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="testing",
          aws_secret_access_key="testing", config=Config(max_pool_connections=32))
C = {s: boto3.client(s, **KW) for s in (
    "sts", "rds", "s3", "s3control", "ec2", "cloudtrail", "guardduty", "kms", "secretsmanager", "logs",
    "cloudwatch", "elbv2", "wafv2", "cloudfront", "ecr")}
POOL = ThreadPoolExecutor(32)
calls = 0
lock = threading.Lock()


def count(n=1):
    global calls
    with lock:
        calls += n


def call(fn, **kw):
    """One call; a failure is an answer too (vouch records it)."""
    count()
    try:
        return fn(**kw)
    except ClientError as e:
        return e.response
    except Exception as e:  # noqa: BLE001  (moto does not serve every protocol: still a call)
        return {"error": str(e)}


def pages(service, op, key, **kw):
    items = []
    try:
        for page in C[service].get_paginator(op).paginate(**kw):
            count()
            items += page.get(key, [])
    except ClientError:
        count()
    return items


def web_acls(scope):
    acls, marker = [], None
    while True:
        out = call(C["wafv2"].list_web_acls, Scope=scope, Limit=100, **({"NextMarker": marker} if marker else {}))
        acls += out.get("WebACLs", [])
        marker = out.get("NextMarker")
        if not marker or not out.get("WebACLs"):
            return [(scope, a) for a in acls]


def rds_listings():
    return {
        "instances": pages("rds", "describe_db_instances", "DBInstances"),
        "clusters": pages("rds", "describe_db_clusters", "DBClusters"),
        "snaps": pages("rds", "describe_db_snapshots", "DBSnapshots"),
        "cluster_snaps": pages("rds", "describe_db_cluster_snapshots", "DBClusterSnapshots"),
    }


LISTINGS = {
    "rds": rds_listings,
    "buckets": lambda: call(C["s3"].list_buckets).get("Buckets", []),
    "account_block": lambda: call(C["s3control"].get_public_access_block, AccountId=ACCOUNT),
    "ec2": lambda: [pages("ec2", op, key) for op, key in (
        ("describe_subnets", "Subnets"), ("describe_route_tables", "RouteTables"),
        ("describe_internet_gateways", "InternetGateways"), ("describe_nat_gateways", "NatGateways"),
        ("describe_security_groups", "SecurityGroups"), ("describe_flow_logs", "FlowLogs"))] + [
        pages("ec2", "describe_network_interfaces", "NetworkInterfaces",
              Filters=[{"Name": "description", "Values": ["RDSNetworkInterface"]}])],
    "trails": lambda: call(C["cloudtrail"].describe_trails, includeShadowTrails=True).get("trailList", []),
    "detectors": lambda: pages("guardduty", "list_detectors", "DetectorIds"),
    "keys": lambda: pages("kms", "list_keys", "Keys"),
    "secrets": lambda: pages("secretsmanager", "list_secrets", "SecretList"),
    "log_groups": lambda: pages("logs", "describe_log_groups", "logGroups"),
    "alarms": lambda: call(C["cloudwatch"].describe_alarms),
    "lbs": lambda: pages("elbv2", "describe_load_balancers", "LoadBalancers"),
    "acls": lambda: web_acls("REGIONAL") + web_acls("CLOUDFRONT"),
    "distributions": lambda: pages("cloudfront", "list_distributions", "DistributionList"),
    "repositories": lambda: pages("ecr", "describe_repositories", "repositories"),
    "registry_scanning": lambda: call(C["ecr"].get_registry_scanning_configuration),
}


def per_resource_jobs(got):
    """The reads each listed resource needs, as vouch makes them."""
    r = got["rds"]
    standalone = [i for i in r["instances"] if not i.get("DBClusterIdentifier")]
    jobs = [(C["rds"].describe_db_parameters, {"DBParameterGroupName": g}) for g in sorted(
        {g["DBParameterGroupName"] for i in standalone for g in i.get("DBParameterGroups", [])})]
    jobs += [(C["rds"].describe_db_cluster_parameters, {"DBClusterParameterGroupName": g}) for g in sorted(
        {c["DBClusterParameterGroup"] for c in r["clusters"] if c.get("DBClusterParameterGroup")})]
    jobs += [(C["rds"].describe_db_snapshot_attributes, {"DBSnapshotIdentifier": s["DBSnapshotIdentifier"]})
             for s in r["snaps"] if s.get("SnapshotType") == "manual"]
    jobs += [(C["rds"].describe_db_cluster_snapshot_attributes,
              {"DBClusterSnapshotIdentifier": s["DBClusterSnapshotIdentifier"]})
             for s in r["cluster_snaps"] if s.get("SnapshotType") == "manual"]
    rds_keys = {x.get("KmsKeyId") for x in r["instances"] + r["clusters"] + r["snaps"] + r["cluster_snaps"]
                if x.get("StorageEncrypted", x.get("Encrypted")) and x.get("KmsKeyId")}
    jobs += [(C["kms"].describe_key, {"KeyId": k}) for k in sorted(rds_keys)]
    bucket_ops = [C["s3"].get_bucket_encryption, C["s3"].get_public_access_block, C["s3"].get_bucket_policy_status,
                  C["s3"].get_bucket_policy, C["s3"].get_bucket_acl, C["s3"].get_bucket_versioning,
                  C["s3"].get_object_lock_configuration]
    jobs += [(op, {"Bucket": b["Name"]}) for b in got["buckets"] for op in bucket_ops]
    # Like vouch: a bucket ListBuckets did not place (moto omits BucketRegion) is located first.
    jobs += [(C["s3"].get_bucket_location, {"Bucket": b["Name"]}) for b in got["buckets"] if "BucketRegion" not in b]
    for t in got["trails"]:
        jobs += [(C["cloudtrail"].get_trail_status, {"Name": t["TrailARN"]}),
                 (C["cloudtrail"].get_event_selectors, {"TrailName": t["TrailARN"]})]
    jobs += [(C["guardduty"].get_detector, {"DetectorId": d}) for d in got["detectors"]]
    jobs += [(describe_key_and_rotation, {"KeyId": k["KeyId"]}) for k in got["keys"]]
    for lb in got["lbs"]:
        jobs.append((listeners_then_policy, {"arn": lb["LoadBalancerArn"]}))
        if lb.get("Type") == "application" and lb.get("Scheme") == "internet-facing":
            jobs.append((C["wafv2"].get_web_acl_for_resource, {"ResourceArn": lb["LoadBalancerArn"]}))
    jobs += [(C["wafv2"].get_web_acl, {"Name": a["Name"], "Id": a["Id"], "Scope": scope}) for scope, a in got["acls"]]
    return jobs


POLICIES = set()


def listeners_then_policy(arn):
    for listener in pages("elbv2", "describe_listeners", "Listeners", LoadBalancerArn=arn):
        if listener.get("SslPolicy"):
            with lock:
                POLICIES.add(listener["SslPolicy"])


def describe_key_and_rotation(KeyId):
    count()
    meta = C["kms"].describe_key(KeyId=KeyId)["KeyMetadata"]
    if (meta.get("KeyManager"), meta.get("KeyState"), meta.get("KeySpec"), meta.get("Origin")) == (
            "CUSTOMER", "Enabled", "SYMMETRIC_DEFAULT", "AWS_KMS"):
        call(C["kms"].get_key_rotation_status, KeyId=KeyId)


def run(job):
    fn, kw = job
    if fn in (listeners_then_policy, describe_key_and_rotation):
        return fn(**kw)
    return call(fn, **kw)


ACCOUNT = call(C["sts"].get_caller_identity)["Account"]
got = dict(zip(LISTINGS, POOL.map(lambda f: f(), LISTINGS.values())))
list(POOL.map(run, per_resource_jobs(got)))
if POLICIES:  # one call naming every policy in use, as vouch does
    call(C["elbv2"].describe_ssl_policies, Names=sorted(POLICIES))
print(f"floor: {len(got['rds']['instances'])} instances, {len(got['buckets'])} buckets, "
      f"{len(got['lbs'])} load balancers, {len(got['acls'])} web ACLs, {calls} calls")
