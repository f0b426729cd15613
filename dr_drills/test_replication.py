"""Replication drills: the bucket's replication rules, a day of replication metrics, and a canary object on game days."""

import json
import logging
import time

import pytest

from readiness.recovery import (
    DRILL_PREFIX, RPO, RTO, STATIC_ASSETS, delete_object_versions, hold, objective_target, poll, replication_status,
    shown, wait_timeout,
)

log = logging.getLogger(__name__)

KMS_ENCRYPTION = ("aws:kms", "aws:kms:dsse")
# How long the undo step waits at least for an in-flight copy to land in the replica before deleting it.
MIN_SETTLE_S = 30


def _scope(rule: dict) -> str | None:
    """Describe how a rule narrows the objects it copies, or None when it covers the whole bucket."""
    if "Filter" in rule:
        scope = rule["Filter"] or {}
        narrowing = scope.get("And") or scope
        if narrowing.get("Prefix") or narrowing.get("Tag") or narrowing.get("Tags"):
            return f"objects matching {json.dumps(scope)}"
        return None
    # A rule of the first schema version scopes by a top-level Prefix; an empty one is the whole bucket.
    return f"objects under prefix {rule['Prefix']!r}" if rule.get("Prefix") else None


def _rule_problems(rule: dict, s3, source_uses_kms: bool, backup_region: str) -> list[str]:
    """Return what keeps an enabled rule from copying every object to a usable replica; optional keys may be absent."""
    problems = []
    scope = _scope(rule)
    if scope:
        problems.append(f"copies only {scope}")

    destination = rule.get("Destination") or {}
    bucket = destination.get("Bucket", "").split(":::")[-1]
    region = s3.region_of(bucket) if bucket else None
    if region != backup_region:
        problems.append(f"copies to bucket {bucket or 'none'} in {region}, not {backup_region}")
    elif s3.versioning(bucket) != "Enabled":
        problems.append(f"copies to bucket {bucket}, whose versioning is {s3.versioning(bucket) or 'off'}")

    if source_uses_kms:
        selection = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
        replica_key = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID", "")
        if selection.get("Status") != "Enabled":
            problems.append("leaves SSE-KMS objects out (SourceSelectionCriteria.SseKmsEncryptedObjects not Enabled)")
        elif not replica_key:
            problems.append("names no ReplicaKmsKeyID for SSE-KMS objects")
        elif replica_key.startswith("arn:") and replica_key.split(":")[3] != backup_region:
            # KMS keys are regional, so S3 cannot encrypt the replica with a key of another region.
            problems.append(f"encrypts replicas with key {replica_key}, which is not in {backup_region}")
    return problems


def _replication(inventory, outputs, target) -> dict:
    __tracebackhide__ = True
    bucket = outputs["app_bucket_name"]
    replication = inventory.s3.replication(bucket)
    assert replication, (
        f"static_assets: bucket {bucket} has no replication configuration; expected a rule copying every object "
        f"to a versioned bucket in {target.backup_region}"
    )
    return replication


@pytest.mark.dryrun
def test_replication_rules_cover_bucket(inventory, outputs, target):
    s3, bucket = inventory.s3, outputs["app_bucket_name"]
    replication = _replication(inventory, outputs, target)
    uses_kms = any(rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") in KMS_ENCRYPTION
                   for rule in s3.encryption_rules(bucket))

    findings = {}
    for rule in replication.get("Rules", []):
        rule_id = rule.get("ID", "unnamed")
        if rule.get("Status") != "Enabled":
            findings[rule_id] = [f"is {rule.get('Status')}"]
        else:
            findings[rule_id] = _rule_problems(rule, s3, uses_kms, target.backup_region)
    observed = "; ".join(f"rule {rule_id} {', '.join(problems) or 'copies every object'}"
                         for rule_id, problems in findings.items())

    assert any(not problems for problems in findings.values()), (
        f"static_assets: no replication rule of bucket {bucket} copies every object to a versioned bucket in "
        f"{target.backup_region}: {observed or 'the configuration has no rule'}"
    )
    if any(findings.values()):
        log.warning("bucket %s replicates fully through one rule, but other rules do not: %s", bucket, observed)


@pytest.mark.dryrun
def test_replication_latency_last_day(inventory, outputs, target, record_objective):
    bucket = outputs["app_bucket_name"]
    replication = _replication(inventory, outputs, target)
    cloudwatch = inventory.cloudwatch

    rules = [rule for rule in replication.get("Rules", []) if rule.get("Status") == "Enabled"]
    latencies, failures, silent = [], [], []
    for rule in rules:
        destination = (rule.get("Destination") or {}).get("Bucket", "").split(":::")[-1]
        dimensions = {"SourceBucket": bucket, "DestinationBucket": destination, "RuleId": rule.get("ID", "")}
        latency = cloudwatch.last_day_statistics("AWS/S3", "ReplicationLatency", dimensions, 3600, ("Maximum",))
        failed = cloudwatch.last_day_statistics("AWS/S3", "OperationsFailedReplication", dimensions, 3600, ("Sum",))
        if not latency:
            silent.append(f"rule {rule.get('ID')} to {destination}")
        latencies += [(point["Maximum"], rule.get("ID")) for point in latency]
        failures += [(point["Sum"], rule.get("ID")) for point in failed if point["Sum"] > 0]

    worst, worst_rule = max(latencies, default=(None, None))
    measurement = record_objective(STATIC_ASSETS, RPO, worst,
                                   f"maximum S3 ReplicationLatency of {bucket} over the last 24 h")

    assert rules, f"{shown(measurement)}: bucket {bucket} has no enabled replication rule, so nothing replicates"
    assert not silent, (
        f"{shown(measurement)}: no ReplicationLatency data in the last 24 h for {', '.join(silent)}; "
        "expected replication metrics on for every enabled rule"
    )
    assert not measurement.breached, f"{shown(measurement)}: the slowest hour was on rule {worst_rule}"
    assert not failures, (
        f"static_assets: bucket {bucket} failed to replicate "
        f"{', '.join(f'{count:g} operations on rule {rule_id}' for count, rule_id in failures)} in the last 24 h; "
        "expected OperationsFailedReplication to be 0"
    )


def _settle_and_delete_replica(source, replica, bucket: str, replica_bucket: str, key: str, timeout_s: float) -> None:
    """Wait for an in-flight copy to land or fail, then delete the canary's versions from the replica."""
    settled = poll(lambda: (replication_status(source, bucket, key) != "PENDING", None),
                   timeout_s, f"replication of s3://{bucket}/{key} to settle")
    delete_object_versions(replica, replica_bucket, key)
    if not settled.succeeded:
        raise RuntimeError(f"s3://{bucket}/{key} is still PENDING after {timeout_s:g} s; delete "
                           f"s3://{replica_bucket}/{key} once it arrives")


def _arrival(source, replica, bucket: str, replica_bucket: str, key: str, version_id: str) -> tuple[bool, dict]:
    """Tell whether the canary's version reached the replica, or its replication FAILED."""
    versions = replica.list_object_versions(Bucket=replica_bucket, Prefix=key).get("Versions", [])
    arrived = any(item["Key"] == key and item["VersionId"] == version_id for item in versions)
    status = replication_status(source, bucket, key)
    return arrived or status == "FAILED", {"arrived": arrived, "source status": status}


@pytest.mark.live
def test_replication_probe(outputs, target, settings, readiness_env, undo, record_objective, phases):
    bucket, replica_bucket = outputs["app_bucket_name"], outputs["replica_bucket_name"]
    source, replica = target.client("s3"), target.client("s3", target.backup_region)
    key = f"{DRILL_PREFIX}/{readiness_env.run_id}"
    rpo_target_s = objective_target(settings, STATIC_ASSETS, RPO)

    # The source goes last: the replica's undo reads the source's replication status first.
    undo.register(f"delete every version of s3://{bucket}/{key}", lambda: delete_object_versions(source, bucket, key))
    undo.register(f"delete every version of s3://{replica_bucket}/{key} once replication settles",
                  lambda: _settle_and_delete_replica(source, replica, bucket, replica_bucket, key,
                                                     max(MIN_SETTLE_S, 3 * rpo_target_s)))
    with phases.phase("write the canary object"):
        started = time.monotonic()
        version_id = source.put_object(Bucket=bucket, Key=key, ContentType="text/plain",
                                       Body=f"launch-readiness replication drill {readiness_env.run_id}\n")["VersionId"]
    hold("replication:canary-written")

    with phases.phase("wait for the canary in the replica"):
        result = poll(lambda: _arrival(source, replica, bucket, replica_bucket, key, version_id),
                      wait_timeout(rpo_target_s), f"s3://{replica_bucket}/{key}")
    arrived = result.succeeded and result.last_observation["arrived"]
    rpo = record_objective(STATIC_ASSETS, RPO, time.monotonic() - started if arrived else None,
                           f"replication lag of s3://{bucket}/{key} to {replica_bucket}")

    with phases.phase("read the canary from the replica"):
        read_started = time.monotonic()
        body = replica.get_object(Bucket=replica_bucket, Key=key)["Body"].read() if arrived else b""
        read_s = time.monotonic() - read_started
    rto = record_objective(STATIC_ASSETS, RTO, read_s if arrived else None,
                           f"GetObject of s3://{replica_bucket}/{key} in {target.backup_region}")

    assert arrived, (
        f"{shown(rpo)}: the canary did not reach {replica_bucket} ({result.last_observation}) within "
        f"{wait_timeout(rpo_target_s):g} s"
    )
    assert readiness_env.run_id.encode() in body, f"s3://{replica_bucket}/{key} holds {body[:80]!r}, not the canary"
    assert not rpo.breached, f"{shown(rpo)}: replication is slower than the target"
    assert not rto.breached, f"{shown(rto)}: reading from the replica took longer than the target"
