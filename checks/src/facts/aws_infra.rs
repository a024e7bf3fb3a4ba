//! AWS account state around the databases, read-only: the network (EC2 subnets, route tables,
//! gateways, security groups, VPC flow logs), the management-plane audit trail (CloudTrail),
//! threat detection (GuardDuty), customer-managed keys (KMS), secrets (Secrets Manager, metadata
//! only: never a secret value), log groups and alarms (CloudWatch).
//!
//! Same conventions as [`super::aws`]: every record keeps the [`Call`] that returned it, a failed
//! listing is [`Listing::error`], a failed per-resource read is [`Read::Error`].

use serde::{Deserialize, Serialize};

use super::aws::{Call, Listing, Read};

/// Everything of one account beyond RDS and S3.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Infra {
    /// The region the trails were listed in (the first audited region): a multi-region trail of
    /// any region is listed there too.
    pub trail_region: String,
    pub trails: Listing<Trail>,
    /// One entry per audited region. A region missing here was not collected: every check
    /// judging it reports `error`.
    pub regions: Vec<InfraRegion>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InfraRegion {
    pub name: String,
    pub subnets: Listing<Subnet>,
    pub route_tables: Listing<RouteTable>,
    pub internet_gateways: Listing<InternetGateway>,
    pub nat_gateways: Listing<NatGateway>,
    pub security_groups: Listing<SecurityGroup>,
    /// The network interfaces RDS created for its instances (description `RDSNetworkInterface`).
    pub rds_network_interfaces: Listing<NetworkInterface>,
    pub flow_logs: Listing<FlowLog>,
    pub guardduty_detectors: Listing<Detector>,
    pub kms_keys: Listing<Key>,
    pub secrets: Listing<Secret>,
    pub log_groups: Listing<LogGroup>,
    pub alarms: Listing<Alarm>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr: String,
    pub map_public_ip_on_launch: bool,
    pub call: Call,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    /// The VPC's main route table: it serves every subnet with no explicit association.
    pub main: bool,
    /// Subnets explicitly associated with this table.
    pub subnets: Vec<String>,
    pub routes: Vec<Route>,
    pub call: Call,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Route {
    /// The destination CIDR (IPv4 or IPv6) or prefix list id.
    pub destination: String,
    /// The target's id: `igw-…`, `nat-…`, `eigw-…`, `local`, `pcx-…`, `tgw-…`, `eni-…`, `vgw-…`.
    pub target: String,
    /// `active` or `blackhole` (the target is gone: the route carries nothing).
    pub state: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InternetGateway {
    pub id: String,
    pub attached_vpcs: Vec<String>,
    pub call: Call,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub state: String,
    pub call: Call,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub ingress: Vec<Permission>,
    pub call: Call,
}

/// One inbound rule: a protocol and port range, and the sources it admits.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Permission {
    /// `tcp`, `udp`, `icmp`, a protocol number, or `-1` (all traffic, all ports).
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub ipv4_ranges: Vec<String>,
    pub ipv6_ranges: Vec<String>,
    /// Source security group ids.
    pub groups: Vec<String>,
    pub prefix_lists: Vec<String>,
}

/// An elastic network interface (DescribeNetworkInterfaces): where an instance's addresses
/// actually live. RDS does not name the instance on its interfaces; an instance's are the ones
/// in its DB subnet group's subnets carrying one of its security groups.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkInterface {
    pub id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub description: String,
    /// `amazon-rds` for the interfaces RDS manages.
    pub requester_id: Option<String>,
    pub private_ip: Option<String>,
    /// The public IPv4 address associated with the interface, if any.
    pub public_ip: Option<String>,
    pub security_groups: Vec<String>,
    pub call: Call,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowLog {
    pub id: String,
    /// The VPC, subnet or network interface it captures.
    pub resource_id: String,
    /// `ACTIVE` when it is capturing.
    pub status: String,
    /// `SUCCESS` or `FAILED` (delivery to the destination).
    pub deliver_status: Option<String>,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    pub destination_type: String,
    pub destination: Option<String>,
    pub call: Call,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    pub log_file_validation: bool,
    pub kms_key_id: Option<String>,
    /// DescribeTrails.
    pub call: Call,
    /// GetTrailStatus `IsLogging`.
    pub logging: Read<bool>,
    pub event_selectors: Read<EventSelectors>,
}

/// GetEventSelectors: basic or advanced selectors (a trail has one kind).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventSelectors {
    pub basic: Vec<BasicSelector>,
    pub advanced: Vec<AdvancedSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasicSelector {
    /// `All`, `ReadOnly` or `WriteOnly`.
    pub read_write_type: String,
    pub include_management_events: bool,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<FieldSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldSelector {
    /// `eventCategory`, `readOnly`, `eventSource`, `resources.type`…
    pub field: String,
    pub equals: Vec<String>,
    pub not_equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

/// A GuardDuty detector (ListDetectors) and its status (GetDetector).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Detector {
    pub id: String,
    pub call: Call,
    /// `ENABLED` or `DISABLED`.
    pub status: Read<String>,
}

/// A KMS key of the account (ListKeys), described (DescribeKey) and, when it is an enabled
/// customer-managed symmetric key with key material from KMS, its rotation status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Key {
    pub id: String,
    pub arn: String,
    pub call: Call,
    pub metadata: Read<KeyMetadata>,
    /// GetKeyRotationStatus; `NotRead` for keys that cannot rotate automatically or are not
    /// customer-managed.
    pub rotation: Read<KeyRotation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyMetadata {
    /// `CUSTOMER` or `AWS`.
    pub manager: String,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, `HMAC_256`…
    pub spec: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`…
    pub state: String,
    /// `AWS_KMS`, `EXTERNAL` (imported material), `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    pub origin: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyRotation {
    pub enabled: bool,
    pub period_days: Option<i32>,
}

/// A Secrets Manager secret's metadata (ListSecrets). The value is never read.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Secret {
    pub name: String,
    pub arn: String,
    pub rotation_enabled: bool,
    pub rotation_days: Option<i64>,
    pub rotation_schedule: Option<String>,
    /// RFC 3339.
    pub last_rotated: Option<String>,
    pub kms_key_id: Option<String>,
    /// The service managing the secret (`rds` for an RDS-managed master password).
    pub owning_service: Option<String>,
    pub call: Call,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogGroup {
    pub name: String,
    pub arn: String,
    /// `None`: the events never expire.
    pub retention_days: Option<i32>,
    pub kms_key_id: Option<String>,
    pub call: Call,
}

/// A CloudWatch metric alarm (DescribeAlarms).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    pub namespace: Option<String>,
    /// The metric of a single-metric alarm.
    pub metric_name: Option<String>,
    /// The metrics of a metric-math alarm.
    pub metrics: Vec<String>,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub call: Call,
}
