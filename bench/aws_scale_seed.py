"""Seeds a moto server with N RDS instances and M buckets for bench/aws.sh.

Usage: python aws_scale_seed.py ENDPOINT_URL INSTANCES BUCKETS
Half the instances are encrypted with backups; every third bucket gets encryption, a Block
Public Access configuration and versioning, so the scan sees both answers of every call.
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

ENDPOINT, INSTANCES, BUCKETS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id="testing",
          aws_secret_access_key="testing", config=Config(max_pool_connections=32, retries={"max_attempts": 10}))
rds = boto3.client("rds", **KW)
s3 = boto3.client("s3", **KW)


def instance(i):
    rds.create_db_instance(DBInstanceIdentifier=f"db-{i:05}", DBInstanceClass="db.t3.micro", Engine="postgres",
                           EngineVersion="16.3", MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                           AllocatedStorage=20, StorageEncrypted=i % 2 == 0, PubliclyAccessible=False,
                           BackupRetentionPeriod=7 if i % 2 == 0 else 0)


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


with ThreadPoolExecutor(16) as pool:
    list(pool.map(instance, range(INSTANCES)))
    list(pool.map(bucket, range(BUCKETS)))
print(f"seeded {INSTANCES} instances, {BUCKETS} buckets")
