"""Chaos experiment: stop one running task of the service and time how fast ECS restores it."""

import pytest

from readiness.chaos import TaskKill

pytestmark = pytest.mark.live


def test_task_kill(run_chaos):
    result = run_chaos(TaskKill)

    assert not result.rollback_failures, f"rollback of {result.experiment} did not complete: {'; '.join(result.rollback_failures)}"
    assert not result.aborted, result.aborted
    assert not result.failures, "; ".join(result.failures)
    assert result.recovered_within_target, result.recovery_message()
    assert not result.steady_after, f"steady state after rollback does not hold: {'; '.join(result.steady_after)}"
