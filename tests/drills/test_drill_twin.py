"""The twin's recovery behaviour over HTTP: restore jobs, forced failover, S3 replication, secret replicas."""

from __future__ import annotations

import time
import uuid

import pytest

from drill_runs import twin_client
from readiness.twin.context import BEHAVIOUR
from readiness.twin.ext.secrets_replica import backdate_current_version, freeze_replica


@pytest.fixture(scope="module")
def reseeded_after(twin):
    """Leave the shared twin as the reference stack for the modules that run next."""
    yield twin
    twin.reseed([])


@pytest.fixture
def stack(reseeded_after):
    """The shared twin reseeded with the reference stack, because each test here changes it."""
    reseeded_after.reseed([])
    return reseeded_after


def _wait(condition, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _newest_database_point(stack) -> dict:
    points = twin_client(stack, "backup").list_recovery_points_by_backup_vault(
        BackupVaultName=stack.outputs["backup_vault_name"], ByResourceType="RDS")["RecoveryPoints"]
    return max(points, key=lambda point: point["CreationDate"])


def _start_restore(stack, name: str, role_arn: str | None = None) -> str:
    backup = twin_client(stack, "backup")
    point = _newest_database_point(stack)
    metadata = backup.get_recovery_point_restore_metadata(
        BackupVaultName=point["BackupVaultName"], RecoveryPointArn=point["RecoveryPointArn"])["RestoreMetadata"]
    return backup.start_restore_job(
        RecoveryPointArn=point["RecoveryPointArn"], IamRoleArn=role_arn or stack.outputs["backup_restore_role_arn"],
        Metadata={**metadata, "DBInstanceIdentifier": name, "DeletionProtection": "false"})["RestoreJobId"]


def test_restore_job_creates_instance(stack):
    backup, rds = twin_client(stack, "backup"), twin_client(stack, "rds")
    name = f"restored-{uuid.uuid4().hex[:8]}"

    job_id = _start_restore(stack, name)
    running = backup.describe_restore_job(RestoreJobId=job_id)
    creating = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    assert _wait(lambda: backup.describe_restore_job(RestoreJobId=job_id)["Status"] == "COMPLETED")
    instance = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]

    assert running["Status"] == "RUNNING"
    assert creating["DBInstanceStatus"] == "creating"
    assert instance["DBInstanceStatus"] == "available"
    assert instance["StorageEncrypted"] is True
    assert instance["PubliclyAccessible"] is False
    assert backup.describe_restore_job(RestoreJobId=job_id)["CreatedResourceArn"] == instance["DBInstanceArn"]


def test_restore_validation_needs_completed_job(stack):
    backup = twin_client(stack, "backup")
    BEHAVIOUR.settings["backup_jobs"] = {"restore_seconds": 0.5}
    job_id = _start_restore(stack, f"restored-{uuid.uuid4().hex[:8]}")

    with pytest.raises(backup.exceptions.InvalidRequestException):
        backup.put_restore_validation_result(RestoreJobId=job_id, ValidationStatus="SUCCESSFUL")
    assert _wait(lambda: backup.describe_restore_job(RestoreJobId=job_id)["Status"] == "COMPLETED")
    backup.put_restore_validation_result(RestoreJobId=job_id, ValidationStatus="SUCCESSFUL",
                                         ValidationStatusMessage="checked")

    listed = backup.list_restore_jobs(ByStatus="COMPLETED")["RestoreJobs"]
    assert [(job["RestoreJobId"], job["ValidationStatus"]) for job in listed] == [(job_id, "SUCCESSFUL")]


def test_restore_job_fails_with_untrusted_role(stack):
    backup, rds = twin_client(stack, "backup"), twin_client(stack, "rds")
    role_arn = stack.outputs["backup_restore_role_arn"].replace("app-backup-restore", "no-such-role")

    job = backup.describe_restore_job(RestoreJobId=_start_restore(stack, "never-created", role_arn))

    assert job["Status"] == "FAILED"
    assert job["StatusMessage"] == f"IAM role {role_arn} does not exist"
    with pytest.raises(rds.exceptions.DBInstanceNotFoundFault):
        rds.describe_db_instances(DBInstanceIdentifier="never-created")


def test_forced_failover_moves_to_standby(stack):
    rds = twin_client(stack, "rds")
    identifier = stack.outputs["db_instance_identifier"]
    before = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]

    rebooting = rds.reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True)["DBInstance"]
    assert _wait(lambda: rds.describe_db_instances(
        DBInstanceIdentifier=identifier)["DBInstances"][0]["DBInstanceStatus"] == "available")
    after = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]

    assert rebooting["DBInstanceStatus"] == "rebooting"
    assert after["AvailabilityZone"] == before["SecondaryAvailabilityZone"]
    assert after["SecondaryAvailabilityZone"] == before["AvailabilityZone"]


def test_failover_needs_multi_az(stack):
    rds = twin_client(stack, "rds")
    identifier = stack.outputs["db_instance_identifier"]
    rds.modify_db_instance(DBInstanceIdentifier=identifier, MultiAZ=False, ApplyImmediately=True)

    with pytest.raises(rds.exceptions.ClientError, match="not a Multi-AZ instance"):
        rds.reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True)
    assert "SecondaryAvailabilityZone" not in rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def test_restorable_time_trails_by_setting(stack):
    rds = twin_client(stack, "rds")
    BEHAVIOUR.settings["rds_failover"] = {"restorable_lag_seconds": 600}

    instance = rds.describe_db_instances(DBInstanceIdentifier=stack.outputs["db_instance_identifier"])["DBInstances"][0]

    assert 599 < time.time() - instance["LatestRestorableTime"].timestamp() < 630


def test_new_version_replicates_after_lag(stack):
    source, replica = twin_client(stack, "s3"), twin_client(stack, "s3", stack.backup_region)
    bucket, replica_bucket = stack.outputs["app_bucket_name"], stack.outputs["replica_bucket_name"]

    version = source.put_object(Bucket=bucket, Key="assets/logo.svg", Body=b"<svg/>")["VersionId"]
    pending = source.head_object(Bucket=bucket, Key="assets/logo.svg").get("ReplicationStatus")
    assert _wait(lambda: source.head_object(Bucket=bucket, Key="assets/logo.svg").get("ReplicationStatus") != "PENDING")
    copied = replica.head_object(Bucket=replica_bucket, Key="assets/logo.svg")

    assert pending == "PENDING"
    assert source.head_object(Bucket=bucket, Key="assets/logo.svg")["ReplicationStatus"] == "COMPLETED"
    assert copied["ReplicationStatus"] == "REPLICA"
    assert copied["VersionId"] == version
    assert copied["SSEKMSKeyId"].split(":")[3] == stack.backup_region


def test_replication_fails_with_key_of_other_region(stack):
    source = twin_client(stack, "s3")
    bucket = stack.outputs["app_bucket_name"]
    configuration = source.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    key_arn = configuration["Rules"][0]["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"]
    configuration["Rules"][0]["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"] = key_arn.replace(
        stack.backup_region, stack.region)
    source.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)

    source.put_object(Bucket=bucket, Key="assets/app.css", Body=b"body {}")

    assert _wait(lambda: source.head_object(Bucket=bucket, Key="assets/app.css").get("ReplicationStatus") == "FAILED")


def test_prefix_rule_skips_other_keys(stack):
    source = twin_client(stack, "s3")
    bucket = stack.outputs["app_bucket_name"]
    configuration = source.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    configuration["Rules"][0]["Filter"] = {"Prefix": "uploads/"}
    source.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)

    source.put_object(Bucket=bucket, Key="assets/app.js", Body=b"")

    assert "ReplicationStatus" not in source.head_object(Bucket=bucket, Key="assets/app.js")


def test_frozen_replica_serves_old_version(stack):
    primary, replica = twin_client(stack, "secretsmanager"), twin_client(stack, "secretsmanager", stack.backup_region)
    secret_arn = stack.outputs["db_secret_arn"]
    replica_arn = secret_arn.replace(stack.region, stack.backup_region)
    before = replica.get_secret_value(SecretId=replica_arn)

    freeze_replica("123456789012", stack.region, secret_arn, stack.backup_region, "Failed", "access denied")
    primary.put_secret_value(SecretId=secret_arn, SecretString='{"password": "rotated"}')
    backdate_current_version("123456789012", stack.region, secret_arn, 3600)

    status = primary.describe_secret(SecretId=secret_arn)["ReplicationStatus"][0]
    versions = {item["VersionId"]: item for item in primary.list_secret_version_ids(SecretId=secret_arn)["Versions"]}
    current = next(version for version, item in versions.items() if "AWSCURRENT" in item["VersionStages"])
    assert (status["Status"], status["StatusMessage"]) == ("Failed", "access denied")
    assert replica.get_secret_value(SecretId=replica_arn)["VersionId"] == before["VersionId"] != current
    assert 3590 < time.time() - versions[current]["CreatedDate"].timestamp() < 3660
