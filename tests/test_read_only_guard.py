"""The read-only guard rejects changes before they are sent, and counts every call."""

import pytest

from readiness.target import ReadOnlyViolation, Target, is_read_operation


@pytest.mark.parametrize("operation", ["DescribeSubnets", "ListBuckets", "GetBucketPolicy", "HeadObject", "LookupEvents"])
def test_reads_are_allowed(operation):
    assert is_read_operation(operation)


@pytest.mark.parametrize("operation", ["CreateVpc", "DeleteBucket", "PutObject", "RebootDBInstance", "UpdateService",
                                       "StopTask", "StartRestoreJob", "TagResource"])
def test_changes_are_not_reads(operation):
    assert not is_read_operation(operation)


def test_guard_blocks_before_request_is_sent(twin):
    target = Target("twin", twin.region, twin.backup_region, endpoint_url=twin.endpoint_url)
    ec2 = target.client("ec2")
    before = len(ec2.describe_vpcs()["Vpcs"])

    with pytest.raises(ReadOnlyViolation, match="ec2:CreateVpc changes AWS resources"):
        ec2.create_vpc(CidrBlock="10.99.0.0/16")

    assert len(ec2.describe_vpcs()["Vpcs"]) == before
    assert target.calls.counts["ec2:CreateVpc"] == 1
    assert target.calls.counts["ec2:DescribeVpcs"] == 2


def test_guard_off_for_live_steps(twin):
    target = Target("twin", twin.region, twin.backup_region, endpoint_url=twin.endpoint_url, read_only=False)

    vpc = target.client("ec2").create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]

    assert vpc["VpcId"].startswith("vpc-")
