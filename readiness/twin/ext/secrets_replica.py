"""Secrets Manager replica state moto 5.2.5 lacks: a replica that stops syncing, and real version creation dates.

moto's replica is a live view of its primary and always InSync. Here a replica can be frozen at the
primary's versions of one moment and report another status, like a replica whose replication failed.
"""

from __future__ import annotations

import copy
import json
import time

from moto.secretsmanager.models import ReplicaSecret, SecretsManagerBackend, secretsmanager_backends


def _frozen(replica: ReplicaSecret) -> tuple[dict, str | None] | None:
    return replica.__dict__.get("_twin_frozen")


def _replica_versions(replica: ReplicaSecret) -> dict:
    frozen = _frozen(replica)
    return frozen[0] if frozen else replica.source.versions


def _replica_default_version_id(replica: ReplicaSecret) -> str | None:
    frozen = _frozen(replica)
    return frozen[1] if frozen else replica.source.default_version_id


def _replica_to_dict(replica: ReplicaSecret) -> dict:
    document = replica.source.to_dict()
    document["ARN"] = replica.arn
    document["PrimaryRegion"] = replica.source.region
    # The primary's document lists its own versions; a frozen replica has older ones.
    stages = {version_id: version["version_stages"] for version_id, version in _replica_versions(replica).items()}
    for key in ("VersionIdsToStages", "SecretVersionsToStages"):
        if key in document:
            document[key] = stages
    return document


def list_secret_version_ids(self: SecretsManagerBackend, secret_id: str) -> str:
    # moto reports the current time as every version's CreatedDate and the name as the ARN.
    secret = self.secrets[secret_id]
    versions = [
        {"VersionId": version_id, "VersionStages": version["version_stages"], "CreatedDate": version["createdate"]}
        for version_id, version in secret.versions.items()
    ]
    return json.dumps({"ARN": secret.arn, "Name": secret.name, "Versions": versions})


def freeze_replica(account_id: str, region: str, secret_id: str, replica_region: str, status: str, message: str) -> None:
    """Stop a replica at the primary's current versions and make the primary report it with status and message."""
    secret = secretsmanager_backends[account_id][region].secrets[secret_id]
    replica = next(item for item in secret.replicas if item.region == replica_region)
    replica.__dict__["_twin_frozen"] = (copy.deepcopy(secret.versions), secret.default_version_id)
    replica.status, replica.message = status, message
    replica.config.update(Status=status, StatusMessage=message)


def backdate_current_version(account_id: str, region: str, secret_id: str, seconds: float) -> None:
    """Move the creation date of the primary's AWSCURRENT version seconds into the past."""
    secret = secretsmanager_backends[account_id][region].secrets[secret_id]
    secret.versions[secret.default_version_id]["createdate"] = int(time.time() - seconds)


def install() -> None:
    """Let replicas keep their own versions once frozen, and report version creation dates as stored."""
    ReplicaSecret.versions = property(_replica_versions)
    ReplicaSecret.default_version_id = property(_replica_default_version_id)
    ReplicaSecret.to_dict = _replica_to_dict
    SecretsManagerBackend.list_secret_version_ids = list_secret_version_ids
