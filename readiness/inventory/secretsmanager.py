"""Secrets Manager secrets of the primary region, with rotation and replication status."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("secretsmanager")
class SecretsManager(Collector):
    service = "secretsmanager"

    @dataset
    def secrets(self) -> list[dict]:
        """Every secret of the primary region, as DescribeSecret reports it (ListSecrets has no replica status)."""
        client = self.client()
        described = []
        for entry in self.paginate("list_secrets", "SecretList"):
            secret = client.describe_secret(SecretId=entry["ARN"])
            secret.pop("ResponseMetadata", None)
            described.append(secret)
        return described
