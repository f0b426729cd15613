"""Launch criteria for the delivery pipeline and the deployment group's canary rollout and rollback."""

import pytest

pytestmark = pytest.mark.dryrun

REQUIRED_CATEGORIES = ("Source", "Build", "Deploy")
# Executions that have not finished, or that a newer one replaced, say nothing about the pipeline's health.
UNFINISHED_STATUSES = {"InProgress", "Stopping", "Superseded"}
STOPPED_STATUSES = {"Failed", "Stopped", "Cancelled"}
ROLLBACK_EVENTS = {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}
GRADUAL_ROUTING = {"TimeBasedCanary", "TimeBasedLinear"}
PREDEFINED_PREFIX = "CodeDeployDefault."


@pytest.mark.criterion("CICD-01")
def test_pipeline_stages_and_latest_execution(inventory, outputs):
    codepipeline = inventory.codepipeline
    name = outputs["pipeline_name"]
    stages = {stage["name"]: sorted({action["actionTypeId"]["category"] for action in stage["actions"]})
              for stage in codepipeline.pipeline["stages"]}
    categories = {category for found in stages.values() for category in found}
    missing = [category for category in REQUIRED_CATEGORIES if category not in categories]

    assert not missing, (
        f"pipeline {name} has no {', '.join(missing)} action (stages: {stages}); "
        "expected source, build and deploy stages"
    )

    finished = [execution for execution in codepipeline.executions if execution["status"] not in UNFINISHED_STATUSES]
    assert finished, f"pipeline {name} has no finished execution; expected its latest execution to have succeeded"

    latest = finished[0]
    failed_stages = []
    if latest["status"] != "Succeeded":
        failed_stages = [
            stage["stageName"] for stage in codepipeline.state.get("stageStates", [])
            if (stage.get("latestExecution") or {}).get("pipelineExecutionId") == latest["pipelineExecutionId"]
            and stage["latestExecution"].get("status") in STOPPED_STATUSES
        ]
    assert latest["status"] == "Succeeded", (
        f"pipeline {name}'s latest execution {latest['pipelineExecutionId']} is {latest['status']} "
        f"(stopped in stage {', '.join(failed_stages) or 'unknown'}); expected Succeeded"
    )


@pytest.mark.criterion("CICD-02")
def test_codedeploy_canary_with_rollback(inventory, outputs):
    group = inventory.codedeploy.deployment_group
    name = f"{outputs['codedeploy_app_name']}/{outputs['codedeploy_group_name']}"
    offenders = []

    config_name = group.get("deploymentConfigName", "")
    if not _is_gradual(inventory, config_name):
        offenders.append(f"deployment configuration {config_name} shifts traffic all at once")

    rollback = group.get("autoRollbackConfiguration") or {}
    events = set(rollback.get("events") or [])
    if not rollback.get("enabled") or not ROLLBACK_EVENTS <= events:
        offenders.append(f"automatic rollback is enabled={rollback.get('enabled', False)} on {sorted(events) or 'no events'}")

    alarm_configuration = group.get("alarmConfiguration") or {}
    attached = [alarm["name"] for alarm in alarm_configuration.get("alarms") or []]
    if not alarm_configuration.get("enabled") or not attached:
        offenders.append(f"alarm configuration is enabled={alarm_configuration.get('enabled', False)} "
                         f"with alarms {attached or 'none'}")
    else:
        existing = {alarm["AlarmName"] for alarm in [*inventory.cloudwatch.alarms, *inventory.cloudwatch.composite_alarms]}
        unknown = [alarm for alarm in attached if alarm not in existing]
        if unknown:
            offenders.append(f"attached alarms {unknown} do not exist")

    assert not offenders, (
        f"CodeDeploy group {name}: {'; '.join(offenders)}; expected a canary or linear configuration, automatic "
        f"rollback on {' and '.join(sorted(ROLLBACK_EVENTS))}, and an enabled alarm configuration with existing alarms"
    )


def _is_gradual(inventory, config_name: str) -> bool:
    """Tell whether a deployment configuration shifts traffic in canary or linear steps."""
    if config_name.startswith(PREDEFINED_PREFIX):
        # Predefined names contain their routing, as in CodeDeployDefault.ECSCanary10Percent5Minutes.
        return "Canary" in config_name or "Linear" in config_name
    routing = inventory.codedeploy.deployment_config(config_name).get("trafficRoutingConfig") or {}
    return routing.get("type") in GRADUAL_ROUTING
