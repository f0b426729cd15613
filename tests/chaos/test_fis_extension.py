"""The twin's FIS extension: experiments run, reach the health app, end, and obey their stop conditions."""

import copy
import time

import pytest

from readiness.twin.app import injected_latency_ms
from readiness.twin.context import BEHAVIOUR
from readiness.twin.ext.fis import latency_faults, parse_duration
from readiness.twin.stack.monitoring import CHAOS_LATENCY_ALARM


def template_copy(twin_clients, template_id: str, **changes) -> str:
    """Create a copy of a template with changed action parameters or targets, and return its id."""
    fis = twin_clients("fis")
    template = fis.get_experiment_template(id=template_id)["experimentTemplate"]
    actions = copy.deepcopy(template["actions"])
    for action in actions.values():
        action["parameters"].update(changes.get("parameters", {}))
    targets = copy.deepcopy(template["targets"])
    for target in targets.values():
        target["parameters"].update(changes.get("target_parameters", {}))
    return fis.create_experiment_template(description="copy for a test", roleArn=template["roleArn"], actions=actions,
                                          targets=targets, stopConditions=template["stopConditions"])["experimentTemplate"]["id"]


def state_of(twin_clients, experiment_id: str) -> dict:
    return twin_clients("fis").get_experiment(id=experiment_id)["experiment"]["state"]


def alarm_state(twin_clients, name: str) -> str:
    return twin_clients("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


def test_experiment_runs_until_stopped(twin_clients, twin_scope):
    fis = twin_clients("fis")

    experiment_id = fis.start_experiment(experimentTemplateId=twin_scope.template_id)["experiment"]["id"]

    assert state_of(twin_clients, experiment_id)["status"] == "running"
    resolved = fis.list_experiment_resolved_targets(experimentId=experiment_id)["resolvedTargets"]
    assert len(resolved) == 1
    assert resolved[0]["targetInformation"]["arn"].startswith("arn:aws:ecs:eu-west-1:123456789012:task/app/")
    assert latency_faults() == {experiment_id: {"delay_ms": 200.0, "fraction": 0.5}}

    fis.stop_experiment(id=experiment_id)

    state = state_of(twin_clients, experiment_id)
    assert state == {"status": "stopped", "reason": "Experiment stopped by StopExperiment"}
    assert latency_faults() == {}


def test_share_of_health_requests_is_delayed():
    BEHAVIOUR.settings.setdefault("fis", {})["network_latency"] = {"test": {"delay_ms": 100.0, "fraction": 0.5}}
    try:
        delays = [injected_latency_ms(number) for number in range(1, 7)]
    finally:
        BEHAVIOUR.settings["fis"]["network_latency"] = {}

    assert delays == [0, 100.0, 0, 100.0, 0, 100.0]


def test_duration_completes_experiment(twin_clients, twin_scope):
    template_id = template_copy(twin_clients, twin_scope.template_id, parameters={"duration": "PT1S"})

    experiment_id = twin_clients("fis").start_experiment(experimentTemplateId=template_id)["experiment"]["id"]
    time.sleep(1.5)

    assert state_of(twin_clients, experiment_id)["status"] == "completed"
    assert latency_faults() == {}


def test_stop_condition_alarm_stops_experiment(twin_clients, twin_scope):
    fis = twin_clients("fis")
    experiment_id = fis.start_experiment(experimentTemplateId=twin_scope.template_id)["experiment"]["id"]

    twin_clients("cloudwatch").set_alarm_state(AlarmName="app-alb-target-5xx", StateValue="ALARM", StateReason="test")
    try:
        state = state_of(twin_clients, experiment_id)
    finally:
        twin_clients("cloudwatch").set_alarm_state(AlarmName="app-alb-target-5xx", StateValue="OK", StateReason="test")

    assert state["status"] == "stopped"
    assert "alarm app-alb-target-5xx is in ALARM state" in state["reason"]
    assert latency_faults() == {}


def test_large_delay_raises_latency_alarms_until_the_end(twin_clients, twin_scope):
    template_id = template_copy(twin_clients, twin_scope.template_id, parameters={"delayMilliseconds": "1500"})

    experiment_id = twin_clients("fis").start_experiment(experimentTemplateId=template_id)["experiment"]["id"]

    # 1.5 s is over both p95 thresholds (0.5 s and 1 s); the 1 s one is a stop condition.
    state = state_of(twin_clients, experiment_id)
    assert state["status"] == "stopped"
    assert f"alarm {CHAOS_LATENCY_ALARM} is in ALARM state" in state["reason"]
    assert alarm_state(twin_clients, CHAOS_LATENCY_ALARM) == "OK"
    assert alarm_state(twin_clients, "app-alb-response-time-p95") == "OK"


def test_delay_under_thresholds_leaves_alarms_ok(twin_clients, twin_scope):
    fis = twin_clients("fis")
    experiment_id = fis.start_experiment(experimentTemplateId=twin_scope.template_id)["experiment"]["id"]
    try:
        states = [alarm_state(twin_clients, name) for name in (CHAOS_LATENCY_ALARM, "app-alb-response-time-p95")]
    finally:
        fis.stop_experiment(id=experiment_id)

    assert states == ["OK", "OK"]


def test_target_without_tasks_fails_experiment(twin_clients, twin_scope):
    template_id = template_copy(twin_clients, twin_scope.template_id, target_parameters={"service": "no-such-service"})

    experiment_id = twin_clients("fis").start_experiment(experimentTemplateId=template_id)["experiment"]["id"]

    state = state_of(twin_clients, experiment_id)
    assert state["status"] == "failed"
    assert "service-tasks" in state["reason"]
    assert latency_faults() == {}


@pytest.mark.parametrize("text, seconds", [("PT5M", 300), ("PT1M30S", 90), ("PT2H", 7200), ("PT0.5S", 0.5), (None, None)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5M", "PT", "P1D"])
def test_parse_duration_rejects_other_forms(text):
    with pytest.raises(ValueError, match="is not an ISO 8601 duration"):
        parse_duration(text)
