"""Application Auto Scaling of the ECS service: its scalable target and scaling policies."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset

ECS_DESIRED_COUNT = "ecs:service:DesiredCount"


@collector("autoscaling")
class ApplicationAutoScaling(Collector):
    service = "application-autoscaling"

    def _resource_id(self) -> str:
        return f"service/{self.outputs.require('ecs_cluster_name')}/{self.outputs.require('ecs_service_name')}"

    @dataset
    def scalable_target(self) -> dict:
        """The service's desired-count scalable target; {} if the service is not registered for scaling."""
        targets = self.paginate("describe_scalable_targets", "ScalableTargets", ServiceNamespace="ecs",
                                ResourceIds=[self._resource_id()], ScalableDimension=ECS_DESIRED_COUNT)
        return targets[0] if targets else {}

    @dataset
    def scaling_policies(self) -> list[dict]:
        """The scaling policies on the service's desired count."""
        return self.paginate("describe_scaling_policies", "ScalingPolicies", ServiceNamespace="ecs",
                             ResourceId=self._resource_id(), ScalableDimension=ECS_DESIRED_COUNT)

    def target_tracking_policies(self) -> list[dict]:
        return [policy for policy in self.scaling_policies if policy.get("PolicyType") == "TargetTrackingScaling"]
