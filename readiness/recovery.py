"""Shared parts of the recovery drills: objective targets, bounded polling, metric publishing, cleanup steps."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import botocore.exceptions

from readiness.drills import WaitResult, wait_until
from readiness.options import Settings
from readiness.probe import probe
from readiness.verdict import Measurement

log = logging.getLogger(__name__)

# Components and objectives as settings.ini names them: rto_database, rpo_static_assets, ...
APPLICATION, DATABASE, STATIC_ASSETS, CREDENTIALS = "application", "database", "static_assets", "credentials"
RTO, RPO = "RTO", "RPO"

NAMESPACE = "LaunchReadiness/Recovery"
# A drill waits this multiple of its target before it records a timeout, which counts as a breach.
TIMEOUT_FACTOR = 1.5
# Maximum pause between two polls. The first polls come faster, so short recoveries are measured closely.
MAX_POLL_INTERVAL_S = 15.0
# Name prefix and tag key of every resource a drill creates. The run id follows the prefix and is the tag value.
DRILL_PREFIX = "readiness-drill"
DRILL_TAG = "readiness:drill"
# Values of the health body's "database" field that mean the application reaches its database.
# NOTE: this is the twin application's contract; an application reporting otherwise needs its own reader.
DATABASE_REACHABLE = ("reachable", "ok", "up")

# A test hook: a drill pauses at the point named here, so a test can interrupt it midway.
HOLD_VARIABLE = "READINESS_DRILL_HOLD"
# A file the drill creates when it starts holding, so that the test can tell when to interrupt.
HOLD_MARKER_VARIABLE = "READINESS_DRILL_HOLD_MARKER"
HOLD_SECONDS = 30


def objective_target(settings: Settings, component: str, objective: str) -> float:
    """Return the target in seconds of a component's RTO or RPO, from the ini options rto_* and rpo_*."""
    return settings.ini[f"{objective.lower()}_{component}"]


def wait_timeout(target_s: float) -> float:
    """Return how long a drill waits for a recovery whose target is target_s before it gives up."""
    return TIMEOUT_FACTOR * target_s


def drill_name(run_id: str) -> str:
    """Return the name of a resource a drill creates: RDS identifiers allow letters, digits and hyphens."""
    return f"{DRILL_PREFIX}-{run_id}"


def shown(measurement: Measurement) -> str:
    """Describe a measurement for a message: component, objective, measured value and target."""
    measured = "not measured" if measurement.measured_s is None else f"{measurement.measured_s:.1f} s"
    return (f"{measurement.component} {measurement.objective} {measured} against a target of "
            f"{measurement.target_s:g} s ({measurement.source})")


class Backoff:
    """A sleep for wait_until that starts at first_s and grows by factor up to max_s.

    A recovery the drill watches is measured to within one pause, so short pauses first keep the
    error small on the twin and for fast recoveries, and long ones later keep slow waits cheap.
    """

    def __init__(self, first_s: float = 0.1, factor: float = 1.5, max_s: float = MAX_POLL_INTERVAL_S) -> None:
        self.next_s = first_s
        self.factor = factor
        self.max_s = max_s

    def __call__(self, requested_s: float) -> None:
        time.sleep(max(0.0, min(requested_s, self.next_s)))
        self.next_s = min(self.next_s * self.factor, self.max_s)


def poll(check: Callable[[], tuple[bool, object]], timeout_s: float, description: str) -> WaitResult:
    """Wait until check() reports done or timeout_s passes, polling with a growing pause."""
    return wait_until(check, timeout_s, description, interval_s=MAX_POLL_INTERVAL_S, sleep=Backoff())


def seconds_since(moment: datetime, now: datetime | None = None) -> float:
    """Return the seconds from a timezone-aware moment to now (UTC)."""
    return ((now or datetime.now(timezone.utc)) - moment).total_seconds()


def hold(point: str) -> None:
    """Pause the drill at a named point when READINESS_DRILL_HOLD names it, so a test can interrupt it there."""
    if os.environ.get(HOLD_VARIABLE) != point:
        return
    log.warning("holding the drill at %s for up to %d s because %s is set", point, HOLD_SECONDS, HOLD_VARIABLE)
    marker = os.environ.get(HOLD_MARKER_VARIABLE)
    if marker:
        Path(marker).write_text(point, encoding="utf-8")
    time.sleep(HOLD_SECONDS)


def publish_measurement(cloudwatch, measurement: Measurement, run_id: str) -> None:
    """Put a measurement into CloudWatch (namespace LaunchReadiness/Recovery) by component, objective and run id.

    PutMetricData changes the account, so only live drills call this. A failure is logged, not
    raised: the measurement is already in the reports, and the drill's outcome must not depend on it.
    """
    dimensions = [{"Name": "Component", "Value": measurement.component},
                  {"Name": "Objective", "Value": measurement.objective}, {"Name": "RunId", "Value": run_id}]
    data = [
        {"MetricName": "TargetSeconds", "Dimensions": dimensions, "Value": measurement.target_s, "Unit": "Seconds"},
        {"MetricName": "Breached", "Dimensions": dimensions, "Value": float(measurement.breached), "Unit": "Count"},
    ]
    if measurement.measured_s is not None:
        data.append({"MetricName": "MeasuredSeconds", "Dimensions": dimensions, "Value": measurement.measured_s,
                     "Unit": "Seconds"})
    try:
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        log.warning("could not publish %s %s of run %s to CloudWatch %s: %s", measurement.component,
                    measurement.objective, run_id, NAMESPACE, error)


# Backups -----------------------------------------------------------------------------------------

def protected_resources(inventory, outputs) -> list[tuple[str, str]]:
    """Return (label, ARN) of the database and the application bucket, the resources the backup plan protects.

    AWS Backup protects an Aurora database as its cluster. A database that does not exist is
    listed under the ARN its identifier would have, so that a drill reports it without points.
    """
    rds = inventory.rds
    identifier = outputs.require("db_instance_identifier")
    database = rds.database_cluster() or rds.database()
    if database is None:
        target = inventory.backup.target
        database_arn = f"arn:aws:rds:{target.region}:{target.account_id()}:db:{identifier}"
    else:
        database_arn = database.get("DBClusterArn") or database["DBInstanceArn"]
    bucket = outputs.require("app_bucket_name")
    return [(f"{DATABASE} {identifier}", database_arn), (f"{STATIC_ASSETS} bucket {bucket}", f"arn:aws:s3:::{bucket}")]


def plan_vaults(plan: dict) -> list[str]:
    """Return the names of the vaults the plan's rules back up into, in rule order without repeats."""
    return list(dict.fromkeys(rule["TargetBackupVaultName"] for rule in plan["BackupPlan"]["Rules"]))


def newest_completed_point(inventory, plan: dict, resource_arn: str) -> dict | None:
    """Return the newest COMPLETED recovery point of a resource in the plan's vaults of the primary region."""
    backup = inventory.backup
    points = [point for vault in plan_vaults(plan) for point in backup.recovery_points(vault, backup.target.region)
              if point["ResourceArn"] == resource_arn and point.get("Status") == "COMPLETED"]
    return max(points, key=lambda point: point.get("CompletionDate") or point["CreationDate"], default=None)


# Live steps and their undo -----------------------------------------------------------------------

def describe_instance(rds, identifier: str) -> dict | None:
    """Return a DB instance as DescribeDBInstances reports it, or None when it does not exist."""
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    except rds.exceptions.DBInstanceNotFoundFault:
        return None


def delete_instance(rds, identifier: str) -> None:
    """Delete a drill's DB instance with no final snapshot, turning deletion protection off first if on."""
    instance = describe_instance(rds, identifier)
    if instance is None:
        log.info("DB instance %s does not exist; nothing to delete", identifier)
        return
    if instance.get("DeletionProtection"):
        rds.modify_db_instance(DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    log.info("deleted DB instance %s", identifier)


def delete_object_versions(s3, bucket: str, key: str) -> int:
    """Delete every version and delete marker of one key; return how many were deleted."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if version["Key"] == key:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
                deleted += 1
    log.info("deleted %d versions of s3://%s/%s", deleted, bucket, key)
    return deleted


def replication_status(s3, bucket: str, key: str) -> str | None:
    """Return the source object's ReplicationStatus (PENDING, COMPLETED, FAILED), or None if it does not exist."""
    try:
        return s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus", "")
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def database_reachable(health_url: str) -> tuple[bool, str]:
    """GET the health URL once; return whether its JSON body reports the database reachable, and a description."""
    result = probe(health_url, requests=1, timeout=5)
    status, body = result.statuses[0], result.bodies[0]
    if status != 200:
        return False, f"HTTP {status or result.errors[0]}"
    try:
        database = json.loads(body).get("database")
    except (ValueError, AttributeError):
        return False, f"a body that is not a JSON object: {body[:80]!r}"
    return str(database).lower() in DATABASE_REACHABLE, f"database {database!r}"
