"""Reference stack, data: the Multi-AZ PostgreSQL instance, the replicated bucket pair with a day of replication
metrics, and the database secret.

Uses from ctx.ids: private_subnet_ids, sg_db, kms_key_arn, kms_backup_key_arn.
Puts in ctx.ids: db_instance_identifier, db_instance_arn, app_bucket_name, app_bucket_arn,
replica_bucket_name, db_secret_arn.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

from readiness.twin.context import TwinContext
from readiness.twin.stack.tags import tags

DB_INSTANCE = "app-db"
DB_SUBNET_GROUP = "app-db-private"
DB_SECRET = "app/db-credentials"
REPLICATION_RULE = "replicate-everything"
ROTATION_FUNCTION = "app-db-secret-rotation"
ALL_PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
}


def seed(ctx: TwinContext) -> None:
    db_instance_arn = _database(ctx)
    app_bucket, replica_bucket = _buckets(ctx)
    db_secret_arn = _secret(ctx)

    ctx.ids.update(
        db_instance_identifier=DB_INSTANCE, db_instance_arn=db_instance_arn, app_bucket_name=app_bucket,
        app_bucket_arn=f"arn:aws:s3:::{app_bucket}", replica_bucket_name=replica_bucket, db_secret_arn=db_secret_arn,
    )
    ctx.outputs.update(db_instance_identifier=DB_INSTANCE, app_bucket_name=app_bucket,
                       replica_bucket_name=replica_bucket, db_secret_arn=db_secret_arn)


def _database(ctx: TwinContext) -> str:
    rds = ctx.client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName=DB_SUBNET_GROUP, DBSubnetGroupDescription="Private subnets of the application database",
        SubnetIds=ctx.ids["private_subnet_ids"], Tags=tags(key="Key", value="Value"),
    )
    instance = rds.create_db_instance(
        DBInstanceIdentifier=DB_INSTANCE, DBName="app", Engine="postgres", EngineVersion="16.4",
        DBInstanceClass="db.m6g.large", StorageType="gp3", AllocatedStorage=100, MaxAllocatedStorage=500,
        MultiAZ=True, StorageEncrypted=True, KmsKeyId=ctx.ids["kms_key_arn"], BackupRetentionPeriod=14,
        PreferredBackupWindow="02:00-03:00", PreferredMaintenanceWindow="sun:04:00-sun:05:00",
        DeletionProtection=True, CopyTagsToSnapshot=True, PubliclyAccessible=False,
        EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId=ctx.ids["kms_key_arn"],
        PerformanceInsightsRetentionPeriod=7, DBSubnetGroupName=DB_SUBNET_GROUP,
        VpcSecurityGroupIds=[ctx.ids["sg_db"]], MasterUsername="app_admin",
        MasterUserPassword="reference-stack-password", Tags=tags(key="Key", value="Value", Name=DB_INSTANCE),
    )["DBInstance"]
    return instance["DBInstanceArn"]


def _buckets(ctx: TwinContext) -> tuple[str, str]:
    """Create the application bucket and its replica, both locked down, and replicate one to the other."""
    app_bucket = f"app-data-{ctx.account_id}-{ctx.region}"
    replica_bucket = f"app-data-replica-{ctx.account_id}-{ctx.backup_region}"
    _protected_bucket(ctx, replica_bucket, ctx.backup_region, ctx.ids["kms_backup_key_arn"])
    _protected_bucket(ctx, app_bucket, ctx.region, ctx.ids["kms_key_arn"])

    role_arn = _service_role(ctx, "app-s3-replication", "s3.amazonaws.com")
    ctx.client("s3").put_bucket_replication(Bucket=app_bucket, ReplicationConfiguration={
        "Role": role_arn,
        "Rules": [{
            "ID": REPLICATION_RULE, "Priority": 1, "Status": "Enabled", "Filter": {},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            # Objects encrypted with SSE-KMS replicate only when the rule opts them in.
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {
                "Bucket": f"arn:aws:s3:::{replica_bucket}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": ctx.ids["kms_backup_key_arn"]},
                "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
            },
        }],
    })

    s3control = ctx.client("s3control")
    s3control.put_public_access_block(AccountId=ctx.account_id, PublicAccessBlockConfiguration=ALL_PUBLIC_ACCESS_BLOCKED)
    put_replication_metrics(ctx, app_bucket, replica_bucket, [3.0 + (hour * 7) % 11 for hour in range(24)])
    return app_bucket, replica_bucket


def put_replication_metrics(ctx: TwinContext, source: str, destination: str, latencies_s: list[float],
                            failed_operations: int = 0) -> None:
    """Publish one ReplicationLatency (seconds) and OperationsFailedReplication point per hour, newest first.

    S3 publishes these metrics for rules with replication metrics on; the twin's CloudWatch has no source for them.
    """
    now = datetime.now(timezone.utc)
    dimensions = [{"Name": "SourceBucket", "Value": source}, {"Name": "DestinationBucket", "Value": destination},
                  {"Name": "RuleId", "Value": REPLICATION_RULE}]
    data = []
    for hour, latency in enumerate(latencies_s):
        timestamp = now - timedelta(hours=hour, minutes=30)
        data.append({"MetricName": "ReplicationLatency", "Dimensions": dimensions, "Timestamp": timestamp,
                     "Value": latency, "Unit": "Seconds"})
        data.append({"MetricName": "OperationsFailedReplication", "Dimensions": dimensions, "Timestamp": timestamp,
                     "Value": float(failed_operations if hour == 0 else 0), "Unit": "Count"})
    ctx.client("cloudwatch").put_metric_data(Namespace="AWS/S3", MetricData=data)


def _protected_bucket(ctx: TwinContext, bucket: str, region: str, kms_key_arn: str) -> None:
    """Create a versioned bucket with SSE-KMS, every public access flag, and a policy denying plain HTTP."""
    s3 = ctx.client("s3", region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags(key="Key", value="Value")})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn},
        "BucketKeyEnabled": True,
    }]})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL_PUBLIC_ACCESS_BLOCKED)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_insecure_transport_policy(bucket)))


def deny_insecure_transport_policy(bucket: str) -> dict:
    """Return a bucket policy that denies every S3 action on the bucket over plain HTTP."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]}


def _secret(ctx: TwinContext) -> str:
    """Create the database secret, replicated to the backup region and rotated by a Lambda function."""
    secrets = ctx.client("secretsmanager")
    secret_arn = secrets.create_secret(
        Name=DB_SECRET, Description=f"Master credentials of {DB_INSTANCE}", KmsKeyId=ctx.ids["kms_key_arn"],
        SecretString=json.dumps({"engine": "postgres", "username": "app_admin",
                                 "password": "reference-stack-password", "dbname": "app", "port": 5432}),
        AddReplicaRegions=[{"Region": ctx.backup_region, "KmsKeyId": ctx.ids["kms_backup_key_arn"]}],
        Tags=tags(key="Key", value="Value"),
    )["ARN"]

    # An immediate rotation would run a rotation function the twin cannot execute and leave the
    # current version without a value, so only the rotation schedule is set.
    secrets.rotate_secret(SecretId=secret_arn, RotationLambdaARN=_rotation_function(ctx),
                          RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    stages = secrets.describe_secret(SecretId=secret_arn)["VersionIdsToStages"]
    for version_id, labels in stages.items():
        if labels == ["AWSPENDING"]:
            # moto leaves the tested version pending, which AWS removes once the test step passes.
            secrets.update_secret_version_stage(SecretId=secret_arn, VersionStage="AWSPENDING",
                                                RemoveFromVersionId=version_id)
    return secret_arn


def _rotation_function(ctx: TwinContext) -> str:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("rotation.py", "def handler(event, context):\n    return None\n")
    return ctx.client("lambda").create_function(
        FunctionName=ROTATION_FUNCTION, Runtime="python3.12", Handler="rotation.handler",
        Role=_service_role(ctx, "app-secret-rotation", "lambda.amazonaws.com"),
        Code={"ZipFile": archive.getvalue()}, Tags=tags(),
    )["FunctionArn"]


def _service_role(ctx: TwinContext, name: str, service: str) -> str:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    return ctx.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Tags=tags(key="Key", value="Value"),
    )["Role"]["Arn"]
