"""The chaos function's handler, called in-process against the twin with the payloads the schedule sends."""

import time

import pytest

from readiness.chaos import NAMESPACE

from chaos_support import LambdaContext


def published(twin_clients, experiment: str, run_id: str) -> dict[str, float]:
    """Return the LaunchReadiness/Chaos metrics of one run: metric name to its maximum value."""
    cloudwatch = twin_clients("cloudwatch")
    values = {}
    for metric in ("ExperimentSuccess", "RecoverySeconds"):
        points = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE, MetricName=metric, Statistics=["Maximum"], Period=60,
            Dimensions=[{"Name": "Experiment", "Value": experiment}, {"Name": "RunId", "Value": run_id}],
            StartTime=time.time() - 600, EndTime=time.time() + 60,
        )["Datapoints"]
        if points:
            values[metric] = max(point["Maximum"] for point in points)
    return values


@pytest.mark.parametrize("experiment_type, experiment", [
    ("kill_random_task", "task-kill"),
    ("scale_out_and_in", "scale-out-and-in"),
    ("network_latency", "network-latency"),
])
def test_experiment_passes_and_publishes_metrics(chaos_function, twin_clients, service_view, experiment_type, experiment):
    desired = service_view.desired()

    response = chaos_function().handler({"experiment_type": experiment_type}, LambdaContext(aws_request_id=f"run-{experiment_type}"))

    assert response["status"] == "passed", response
    assert response["experiment"] == experiment
    assert response["run_id"] == f"run-{experiment_type}"
    assert response["metrics_error"] == ""
    assert service_view.desired() == desired
    metrics = published(twin_clients, experiment, f"run-{experiment_type}")
    assert metrics["ExperimentSuccess"] == 1
    assert 0 <= metrics["RecoverySeconds"] <= 60


def test_unknown_experiment_type_changes_nothing(chaos_function, twin_clients, service_view):
    tasks = service_view.task_arns()
    desired = service_view.desired()
    experiments = service_view.experiments()
    metrics = twin_clients("cloudwatch").list_metrics(Namespace=NAMESPACE)["Metrics"]

    with pytest.raises(ValueError, match=r"unknown experiment_type 'delete_database'; expected one of: "
                                         r"kill_random_task, network_latency, scale_out_and_in"):
        chaos_function().handler({"experiment_type": "delete_database"}, LambdaContext())

    assert service_view.task_arns() == tasks
    assert service_view.desired() == desired
    assert service_view.experiments() == experiments
    assert twin_clients("cloudwatch").list_metrics(Namespace=NAMESPACE)["Metrics"] == metrics


def test_missing_experiment_type_is_rejected(chaos_function):
    with pytest.raises(ValueError, match="unknown experiment_type None"):
        chaos_function().handler({}, LambdaContext())


def test_unsafe_run_is_skipped_and_counts_as_failure(chaos_function, twin_clients, service_view):
    function = chaos_function("latency-alarm-missing")

    response = function.handler({"experiment_type": "network_latency"}, LambdaContext(aws_request_id="unsafe"))

    assert response["status"] == "skipped"
    assert response["reason"].startswith("not safe to run: ")
    assert "no stop condition on a latency alarm" in response["reason"]
    assert service_view.experiments() == []
    assert published(twin_clients, "network-latency", "unsafe") == {"ExperimentSuccess": 0}


def test_time_budget_cuts_waits_short(chaos_function, twin_clients):
    function = chaos_function("never-replaces-tasks")
    # 31 s left: the experiment keeps 30 s for rollback, so it waits about a second for recovery.
    context = LambdaContext(aws_request_id="short", remaining_ms=31_000)

    started = time.monotonic()
    response = function.handler({"experiment_type": "kill_random_task"}, context)

    assert time.monotonic() - started < 15
    assert response["status"] == "failed"
    assert response["recoveries"][0]["measured_s"] is None
    assert published(twin_clients, "task-kill", "short") == {"ExperimentSuccess": 0}
