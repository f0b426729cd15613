"""AWS Backup: vaults of both regions, the stack's plan and selections, notifications, points, jobs, restore role."""

from __future__ import annotations

import re

import botocore.exceptions

from readiness.errors import Unverifiable
from readiness.inventory import collector
from readiness.inventory.base import Collector, classify_error, dataset
from readiness.inventory.events import wildcard_match

TAG_KEY_PREFIX = "aws:ResourceTag/"
# Cron fields that place no limit.
ANY = ("*", "?")


def _absent_on_not_found(call):
    try:
        return call()
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


@collector("backup")
class Backup(Collector):
    service = "backup"

    def vaults(self, region: str) -> list[dict]:
        return self.read(f"vaults:{region}", lambda: self.paginate("list_backup_vaults", "BackupVaultList", region=region))

    def vault(self, name: str, region: str) -> dict | None:
        """Return a vault of a region by name, as ListBackupVaults reports it, or None."""
        return next((vault for vault in self.vaults(region) if vault["BackupVaultName"] == name), None)

    def vault_by_arn(self, arn: str) -> dict | None:
        """Return a vault by ARN (arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME), or None."""
        return next((vault for vault in self.vaults(arn.split(":")[3]) if vault["BackupVaultArn"] == arn), None)

    @dataset
    def plan(self) -> dict | None:
        """The plan named by the backup_plan_id output, as GetBackupPlan returns it; None if absent or deleted."""
        plan_id = self.outputs.require("backup_plan_id")
        response = _absent_on_not_found(lambda: self.call("get_backup_plan", BackupPlanId=plan_id))
        if response is None or response.get("DeletionDate"):
            return None
        return response

    @dataset
    def selections(self) -> list[dict]:
        """The selections of the stack's plan, each a BackupSelection document with its SelectionId."""
        plan_id = self.outputs.require("backup_plan_id")
        selections = []
        for entry in self.paginate("list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id):
            response = self.call("get_backup_selection", BackupPlanId=plan_id, SelectionId=entry["SelectionId"])
            selections.append({**response["BackupSelection"], "SelectionId": entry["SelectionId"]})
        return selections

    def notifications(self, vault_name: str, region: str) -> dict | None:
        """Return a vault's SNS notification settings, or None when the vault has none."""
        return self.read(f"notifications:{region}:{vault_name}", lambda: _absent_on_not_found(
            lambda: self.call("get_backup_vault_notifications", region=region, BackupVaultName=vault_name)))

    def recovery_points(self, vault_name: str, region: str) -> list[dict]:
        return self.read(f"recovery_points:{region}:{vault_name}", lambda: self.paginate(
            "list_recovery_points_by_backup_vault", "RecoveryPoints", region=region, BackupVaultName=vault_name))

    def backup_jobs(self, resource_arn: str) -> list[dict]:
        """Return the backup jobs of a resource in the primary region; AWS lists the last 30 days."""
        return self.read(f"backup_jobs:{resource_arn}", lambda: self.paginate(
            "list_backup_jobs", "BackupJobs", ByResourceArn=resource_arn))

    def copy_jobs(self, resource_arn: str) -> list[dict]:
        """Return the copy jobs of a resource's recovery points; AWS lists them in the source region, 30 days back."""
        return self.read(f"copy_jobs:{resource_arn}", lambda: self.paginate(
            "list_copy_jobs", "CopyJobs", ByResourceArn=resource_arn))

    def restore_metadata(self, vault_name: str, recovery_point_arn: str) -> dict[str, str] | None:
        """Return the metadata a restore of a primary-region recovery point starts from, or None if AWS has none."""
        def load() -> dict[str, str] | None:
            response = _absent_on_not_found(lambda: self.call(
                "get_recovery_point_restore_metadata", BackupVaultName=vault_name, RecoveryPointArn=recovery_point_arn))
            return (response or {}).get("RestoreMetadata") or None

        return self.read(f"restore_metadata:{recovery_point_arn}", load)

    def restore_role(self, role_arn: str) -> dict | None:
        """Return the IAM role restore jobs run as, as GetRole reports it, or None if it does not exist."""
        def load() -> dict | None:
            name = role_arn.rsplit("/", 1)[-1]
            try:
                role = self.target.client("iam").get_role(RoleName=name)["Role"]
            except botocore.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                    return None
                # Classified here so the message names iam:GetRole, not an AWS Backup action.
                raise Unverifiable(classify_error(error, f"backup.restore_role:{name}", "iam").describe()) from None
            return role

        return self.read(f"restore_role:{role_arn}", load)


def selection_covers(selection: dict, resource_arn: str, tags: dict[str, str]) -> bool:
    """Tell whether a backup selection assigns a resource, the way AWS Backup evaluates it.

    Resources (ARN patterns with *) and ListOfTags (tag equality) each include a resource when any
    entry matches; with neither set, every resource is included. All Conditions must then hold, and
    NotResources excludes.
    """
    resources = selection.get("Resources") or []
    list_of_tags = selection.get("ListOfTags") or []
    # NOTE: AWS documents the OR logic within Resources and within ListOfTags; a selection that sets
    # both is read here as their union.
    if resources or list_of_tags:
        by_arn = any(wildcard_match(pattern, resource_arn) for pattern in resources)
        by_tag = any(_tag_value(tags, condition["ConditionKey"]) == condition["ConditionValue"]
                     for condition in list_of_tags)
        if not (by_arn or by_tag):
            return False

    if any(wildcard_match(pattern, resource_arn) for pattern in selection.get("NotResources") or []):
        return False
    return _conditions_hold(selection.get("Conditions") or {}, tags)


def _conditions_hold(conditions: dict, tags: dict[str, str]) -> bool:
    tests = {
        "StringEquals": lambda value, wanted: value == wanted,
        "StringNotEquals": lambda value, wanted: value != wanted,
        "StringLike": lambda value, wanted: value is not None and wildcard_match(wanted, value),
        "StringNotLike": lambda value, wanted: value is None or not wildcard_match(wanted, value),
    }
    return all(
        test(_tag_value(tags, condition["ConditionKey"]), condition["ConditionValue"])
        for operator, test in tests.items()
        for condition in conditions.get(operator) or []
    )


def _tag_value(tags: dict[str, str], condition_key: str) -> str | None:
    # Conditions name tags as aws:ResourceTag/KEY; ListOfTags may use the bare key as well.
    key = condition_key[len(TAG_KEY_PREFIX):] if condition_key.startswith(TAG_KEY_PREFIX) else condition_key
    return tags.get(key)


def schedule_interval_days(expression: str) -> float | None:
    """Return the longest gap in days between runs of an AWS schedule expression, or None if unreadable.

    Reads rate(N unit) and the six-field cron(minutes hours day-of-month month day-of-week year).
    A cron gap is an upper bound: 1 for daily or more often, 7 for some days of the week, 31 for some
    days of the month, and 366 for schedules limited to some months or years.
    """
    rate = re.fullmatch(r"rate\((\d+)\s+(minutes?|hours?|days?)\)", expression.strip())
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        return value / {"minute": 1440, "hour": 24, "day": 1}[unit]

    cron = re.fullmatch(r"cron\((.+)\)", expression.strip())
    fields = cron.group(1).split() if cron else []
    if len(fields) != 6:
        return None
    _minutes, _hours, day_of_month, month, day_of_week, year = fields
    if month not in ANY or year not in ANY:
        return 366
    if day_of_month in ANY and day_of_week in ANY:
        return 1
    return 7 if day_of_month in ANY else 31
