"""The scheduled chaos function: runs the readiness.chaos experiment an event names and publishes its metrics.

Event: {"experiment_type": "kill_random_task" | "scale_out_and_in" | "network_latency"}.
Environment: CLUSTER_NAME, SERVICE_NAME and EXPERIMENT_TEMPLATE_ID, as Terraform sets them; optional
TARGET_GROUP_ARN, HEALTH_URL, CHAOS_STOP_ALARMS (comma-separated alarm names), and the limits
CHAOS_KILL_TARGET_S, CHAOS_SCALE_TARGET_S, CHAOS_LATENCY_TARGET_S and CHAOS_LATENCY_MS.
The deployment package contains this file and the readiness package, so the function runs the same
experiment code as the chaos tests.
"""

from __future__ import annotations

import logging
import os
import uuid

import boto3
import botocore.config

from readiness.chaos import EXPERIMENT_TYPES, NotSafe, publish, scope_from_environment, settings_from_environment
from readiness.drills import UndoRegistry

log = logging.getLogger(__name__)
logging.getLogger("readiness").setLevel(logging.INFO)

_clients: dict[str, object] = {}


def client(service: str):
    """Return one boto3 client per service for the function's region, reused across invocations."""
    if service not in _clients:
        _clients[service] = boto3.client(service, config=botocore.config.Config(retries={"mode": "standard"}))
    return _clients[service]


def handler(event, context) -> dict:
    """Run one experiment and return its outcome; raise ValueError for an unknown experiment type.

    A run that is not safe to start changes nothing and returns status "skipped". When the
    context reports the remaining time, the experiment stops waiting early enough to roll back.
    """
    experiment_type = (event or {}).get("experiment_type")
    kind = EXPERIMENT_TYPES.get(experiment_type)
    if kind is None:
        raise ValueError(f"unknown experiment_type {experiment_type!r}; expected one of: {', '.join(sorted(EXPERIMENT_TYPES))}")

    scope = scope_from_environment(os.environ)
    settings = settings_from_environment(os.environ)
    run_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex[:12]
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    budget_s = remaining_ms() / 1000 if remaining_ms else None

    experiment = kind(client, scope, settings, UndoRegistry(), run_id, budget_s=budget_s)
    log.info("chaos function: %s on %s, run %s", experiment.name, scope.label, run_id)
    try:
        result = experiment.run()
    except NotSafe as error:
        log.warning("chaos function: %s on %s is not safe to run: %s", experiment.name, scope.label, error)
        metrics_error = publish(client("cloudwatch"), experiment.name, run_id, None)
        return {"experiment": experiment.name, "scope": scope.label, "run_id": run_id, "status": "skipped",
                "reason": f"not safe to run: {error}", "metrics_error": metrics_error}

    metrics_error = publish(client("cloudwatch"), experiment.name, run_id, result)
    outcome = "passed" if result.passed else "failed"
    log.info("chaos function: %s %s: %s", experiment.name, outcome, result.recovery_message())
    return {**result.to_dict(), "run_id": run_id, "status": outcome, "metrics_error": metrics_error}
