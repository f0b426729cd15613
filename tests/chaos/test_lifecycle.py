"""Experiment lifecycles in-process on the twin: safety limits before injection, stop conditions, rollback."""

import copy

import pytest

from readiness.chaos import NetworkLatency, NotSafe, ScaleOutAndIn, TaskKill
from readiness.chaos.settings import with_overrides
from readiness.twin.context import BEHAVIOUR
from readiness.twin.stack.monitoring import CHAOS_LATENCY_ALARM

from chaos_support import FAST_SETTINGS


@pytest.mark.parametrize("kind", [TaskKill, ScaleOutAndIn, NetworkLatency])
def test_experiment_passes_on_reference_twin(build_experiment, service_view, kind):
    desired = service_view.desired()

    result = build_experiment(kind).run()

    assert result.passed, result.to_dict()
    assert result.recovered_within_target, result.recovery_message()
    assert service_view.desired() == desired
    assert list(result.timings)[0] == "steady state before"
    assert list(result.timings)[-2:] == ["roll back", "steady state after"]


def test_latency_fault_shows_in_p95(build_experiment):
    result = build_experiment(NetworkLatency).run()

    assert result.details["delay_ms"] == 200
    assert result.details["fault_p95_ms"] >= 200
    assert result.details["baseline_p95_ms"] < 100
    assert result.details["alarms_during_fault"] == {"app-alb-target-5xx": "OK", CHAOS_LATENCY_ALARM: "OK"}


def test_unhealthy_target_blocks_every_experiment(reference, build_experiment, service_view, twin_scope):
    BEHAVIOUR.settings.setdefault("elbv2", {})["unhealthy_targets"] = {twin_scope.target_group_arn: 1}
    tasks = service_view.task_arns()
    experiments = service_view.experiments()

    for kind in (TaskKill, ScaleOutAndIn, NetworkLatency):
        with pytest.raises(NotSafe, match=r"targets not healthy: .* unhealthy"):
            build_experiment(kind).run()

    assert service_view.task_arns() == tasks
    assert service_view.experiments() == experiments


def test_task_kill_needs_two_running_tasks(reference, twin_clients, build_experiment, service_view):
    twin_clients("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/app/app", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1, MaxCapacity=20)
    twin_clients("ecs").update_service(cluster="app", service="app", desiredCount=1)

    with pytest.raises(NotSafe, match="runs 1 tasks; stopping one needs at least 2"):
        build_experiment(TaskKill).run()

    assert len(service_view.task_arns()) == 1
    reference.reseed()


def test_scaling_stays_within_maximum(reference, twin_clients, build_experiment, service_view):
    twin_clients("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/app/app", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2, MaxCapacity=2)

    with pytest.raises(NotSafe, match="from 2 to 3 tasks would exceed its scaling maximum of 2"):
        build_experiment(ScaleOutAndIn).run()

    assert service_view.desired() == 2
    reference.reseed()


def test_latency_template_outside_scope_is_not_run(build_experiment, twin_scope, twin_clients, service_view):
    fis = twin_clients("fis")
    template = fis.get_experiment_template(id=twin_scope.template_id)["experimentTemplate"]
    targets = copy.deepcopy(template["targets"])
    targets["service-tasks"]["parameters"]["service"] = "billing"
    other = fis.create_experiment_template(description="other service", roleArn=template["roleArn"],
                                           actions=template["actions"], targets=targets,
                                           stopConditions=template["stopConditions"])["experimentTemplate"]["id"]
    scope = type(twin_scope)(**{**vars(twin_scope), "template_id": other})

    with pytest.raises(NotSafe, match="selects tasks of app/billing, expected app/app"):
        build_experiment(NetworkLatency, scope=scope).run()

    assert service_view.running_experiments() == []


def test_latency_over_limit_is_not_run(build_experiment):
    settings = with_overrides(FAST_SETTINGS, latency_ms=100)

    with pytest.raises(NotSafe, match="adds 200 ms of latency, more than the chaos_latency_ms limit of 100 ms"):
        build_experiment(NetworkLatency, settings=settings).run()


def test_stop_condition_aborts_and_rolls_back(build_experiment, twin_clients, twin_scope, service_view):
    fis = twin_clients("fis")
    template = fis.get_experiment_template(id=twin_scope.template_id)["experimentTemplate"]
    actions = copy.deepcopy(template["actions"])
    actions["task-network-latency"]["parameters"]["delayMilliseconds"] = "1500"
    fis.update_experiment_template(id=twin_scope.template_id, actions=actions)
    settings = with_overrides(FAST_SETTINGS, latency_ms=2000)

    try:
        result = build_experiment(NetworkLatency, settings=settings).run()
    finally:
        fis.update_experiment_template(id=twin_scope.template_id, actions=template["actions"])

    assert f"alarm {CHAOS_LATENCY_ALARM} is in ALARM state" in result.aborted
    assert not result.passed
    assert result.rollback_failures == []
    assert result.steady_after == []
    assert service_view.running_experiments() == []


def test_stop_alarm_firing_during_recovery_aborts(build_experiment, twin_clients, monkeypatch):
    experiment = build_experiment(TaskKill)
    stop_task = twin_clients("ecs").stop_task

    def stop_and_alarm(**kwargs):
        response = stop_task(**kwargs)
        twin_clients("cloudwatch").set_alarm_state(AlarmName="app-alb-target-5xx", StateValue="ALARM", StateReason="test")
        return response

    monkeypatch.setattr(twin_clients("ecs"), "stop_task", stop_and_alarm)
    try:
        result = experiment.run()
    finally:
        twin_clients("cloudwatch").set_alarm_state(AlarmName="app-alb-target-5xx", StateValue="OK", StateReason="test")

    assert result.aborted.startswith("stop-condition alarm app-alb-target-5xx entered ALARM during the task-kill experiment")
    assert result.recoveries == []
    assert "stop-condition alarms app-alb-target-5xx are in ALARM" in "; ".join(result.steady_after)


def test_slow_scaling_is_measured_over_target(reference, build_experiment):
    # The waits last eight times the target, so a 1.5 s convergence against a 1 s target is
    # measured, not cut off, even when a loaded machine slows the polling down.
    BEHAVIOUR.settings.setdefault("ecs", {})["scaling_delay_seconds"] = 1.5
    settings = with_overrides(FAST_SETTINGS, scale_target_s=1, recovery_wait_factor=8)

    result = build_experiment(ScaleOutAndIn, settings=settings).run()

    scale_out = result.recoveries[0]
    assert scale_out.component == "chaos:scale-out"
    assert scale_out.measured_s is not None, result.recovery_message()
    assert 1.5 <= scale_out.measured_s < 8.0
    assert not scale_out.within_target
    assert "chaos:scale-out recovered in " in result.recovery_message()
    assert "(target 1 s)" in result.recovery_message()
