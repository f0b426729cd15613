"""Restore drills: the newest database recovery point can be restored (read-only), and is restored on game days."""

import json
import time

import pytest

from readiness.recovery import (
    DATABASE, DRILL_TAG, RPO, RTO, delete_instance, describe_instance, hold, newest_completed_point, objective_target,
    plan_vaults, poll, seconds_since, shown, wait_timeout,
)

BACKUP_SERVICE = "backup.amazonaws.com"
# Restore job states after which AWS Backup creates or changes nothing more.
FINAL_JOB_STATES = ("COMPLETED", "FAILED", "ABORTED")


def _newest_database_point(inventory, outputs) -> dict:
    __tracebackhide__ = True
    plan = inventory.backup.plan
    assert plan, f"backup plan {outputs['backup_plan_id']} was not found; expected a plan whose points can be restored"

    identifier = outputs["db_instance_identifier"]
    database = inventory.rds.database_cluster() or inventory.rds.database()
    assert database, f"database {identifier} was not found, so its recovery points cannot be found"
    database_arn = database.get("DBClusterArn") or database["DBInstanceArn"]
    point = newest_completed_point(inventory, plan, database_arn)
    assert point, (
        f"database {identifier} has no COMPLETED recovery point in vaults {plan_vaults(plan)}; "
        "expected one to restore from"
    )
    return point


def _trusted_services(role: dict) -> list[str]:
    """Return the services the role's trust policy allows to call sts:AssumeRole."""
    services = []
    for statement in role["AssumeRolePolicyDocument"].get("Statement", []):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principals = (statement.get("Principal") or {}).get("Service", [])
        principals = [principals] if isinstance(principals, str) else principals
        if statement.get("Effect") == "Allow" and {"sts:AssumeRole", "sts:*", "*"} & set(actions):
            services.extend(principals)
    return services


@pytest.mark.dryrun
def test_restore_readiness(inventory, outputs):
    point = _newest_database_point(inventory, outputs)
    identifier = outputs["db_instance_identifier"]

    problems = []
    metadata = inventory.backup.restore_metadata(point["BackupVaultName"], point["RecoveryPointArn"])
    if not metadata:
        problems.append(f"GetRecoveryPointRestoreMetadata returns no metadata for {point['RecoveryPointArn']}")
    role_arn = outputs["backup_restore_role_arn"]
    role = inventory.backup.restore_role(role_arn)
    if role is None:
        problems.append(f"restore role {role_arn} does not exist")
    elif BACKUP_SERVICE not in _trusted_services(role):
        problems.append(f"restore role {role_arn} trusts {_trusted_services(role) or 'no service'}")

    assert not problems, (
        f"database {identifier} cannot be restored from its newest recovery point: {'; '.join(problems)}; "
        f"expected restore metadata and a restore role that trusts {BACKUP_SERVICE}"
    )


def _restore_progress(backup, rds, job: dict, name: str, run_id: str) -> tuple[bool, dict]:
    """Read the restore job and the instance; tag the instance the first time it is seen."""
    described = backup.describe_restore_job(RestoreJobId=job["id"])
    job["status"], job["message"] = described["Status"], described.get("StatusMessage", "")
    instance = describe_instance(rds, name)
    if instance is not None and not job.get("tagged"):
        # StartRestoreJob takes no tags, so the drill's tag goes on once the instance exists.
        rds.add_tags_to_resource(ResourceName=instance["DBInstanceArn"], Tags=[{"Key": DRILL_TAG, "Value": run_id}])
        job["tagged"] = True

    status = instance["DBInstanceStatus"] if instance else "not created"
    done = job["status"] in ("FAILED", "ABORTED") or (job["status"] == "COMPLETED" and status == "available")
    return done, {"job": job["status"], "instance": status}


def _undo_restore(backup, rds, name: str, job: dict, timeout_s: float) -> None:
    """Delete the restored instance once its restore job has ended; a running job could create it afterwards."""
    if job.get("id"):
        ended = poll(lambda: (backup.describe_restore_job(RestoreJobId=job["id"])["Status"] in FINAL_JOB_STATES, None),
                     timeout_s, f"restore job {job['id']} to end")
        if not ended.succeeded:
            raise RuntimeError(f"restore job {job['id']} did not end within {timeout_s:g} s; "
                               f"delete DB instance {name} once it does")
    delete_instance(rds, name)


def _instance_problems(instance: dict | None) -> list[str]:
    if instance is None:
        return ["the instance does not exist"]
    problems = []
    if instance["DBInstanceStatus"] != "available":
        problems.append(f"status {instance['DBInstanceStatus']}")
    if not instance.get("StorageEncrypted"):
        problems.append("StorageEncrypted=False")
    if instance.get("PubliclyAccessible"):
        problems.append("PubliclyAccessible=True")
    return problems


@pytest.mark.live
def test_restore_drill(inventory, outputs, target, settings, readiness_env, terraform_fixture, undo, record_objective,
                       phases, drill_resource):
    # terraform_fixture comes before undo, so the restored instance is deleted before its scratch
    # subnet group and security group are destroyed.
    backup, rds = target.client("backup"), target.client("rds")
    identifier = outputs["db_instance_identifier"]
    timeout_s = wait_timeout(objective_target(settings, DATABASE, RTO))

    with phases.phase("find the newest database recovery point"):
        point = _newest_database_point(inventory, outputs)
        metadata = inventory.backup.restore_metadata(point["BackupVaultName"], point["RecoveryPointArn"])
        assert metadata, (
            f"recovery point {point['RecoveryPointArn']} has no restore metadata; expected the metadata to restore with"
        )
    with phases.phase("apply the scratch network for the restored instance"):
        database = inventory.rds.database()
        app_groups = inventory.ecs.app_service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
        scratch = terraform_fixture("restore_scratch", {
            "vpc_id": outputs["vpc_id"],
            "subnet_ids": [subnet["SubnetIdentifier"] for subnet in database["DBSubnetGroup"]["Subnets"]],
            "client_security_group_ids": app_groups,
        })
    # A throwaway copy: its own name, no standby, deletable by the undo step, and placed in the
    # scratch subnet group and security group so it never shares the production database's group.
    request = {**metadata, "DBInstanceIdentifier": drill_resource, "MultiAZ": "false", "DeletionProtection": "false",
               "DBSubnetGroupName": scratch["db_subnet_group_name"],
               "VpcSecurityGroupIds": json.dumps([scratch["security_group_id"]])}

    job: dict = {}
    undo.register(f"delete restored DB instance {drill_resource}",
                  lambda: _undo_restore(backup, rds, drill_resource, job, timeout_s))
    with phases.phase("start the restore job"):
        started = time.monotonic()
        job["id"] = backup.start_restore_job(RecoveryPointArn=point["RecoveryPointArn"], Metadata=request,
                                             IamRoleArn=outputs["backup_restore_role_arn"],
                                             ResourceType="RDS")["RestoreJobId"]
    hold("restore:started")

    with phases.phase("wait for the restored instance"):
        result = poll(lambda: _restore_progress(backup, rds, job, drill_resource, readiness_env.run_id),
                      timeout_s, f"restore job {job['id']}")
    restored = result.succeeded and job["status"] == "COMPLETED"
    rto = record_objective(DATABASE, RTO, time.monotonic() - started if restored else None,
                           f"restore of {point['RecoveryPointArn']} into {drill_resource}")
    hold("restore:restored")

    problems: list[str] = []
    with phases.phase("validate the restored instance"):
        if restored:
            problems = _instance_problems(describe_instance(rds, drill_resource))
            backup.put_restore_validation_result(
                RestoreJobId=job["id"], ValidationStatus="FAILED" if problems else "SUCCESSFUL",
                ValidationStatusMessage="; ".join(problems) or "available, encrypted and private")

    with phases.phase("read the point-in-time window"):
        latest = describe_instance(rds, identifier).get("LatestRestorableTime")
        rpo = record_objective(DATABASE, RPO, seconds_since(latest) if latest else None,
                               f"LatestRestorableTime of {identifier}")

    assert job["status"] not in ("FAILED", "ABORTED"), (
        f"restore job {job['id']} of {point['RecoveryPointArn']} ended {job['status']}: {job['message']}; {shown(rto)}"
    )
    assert result.succeeded, (
        f"{shown(rto)}: after {timeout_s:g} s ({result.last_observation}) the restore had not finished"
    )
    assert not problems, (
        f"restored instance {drill_resource} has {', '.join(problems)}, expected available, encrypted and private; "
        f"{shown(rto)}"
    )
    assert not rto.breached, f"{shown(rto)}: the restore took longer than the target"
    assert not rpo.breached, f"{shown(rpo)}: {identifier} can be restored up to {latest} only"
