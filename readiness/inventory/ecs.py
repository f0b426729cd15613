"""ECS: the application's cluster, every service in it, the application service's tasks and task definition."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, batched, dataset

# AWS's batch limits: DescribeServices takes 10 services and DescribeTasks 100 tasks per call.
DESCRIBE_SERVICES_BATCH = 10
DESCRIBE_TASKS_BATCH = 100


@collector("ecs")
class Ecs(Collector):
    service = "ecs"

    def _cluster_name(self) -> str:
        return self.outputs.require("ecs_cluster_name")

    @dataset
    def cluster(self) -> dict:
        """The application cluster with its settings, as DescribeClusters returns it; {} if it does not exist."""
        clusters = self.call("describe_clusters", clusters=[self._cluster_name()], include=["SETTINGS"])["clusters"]
        return clusters[0] if clusters else {}

    @dataset
    def services(self) -> list[dict]:
        """Every service of the cluster, listed page by page and described ten at a time."""
        arns = self.paginate("list_services", "serviceArns", cluster=self._cluster_name())
        described = []
        for batch in batched(arns, DESCRIBE_SERVICES_BATCH):
            described.extend(self.call("describe_services", cluster=self._cluster_name(), services=batch)["services"])
        return described

    @property
    def app_service(self) -> dict:
        """The application service named by the ecs_service_name output; {} if the cluster has none by that name."""
        name = self.outputs.require("ecs_service_name")
        return next((service for service in self.services if name in (service["serviceName"], service["serviceArn"])), {})

    @dataset
    def tasks(self) -> list[dict]:
        """The application service's tasks whose desired status is RUNNING."""
        arns = self.paginate("list_tasks", "taskArns", cluster=self._cluster_name(),
                             serviceName=self.outputs.require("ecs_service_name"), desiredStatus="RUNNING")
        described = []
        for batch in batched(arns, DESCRIBE_TASKS_BATCH):
            described.extend(self.call("describe_tasks", cluster=self._cluster_name(), tasks=batch)["tasks"])
        return described

    def task_definition(self, arn: str) -> dict:
        """Return a task definition by ARN or family:revision, read once per session."""
        return self.read(f"task_definition:{arn}", lambda: self.call("describe_task_definition", taskDefinition=arn)["taskDefinition"])

    def running_task_definition_arn(self) -> str | None:
        """Return the task definition of the PRIMARY deployment, else the service's, else None."""
        service = self.app_service
        primary = next((deployment for deployment in service.get("deployments", []) if deployment.get("status") == "PRIMARY"), None)
        if primary and primary.get("taskDefinition"):
            return primary["taskDefinition"]
        return service.get("taskDefinition")
