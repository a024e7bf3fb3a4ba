"""The floor for bench/aws.sh: the same read calls vouch makes, issued by a minimal concurrent
boto3 client (32 threads, one call each, no processing beyond collecting the answers).

Usage: python aws_floor.py ENDPOINT_URL
"""

import socket
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
_getaddrinfo = socket.getaddrinfo
# s3control puts the account id in front of the host (ACCOUNT.localhost), as for vouch.
socket.getaddrinfo = lambda host, *a, **k: _getaddrinfo(
    "127.0.0.1" if isinstance(host, str) and host.endswith(".localhost") else host, *a, **k)
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="testing",
          aws_secret_access_key="testing", config=Config(max_pool_connections=32))
sts, rds, s3 = (boto3.client(s, **KW) for s in ("sts", "rds", "s3"))
control = boto3.client("s3control", **KW)
calls = 0


def pages(client, op, key, **kw):
    global calls
    items = []
    for page in client.get_paginator(op).paginate(**kw):
        calls += 1
        items += page[key]
    return items


def call(fn, **kw):
    try:
        return fn(**kw)
    except ClientError as e:
        return e.response


account = sts.get_caller_identity()["Account"]
calls += 1
instances = pages(rds, "describe_db_instances", "DBInstances")
clusters = pages(rds, "describe_db_clusters", "DBClusters")
snaps = pages(rds, "describe_db_snapshots", "DBSnapshots")
cluster_snaps = pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots")
groups = {g["DBParameterGroupName"] for i in instances for g in i.get("DBParameterGroups", [])}
manual = [s["DBSnapshotIdentifier"] for s in snaps if s.get("SnapshotType") == "manual"]
buckets = s3.list_buckets()["Buckets"]
calls += 1
call(control.get_public_access_block, AccountId=account)
calls += 1

BUCKET_OPS = [s3.get_bucket_encryption, s3.get_public_access_block, s3.get_bucket_policy_status,
              s3.get_bucket_policy, s3.get_bucket_acl, s3.get_bucket_versioning,
              s3.get_object_lock_configuration]
jobs = [(op, {"Bucket": b["Name"]}) for b in buckets for op in BUCKET_OPS]
# Like vouch: a bucket ListBuckets did not place (moto omits BucketRegion) is located first.
jobs += [(s3.get_bucket_location, {"Bucket": b["Name"]}) for b in buckets if "BucketRegion" not in b]
jobs += [(rds.describe_db_snapshot_attributes, {"DBSnapshotIdentifier": s}) for s in manual]
with ThreadPoolExecutor(32) as pool:
    results = list(pool.map(lambda j: call(j[0], **j[1]), jobs))
    params = [pages(rds, "describe_db_parameters", "Parameters", DBParameterGroupName=g) for g in groups]
calls += len(results)
print(f"floor: {len(instances)} instances, {len(buckets)} buckets, {calls} calls")
