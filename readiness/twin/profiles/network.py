"""Drift profiles that break the network criteria."""

from readiness.twin.context import TwinContext
from readiness.twin.profiles import profile


@profile("single-az-public-subnets", breaks={"INF-01"},
         description="the public subnets outside the first AZ route through their AZ's NAT gateway, so they are no longer public",
         expect_in_message="public subnets in")
def single_az_public_subnets(ctx: TwinContext) -> None:
    ec2 = ctx.client("ec2")
    for subnet_id, az in zip(ctx.ids["public_subnet_ids"][1:], ctx.ids["availability_zones"][1:]):
        private_table = _route_table_with_nat(ec2, ctx.ids["vpc_id"], ctx.ids["nat_by_az"][az])
        association = _association_of(ec2, ctx.ids["vpc_id"], subnet_id)
        ec2.replace_route_table_association(AssociationId=association, RouteTableId=private_table)


@profile("shared-nat", breaks={"INF-02"}, description="all private subnets route through the NAT gateway in the first AZ",
         expect_in_message="sends egress to")
def shared_nat(ctx: TwinContext) -> None:
    ec2 = ctx.client("ec2")
    first_nat = ctx.ids["nat_by_az"][ctx.ids["availability_zones"][0]]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [ctx.ids["vpc_id"]]}])["RouteTables"]
    for table in tables:
        for route in table["Routes"]:
            if route.get("NatGatewayId") and route["NatGatewayId"] != first_nat:
                ec2.replace_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=first_nat)


@profile("no-flow-logs", breaks={"INF-03"}, description="the VPC's flow logs are deleted", expect_in_message="none is ACTIVE")
def no_flow_logs(ctx: TwinContext) -> None:
    ec2 = ctx.client("ec2")
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [ctx.ids["vpc_id"]]}])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[log["FlowLogId"] for log in flow_logs])


def _route_table_with_nat(ec2, vpc_id: str, nat_id: str) -> str:
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return next(table["RouteTableId"] for table in tables if any(route.get("NatGatewayId") == nat_id for route in table["Routes"]))


def _association_of(ec2, vpc_id: str, subnet_id: str) -> str:
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return next(association["RouteTableAssociationId"] for table in tables for association in table["Associations"]
                if association.get("SubnetId") == subnet_id)
