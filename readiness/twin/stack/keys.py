"""Reference stack, keys: a rotating customer-managed KMS key in the primary region and one in the backup region.

Puts in ctx.ids: kms_key_arn (primary region), kms_backup_key_arn (backup region).
"""

from __future__ import annotations

from readiness.twin.context import TwinContext
from readiness.twin.stack.tags import tags


def seed(ctx: TwinContext) -> None:
    kms_key_arn = _rotating_key(ctx, ctx.region, "alias/app-data", "Application data: database, bucket, secrets, backups")
    kms_backup_key_arn = _rotating_key(ctx, ctx.backup_region, "alias/app-backup",
                                       "Replicas and backup copies in the backup region")
    ctx.ids.update(kms_key_arn=kms_key_arn, kms_backup_key_arn=kms_backup_key_arn)


def _rotating_key(ctx: TwinContext, region: str, alias: str, description: str) -> str:
    kms = ctx.client("kms", region)
    key = kms.create_key(
        Description=description, KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT",
        Tags=tags(key="TagKey", value="TagValue"),
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return key["Arn"]
