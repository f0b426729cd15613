"""The chaos tests as users run them: each passes on the reference twin and fails on its drift profile."""

import re

import pytest

pytestmark = pytest.mark.slow

EXPERIMENTS = ("test_task_kill", "test_scale_out_and_in", "test_network_latency")
DRY_RUNS = ("test_task_kill_could_run", "test_scaling_could_run", "test_network_latency_could_run",
            "test_chaos_function_permissions")


def test_reference_twin_passes_every_experiment(chaos_run):
    run = chaos_run()

    outcomes = run.outcomes()
    for name in EXPERIMENTS + DRY_RUNS:
        assert outcomes[name] == ("passed", ""), run.output[-3000:]
    measurements = run.measurements()
    assert sorted(measurements) == ["chaos:network-latency", "chaos:scale-in", "chaos:scale-out", "chaos:task-kill"]
    for measurement in measurements.values():
        assert measurement["objective"] == "recovery"
        assert not measurement["breached"], measurement


def test_never_replaces_tasks_fails_task_kill(chaos_run):
    run = chaos_run("never-replaces-tasks", paths=("chaos/test_safety.py", "chaos/test_task_kill.py"),
                    options=("-o", "chaos_kill_target_s=1"))

    outcome, message = run.outcomes()["test_task_kill"]
    assert outcome == "failed", run.output[-3000:]
    assert re.search(r"chaos:task-kill did not recover within \d+\.\d s \(target 1 s\)", message), message
    # The dry run reads configuration and state, and cannot see a scheduler that never replaces tasks.
    assert run.outcomes()["test_task_kill_could_run"][0] == "passed"
    assert run.measurements()["chaos:task-kill"]["measured_s"] is None


def test_slow_convergence_fails_scaling(chaos_run):
    run = chaos_run("slow-convergence", paths=("chaos/test_scaling.py",), options=("-o", "chaos_scale_target_s=2"))

    outcome, message = run.outcomes()["test_scale_out_and_in"]
    assert outcome == "failed", run.output[-3000:]
    assert re.search(r"chaos:scale-out recovered in 3\.\d s \(target 2 s\)", message), message
    assert run.measurements()["chaos:scale-out"]["breached"]


def test_latency_alarm_missing_makes_latency_unsafe(chaos_run):
    run = chaos_run("latency-alarm-missing", paths=("chaos/test_network_latency.py", "chaos/test_safety.py"))

    outcomes = run.outcomes()
    assert outcomes["test_network_latency"][0] == "skipped", run.output[-3000:]
    assert outcomes["test_network_latency"][1].startswith("not safe to run: ")
    assert "no stop condition on a latency alarm" in outcomes["test_network_latency"][1]
    assert outcomes["test_network_latency_could_run"][0] == "failed"
    assert "no stop condition on a latency alarm" in outcomes["test_network_latency_could_run"][1]
    assert outcomes["test_task_kill_could_run"][0] == "passed"


def test_rollback_fails_is_reported(chaos_run, twin_clients):
    run = chaos_run("rollback-fails", paths=("chaos/test_scaling.py",))

    outcome, message = run.outcomes()["test_scale_out_and_in"]
    assert outcome == "failed", run.output[-3000:]
    assert message.startswith("AssertionError: rollback of scale-out-and-in did not complete: "
                              "restore desired count of app/app to 2: AccessDeniedException"), message
    # The report is honest: the service really kept the raised count.
    service = twin_clients("ecs").describe_services(cluster="app", services=["app"])["services"][0]
    assert service["desiredCount"] == 3


def test_stop_alarms_option_replaces_template_conditions(chaos_run):
    run = chaos_run(paths=("chaos/test_task_kill.py",), options=("-o", "chaos_stop_alarms=no-such-alarm"))

    outcome, message = run.outcomes()["test_task_kill"]
    assert outcome == "skipped", run.output[-3000:]
    assert "stop-condition alarms no-such-alarm do not exist" in message
