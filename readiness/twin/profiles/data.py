"""Drift profiles that break the database, bucket, key, secret and backup criteria."""

from readiness.twin.context import TwinContext
from readiness.twin.profiles import profile
from readiness.twin.stack.data import DB_INSTANCE


def _modify_database(ctx: TwinContext, **changes) -> None:
    ctx.client("rds").modify_db_instance(DBInstanceIdentifier=DB_INSTANCE, ApplyImmediately=True, **changes)


def _update_rules(ctx: TwinContext, change) -> None:
    """Rewrite the backup plan's rules in place with change(rules) -> rules."""
    backup = ctx.client("backup")
    plan = backup.get_backup_plan(BackupPlanId=ctx.ids["backup_plan_id"])["BackupPlan"]
    rules = [{key: value for key, value in rule.items() if key != "RuleId"} for rule in plan["Rules"]]
    backup.update_backup_plan(BackupPlanId=ctx.ids["backup_plan_id"],
                              BackupPlan={"BackupPlanName": plan["BackupPlanName"], "Rules": change(rules)})


@profile("single-az-database", breaks={"INF-04"}, description="the database instance runs in one AZ only",
         expect_in_message="MultiAZ=False")
def single_az_database(ctx: TwinContext) -> None:
    _modify_database(ctx, MultiAZ=False)


@profile("short-backup-retention", breaks={"INF-05"}, description="automated database backups are kept 3 days",
         expect_in_message="BackupRetentionPeriod=3")
def short_backup_retention(ctx: TwinContext) -> None:
    _modify_database(ctx, BackupRetentionPeriod=3)


@profile("public-database", breaks={"INF-06"}, description="the database instance is publicly accessible",
         expect_in_message="PubliclyAccessible=true")
def public_database(ctx: TwinContext) -> None:
    _modify_database(ctx, PubliclyAccessible=True)


@profile("no-performance-insights", breaks={"PERF-05"}, description="Performance Insights is off on the database",
         expect_in_message="PerformanceInsightsEnabled=False")
def no_performance_insights(ctx: TwinContext) -> None:
    _modify_database(ctx, EnablePerformanceInsights=False)


@profile("vault-aws-managed-key", breaks={"INF-11"},
         description="the backup vault is recreated without a key, so AWS Backup encrypts it with aws/backup",
         expect_in_message="KeyManager=AWS")
def vault_aws_managed_key(ctx: TwinContext) -> None:
    backup = ctx.client("backup")
    name = ctx.ids["backup_vault_name"]
    try:
        notifications = backup.get_backup_vault_notifications(BackupVaultName=name)
    except backup.exceptions.ResourceNotFoundException:
        notifications = None

    backup.delete_backup_vault(BackupVaultName=name)
    backup.create_backup_vault(BackupVaultName=name)
    # Deleting a vault deletes its notifications, so they are set again as a team recreating it would.
    if notifications:
        backup.put_backup_vault_notifications(BackupVaultName=name, SNSTopicArn=notifications["SNSTopicArn"],
                                              BackupVaultEvents=notifications["BackupVaultEvents"])


@profile("plan-missing-monthly", breaks={"INF-12"}, description="the backup plan loses its monthly rule",
         expect_in_message="monthly")
def plan_missing_monthly(ctx: TwinContext) -> None:
    _update_rules(ctx, lambda rules: [rule for rule in rules if rule["RuleName"] != "monthly"])


@profile("selection-misses-bucket", breaks={"INF-12"},
         description="the backup selection lists the database but not the application bucket",
         expect_in_message="does not cover arn:aws:s3:::")
def selection_misses_bucket(ctx: TwinContext) -> None:
    backup = ctx.client("backup")
    plan_id = ctx.ids["backup_plan_id"]
    for selection in backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]:
        backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection["SelectionId"])
    backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection={
        "SelectionName": "database-only", "IamRoleArn": ctx.ids["backup_role_arn"],
        "Resources": ["arn:aws:rds:*:*:db:*"],
    })


@profile("no-cross-region-copy", breaks={"INF-13"}, description="no backup rule copies to the backup region",
         expect_in_message="copies to no vault")
def no_cross_region_copy(ctx: TwinContext) -> None:
    _update_rules(ctx, lambda rules: [{**rule, "CopyActions": []} for rule in rules])


@profile("replication-prefix-filter", breaks={"INF-14"},
         description="the replication rule copies only objects under uploads/",
         expect_in_message="uploads/")
def replication_prefix_filter(ctx: TwinContext) -> None:
    s3 = ctx.client("s3")
    bucket = ctx.ids["app_bucket_name"]
    configuration = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    for rule in configuration["Rules"]:
        rule["Filter"] = {"Prefix": "uploads/"}
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)


@profile("bucket-public-access", breaks={"SEC-05"},
         description="the account-level block allows public policies and the application bucket has no block",
         expect_in_message="BlockPublicPolicy")
def bucket_public_access(ctx: TwinContext) -> None:
    s3control = ctx.client("s3control")
    s3control.put_public_access_block(AccountId=ctx.account_id, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
    })
    ctx.client("s3").delete_public_access_block(Bucket=ctx.ids["app_bucket_name"])


@profile("unencrypted-bucket", breaks={"SEC-06"},
         description="the application bucket's default encryption is SSE-S3 instead of SSE-KMS",
         expect_in_message="AES256")
def unencrypted_bucket(ctx: TwinContext) -> None:
    ctx.client("s3").put_bucket_encryption(Bucket=ctx.ids["app_bucket_name"], ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})


@profile("key-rotation-off", breaks={"SEC-07"}, description="automatic rotation is off on the primary data key",
         expect_in_message="rotation off")
def key_rotation_off(ctx: TwinContext) -> None:
    ctx.client("kms").disable_key_rotation(KeyId=ctx.ids["kms_key_arn"])


@profile("secret-not-replicated", breaks={"SEC-08"},
         description="the database secret loses its replica in the backup region",
         expect_in_message="replica in")
def secret_not_replicated(ctx: TwinContext) -> None:
    ctx.client("secretsmanager").remove_regions_from_replication(SecretId=ctx.ids["db_secret_arn"],
                                                                 RemoveReplicaRegions=[ctx.backup_region])


@profile("no-backup-notifications", breaks={"MON-07"},
         description="the backup vault's notifications are deleted and no EventBridge rule replaces them",
         expect_in_message="notify nobody")
def no_backup_notifications(ctx: TwinContext) -> None:
    ctx.client("backup").delete_backup_vault_notifications(BackupVaultName=ctx.ids["backup_vault_name"])
