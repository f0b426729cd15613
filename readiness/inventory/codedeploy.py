"""CodeDeploy: the ECS deployment group and the deployment configurations it names."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("codedeploy")
class CodeDeploy(Collector):
    service = "codedeploy"

    @dataset
    def deployment_group(self) -> dict:
        """The group named by the codedeploy_app_name and codedeploy_group_name outputs."""
        return self.call("get_deployment_group", applicationName=self.outputs.require("codedeploy_app_name"),
                         deploymentGroupName=self.outputs.require("codedeploy_group_name"))["deploymentGroupInfo"]

    def deployment_config(self, name: str) -> dict:
        """Return a deployment configuration, with its trafficRoutingConfig for ECS and Lambda."""
        return self.read(f"deployment_config:{name}",
                         lambda: self.call("get_deployment_config", deploymentConfigName=name)["deploymentConfigInfo"])
