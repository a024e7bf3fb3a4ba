//! EC2 networking in one region: subnets, route tables, internet and NAT gateways, security
//! groups (inbound rules), the network interfaces of RDS instances and VPC flow logs. Seven
//! listings, side by side.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types as ec2;
use checks::facts::aws::Listing;
use checks::facts::aws_infra::{
    FlowLog, InternetGateway, NatGateway, NetworkInterface, Permission, Route, RouteTable,
    SecurityGroup, Subnet,
};

use super::calls::Api;
use super::collector::{Ctx, name, paginate, s, strings_of};

pub(crate) async fn subnets(client: &Client, ctx: &Ctx) -> Listing<Subnet> {
    paginate!(
        ctx,
        Api::Ec2DescribeSubnets,
        client.describe_subnets().into_paginator(),
        |out, call| out.subnets().iter().map(|n| Subnet {
            id: s(n.subnet_id()),
            vpc_id: s(n.vpc_id()),
            cidr: s(n.cidr_block()),
            map_public_ip_on_launch: n.map_public_ip_on_launch().unwrap_or(false),
            call: call.clone(),
        })
    )
    .0
}

pub(crate) async fn route_tables(client: &Client, ctx: &Ctx) -> Listing<RouteTable> {
    paginate!(
        ctx,
        Api::Ec2DescribeRouteTables,
        client.describe_route_tables().into_paginator(),
        |out, call| out.route_tables().iter().map(|t| RouteTable {
            id: s(t.route_table_id()),
            vpc_id: s(t.vpc_id()),
            main: t.associations().iter().any(|a| a.main().unwrap_or(false)),
            subnets: strings_of(t.associations(), ec2::RouteTableAssociation::subnet_id),
            routes: t.routes().iter().map(route).collect(),
            call: call.clone(),
        })
    )
    .0
}

/// A route's destination and target, whichever kind each is.
fn route(r: &ec2::Route) -> Route {
    let destination = r
        .destination_cidr_block()
        .or(r.destination_ipv6_cidr_block())
        .or(r.destination_prefix_list_id());
    let target = r
        .gateway_id()
        .or(r.nat_gateway_id())
        .or(r.egress_only_internet_gateway_id())
        .or(r.transit_gateway_id())
        .or(r.vpc_peering_connection_id())
        .or(r.network_interface_id())
        .or(r.instance_id())
        .or(r.carrier_gateway_id())
        .or(r.local_gateway_id())
        .or(r.core_network_arn());
    Route {
        destination: s(destination),
        target: s(target),
        state: name(r.state()),
    }
}

pub(crate) async fn internet_gateways(client: &Client, ctx: &Ctx) -> Listing<InternetGateway> {
    paginate!(
        ctx,
        Api::Ec2DescribeInternetGateways,
        client.describe_internet_gateways().into_paginator(),
        |out, call| out.internet_gateways().iter().map(|g| InternetGateway {
            id: s(g.internet_gateway_id()),
            attached_vpcs: strings_of(g.attachments(), ec2::InternetGatewayAttachment::vpc_id),
            call: call.clone(),
        })
    )
    .0
}

pub(crate) async fn nat_gateways(client: &Client, ctx: &Ctx) -> Listing<NatGateway> {
    paginate!(
        ctx,
        Api::Ec2DescribeNatGateways,
        client.describe_nat_gateways().into_paginator(),
        |out, call| out.nat_gateways().iter().map(|g| NatGateway {
            id: s(g.nat_gateway_id()),
            vpc_id: s(g.vpc_id()),
            subnet_id: s(g.subnet_id()),
            state: name(g.state()),
            call: call.clone(),
        })
    )
    .0
}

pub(crate) async fn security_groups(client: &Client, ctx: &Ctx) -> Listing<SecurityGroup> {
    paginate!(
        ctx,
        Api::Ec2DescribeSecurityGroups,
        client.describe_security_groups().into_paginator(),
        |out, call| out.security_groups().iter().map(|g| SecurityGroup {
            id: s(g.group_id()),
            name: s(g.group_name()),
            vpc_id: s(g.vpc_id()),
            ingress: g.ip_permissions().iter().map(permission).collect(),
            call: call.clone(),
        })
    )
    .0
}

fn permission(p: &ec2::IpPermission) -> Permission {
    Permission {
        protocol: s(p.ip_protocol()),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ipv4_ranges: strings_of(p.ip_ranges(), ec2::IpRange::cidr_ip),
        ipv6_ranges: strings_of(p.ipv6_ranges(), ec2::Ipv6Range::cidr_ipv6),
        groups: strings_of(p.user_id_group_pairs(), ec2::UserIdGroupPair::group_id),
        prefix_lists: strings_of(p.prefix_list_ids(), ec2::PrefixListId::prefix_list_id),
    }
}

/// The interfaces RDS creates for its instances carry this description (and requester id
/// `amazon-rds`, which not every EC2 endpoint can filter on).
const RDS_INTERFACE: &str = "RDSNetworkInterface";

pub(crate) async fn rds_network_interfaces(
    client: &Client,
    ctx: &Ctx,
) -> Listing<NetworkInterface> {
    let only_rds = ec2::Filter::builder()
        .name("description")
        .values(RDS_INTERFACE)
        .build();
    paginate!(
        ctx,
        Api::Ec2DescribeNetworkInterfaces,
        client
            .describe_network_interfaces()
            .filters(only_rds)
            .into_paginator(),
        |out, call| out.network_interfaces().iter().map(|n| NetworkInterface {
            id: s(n.network_interface_id()),
            subnet_id: s(n.subnet_id()),
            vpc_id: s(n.vpc_id()),
            description: s(n.description()),
            requester_id: n.requester_id().map(str::to_owned),
            private_ip: n.private_ip_address().map(str::to_owned),
            public_ip: n
                .association()
                .and_then(ec2::NetworkInterfaceAssociation::public_ip)
                .map(str::to_owned),
            security_groups: strings_of(n.groups(), ec2::GroupIdentifier::group_id),
            call: call.clone(),
        })
    )
    .0
}

pub(crate) async fn flow_logs(client: &Client, ctx: &Ctx) -> Listing<FlowLog> {
    paginate!(
        ctx,
        Api::Ec2DescribeFlowLogs,
        client.describe_flow_logs().into_paginator(),
        |out, call| out.flow_logs().iter().map(|f| FlowLog {
            id: s(f.flow_log_id()),
            resource_id: s(f.resource_id()),
            status: s(f.flow_log_status()),
            deliver_status: f.deliver_logs_status().map(str::to_owned),
            traffic_type: name(f.traffic_type()),
            destination_type: name(f.log_destination_type()),
            destination: f
                .log_destination()
                .or(f.log_group_name())
                .map(str::to_owned),
            call: call.clone(),
        })
    )
    .0
}
