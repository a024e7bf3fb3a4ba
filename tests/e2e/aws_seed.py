"""Seeds a moto server with secure and insecure RDS and S3 resources for tests/e2e/aws.rs.

Usage: python aws_seed.py ENDPOINT_URL
Every resource named `good-*` should pass every check that judges it and every `bad-*` one
should fail; the test asserts each check on both. Account-level Block Public Access is left
unset, so each bucket is judged on its own block.
"""

import json
import sys

from moto_client import connect

client = connect(sys.argv[1])
rds = client("rds")
s3 = client("s3")
kms = client("kms")

key = kms.create_key(Description="vouch test key")["KeyMetadata"]["Arn"]

# Parameter groups: one that forces TLS, one that leaves rds.force_ssl absent (engine default).
rds.create_db_parameter_group(DBParameterGroupName="tls-pg14", DBParameterGroupFamily="postgres14",
                              Description="forces TLS")
rds.modify_db_parameter_group(DBParameterGroupName="tls-pg14", Parameters=[
    {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}])
rds.create_db_parameter_group(DBParameterGroupName="plain-pg14", DBParameterGroupFamily="postgres14",
                              Description="leaves rds.force_ssl at the engine default")
rds.create_db_parameter_group(DBParameterGroupName="plain-pg16", DBParameterGroupFamily="postgres16",
                              Description="leaves rds.force_ssl at the engine default (1 from 15 on)")


def instance(name, secure, **extra):
    args = dict(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                EngineVersion="14.10", MasterUsername="admin", MasterUserPassword="not-a-secret-1",
                AllocatedStorage=20, StorageEncrypted=secure, PubliclyAccessible=not secure,
                DeletionProtection=secure, BackupRetentionPeriod=7 if secure else 0,
                EnableIAMDatabaseAuthentication=secure,
                DBParameterGroupName="tls-pg14" if secure else "plain-pg14")
    if secure:
        args["KmsKeyId"] = key
    args.update(extra)
    rds.create_db_instance(**args)


instance("good-db", True)
instance("bad-db", False)
# Secure, with rds.force_ssl absent from its group: PostgreSQL 16's default (1) forces TLS.
instance("pg16-db", True, EngineVersion="16.3", DBParameterGroupName="plain-pg16")

rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="tls-aurora-mysql",
                                     DBParameterGroupFamily="aurora-mysql8.0", Description="requires TLS")
rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tls-aurora-mysql", Parameters=[
    {"ParameterName": "require_secure_transport", "ParameterValue": "ON", "ApplyMethod": "immediate"}])
rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="plain-aurora-pg",
                                     DBParameterGroupFamily="aurora-postgresql15", Description="TLS off")
rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="plain-aurora-pg", Parameters=[
    {"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}])

rds.create_db_cluster(DBClusterIdentifier="good-cluster", Engine="aurora-mysql", MasterUsername="admin",
                      DBClusterParameterGroupName="tls-aurora-mysql",
                      MasterUserPassword="not-a-secret-1", StorageEncrypted=True, KmsKeyId=key,
                      DeletionProtection=True, BackupRetentionPeriod=14, EnableIAMDatabaseAuthentication=True)
rds.create_db_cluster(DBClusterIdentifier="bad-cluster", Engine="aurora-postgresql", MasterUsername="admin",
                      DBClusterParameterGroupName="plain-aurora-pg",
                      MasterUserPassword="not-a-secret-1", StorageEncrypted=False, DeletionProtection=False,
                      BackupRetentionPeriod=1)

rds.create_db_snapshot(DBSnapshotIdentifier="good-snap", DBInstanceIdentifier="good-db")
rds.create_db_snapshot(DBSnapshotIdentifier="bad-snap", DBInstanceIdentifier="bad-db")
rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="bad-snap", AttributeName="restore", ValuesToAdd=["all"])
# A manual snapshot shared with one named account (not public); moto also takes the automated
# `rds:good-db-<time>` snapshot every instance gets.
rds.create_db_snapshot(DBSnapshotIdentifier="shared-snap", DBInstanceIdentifier="good-db")
rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="shared-snap", AttributeName="restore",
                                 ValuesToAdd=["210987654321"])
rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="bad-cluster-snap", DBClusterIdentifier="bad-cluster")

# Buckets.
PAB = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def tls_policy(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def secure(bucket):
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
         "BucketKeyEnabled": True}]})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PAB)
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_policy(bucket))
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


s3.create_bucket(Bucket="good-bucket")
secure("good-bucket")

s3.create_bucket(Bucket="good-audit-bucket", ObjectLockEnabledForBucket=True)
secure("good-audit-bucket")
s3.put_object_lock_configuration(Bucket="good-audit-bucket", ObjectLockConfiguration={
    "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}}})

# Default encryption with S3-managed keys (SSE-S3): enough unless [aws] s3_encryption = "kms".
s3.create_bucket(Bucket="sse-s3-bucket")
secure("sse-s3-bucket")
s3.put_bucket_encryption(Bucket="sse-s3-bucket", ServerSideEncryptionConfiguration={"Rules": [
    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})

# A bucket-level block with one of the four settings off.
s3.create_bucket(Bucket="partial-bucket")
secure("partial-bucket")
s3.put_public_access_block(Bucket="partial-bucket", PublicAccessBlockConfiguration=dict(
    PAB, RestrictPublicBuckets=False))

# An evidence bucket with Object Lock enabled but no default retention.
s3.create_bucket(Bucket="unretained-audit-bucket", ObjectLockEnabledForBucket=True)
secure("unretained-audit-bucket")

s3.create_bucket(Bucket="bad-bucket")
s3.put_bucket_policy(Bucket="bad-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bad-bucket/*"}]}))
s3.put_bucket_acl(Bucket="bad-bucket", ACL="public-read")
s3.put_bucket_versioning(Bucket="bad-bucket", VersioningConfiguration={"Status": "Suspended"})

s3.create_bucket(Bucket="bad-audit-bucket")
s3.put_bucket_acl(Bucket="bad-audit-bucket", ACL="authenticated-read")
print("seeded")
