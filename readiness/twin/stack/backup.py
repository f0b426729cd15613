"""Reference stack, backup: vaults in both regions, a daily/weekly/monthly plan copying across regions, recent jobs.

Uses from ctx.ids: kms_key_arn, kms_backup_key_arn (keys); db_instance_arn, app_bucket_arn,
app_bucket_name, db_instance_identifier, sg_db (network, data); alarm_topic_arn (monitoring) when present.
Puts in ctx.ids: backup_vault_name, backup_vault_arn, backup_copy_vault_arn, backup_plan_id,
backup_role_arn, backup_restore_role_arn.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from readiness.twin.context import TwinContext
from readiness.twin.ext.backup_jobs import record_backup, record_copy
from readiness.twin.stack.data import DB_SUBNET_GROUP
from readiness.twin.stack.tags import tags

log = logging.getLogger(__name__)

VAULT_NAME = "app-backup-vault"
COPY_VAULT_NAME = "app-backup-copy-vault"
PLAN_NAME = "app-backup-plan"
# Rule name, AWS cron schedule (UTC), days kept in both vaults.
RULES = (
    ("daily", "cron(0 3 * * ? *)", 30),
    ("weekly", "cron(0 4 ? * SUN *)", 90),
    ("monthly", "cron(0 5 1 * ? *)", 365),
)
# AWS Backup notifies a failed backup or restore through the *_COMPLETED events, which carry the
# job's final state; BACKUP_JOB_FAILED and RESTORE_JOB_FAILED are deprecated and never sent.
NOTIFIED_EVENTS = ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED", "S3_BACKUP_OBJECT_FAILED"]


def seed(ctx: TwinContext) -> None:
    backup = ctx.client("backup")
    vault_arn = backup.create_backup_vault(
        BackupVaultName=VAULT_NAME, EncryptionKeyArn=ctx.ids["kms_key_arn"], BackupVaultTags=tags(),
    )["BackupVaultArn"]
    copy_vault_arn = ctx.client("backup", ctx.backup_region).create_backup_vault(
        BackupVaultName=COPY_VAULT_NAME, EncryptionKeyArn=ctx.ids["kms_backup_key_arn"], BackupVaultTags=tags(),
    )["BackupVaultArn"]

    backup_role_arn = _backup_role(ctx, "app-backup", "AWSBackupServiceRolePolicyForBackup")
    restore_role_arn = _backup_role(ctx, "app-backup-restore", "AWSBackupServiceRolePolicyForRestores")
    plan_id = backup.create_backup_plan(BackupPlan=plan_document(copy_vault_arn), BackupPlanTags=tags())["BackupPlanId"]
    backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection={
        "SelectionName": "app-data", "IamRoleArn": backup_role_arn,
        "Resources": [ctx.ids["db_instance_arn"], ctx.ids["app_bucket_arn"]],
    })

    if ctx.ids.get("alarm_topic_arn"):
        backup.put_backup_vault_notifications(BackupVaultName=VAULT_NAME, SNSTopicArn=ctx.ids["alarm_topic_arn"],
                                              BackupVaultEvents=NOTIFIED_EVENTS)
    else:
        log.warning("backup stage: no alarm_topic_arn in ctx.ids, so the vault sends no notifications")

    _recent_jobs(ctx, plan_id, backup_role_arn, copy_vault_arn)

    ctx.ids.update(backup_vault_name=VAULT_NAME, backup_vault_arn=vault_arn, backup_copy_vault_arn=copy_vault_arn,
                   backup_plan_id=plan_id, backup_role_arn=backup_role_arn, backup_restore_role_arn=restore_role_arn)
    ctx.outputs.update(backup_vault_name=VAULT_NAME, backup_copy_vault_arn=copy_vault_arn, backup_plan_id=plan_id,
                       backup_restore_role_arn=restore_role_arn)


def plan_document(copy_vault_arn: str, rules=RULES) -> dict:
    """Return the plan: one rule per (name, schedule, days), each copied to the copy vault."""
    return {"BackupPlanName": PLAN_NAME, "Rules": [
        {
            "RuleName": name, "TargetBackupVaultName": VAULT_NAME, "ScheduleExpression": schedule,
            "StartWindowMinutes": 60, "CompletionWindowMinutes": 360,
            "Lifecycle": {"DeleteAfterDays": days},
            "CopyActions": [{"DestinationBackupVaultArn": copy_vault_arn, "Lifecycle": {"DeleteAfterDays": days}}],
        }
        for name, schedule, days in rules
    ]}


def _backup_role(ctx: TwinContext, name: str, managed_policy: str) -> str:
    iam = ctx.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                               Tags=tags(key="Key", value="Value"))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/service-role/{managed_policy}")
    return role_arn


def _recent_jobs(ctx: TwinContext, plan_id: str, role_arn: str, copy_vault_arn: str) -> None:
    """Record the last two daily runs of the plan: a backup of the database and the bucket, each copied."""
    plan = ctx.client("backup").get_backup_plan(BackupPlanId=plan_id)
    daily = next(rule for rule in plan["BackupPlan"]["Rules"] if rule["RuleName"] == "daily")
    created_by = {"BackupPlanId": plan_id, "BackupPlanArn": plan["BackupPlanArn"],
                  "BackupPlanVersion": plan["VersionId"], "BackupRuleId": daily["RuleId"]}
    resources = (
        (ctx.ids["db_instance_arn"], "RDS", 12 * 2**30, _database_restore_metadata(ctx)),
        (ctx.ids["app_bucket_arn"], "S3", 3 * 2**30, _bucket_restore_metadata(ctx)),
    )

    # The daily rule starts at 03:00 UTC; the newest run finished a few hours before now.
    newest = datetime.now(timezone.utc) - timedelta(hours=3)
    for completed in (newest - timedelta(days=1), newest):
        for resource_arn, resource_type, size, metadata in resources:
            point = record_backup(
                ctx.account_id, ctx.region, VAULT_NAME, resource_arn, resource_type, completed=completed,
                iam_role_arn=role_arn, lifecycle=daily["Lifecycle"], created_by=created_by, size_bytes=size,
                restore_metadata=metadata,
            )
            record_copy(ctx.account_id, ctx.region, VAULT_NAME, point["RecoveryPointArn"], copy_vault_arn,
                        completed=completed + timedelta(minutes=30), iam_role_arn=role_arn,
                        lifecycle=daily["CopyActions"][0]["Lifecycle"])


def _database_restore_metadata(ctx: TwinContext) -> dict[str, str]:
    return {
        "DBInstanceIdentifier": ctx.ids["db_instance_identifier"], "DBInstanceClass": "db.m6g.large",
        "Engine": "postgres", "MultiAZ": "true", "DBSubnetGroupName": DB_SUBNET_GROUP, "Port": "5432",
        "VpcSecurityGroupIds": json.dumps([ctx.ids["sg_db"]]), "StorageType": "gp3", "PubliclyAccessible": "false",
        "KmsKeyId": ctx.ids["kms_key_arn"], "DeletionProtection": "true", "CopyTagsToSnapshot": "true",
    }


def _bucket_restore_metadata(ctx: TwinContext) -> dict[str, str]:
    return {
        "DestinationBucketName": ctx.ids["app_bucket_name"], "NewBucket": "false", "Encrypted": "true",
        "EncryptionType": "SSE-KMS", "KMSKey": ctx.ids["kms_key_arn"], "CreatorRequestId": "reference-stack",
    }
