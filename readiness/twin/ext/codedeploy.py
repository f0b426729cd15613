"""Twin extension: return CodeDeploy alarm configurations, and add UpdateDeploymentGroup."""

from __future__ import annotations

from moto.codedeploy import responses as codedeploy_responses
from moto.codedeploy.exceptions import DeploymentGroupAlreadyExistsException
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.responses import ActionResult

# UpdateDeploymentGroup request members and the DeploymentGroup attributes they set.
UPDATABLE_MEMBERS = {
    "deploymentConfigName": "deployment_config_name",
    "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
    "autoScalingGroups": "auto_scaling_groups",
    "serviceRoleArn": "service_role_arn",
    "triggerConfigurations": "trigger_configurations",
    "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy",
    "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info",
    "ec2TagSet": "ec2_tag_set",
    "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set",
    "terminationHookEnabled": "termination_hook_enabled",
}


def alarm_configuration_of(stored) -> dict:
    """Return a group's alarm configuration in the API's shape, with AWS's defaults for unset members."""
    stored = stored or {}
    if not isinstance(stored, dict):
        # moto's own AlarmConfiguration model, in case a caller stored one.
        stored = {"enabled": stored.enabled, "ignorePollAlarmFailure": stored.ignore_poll_alarm_failure,
                  "alarms": stored.alarms}
    return {
        "enabled": bool(stored.get("enabled", False)),
        "ignorePollAlarmFailure": bool(stored.get("ignorePollAlarmFailure", False)),
        "alarms": [{"name": alarm["name"]} for alarm in stored.get("alarms") or []],
    }


def update_deployment_group(self: CodeDeployResponse) -> ActionResult:
    """Change the members the request names on an existing deployment group, renaming it if asked."""
    application_name = self._get_param("applicationName")
    current_name = self._get_param("currentDeploymentGroupName")
    group = self.codedeploy_backend.get_deployment_group(application_name, current_name)

    for member, attribute in UPDATABLE_MEMBERS.items():
        value = self._get_param(member)
        if value is not None:
            setattr(group, attribute, value)

    new_name = self._get_param("newDeploymentGroupName")
    if new_name and new_name != current_name:
        groups = self.codedeploy_backend.deployment_groups[application_name]
        if new_name in groups:
            raise DeploymentGroupAlreadyExistsException(f"Deployment group {new_name} already exists.")
        groups[new_name] = groups.pop(current_name)
        group.deployment_group_name = new_name

    # ECS and Lambda groups have no lifecycle hooks to clean up, and EC2 hooks are not modelled.
    return ActionResult({"hooksNotCleanedUp": []})


def install() -> None:
    """Patch the deployment group's response shape and add UpdateDeploymentGroup."""
    original_info = codedeploy_responses._deployment_group_info

    def deployment_group_info(deployment_group) -> dict:
        info = original_info(deployment_group)
        # moto 5.2.5 stores the alarm configuration and then always returns {}.
        info["alarmConfiguration"] = alarm_configuration_of(deployment_group.alarm_configuration)
        return info

    # The response methods look the helper up in the module on each call, so replacing it is enough.
    codedeploy_responses._deployment_group_info = deployment_group_info
    CodeDeployResponse.update_deployment_group = update_deployment_group
