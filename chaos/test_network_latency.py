"""Chaos experiment: add network latency to the service's tasks through AWS FIS and time the return to baseline."""

import pytest

from readiness.chaos import NetworkLatency

pytestmark = pytest.mark.live


def test_network_latency(run_chaos):
    result = run_chaos(NetworkLatency)

    assert not result.rollback_failures, f"rollback of {result.experiment} did not complete: {'; '.join(result.rollback_failures)}"
    assert not result.aborted, result.aborted
    assert not result.failures, "; ".join(result.failures)
    assert result.recovered_within_target, result.recovery_message()
    assert not result.steady_after, f"steady state after rollback does not hold: {'; '.join(result.steady_after)}"
