"""Launch criteria for the network: subnets across AZs, NAT per AZ, flow logs."""

import pytest

pytestmark = pytest.mark.dryrun


@pytest.mark.criterion("INF-01")
def test_subnets_span_availability_zones(inventory, outputs):
    ec2 = inventory.ec2
    public_azs = {subnet["AvailabilityZone"] for subnet in ec2.subnets if ec2.is_public(subnet["SubnetId"])}
    private_azs = {subnet["AvailabilityZone"] for subnet in ec2.subnets if not ec2.is_public(subnet["SubnetId"])}

    assert len(public_azs) >= 2, (
        f"VPC {outputs['vpc_id']} has public subnets in {sorted(public_azs) or 'no AZ'}; expected at least two AZs"
    )
    assert len(private_azs) >= 2, (
        f"VPC {outputs['vpc_id']} has private subnets in {sorted(private_azs) or 'no AZ'}; expected at least two AZs"
    )


@pytest.mark.criterion("INF-02")
def test_private_egress_uses_nat_in_same_az(inventory):
    ec2 = inventory.ec2
    nat_az = {
        nat["NatGatewayId"]: subnet["AvailabilityZone"]
        for nat in ec2.nat_gateways
        if nat.get("State") == "available"
        for subnet in ec2.subnets
        if subnet["SubnetId"] == nat.get("SubnetId")
    }

    offenders = []
    for subnet in ec2.subnets:
        if ec2.is_public(subnet["SubnetId"]):
            continue
        egress = ec2.default_route_target(subnet["SubnetId"])
        if egress not in nat_az:
            offenders.append(f"{subnet['SubnetId']} ({subnet['AvailabilityZone']}) sends egress to {egress or 'nothing'}")
        elif nat_az[egress] != subnet["AvailabilityZone"]:
            offenders.append(
                f"{subnet['SubnetId']} ({subnet['AvailabilityZone']}) sends egress to {egress} in {nat_az[egress]}"
            )

    assert not offenders, (
        f"private subnets without an available NAT gateway in their own AZ: {'; '.join(offenders)}; "
        "expected each private subnet to route 0.0.0.0/0 to a NAT gateway in the same AZ"
    )


@pytest.mark.criterion("INF-03")
def test_flow_logs_active(inventory, outputs):
    flow_logs = inventory.ec2.flow_logs
    active = [log for log in flow_logs if log.get("FlowLogStatus") == "ACTIVE" and log.get("DeliverLogsStatus") != "FAILED"]

    assert active, (
        f"VPC {outputs['vpc_id']} has {len(flow_logs)} flow logs and none is ACTIVE with working delivery "
        f"(observed: {[(log.get('FlowLogId'), log.get('FlowLogStatus'), log.get('DeliverLogsStatus')) for log in flow_logs]}); "
        "expected an active flow log on the VPC"
    )
