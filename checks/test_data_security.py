"""Launch criteria for data security: bucket exposure, encryption at rest, key rotation, secret rotation."""

from datetime import datetime, timedelta, timezone

import pytest

from readiness.inventory.backup import schedule_interval_days
from readiness.inventory.events import wildcard_match

pytestmark = pytest.mark.dryrun

PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
KMS_ENCRYPTION = ("aws:kms", "aws:kms:dsse")
MAX_SECRET_AGE = timedelta(days=90)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _covers(resource_pattern: str, resource: str) -> bool:
    """Match a policy Resource against an S3 resource, ignoring the ARN's partition."""
    if resource_pattern.startswith("arn:"):
        resource_pattern = resource_pattern.split(":", 2)[2]
    return wildcard_match(resource_pattern, resource)


def _denies_plain_http(statement: dict, bucket: str) -> bool:
    """Tell whether a statement denies every S3 action on the bucket and its objects without TLS."""
    principals = statement.get("Principal")
    everyone = principals == "*" or "*" in _as_list((principals or {}).get("AWS") if isinstance(principals, dict) else None)
    every_action = any(action in ("*", "s3:*") for action in _as_list(statement.get("Action")))
    resources = _as_list(statement.get("Resource"))
    whole_bucket = (any(_covers(pattern, f"s3:::{bucket}") for pattern in resources)
                    and any(_covers(pattern, f"s3:::{bucket}/any-object") for pattern in resources))

    # IAM matches condition operators and keys case-insensitively.
    conditions = {operator.lower(): {key.lower(): value for key, value in (block or {}).items()}
                  for operator, block in (statement.get("Condition") or {}).items()}
    without_tls = any(
        str(value).lower() == "false"
        for operator in ("bool", "boolifexists")
        for value in _as_list(conditions.get(operator, {}).get("aws:securetransport"))
    )
    return statement.get("Effect") == "Deny" and everyone and every_action and whole_bucket and without_tls


@pytest.mark.criterion("SEC-05")
def test_buckets_block_public_access_and_require_tls(inventory):
    s3 = inventory.s3
    account_block = s3.account_public_access_block or {}

    offenders = []
    for bucket in (item["Name"] for item in s3.buckets):
        bucket_block = s3.public_access_block(bucket) or {}
        # The effective setting of each flag is on when either the account or the bucket sets it.
        open_flags = [flag for flag in PUBLIC_ACCESS_FLAGS if not (account_block.get(flag) or bucket_block.get(flag))]
        if open_flags:
            offenders.append(f"{bucket} has {', '.join(open_flags)} off at both account and bucket level")

        policy = s3.policy(bucket)
        if not any(_denies_plain_http(statement, bucket) for statement in _as_list((policy or {}).get("Statement"))):
            offenders.append(f"{bucket} has {'a policy' if policy else 'no policy'} without a Deny of s3:* "
                             "on the bucket and its objects when aws:SecureTransport is false")

    assert not offenders, (
        f"buckets open to public access or plain HTTP: {'; '.join(offenders)}; expected all four public access "
        "block flags on and a policy denying requests without TLS"
    )


@pytest.mark.criterion("SEC-06")
def test_data_encrypted_with_kms(inventory, outputs):
    rds, s3 = inventory.rds, inventory.s3
    offenders = []

    database = rds.database_cluster() or rds.database()
    if database is None:
        offenders.append(f"database {outputs['db_instance_identifier']} was not found")
    elif not database.get("StorageEncrypted") or not database.get("KmsKeyId"):
        name = database.get("DBClusterIdentifier") or database["DBInstanceIdentifier"]
        offenders.append(f"database {name} has StorageEncrypted={database.get('StorageEncrypted')} "
                         f"with KmsKeyId={database.get('KmsKeyId')}")

    for bucket in (outputs["app_bucket_name"], outputs["replica_bucket_name"]):
        algorithms = [rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
                      for rule in s3.encryption_rules(bucket)]
        if not any(algorithm in KMS_ENCRYPTION for algorithm in algorithms):
            offenders.append(f"bucket {bucket} encrypts by default with {algorithms or 'nothing'}")

    assert not offenders, (
        f"data at rest not encrypted with KMS: {'; '.join(offenders)}; expected RDS storage encryption with a "
        "KMS key and SSEAlgorithm aws:kms on the application and replica buckets"
    )


def _rotation_applies(key: dict) -> bool:
    """Tell whether a key must rotate: AWS-managed, asymmetric, HMAC, disabled and pending-deletion keys need not."""
    return (key.get("KeyManager") == "CUSTOMER" and key.get("KeyState") == "Enabled"
            and key.get("KeySpec", key.get("CustomerMasterKeySpec")) == "SYMMETRIC_DEFAULT"
            and key.get("KeyUsage") == "ENCRYPT_DECRYPT"
            # KMS cannot rotate imported key material or keys in a custom key store.
            and key.get("Origin", "AWS_KMS") == "AWS_KMS")


@pytest.mark.criterion("SEC-07")
def test_customer_keys_rotate(inventory, target):
    kms = inventory.kms

    offenders = []
    for region in dict.fromkeys((target.region, target.backup_region)):
        for key in kms.keys(region):
            if _rotation_applies(key) and not kms.rotation_enabled(key["Arn"]):
                offenders.append(f"{key['Arn']} ({key.get('Description') or 'no description'})")

    assert not offenders, (
        f"customer-managed symmetric keys with automatic rotation off: {'; '.join(offenders)}; "
        "expected key rotation enabled on every enabled customer-managed symmetric key"
    )


def _rotation_interval_days(secret: dict) -> float | None:
    rules = secret.get("RotationRules") or {}
    if rules.get("ScheduleExpression"):
        return schedule_interval_days(rules["ScheduleExpression"])
    return rules.get("AutomaticallyAfterDays")


def _secret_problems(secret: dict, backup_region: str, now: datetime) -> list[str]:
    problems = []
    interval = _rotation_interval_days(secret)
    if not secret.get("RotationEnabled"):
        problems.append("rotation off")
    elif interval is None or interval > MAX_SECRET_AGE.days:
        problems.append(f"rotation every {interval or 'unknown'} days")

    last_rotated = secret.get("LastRotatedDate")
    if last_rotated is None:
        problems.append("never rotated")
    elif now - last_rotated > MAX_SECRET_AGE:
        problems.append(f"last rotated {(now - last_rotated).days} days ago")

    replicas = {replica["Region"]: replica.get("Status") for replica in secret.get("ReplicationStatus", [])}
    if replicas.get(backup_region) != "InSync":
        problems.append(f"replica in {backup_region} is {replicas.get(backup_region, 'missing')}")
    return problems


@pytest.mark.criterion("SEC-08")
def test_secrets_rotate_and_replicate(inventory, outputs, target):
    now = datetime.now(timezone.utc)
    # A replica of another region's secret is rotated and replicated from its primary region.
    secrets = [secret for secret in inventory.secretsmanager.secrets
               if secret.get("PrimaryRegion", target.region) == target.region]

    offenders = [f"{secret['Name']}: {', '.join(problems)}" for secret in secrets
                 if (problems := _secret_problems(secret, target.backup_region, now))]
    if outputs["db_secret_arn"] not in {secret["ARN"] for secret in secrets}:
        offenders.append(f"{outputs['db_secret_arn']}: not found in {target.region}")

    assert not offenders, (
        f"secrets not rotated or replicated: {'; '.join(offenders)}; expected automatic rotation at most every "
        f"{MAX_SECRET_AGE.days} days, a rotation in the last {MAX_SECRET_AGE.days} days, and an InSync replica "
        f"in {target.backup_region}"
    )
