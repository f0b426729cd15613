"""Chaos experiment: scale the service out by one task and back in, timing each convergence."""

import pytest

from readiness.chaos import ScaleOutAndIn

pytestmark = pytest.mark.live


def test_scale_out_and_in(run_chaos):
    result = run_chaos(ScaleOutAndIn)

    assert not result.rollback_failures, f"rollback of {result.experiment} did not complete: {'; '.join(result.rollback_failures)}"
    assert not result.aborted, result.aborted
    assert not result.failures, "; ".join(result.failures)
    assert result.recovered_within_target, result.recovery_message()
    assert not result.steady_after, f"steady state after rollback does not hold: {'; '.join(result.steady_after)}"
