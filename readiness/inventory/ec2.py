"""EC2 networking of the application VPC: subnets, route tables, NAT gateways, flow logs, security groups."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("ec2")
class Ec2(Collector):
    service = "ec2"

    def _vpc_filter(self) -> list[dict]:
        return [{"Name": "vpc-id", "Values": [self.outputs.require("vpc_id")]}]

    @dataset
    def vpc(self) -> dict:
        """The application VPC, as DescribeVpcs returns it."""
        vpcs = self.paginate("describe_vpcs", "Vpcs", VpcIds=[self.outputs.require("vpc_id")])
        return vpcs[0] if vpcs else {}

    @dataset
    def subnets(self) -> list[dict]:
        return self.paginate("describe_subnets", "Subnets", Filters=self._vpc_filter())

    @dataset
    def route_tables(self) -> list[dict]:
        return self.paginate("describe_route_tables", "RouteTables", Filters=self._vpc_filter())

    @dataset
    def nat_gateways(self) -> list[dict]:
        return self.paginate("describe_nat_gateways", "NatGateways", Filter=self._vpc_filter())

    @dataset
    def flow_logs(self) -> list[dict]:
        return self.paginate(
            "describe_flow_logs", "FlowLogs",
            Filters=[{"Name": "resource-id", "Values": [self.outputs.require("vpc_id")]}],
        )

    @dataset
    def security_groups(self) -> list[dict]:
        return self.paginate("describe_security_groups", "SecurityGroups", Filters=self._vpc_filter())

    def route_table_of(self, subnet_id: str) -> dict | None:
        """Return the subnet's route table: its explicit association, else the VPC's main table."""
        main = None
        for table in self.route_tables:
            for association in table.get("Associations", []):
                if association.get("SubnetId") == subnet_id:
                    return table
                if association.get("Main"):
                    main = table
        return main

    def default_route_target(self, subnet_id: str) -> str | None:
        """Return the gateway or NAT id the subnet's 0.0.0.0/0 route points at, if any."""
        table = self.route_table_of(subnet_id)
        for route in (table or {}).get("Routes", []):
            if route.get("DestinationCidrBlock") == "0.0.0.0/0" and route.get("State", "active") == "active":
                return route.get("GatewayId") or route.get("NatGatewayId") or route.get("TransitGatewayId")
        return None

    def is_public(self, subnet_id: str) -> bool:
        """A subnet is public when its default route goes to an internet gateway."""
        return (self.default_route_target(subnet_id) or "").startswith("igw-")
