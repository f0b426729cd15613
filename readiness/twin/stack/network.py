"""Reference stack, network: a VPC over three AZs, public and private subnets, NAT per AZ, flow logs."""

from __future__ import annotations

from readiness.twin.context import TwinContext
from readiness.twin.stack.tags import tags

AZ_SUFFIXES = ("a", "b", "c")


def seed(ctx: TwinContext) -> None:
    ec2 = ctx.client("ec2")
    logs = ctx.client("logs")

    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=[_spec("vpc", "app-vpc")])["Vpc"]["VpcId"]
    # moto's run_task fails in a VPC without DNS hostnames, and production VPCs enable them anyway.
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    igw_id = ec2.create_internet_gateway(TagSpecifications=[_spec("internet-gateway", "app-igw")])["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)

    public_route_table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[_spec("route-table", "public")])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_route_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)

    public, private, nat_by_az = [], [], {}
    for index, suffix in enumerate(AZ_SUFFIXES):
        az = f"{ctx.region}{suffix}"
        public_id = _subnet(ec2, vpc_id, az, f"10.20.{index}.0/24", f"public-{suffix}", tier="public")
        private_id = _subnet(ec2, vpc_id, az, f"10.20.{10 + index}.0/24", f"private-{suffix}", tier="private")
        ec2.modify_subnet_attribute(SubnetId=public_id, MapPublicIpOnLaunch={"Value": True})
        ec2.associate_route_table(RouteTableId=public_route_table, SubnetId=public_id)

        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat_id = ec2.create_nat_gateway(SubnetId=public_id, AllocationId=allocation,
                                        TagSpecifications=[_spec("natgateway", f"nat-{suffix}")])["NatGateway"]["NatGatewayId"]
        private_route_table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[_spec("route-table", f"private-{suffix}")])["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=private_route_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
        ec2.associate_route_table(RouteTableId=private_route_table, SubnetId=private_id)

        public.append(public_id)
        private.append(private_id)
        nat_by_az[az] = nat_id

    flow_log_group = "/aws/vpc/app-vpc/flow-logs"
    logs.create_log_group(logGroupName=flow_log_group, tags=tags())
    logs.put_retention_policy(logGroupName=flow_log_group, retentionInDays=90)
    ec2.create_flow_logs(
        ResourceIds=[vpc_id], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
        LogGroupName=flow_log_group, DeliverLogsPermissionArn=ctx.arn("iam", "role/app-flow-logs", region=""),
    )

    security_groups = _security_groups(ec2, vpc_id)

    ctx.ids.update(**security_groups)
    ctx.ids.update(vpc_id=vpc_id, public_subnet_ids=public, private_subnet_ids=private, nat_by_az=nat_by_az,
                   availability_zones=[f"{ctx.region}{suffix}" for suffix in AZ_SUFFIXES])
    ctx.outputs.update(region=ctx.region, backup_region=ctx.backup_region, vpc_id=vpc_id, flow_log_group_name=flow_log_group)


def _security_groups(ec2, vpc_id: str) -> dict[str, str]:
    """Create the ALB, application and database groups: web from anywhere, then one tier to the next."""
    ids = {}
    for key, name in (("sg_alb", "app-alb"), ("sg_app", "app-service"), ("sg_db", "app-database")):
        ids[key] = ec2.create_security_group(
            GroupName=name, Description=f"{name} tier", VpcId=vpc_id,
            TagSpecifications=[_spec("security-group", name)],
        )["GroupId"]

    web = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]} for port in (80, 443)]
    ec2.authorize_security_group_ingress(GroupId=ids["sg_alb"], IpPermissions=web)
    ec2.authorize_security_group_ingress(GroupId=ids["sg_app"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": ids["sg_alb"]}]}])
    ec2.authorize_security_group_ingress(GroupId=ids["sg_db"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": ids["sg_app"]}]}])
    return ids


def _subnet(ec2, vpc_id: str, az: str, cidr: str, name: str, tier: str) -> str:
    spec = _spec("subnet", name)
    spec["Tags"].append({"Key": "tier", "Value": tier})
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=[spec])["Subnet"]["SubnetId"]


def _spec(resource_type: str, name: str) -> dict:
    return {"ResourceType": resource_type, "Tags": tags(Name=name, key="Key", value="Value")}
