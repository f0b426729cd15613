"""Constants and small types the chaos self-tests share; the fixtures are in conftest.py."""

from __future__ import annotations

from dataclasses import dataclass

from readiness.chaos import ChaosSettings

# Small waits keep each experiment on the twin to a second or two.
FAST_SETTINGS = ChaosSettings(kill_target_s=5, scale_target_s=5, latency_target_s=5, poll_interval_s=0.1,
                              probe_requests=10, probe_timeout_s=5)


@dataclass
class LambdaContext:
    """The parts of the Lambda context object the chaos function reads."""

    aws_request_id: str = "request-1"
    remaining_ms: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
