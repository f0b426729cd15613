"""Drift profiles that make the disaster-recovery drills fail and leave the launch criteria as they are.

Two break a live drill only against a lower target, because the twin's delays last seconds:
slow-restore with -o rto_database=1, and slow-replication's probe with -o rpo_static_assets=1.
"""

import json

from readiness.twin.context import TwinContext
from readiness.twin.ext.secrets_replica import backdate_current_version, freeze_replica
from readiness.twin.profiles import profile
from readiness.twin.stack.data import put_replication_metrics


def _newest_database_point(ctx: TwinContext) -> dict:
    backup = ctx.client("backup")
    points = backup.list_recovery_points_by_backup_vault(
        BackupVaultName=ctx.ids["backup_vault_name"], ByResourceArn=ctx.ids["db_instance_arn"])["RecoveryPoints"]
    return max(points, key=lambda point: point["CreationDate"])


@profile("stale-recovery-point", breaks=set(), drills={"test_newest_recovery_points_recent"},
         description="the database's last daily backup is missing, so its newest recovery point is 27 h old")
def stale_recovery_point(ctx: TwinContext) -> None:
    ctx.client("backup").delete_recovery_point(BackupVaultName=ctx.ids["backup_vault_name"],
                                               RecoveryPointArn=_newest_database_point(ctx)["RecoveryPointArn"])


@profile("missing-cross-region-copy", breaks=set(), drills={"test_newest_points_copied_to_backup_region"},
         description="the backup-region copy of the database's newest recovery point is deleted")
def missing_cross_region_copy(ctx: TwinContext) -> None:
    newest = _newest_database_point(ctx)["RecoveryPointArn"]
    job = next(job for job in ctx.client("backup").list_copy_jobs()["CopyJobs"]
               if job["SourceRecoveryPointArn"] == newest)
    ctx.client("backup", ctx.backup_region).delete_recovery_point(
        BackupVaultName=job["DestinationBackupVaultArn"].split(":")[-1],
        RecoveryPointArn=job["DestinationRecoveryPointArn"])


@profile("point-in-time-behind", breaks=set(), drills={"test_database_point_in_time_within_rpo", "test_restore_drill"},
         description="the database's LatestRestorableTime trails by 45 minutes, as when log uploads stall")
def point_in_time_behind(ctx: TwinContext) -> None:
    ctx.behaviour.settings.setdefault("rds_failover", {})["restorable_lag_seconds"] = 45 * 60


@profile("restore-role-untrusted", breaks=set(), drills={"test_restore_readiness", "test_restore_drill"},
         description="the backup restore role trusts ec2.amazonaws.com instead of backup.amazonaws.com")
def restore_role_untrusted(ctx: TwinContext) -> None:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    ctx.client("iam").update_assume_role_policy(RoleName=ctx.ids["backup_restore_role_arn"].rsplit("/", 1)[-1],
                                                PolicyDocument=json.dumps(trust))


@profile("slow-restore", breaks=set(), drills={"test_restore_drill"},
         description="restore jobs take 3 s, which breaches an rto_database below 3 s")
def slow_restore(ctx: TwinContext) -> None:
    ctx.behaviour.settings.setdefault("backup_jobs", {})["restore_seconds"] = 3.0


@profile("replica-key-outside-backup-region", breaks=set(),
         drills={"test_replication_rules_cover_bucket", "test_replication_probe"},
         description="the replication rule encrypts replicas with the primary region's key, so copies fail")
def replica_key_outside_backup_region(ctx: TwinContext) -> None:
    s3 = ctx.client("s3")
    bucket = ctx.ids["app_bucket_name"]
    configuration = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    for rule in configuration["Rules"]:
        rule["Destination"]["EncryptionConfiguration"] = {"ReplicaKmsKeyID": ctx.ids["kms_key_arn"]}
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)


@profile("slow-replication", breaks=set(), drills={"test_replication_latency_last_day", "test_replication_probe"},
         description="replication peaked at 25 minutes in the last day and copies take 2 s now, "
                     "which breaches an rpo_static_assets below 2 s")
def slow_replication(ctx: TwinContext) -> None:
    latencies = [4.0] * 24
    latencies[6] = 25 * 60.0
    put_replication_metrics(ctx, ctx.ids["app_bucket_name"], ctx.ids["replica_bucket_name"], latencies)
    ctx.behaviour.settings.setdefault("s3_replication", {})["lag_seconds"] = 2.0


@profile("failover-same-az", breaks=set(), drills={"test_failover_drill"},
         description="a forced failover reboots the database in place, so it comes back in the same AZ")
def failover_same_az(ctx: TwinContext) -> None:
    ctx.behaviour.settings.setdefault("rds_failover", {})["failover_changes_az"] = False


# SEC-08 judges the same replica status, so it fails with the drills.
@profile("secret-replica-out-of-sync", breaks={"SEC-08"}, expect_in_message="is Failed",
         drills={"test_secret_replica_in_sync", "test_credentials_drill"},
         description="the database secret's replica stopped syncing, and the primary's value changed 2 h ago")
def secret_replica_out_of_sync(ctx: TwinContext) -> None:
    secret_arn = ctx.ids["db_secret_arn"]
    freeze_replica(ctx.account_id, ctx.region, secret_arn, ctx.backup_region, "Failed",
                   f"Replication failed: access denied to KMS key {ctx.ids['kms_backup_key_arn']}")
    ctx.client("secretsmanager").put_secret_value(SecretId=secret_arn, SecretString=json.dumps(
        {"engine": "postgres", "username": "app_admin", "password": "changed-after-the-replica-failed",
         "dbname": "app", "port": 5432}))
    backdate_current_version(ctx.account_id, ctx.region, secret_arn, 2 * 3600)
