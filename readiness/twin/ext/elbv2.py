"""Twin extension: target health that drift profiles and drills can turn unhealthy.

moto 5.2.5 reports every registered target as healthy. BEHAVIOUR.settings["elbv2"]
["unhealthy_targets"] maps a target group ARN to a number N: the first N targets registered in
that group report "unhealthy" with a failed health check. It is a count, not target ids, so the
setting stays in force when the ECS scheduler replaces tasks and their addresses change.
"""

from __future__ import annotations

from unittest import mock

from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from readiness.twin.context import BEHAVIOUR

UNHEALTHY_REASON = "Target.ResponseCodeMismatch"
UNHEALTHY_DESCRIPTION = "Health checks failed with these codes: [503]"


def install() -> None:
    """Patch moto's target health once per process."""
    health_for = FakeTargetGroup.health_for

    def health_with_failures(self: FakeTargetGroup, target: dict, ec2_backend) -> FakeHealthStatus:
        status = health_for(self, target, ec2_backend)
        unhealthy_count = BEHAVIOUR.settings.get("elbv2", {}).get("unhealthy_targets", {}).get(self.arn, 0)
        if status.status != "healthy" or not unhealthy_count:
            return status

        failing = list(self.targets)[:unhealthy_count]
        if target["Id"] not in failing:
            return status
        return FakeHealthStatus(status.instance_id, status.port, status.health_check_port, "unhealthy",
                                UNHEALTHY_REASON, UNHEALTHY_DESCRIPTION)

    mock.patch.object(FakeTargetGroup, "health_for", health_with_failures).start()
