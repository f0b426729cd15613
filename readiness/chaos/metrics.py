"""CloudWatch metrics of each experiment run: ExperimentSuccess and RecoverySeconds in LaunchReadiness/Chaos."""

from __future__ import annotations

import logging

import botocore.exceptions

from readiness.chaos.lifecycle import ExperimentResult

log = logging.getLogger(__name__)

NAMESPACE = "LaunchReadiness/Chaos"


def metric_data(experiment: str, run_id: str, result: ExperimentResult | None) -> list[dict]:
    """Return the metrics of one run; result None means the experiment did not run (not safe), which counts as 0."""
    dimensions = [{"Name": "Experiment", "Value": experiment}, {"Name": "RunId", "Value": run_id}]
    data = [{"MetricName": "ExperimentSuccess", "Dimensions": dimensions, "Unit": "Count",
             "Value": 1.0 if result is not None and result.passed else 0.0}]
    # RecoverySeconds is the slowest recovery measured; a recovery that never happened has no value to publish.
    if result is not None and result.recovery_s is not None:
        data.append({"MetricName": "RecoverySeconds", "Dimensions": dimensions, "Unit": "Seconds",
                     "Value": round(result.recovery_s, 3)})
    return data


def publish(cloudwatch, experiment: str, run_id: str, result: ExperimentResult | None) -> str:
    """Put the run's metrics; return "" on success, else the error, which is logged and never raised.

    A failed publication must not hide the experiment's own outcome, so the caller reports it.
    """
    data = metric_data(experiment, run_id, result)
    try:
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        log.warning("could not publish %s metrics of chaos experiment %s, run %s: %s", NAMESPACE, experiment, run_id, error)
        return f"{type(error).__name__}: {error}"
    log.info("published %s metrics of chaos experiment %s, run %s: %s", NAMESPACE, experiment, run_id,
             ", ".join(f"{item['MetricName']}={item['Value']:g}" for item in data))
    return ""
