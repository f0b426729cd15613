"""The twin's AWS Backup, RDS and S3 extensions, called over HTTP as boto3 calls AWS, and the selection rules."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import boto3
import botocore.config
import pytest

from readiness.inventory.backup import schedule_interval_days, selection_covers
from readiness.inventory.events import pattern_accepts
from readiness.target import TWIN_CREDENTIALS


def client(twin, service: str, region: str | None = None):
    return boto3.session.Session(**TWIN_CREDENTIALS).client(
        service, region_name=region or twin.region, endpoint_url=twin.endpoint_url,
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def stack(twin):
    """The shared twin, reseeded once for this module with the reference stack and no drift."""
    twin.reseed([])
    return twin


@pytest.fixture
def plan_id(stack):
    """A backup plan of its own for one test."""
    backup = client(stack, "backup")
    plan_id = backup.create_backup_plan(BackupPlan={"BackupPlanName": f"test-{uuid.uuid4().hex[:8]}", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": stack.outputs["backup_vault_name"],
         "ScheduleExpression": "cron(0 3 * * ? *)"}]})["BackupPlanId"]
    yield plan_id
    backup.delete_backup_plan(BackupPlanId=plan_id)


def test_selection_round_trip(stack, plan_id):
    backup = client(stack, "backup")
    selection = {
        "SelectionName": "tagged", "IamRoleArn": "arn:aws:iam::123456789012:role/app-backup",
        "Resources": ["arn:aws:rds:*:*:db:*"], "NotResources": ["arn:aws:rds:*:*:db:scratch-*"],
        "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}],
        "Conditions": {"StringLike": [{"ConditionKey": "aws:ResourceTag/environment", "ConditionValue": "prod*"}]},
    }

    selection_id = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection)["SelectionId"]
    listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    read = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)

    assert [item["SelectionId"] for item in listed] == [selection_id]
    assert read["BackupSelection"] == selection
    assert read["BackupPlanId"] == plan_id


def test_selection_delete(stack, plan_id):
    backup = client(stack, "backup")
    selection_id = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection={
        "SelectionName": "all", "IamRoleArn": "arn:aws:iam::123456789012:role/app-backup", "Resources": ["*"],
    })["SelectionId"]

    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)

    assert backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"] == []
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)


def test_selection_needs_live_plan(stack):
    backup = client(stack, "backup")

    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.create_backup_selection(BackupPlanId="no-such-plan", BackupSelection={
            "SelectionName": "x", "IamRoleArn": "arn:aws:iam::123456789012:role/app-backup"})


def test_plan_update_keeps_rule_ids(stack, plan_id):
    backup = client(stack, "backup")
    before = backup.get_backup_plan(BackupPlanId=plan_id)
    rules = [{"RuleName": "daily", "TargetBackupVaultName": stack.outputs["backup_vault_name"],
              "ScheduleExpression": "cron(0 2 * * ? *)", "Lifecycle": {"DeleteAfterDays": 35}},
             {"RuleName": "weekly", "TargetBackupVaultName": stack.outputs["backup_vault_name"]}]

    backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan={"BackupPlanName": "renamed", "Rules": rules})
    after = backup.get_backup_plan(BackupPlanId=plan_id)

    by_name = {rule["RuleName"]: rule for rule in after["BackupPlan"]["Rules"]}
    assert after["VersionId"] != before["VersionId"]
    assert by_name["daily"]["RuleId"] == before["BackupPlan"]["Rules"][0]["RuleId"]
    assert by_name["daily"]["Lifecycle"] == {"DeleteAfterDays": 35}
    assert by_name["weekly"]["ScheduleExpression"] == "cron(0 5 ? * * *)"


def test_vault_notifications_round_trip(stack):
    backup = client(stack, "backup")
    vault = f"notified-{uuid.uuid4().hex[:8]}"
    backup.create_backup_vault(BackupVaultName=vault)
    topic = "arn:aws:sns:eu-west-1:123456789012:backup-events"

    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_vault_notifications(BackupVaultName=vault)
    backup.put_backup_vault_notifications(BackupVaultName=vault, SNSTopicArn=topic,
                                          BackupVaultEvents=["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED"])
    read = backup.get_backup_vault_notifications(BackupVaultName=vault)
    backup.delete_backup_vault_notifications(BackupVaultName=vault)

    assert read["SNSTopicArn"] == topic
    assert read["BackupVaultEvents"] == ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED"]
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_vault_notifications(BackupVaultName=vault)


@pytest.mark.parametrize("event", ["BACKUP_JOB_EXPLODED", "BACKUP_JOB_FAILED", "RESTORE_JOB_FAILED"])
def test_vault_notifications_reject_event(stack, event):
    backup = client(stack, "backup")

    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.put_backup_vault_notifications(BackupVaultName=stack.outputs["backup_vault_name"],
                                              SNSTopicArn="arn:aws:sns:eu-west-1:123456789012:t",
                                              BackupVaultEvents=[event])


def test_vault_without_key_uses_aws_managed_key(stack):
    backup, kms = client(stack, "backup"), client(stack, "kms")
    vault = f"default-key-{uuid.uuid4().hex[:8]}"
    backup.create_backup_vault(BackupVaultName=vault)

    key_arn = backup.describe_backup_vault(BackupVaultName=vault)["EncryptionKeyArn"]
    key = kms.describe_key(KeyId=key_arn)["KeyMetadata"]

    assert key["KeyManager"] == "AWS"
    assert kms.describe_key(KeyId="alias/aws/backup")["KeyMetadata"]["Arn"] == key_arn


def test_seeded_points_are_recent_and_encrypted(stack):
    backup = client(stack, "backup")
    vault = stack.outputs["backup_vault_name"]
    points = backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]
    newest = {}
    for point in points:
        if point["ResourceType"] not in newest or point["CreationDate"] > newest[point["ResourceType"]]["CreationDate"]:
            newest[point["ResourceType"]] = point

    assert set(newest) == {"RDS", "S3"}
    for point in newest.values():
        age = datetime.now(timezone.utc) - point["CompletionDate"]
        assert timedelta(hours=1) < age < timedelta(hours=12)
        assert point["Status"] == "COMPLETED"
        assert point["IsEncrypted"] is True
        assert point["Lifecycle"]["DeleteAfterDays"] == 30


def test_seeded_copies_reach_copy_vault(stack):
    backup = client(stack, "backup")
    copy_vault_arn = stack.outputs["backup_copy_vault_arn"]
    jobs = backup.list_copy_jobs(ByDestinationVaultArn=copy_vault_arn, ByState="COMPLETED")["CopyJobs"]
    remote = client(stack, "backup", copy_vault_arn.split(":")[3])
    copies = remote.list_recovery_points_by_backup_vault(BackupVaultName=copy_vault_arn.split(":")[-1])["RecoveryPoints"]

    assert {job["ResourceType"] for job in jobs} == {"RDS", "S3"}
    assert {job["DestinationRecoveryPointArn"] for job in jobs} == {copy["RecoveryPointArn"] for copy in copies}
    assert all(copy["SourceBackupVaultArn"].endswith(stack.outputs["backup_vault_name"]) for copy in copies)


def test_point_lookup_by_resource(stack):
    backup = client(stack, "backup")
    database_arn = f"arn:aws:rds:{stack.region}:123456789012:db:{stack.outputs['db_instance_identifier']}"

    by_resource = backup.list_recovery_points_by_resource(ResourceArn=database_arn)["RecoveryPoints"]
    jobs = backup.list_backup_jobs(ByResourceArn=database_arn)["BackupJobs"]
    point = backup.describe_recovery_point(BackupVaultName=by_resource[0]["BackupVaultName"],
                                           RecoveryPointArn=by_resource[0]["RecoveryPointArn"])
    metadata = backup.get_recovery_point_restore_metadata(BackupVaultName=point["BackupVaultName"],
                                                           RecoveryPointArn=point["RecoveryPointArn"])

    assert len(by_resource) == len(jobs) == 2
    assert point["ResourceArn"] == database_arn
    assert metadata["RestoreMetadata"]["DBInstanceIdentifier"] == stack.outputs["db_instance_identifier"]


def test_point_listing_pages(stack):
    backup = client(stack, "backup")
    pages = list(backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
        BackupVaultName=stack.outputs["backup_vault_name"], PaginationConfig={"PageSize": 1}))

    assert len(pages) == 4
    assert len({page["RecoveryPoints"][0]["RecoveryPointArn"] for page in pages}) == 4


def test_performance_insights_round_trip(stack):
    rds = client(stack, "rds")
    identifier = stack.outputs["db_instance_identifier"]

    created = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    rds.modify_db_instance(DBInstanceIdentifier=identifier, EnablePerformanceInsights=False, ApplyImmediately=True)
    modified = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    rds.modify_db_instance(DBInstanceIdentifier=identifier, EnablePerformanceInsights=True, ApplyImmediately=True)

    assert created["PerformanceInsightsEnabled"] is True
    assert created["PerformanceInsightsRetentionPeriod"] == 7
    assert modified["PerformanceInsightsEnabled"] is False


@pytest.mark.parametrize("rule_filter", [
    {"Prefix": "uploads/"},
    {"Tag": {"Key": "replicate", "Value": "yes"}},
    {"And": {"Prefix": "a/", "Tags": [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]}},
    {},
])
def test_replication_filter_round_trip(stack, rule_filter):
    s3 = client(stack, "s3")
    bucket = stack.outputs["app_bucket_name"]
    configuration = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    original = [dict(rule) for rule in configuration["Rules"]]
    for rule in configuration["Rules"]:
        rule["Filter"] = rule_filter

    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)
    read = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"][0]
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration={**configuration, "Rules": original})

    assert read["Filter"] == rule_filter
    assert read["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert read["DeleteMarkerReplication"] == {"Status": "Enabled"}


DATABASE = "arn:aws:rds:eu-west-1:123456789012:db:app-db"


@pytest.mark.parametrize("selection, tags, covered", [
    ({"Resources": [DATABASE]}, {}, True),
    ({"Resources": ["arn:aws:rds:*:*:db:*"]}, {}, True),
    ({"Resources": ["arn:aws:s3:::*"]}, {}, False),
    ({"Resources": ["*"], "NotResources": ["arn:aws:rds:*:*:db:app-*"]}, {}, False),
    ({"ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "yes"}]},
     {"backup": "yes"}, True),
    ({"ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "yes"}]},
     {"backup": "no"}, False),
    ({"Resources": ["*"], "Conditions": {"StringEquals": [
        {"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "yes"},
        {"ConditionKey": "aws:ResourceTag/environment", "ConditionValue": "production"}]}},
     {"backup": "yes"}, False),
    ({"Conditions": {"StringLike": [{"ConditionKey": "aws:ResourceTag/environment", "ConditionValue": "prod*"}]}},
     {"environment": "production"}, True),
    ({"Conditions": {"StringNotEquals": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "skip"}]}},
     {}, True),
])
def test_selection_covers(selection, tags, covered):
    assert selection_covers(selection, DATABASE, tags) is covered


@pytest.mark.parametrize("expression, days", [
    ("cron(0 3 * * ? *)", 1),
    ("cron(0 */6 * * ? *)", 1),
    ("cron(0 4 ? * SUN *)", 7),
    ("cron(0 5 1 * ? *)", 31),
    ("cron(0 5 1 1 ? *)", 366),
    ("rate(12 hours)", 0.5),
    ("rate(30 days)", 30),
    ("at(2030-01-01T00:00:00)", None),
])
def test_schedule_interval_days(expression, days):
    assert schedule_interval_days(expression) == days


FAILED_BACKUP = {"source": "aws.backup", "detail-type": "Backup Job State Change", "detail": {"state": "FAILED"}}


@pytest.mark.parametrize("pattern, accepted", [
    ({"source": ["aws.backup"]}, True),
    ({"source": ["aws.backup"], "detail": {"state": ["FAILED"]}}, True),
    ({"source": ["aws.backup"], "detail": {"state": ["COMPLETED"]}}, False),
    ({"source": ["aws.ec2"]}, False),
    ({"source": [{"prefix": "aws."}], "detail-type": [{"suffix": "Job State Change"}]}, True),
    ({"source": ["aws.backup"], "detail": {"state": [{"anything-but": ["COMPLETED", "RUNNING"]}]}}, True),
    ({"source": ["aws.backup"], "detail": {"state": [{"anything-but": {"prefix": "FAIL"}}]}}, False),
    ({"source": ["aws.backup"], "detail-type": [{"wildcard": "* Job State Change"}]}, True),
    ({"source": ["aws.backup"], "detail": {"state": [{"equals-ignore-case": "failed"}]}}, True),
    ({"source": ["aws.backup"], "detail": {"backupVaultName": ["app-backup-vault"]}}, True),
    ({"source": ["aws.backup"], "detail": {"state": [{"numeric": [">", 0]}]}}, False),
])
def test_pattern_accepts(pattern, accepted):
    assert pattern_accepts(pattern, FAILED_BACKUP) is accepted
