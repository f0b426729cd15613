"""Launch criteria for the database: zone redundancy, backups and deletion protection, isolation, performance."""

import pytest

pytestmark = pytest.mark.dryrun


def _database(rds, outputs) -> tuple[dict | None, dict | None]:
    """Return the named DB instance and its Aurora cluster; fail the criterion when neither exists."""
    __tracebackhide__ = True
    instance, cluster = rds.database(), rds.database_cluster()
    assert instance or cluster, (
        f"database {outputs['db_instance_identifier']} was not found as an RDS instance or Aurora cluster "
        f"in {rds.target.region}; expected the db_instance_identifier output to name the application database"
    )
    return instance, cluster


def _instances(rds, instance, cluster) -> list[dict]:
    return rds.members_of(cluster) if cluster else [instance]


@pytest.mark.criterion("INF-04")
def test_database_survives_az_loss(inventory, outputs):
    rds = inventory.rds
    instance, cluster = _database(rds, outputs)

    if cluster:
        zones = sorted({member["AvailabilityZone"] for member in rds.members_of(cluster)})
        assert len(zones) >= 2, (
            f"Aurora cluster {cluster['DBClusterIdentifier']} has instances in {zones or 'no AZ'}; "
            "expected instances in at least two AZs"
        )
    else:
        assert instance.get("MultiAZ"), (
            f"RDS instance {instance['DBInstanceIdentifier']} has MultiAZ={instance.get('MultiAZ')} "
            f"(single AZ {instance.get('AvailabilityZone')}); expected MultiAZ=true"
        )


@pytest.mark.criterion("INF-05")
def test_database_backups_and_deletion_protection(inventory, outputs):
    instance, cluster = _database(inventory.rds, outputs)
    subject = cluster or instance
    name = f"Aurora cluster {cluster['DBClusterIdentifier']}" if cluster else f"RDS instance {instance['DBInstanceIdentifier']}"

    problems = []
    if subject.get("BackupRetentionPeriod", 0) < 7:
        problems.append(f"BackupRetentionPeriod={subject.get('BackupRetentionPeriod', 0)} days (expected at least 7)")
    if not subject.get("DeletionProtection"):
        problems.append(f"DeletionProtection={subject.get('DeletionProtection')} (expected true)")

    assert not problems, f"{name} has {' and '.join(problems)}"


@pytest.mark.criterion("INF-06")
def test_database_not_publicly_accessible(inventory, outputs):
    rds, ec2 = inventory.rds, inventory.ec2
    instance, cluster = _database(rds, outputs)
    vpc_subnets = {subnet["SubnetId"] for subnet in ec2.subnets}

    offenders = []
    for member in _instances(rds, instance, cluster):
        name = member["DBInstanceIdentifier"]
        if member.get("PubliclyAccessible"):
            offenders.append(f"{name} has PubliclyAccessible=true")

        group = member.get("DBSubnetGroup") or {}
        for subnet in group.get("Subnets", []):
            subnet_id = subnet["SubnetIdentifier"]
            if subnet_id not in vpc_subnets:
                offenders.append(f"{name}'s subnet group {group.get('DBSubnetGroupName')} holds {subnet_id}, "
                                 f"which is not in VPC {outputs['vpc_id']}")
            elif ec2.is_public(subnet_id):
                offenders.append(f"{name}'s subnet group {group.get('DBSubnetGroupName')} holds public subnet "
                                 f"{subnet_id} (default route to {ec2.default_route_target(subnet_id)})")

    assert not offenders, (
        f"the database is reachable from the internet: {'; '.join(offenders)}; expected PubliclyAccessible=false "
        "and a subnet group of private subnets only"
    )


@pytest.mark.criterion("PERF-05")
def test_database_performance_insights_and_autoscaling(inventory, outputs):
    rds = inventory.rds
    instance, cluster = _database(rds, outputs)

    offenders = []
    for member in _instances(rds, instance, cluster):
        name = member["DBInstanceIdentifier"]
        if not member.get("PerformanceInsightsEnabled"):
            offenders.append(f"{name} has PerformanceInsightsEnabled={member.get('PerformanceInsightsEnabled')}")
        # Aurora storage grows by itself; only a standalone instance needs MaxAllocatedStorage.
        if cluster is None and (member.get("MaxAllocatedStorage") or 0) <= member.get("AllocatedStorage", 0):
            offenders.append(f"{name} has MaxAllocatedStorage={member.get('MaxAllocatedStorage')} "
                             f"with AllocatedStorage={member.get('AllocatedStorage')}")

    assert not offenders, (
        f"database performance settings are missing: {'; '.join(offenders)}; expected Performance Insights "
        "enabled and MaxAllocatedStorage above AllocatedStorage"
    )
