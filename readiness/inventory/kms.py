"""KMS keys of the primary and backup regions, with their rotation status."""

from __future__ import annotations

import botocore.exceptions

from readiness.inventory import collector
from readiness.inventory.base import Collector


@collector("kms")
class Kms(Collector):
    service = "kms"

    def keys(self, region: str) -> list[dict]:
        """Return every key of a region, as DescribeKey reports it (ListKeys alone has no metadata)."""
        def load() -> list[dict]:
            client = self.client(region)
            return [client.describe_key(KeyId=key["KeyArn"])["KeyMetadata"]
                    for key in self.paginate("list_keys", "Keys", region=region)]

        return self.read(f"keys:{region}", load)

    def rotation_enabled(self, key_arn: str) -> bool:
        """Tell whether automatic rotation is on for a key, given its ARN."""
        region = key_arn.split(":")[3]
        return self.read(
            f"rotation:{key_arn}",
            lambda: self.client(region).get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"],
        )

    def key(self, key_arn: str) -> dict | None:
        """Return a key's metadata by ARN, or None when KMS reports no such key."""
        def load() -> dict | None:
            try:
                return self.client(key_arn.split(":")[3]).describe_key(KeyId=key_arn)["KeyMetadata"]
            except botocore.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NotFoundException":
                    return None
                raise

        return self.read(f"key:{key_arn}", load)
