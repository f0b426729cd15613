"""Backup drills: recent, encrypted, planned and copied recovery points, and a point-in-time window within the RPO."""

import pytest

from readiness.inventory.backup import schedule_interval_days
from readiness.recovery import (
    DATABASE, RPO, newest_completed_point, plan_vaults, protected_resources, seconds_since, shown,
)

pytestmark = pytest.mark.dryrun

# A scheduled job starts within its start window and then runs, so the newest point of a daily plan
# may be this much older than a day: a daily plan allows 26 h.
GRACE_HOURS = 2
LIFECYCLE_KEYS = ("MoveToColdStorageAfterDays", "DeleteAfterDays")


def _plan(inventory, outputs) -> dict:
    __tracebackhide__ = True
    plan = inventory.backup.plan
    assert plan, (
        f"backup plan {outputs['backup_plan_id']} was not found in {inventory.backup.target.region}; "
        "expected a live plan to judge the recovery points against"
    )
    return plan


def _allowed_age_hours(plan: dict) -> float | None:
    """Return the age in hours the newest point may reach: the plan's most frequent schedule plus the grace."""
    intervals = [schedule_interval_days(rule.get("ScheduleExpression", "")) for rule in plan["BackupPlan"]["Rules"]]
    readable = [interval for interval in intervals if interval is not None]
    return min(readable) * 24 + GRACE_HOURS if readable else None


def _lifecycle(document: dict | None) -> dict:
    return {key: document[key] for key in LIFECYCLE_KEYS if (document or {}).get(key) is not None}


def _lifecycle_problem(plan: dict, point: dict) -> str | None:
    """Compare a point's lifecycle with the rule that made it, or with every rule for an on-demand point."""
    rules = plan["BackupPlan"]["Rules"]
    rule_id = (point.get("CreatedBy") or {}).get("BackupRuleId")
    makers = [rule for rule in rules if rule.get("RuleId") == rule_id] or rules
    expected = {rule["RuleName"]: _lifecycle(rule.get("Lifecycle")) for rule in makers}
    if _lifecycle(point.get("Lifecycle")) in expected.values():
        return None
    expected_text = " or ".join(f"{lifecycle or 'keep forever'} (rule {name})" for name, lifecycle in expected.items())
    return f"is kept with lifecycle {_lifecycle(point.get('Lifecycle')) or 'keep forever'}, expected {expected_text}"


def _newest_job(inventory, resource_arn: str) -> str:
    jobs = sorted(inventory.backup.backup_jobs(resource_arn), key=lambda job: job["CreationDate"])
    if not jobs:
        return "no backup job in the last 30 days"
    newest = jobs[-1]
    reason = f": {newest['StatusMessage']}" if newest.get("StatusMessage") else ""
    return f"newest backup job {newest['BackupJobId']} is {newest['State']}{reason}"


def test_newest_recovery_points_recent(inventory, outputs):
    plan = _plan(inventory, outputs)
    name = plan["BackupPlan"]["BackupPlanName"]
    allowed_hours = _allowed_age_hours(plan)
    assert allowed_hours is not None, (
        f"backup plan {name} has no rule with a schedule the drill can read "
        f"({[rule.get('ScheduleExpression') for rule in plan['BackupPlan']['Rules']]}); "
        "expected cron() or rate() expressions"
    )

    offenders = []
    for label, resource_arn in protected_resources(inventory, outputs):
        point = newest_completed_point(inventory, plan, resource_arn)
        if point is None:
            offenders.append(f"{label} has no COMPLETED recovery point in vaults {plan_vaults(plan)} "
                             f"({_newest_job(inventory, resource_arn)})")
            continue

        completed = point.get("CompletionDate") or point["CreationDate"]
        age_hours = seconds_since(completed) / 3600
        if age_hours > allowed_hours:
            offenders.append(f"{label}: newest COMPLETED recovery point {point['RecoveryPointArn']} completed "
                             f"{age_hours:.1f} h ago, expected younger than {allowed_hours:g} h "
                             f"({_newest_job(inventory, resource_arn)})")
        if point.get("IsEncrypted") is not True or not point.get("EncryptionKeyArn"):
            offenders.append(f"{label}: recovery point {point['RecoveryPointArn']} has IsEncrypted="
                             f"{point.get('IsEncrypted')} with key {point.get('EncryptionKeyArn')}, expected encrypted")
        problem = _lifecycle_problem(plan, point)
        if problem:
            offenders.append(f"{label}: recovery point {point['RecoveryPointArn']} {problem}")

    assert not offenders, f"recovery points of backup plan {name} are missing, stale or off-plan: {'; '.join(offenders)}"


def test_newest_points_copied_to_backup_region(inventory, outputs, target):
    plan = _plan(inventory, outputs)
    backup = inventory.backup

    offenders = []
    for label, resource_arn in protected_resources(inventory, outputs):
        point = newest_completed_point(inventory, plan, resource_arn)
        if point is None:
            offenders.append(f"{label} has no COMPLETED recovery point to copy")
            continue

        jobs = [job for job in backup.copy_jobs(resource_arn)
                if job["SourceRecoveryPointArn"] == point["RecoveryPointArn"]
                and job["DestinationBackupVaultArn"].split(":")[3] == target.backup_region]
        completed = [job for job in jobs if job["State"] == "COMPLETED"]
        if not completed:
            observed = ", ".join(f"{job['CopyJobId']} {job['State']}" for job in jobs) or "no copy job"
            offenders.append(f"{label}: newest recovery point {point['RecoveryPointArn']} has {observed} into "
                             f"{target.backup_region}, expected a COMPLETED copy job")
            continue

        job = completed[-1]
        vault_name = job["DestinationBackupVaultArn"].split(":")[-1]
        copies = {copy["RecoveryPointArn"] for copy in backup.recovery_points(vault_name, target.backup_region)
                  if copy.get("Status") == "COMPLETED"}
        if job.get("DestinationRecoveryPointArn") not in copies:
            offenders.append(f"{label}: copy job {job['CopyJobId']} is COMPLETED but its recovery point "
                             f"{job.get('DestinationRecoveryPointArn')} is not in vault {vault_name} of "
                             f"{target.backup_region}, expected the copy to be there")

    assert not offenders, (
        f"newest recovery points without a copy in {target.backup_region}: {'; '.join(offenders)}; "
        f"expected each newest point copied to a vault there, such as {outputs['backup_copy_vault_arn']}"
    )


def test_database_point_in_time_within_rpo(inventory, outputs, record_objective):
    identifier = outputs["db_instance_identifier"]
    database = inventory.rds.database_cluster() or inventory.rds.database()
    assert database, f"database {identifier} was not found, so its point-in-time window cannot be read"

    latest = database.get("LatestRestorableTime")
    lag_s = seconds_since(latest) if latest else None
    measurement = record_objective(DATABASE, RPO, lag_s, f"LatestRestorableTime of {identifier}")

    assert latest, (
        f"database {identifier} reports no LatestRestorableTime (BackupRetentionPeriod="
        f"{database.get('BackupRetentionPeriod')}), so it cannot be restored to a point in time; "
        f"expected automated backups and a restorable time within {measurement.target_s:g} s"
    )
    assert not measurement.breached, (
        f"{shown(measurement)}: {identifier} can be restored up to {latest.isoformat()} only; "
        "expected its transaction logs to reach AWS within the RPO"
    )
