"""Credentials drills: the database secret's backup-region replica is in sync, and serves the secret on game days."""

import time

import pytest

from readiness.recovery import CREDENTIALS, RPO, RTO, seconds_since, shown


def _replica_arn(secret_arn: str, region: str) -> str:
    # A replica's ARN is the primary's with the replica's region.
    parts = secret_arn.split(":")
    parts[3] = region
    return ":".join(parts)


def _versions(secretsmanager, secret_arn: str) -> list[dict]:
    # botocore has no paginator for ListSecretVersionIds, so the pages are followed here.
    versions, token = [], None
    while True:
        page = secretsmanager.list_secret_version_ids(SecretId=secret_arn, **({"NextToken": token} if token else {}))
        versions += page["Versions"]
        token = page.get("NextToken")
        if not token:
            return versions


@pytest.mark.dryrun
def test_secret_replica_in_sync(inventory, outputs, target):
    secret_arn = outputs["db_secret_arn"]
    secret = next((item for item in inventory.secretsmanager.secrets if item["ARN"] == secret_arn), None)
    assert secret, f"secret {secret_arn} was not found in {target.region}; expected the database credentials there"

    replicas = {replica["Region"]: replica for replica in secret.get("ReplicationStatus", [])}
    replica = replicas.get(target.backup_region)
    assert replica, (
        f"credentials: secret {secret['Name']} has no replica in {target.backup_region} "
        f"(replicas in {sorted(replicas) or 'no region'}); expected an InSync replica there"
    )
    assert replica.get("Status") == "InSync", (
        f"credentials: the replica of secret {secret['Name']} in {target.backup_region} is {replica.get('Status')} "
        f"({replica.get('StatusMessage', 'no status message')}); expected InSync"
    )


@pytest.mark.live
def test_credentials_drill(outputs, target, record_objective, phases):
    secret_arn = outputs["db_secret_arn"]
    replica_arn = _replica_arn(secret_arn, target.backup_region)
    primary, replica = target.client("secretsmanager"), target.client("secretsmanager", target.backup_region)

    # Reading a value changes nothing, so there is nothing to undo; the value is never logged.
    with phases.phase("read the secret from the backup-region replica"):
        started = time.monotonic()
        value = replica.get_secret_value(SecretId=replica_arn)
        read_s = time.monotonic() - started
    served = bool(value.get("SecretString") or value.get("SecretBinary"))
    rto = record_objective(CREDENTIALS, RTO, read_s if served else None, f"GetSecretValue of {replica_arn}")

    with phases.phase("compare the replica's version with the primary's"):
        stages = primary.describe_secret(SecretId=secret_arn)["VersionIdsToStages"]
        current = next(version for version, labels in stages.items() if "AWSCURRENT" in labels)
        behind_s = 0.0
        if value["VersionId"] != current:
            # The replica misses every change since the primary's current version was created.
            created = next(version["CreatedDate"] for version in _versions(primary, secret_arn)
                           if version["VersionId"] == current)
            behind_s = seconds_since(created)
    rpo = record_objective(CREDENTIALS, RPO, behind_s, f"version of {replica_arn} against the primary's AWSCURRENT")

    assert served, f"{shown(rto)}: the replica {replica_arn} returned no SecretString or SecretBinary"
    assert not rto.breached, f"{shown(rto)}: reading the credentials in {target.backup_region} took too long"
    assert not rpo.breached, (
        f"{shown(rpo)}: the replica serves version {value['VersionId']}, the primary's current version is {current}"
    )
