"""Seeds a moto server with the network, audit trail, threat detection, keys, secrets and logs
around two databases, for the infrastructure checks of tests/e2e/aws.rs.

Usage: python aws_seed_infra.py ENDPOINT_URL seed | break BAD_VPC_ID
`seed`: `net-good-db` keeps every claim (private subnets routing out through a NAT gateway,
ingress on 5432 only from the application's security group, flow logs, PostgreSQL log export,
master password managed by Secrets Manager) and `net-bad-db` breaks each (a subnet routing to
an internet gateway, 5432 open to 0.0.0.0/0, no flow log, only the upgrade log exported,
password set by hand).
`good-key`/`bad-key`, `app/good-secret`/`app/bad-secret`, `/app/good`/`/app/bad` likewise.
`net-public-db`, `net-open-db` and `net-cidr-db` each break one claim in the good network; the
key `imported-key` holds imported material; `graph`, `graph-old`, `graph-audit-off` and
`graph-unread` are Neptune clusters.
us-east-1 has an enabled GuardDuty detector and a complete multi-region trail; us-west-2 has no
detector. Prints the ids the test needs as JSON on the last line.
`break`: stops logging on the trail, so cloudtrail-enabled must fail, and adds what each fail
case of a second scan needs: a multi-region trail logging only write events and stopped, a
single-region trail without KMS, the us-east-1 detector disabled, and a flow log on the bad VPC
whose delivery fails (its CloudWatch Logs group does not exist).
"""

import json
import sys

from moto_client import REGION, connect

ENDPOINT, MODE = sys.argv[1], sys.argv[2]
client = connect(ENDPOINT)
ec2 = client("ec2")
rds = client("rds")
kms = client("kms")
s3 = client("s3")
trail_client = client("cloudtrail")


def trail(name, bucket, multi_region, read_write, kms_key=None):
    """A validated trail into `bucket` logging `read_write` management events, logging on."""
    kms = {"KmsKeyId": kms_key} if kms_key else {}
    trail_client.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region,
                              EnableLogFileValidation=True, **kms)
    trail_client.put_event_selectors(TrailName=name, EventSelectors=[
        {"ReadWriteType": read_write, "IncludeManagementEvents": True}])
    trail_client.start_logging(Name=name)

if MODE == "break":
    trail_client.stop_logging(Name="audit-trail")
    key_arn = trail_client.get_trail(Name="audit-trail")["Trail"]["KmsKeyId"]
    s3.create_bucket(Bucket="vouch-trail-2")
    trail("write-only-trail", "vouch-trail-2", True, "WriteOnly", key_arn)
    trail_client.stop_logging(Name="write-only-trail")
    trail("region-trail", "vouch-trail-2", False, "All")
    guardduty = client("guardduty")
    guardduty.update_detector(DetectorId=guardduty.list_detectors()["DetectorIds"][0], Enable=False)
    bad_vpc = sys.argv[3]
    ec2.create_flow_logs(ResourceIds=[bad_vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="cloud-watch-logs", LogGroupName="/vpc/missing-group",
                         DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs")
    print("broken")
    sys.exit(0)


def vpc_with_subnets(cidr, names):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnets = {}
    for i, name in enumerate(names):
        block = cidr.replace("0.0/16", f"{i + 1}.0/24")
        subnets[name] = ec2.create_subnet(VpcId=vpc, CidrBlock=block,
                                          AvailabilityZone=f"{REGION}{'ab'[i % 2]}")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return vpc, subnets, igw


def route_table(vpc, subnets, **target):
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", **target)
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)


# Good network: database subnets route out through a NAT gateway in a public subnet.
good_vpc, good, good_igw = vpc_with_subnets("10.10.0.0/16", ["db-a", "db-b", "public"])
route_table(good_vpc, [good["public"]], GatewayId=good_igw)
eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
nat = ec2.create_nat_gateway(SubnetId=good["public"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
route_table(good_vpc, [good["db-a"], good["db-b"]], NatGatewayId=nat)
app_sg = ec2.create_security_group(GroupName="app", Description="application tier", VpcId=good_vpc)["GroupId"]
good_sg = ec2.create_security_group(GroupName="good-db", Description="database", VpcId=good_vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=good_sg, IpPermissions=[{
    "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app_sg}]}])
s3.create_bucket(Bucket="vouch-flow-logs")
ec2.create_flow_logs(ResourceIds=[good_vpc], ResourceType="VPC", TrafficType="ALL",
                     LogDestinationType="s3", LogDestination="arn:aws:s3:::vouch-flow-logs")

# Bad network: one database subnet routes straight to the internet gateway.
bad_vpc, bad, bad_igw = vpc_with_subnets("10.20.0.0/16", ["db-a", "db-public"])
route_table(bad_vpc, [bad["db-public"]], GatewayId=bad_igw)
bad_sg = ec2.create_security_group(GroupName="bad-db", Description="database", VpcId=bad_vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=bad_sg, IpPermissions=[{
    "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

rds.create_db_subnet_group(DBSubnetGroupName="good-subnets", DBSubnetGroupDescription="private",
                           SubnetIds=[good["db-a"], good["db-b"]])
rds.create_db_subnet_group(DBSubnetGroupName="bad-subnets", DBSubnetGroupDescription="one public",
                           SubnetIds=[bad["db-a"], bad["db-public"]])
common = dict(DBInstanceClass="db.t3.micro", Engine="postgres", EngineVersion="16.3",
              MasterUsername="app_admin", AllocatedStorage=20, PubliclyAccessible=False)
rds.create_db_instance(DBInstanceIdentifier="net-good-db", DBSubnetGroupName="good-subnets",
                       VpcSecurityGroupIds=[good_sg], EnableCloudwatchLogsExports=["postgresql"],
                       ManageMasterUserPassword=True, **common)
rds.create_db_instance(DBInstanceIdentifier="net-bad-db", DBSubnetGroupName="bad-subnets",
                       VpcSecurityGroupIds=[bad_sg], EnableCloudwatchLogsExports=["upgrade"],
                       MasterUserPassword="not-a-secret-1", **common)

# In the good network, one fault each: a public instance; a group open to all traffic from
# anywhere beside the application's; a group admitting a CIDR beside it.
open_sg = ec2.create_security_group(GroupName="open-db", Description="database", VpcId=good_vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=open_sg, IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app_sg}]},
    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
cidr_sg = ec2.create_security_group(GroupName="cidr-db", Description="database", VpcId=good_vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=cidr_sg, IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app_sg}]},
    {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
fault = dict(common, DBSubnetGroupName="good-subnets", MasterUserPassword="not-a-secret-1")
rds.create_db_instance(DBInstanceIdentifier="net-public-db", VpcSecurityGroupIds=[good_sg],
                       **dict(fault, PubliclyAccessible=True))
rds.create_db_instance(DBInstanceIdentifier="net-open-db", VpcSecurityGroupIds=[open_sg], **fault)
rds.create_db_instance(DBInstanceIdentifier="net-cidr-db", VpcSecurityGroupIds=[cidr_sg], **fault)

# Neptune clusters: DescribeDBClusters lists them beside the RDS ones. `graph` runs moto's
# default engine (1.3.2.1, which accepts only TLS) and exports no log; its default cluster
# parameter group is one moto does not serve. `graph-old` runs an engine from before 1.0.4.0
# with `neptune_enforce_ssl = 0` (clear connections accepted) and exports its audit log with
# `neptune_enable_audit_log = 1`. `graph-audit-off` exports the audit log but its group turns
# the log off.
rds.create_db_cluster(DBClusterIdentifier="graph", Engine="neptune")
rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="graph-old-params",
                                      DBParameterGroupFamily="neptune1", Description="neptune 1.0.3")
rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="graph-old-params", Parameters=[
    {"ParameterName": "neptune_enforce_ssl", "ParameterValue": "0", "ApplyMethod": "pending-reboot"},
    {"ParameterName": "neptune_enable_audit_log", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}])
rds.create_db_cluster(DBClusterIdentifier="graph-old", Engine="neptune", EngineVersion="1.0.3.0",
                      DBClusterParameterGroupName="graph-old-params",
                      EnableCloudwatchLogsExports=["audit"])
rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="graph-audit-off-params",
                                      DBParameterGroupFamily="neptune1.3", Description="audit off")
rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="graph-audit-off-params", Parameters=[
    {"ParameterName": "neptune_enable_audit_log", "ParameterValue": "0", "ApplyMethod": "pending-reboot"}])
rds.create_db_cluster(DBClusterIdentifier="graph-audit-off", Engine="neptune",
                      DBClusterParameterGroupName="graph-audit-off-params",
                      EnableCloudwatchLogsExports=["audit"])
# Exports its audit log, but its default group is one moto does not serve: whether the log is
# on cannot be read.
rds.create_db_cluster(DBClusterIdentifier="graph-unread", Engine="neptune",
                      EnableCloudwatchLogsExports=["audit"])

# The interface RDS places in a subnet of the instance (moto creates none): private only.
ec2.create_network_interface(SubnetId=good["db-a"], Groups=[good_sg], Description="RDSNetworkInterface",
                             PrivateIpAddress="10.10.1.25")

# Keys: one rotating, one not.
good_key = kms.create_key(Description="good-key")["KeyMetadata"]["KeyId"]
kms.enable_key_rotation(KeyId=good_key)
bad_key = kms.create_key(Description="bad-key")["KeyMetadata"]["KeyId"]
# Key material imported from outside KMS: it cannot rotate automatically.
imported_key = kms.create_key(Description="imported-key", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
key_arn = kms.describe_key(KeyId=good_key)["KeyMetadata"]["Arn"]

# Trail: multi-region, validated, KMS-encrypted, logging all management events.
s3.create_bucket(Bucket="vouch-trail")
trail("audit-trail", "vouch-trail", True, "All", key_arn)

# GuardDuty only in us-east-1 (us-west-2 is audited too and has none).
client("guardduty").create_detector(Enable=True)

# Secrets. moto stores the rotation configuration before it fails to invoke the (absent)
# rotation Lambda, which is all ListSecrets reports; the RDS-managed secret of net-good-db is
# given the 7-day schedule RDS configures on real accounts, which moto leaves out.
sm = client("secretsmanager")
sm.create_secret(Name="app/good-secret", SecretString="not-a-secret-value")
sm.create_secret(Name="app/bad-secret", SecretString="not-a-secret-value")
lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate"
for secret in ["app/good-secret"] + [s["ARN"] for s in sm.list_secrets()["SecretList"]
                                     if s.get("OwningService") == "rds"]:
    try:
        sm.rotate_secret(SecretId=secret, RotationLambdaARN=lambda_arn,
                         RotationRules={"AutomaticallyAfterDays": 7 if secret != "app/good-secret" else 30})
    except sm.exceptions.ResourceNotFoundException:
        pass
rotating = {s["Name"]: s.get("RotationEnabled", False) for s in sm.list_secrets()["SecretList"]}
assert rotating["app/good-secret"] and not rotating["app/bad-secret"], rotating
assert all(v for k, v in rotating.items() if k.startswith("rds!")), rotating

# Log groups.
logs = client("logs")
logs.create_log_group(logGroupName="/app/good", kmsKeyId=key_arn)
logs.put_retention_policy(logGroupName="/app/good", retentionInDays=400)
logs.create_log_group(logGroupName="/app/bad")
logs.put_retention_policy(logGroupName="/app/bad", retentionInDays=7)

print(json.dumps({"good_vpc": good_vpc, "bad_vpc": bad_vpc, "app_sg": app_sg,
                  "good_key": good_key, "bad_key": bad_key, "imported_key": imported_key}))
