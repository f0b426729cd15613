"""An experiment interrupted midway still rolls back: desired count restored, FIS experiment stopped."""

import pytest

from readiness.chaos import NetworkLatency, ScaleOutAndIn, TaskKill
from readiness.chaos.lifecycle import RUN_TAG
from readiness.twin.app import injected_latency_ms
from readiness.twin.context import BEHAVIOUR


class ObservePhaseError(RuntimeError):
    """Raised inside an observe phase by these tests."""


def interrupt_with(error: BaseException):
    def interrupt(*args, **kwargs):
        raise error

    return interrupt


@pytest.mark.parametrize("error", [ObservePhaseError("observer crashed"), KeyboardInterrupt()],
                         ids=["exception", "keyboard-interrupt"])
def test_scaling_interrupted_restores_desired_count(build_experiment, service_view, monkeypatch, error):
    experiment = build_experiment(ScaleOutAndIn)
    original = service_view.desired()
    scaled_out = []

    def observe_then_fail(*args):
        scaled_out.append(service_view.desired())
        raise error

    monkeypatch.setattr(experiment, "wait_for_recovery", observe_then_fail)

    with pytest.raises(type(error)):
        experiment.run()

    assert scaled_out == [original + 1]
    assert service_view.desired() == original
    assert all(step.done and not step.error for step in experiment.undo.steps)
    assert experiment.result.rollback_failures == []


@pytest.mark.parametrize("error", [ObservePhaseError("observer crashed"), KeyboardInterrupt()],
                         ids=["exception", "keyboard-interrupt"])
def test_latency_interrupted_stops_fis_experiment(build_experiment, service_view, monkeypatch, error):
    experiment = build_experiment(NetworkLatency)
    earlier = {item["id"] for item in service_view.experiments()}
    monkeypatch.setattr(experiment, "probe_under_fault", interrupt_with(error))

    with pytest.raises(type(error)):
        experiment.run()

    states = [item["state"]["status"] for item in service_view.experiments() if item["id"] not in earlier]
    assert states == ["stopped"]
    assert service_view.running_experiments() == []
    assert BEHAVIOUR.settings.get("fis", {}).get("network_latency", {}) == {}
    assert injected_latency_ms(2) == 0


def test_lost_start_response_is_rolled_back(build_experiment, service_view, monkeypatch):
    experiment = build_experiment(NetworkLatency)
    earlier = {item["id"] for item in service_view.experiments()}
    fis = experiment.clients("fis")
    start = fis.start_experiment

    def start_then_interrupt(**kwargs):
        # The request reached FIS, but the caller never saw the experiment id.
        start(**kwargs)
        raise KeyboardInterrupt()

    monkeypatch.setattr(fis, "start_experiment", start_then_interrupt)

    with pytest.raises(KeyboardInterrupt):
        experiment.run()

    experiments = [item for item in service_view.experiments() if item["id"] not in earlier]
    assert [item["tags"][RUN_TAG] for item in experiments] == ["selftest"]
    assert [item["state"]["status"] for item in experiments] == ["stopped"]
    assert experiment.experiment_id is None


def test_task_kill_interrupted_leaves_service_recovering(build_experiment, service_view, monkeypatch):
    experiment = build_experiment(TaskKill)
    before = set(service_view.task_arns())
    monkeypatch.setattr(experiment, "wait_for_recovery", interrupt_with(KeyboardInterrupt()))

    with pytest.raises(KeyboardInterrupt):
        experiment.run()

    after = set(service_view.task_arns())
    assert len(after) == len(before)
    assert len(before - after) == 1
    assert [step.done for step in experiment.undo.steps] == [True]


def test_failed_rollback_is_noted_on_the_error(reference, build_experiment, service_view, monkeypatch):
    BEHAVIOUR.settings.setdefault("ecs", {})["reject_scale_in"] = True
    experiment = build_experiment(ScaleOutAndIn)
    original = service_view.desired()
    monkeypatch.setattr(experiment, "wait_for_recovery", interrupt_with(ObservePhaseError("observer crashed")))

    with pytest.raises(ObservePhaseError) as raised:
        experiment.run()

    assert service_view.desired() == original + 1
    assert len(experiment.result.rollback_failures) == 1
    assert "AccessDeniedException" in experiment.result.rollback_failures[0]
    assert any(note.startswith("rollback after the error failed: restore desired count of app/app to 2")
               for note in raised.value.__notes__)
