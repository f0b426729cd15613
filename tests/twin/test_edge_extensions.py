"""The twin's CloudFront, WAFv2, CodePipeline and CodeDeploy extensions, read back over HTTP."""

from __future__ import annotations

import uuid

import boto3
import botocore.config
import pytest

from readiness.target import TWIN_CREDENTIALS
from readiness.twin.context import BEHAVIOUR
from readiness.twin.ext.codepipeline import SETTINGS_KEY, set_latest_execution
from readiness.twin.stack.edge import ASSET_ORIGIN_ID, CLOUDFRONT_REGION


def client(twin, service: str, region: str | None = None):
    """A client on the twin that does not retry, so each call is one request."""
    return boto3.session.Session(**TWIN_CREDENTIALS).client(
        service, region_name=region or twin.region, endpoint_url=twin.endpoint_url,
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def stack(twin):
    """The shared twin without drift: reseeded if an earlier test left a drift profile applied."""
    if twin.profiles:
        twin.reseed()
    return twin


@pytest.fixture
def pipeline_outcomes():
    """The pipeline outcomes set in the behaviour, cleared after the test."""
    yield BEHAVIOUR
    BEHAVIOUR.settings.pop(SETTINGS_KEY, None)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# CloudFront ------------------------------------------------------------------------------------

def test_seeded_origin_keeps_access_control(stack):
    cloudfront = client(stack, "cloudfront", CLOUDFRONT_REGION)
    controls = {item["Id"] for item in cloudfront.list_origin_access_controls()["OriginAccessControlList"]["Items"]}

    config = cloudfront.get_distribution(Id=stack.outputs["cloudfront_distribution_id"])["Distribution"]["DistributionConfig"]
    origin = next(item for item in config["Origins"]["Items"] if item["Id"] == ASSET_ORIGIN_ID)

    assert origin["OriginAccessControlId"] in controls
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_update_keeps_access_control(stack):
    cloudfront = client(stack, "cloudfront", CLOUDFRONT_REGION)
    control_id = cloudfront.create_origin_access_control(OriginAccessControlConfig={
        "Name": _unique("test"), "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": _unique("test"), "Comment": "extension test", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "bucket", "DomainName": "assets.s3.eu-west-1.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""},
                                              "OriginAccessControlId": control_id}]},
        "DefaultCacheBehavior": {"TargetOriginId": "bucket", "ViewerProtocolPolicy": "https-only"},
    })["Distribution"]

    current = cloudfront.get_distribution_config(Id=distribution["Id"])
    current["DistributionConfig"]["Comment"] = "changed"
    cloudfront.update_distribution(Id=distribution["Id"], IfMatch=current["ETag"],
                                   DistributionConfig=current["DistributionConfig"])

    updated = cloudfront.get_distribution_config(Id=distribution["Id"])["DistributionConfig"]
    assert updated["Comment"] == "changed"
    assert updated["Origins"]["Items"][0]["OriginAccessControlId"] == control_id


def test_origin_without_access_control_reads_empty(stack):
    cloudfront = client(stack, "cloudfront", CLOUDFRONT_REGION)
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": _unique("test"), "Comment": "no access control", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "example.com",
                                              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                                                     "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "https-only"},
    })["Distribution"]

    origin = distribution["DistributionConfig"]["Origins"]["Items"][0]
    assert origin.get("OriginAccessControlId", "") == ""
    assert "S3OriginConfig" not in origin


# WAFv2 -----------------------------------------------------------------------------------------

def _regional_web_acl(twin, name: str) -> str:
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": name}
    return client(twin, "wafv2").create_web_acl(Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}},
                                                VisibilityConfig=visibility, Rules=[])["Summary"]["ARN"]


def test_list_resources_returns_seeded_alb(stack):
    wafv2 = client(stack, "wafv2")
    alb_arn = stack.outputs["alb_arn"]
    web_acl_arn = wafv2.get_web_acl_for_resource(ResourceArn=alb_arn)["WebACL"]["ARN"]

    assert wafv2.list_resources_for_web_acl(WebACLArn=web_acl_arn)["ResourceArns"] == [alb_arn]
    assert wafv2.list_resources_for_web_acl(WebACLArn=web_acl_arn, ResourceType="APPLICATION_LOAD_BALANCER")["ResourceArns"] == [alb_arn]
    assert wafv2.list_resources_for_web_acl(WebACLArn=web_acl_arn, ResourceType="API_GATEWAY")["ResourceArns"] == []


def test_list_resources_of_unknown_acl_raises(stack):
    wafv2 = client(stack, "wafv2")
    unknown = f"arn:aws:wafv2:{stack.region}:123456789012:regional/webacl/missing/{uuid.uuid4()}"

    with pytest.raises(wafv2.exceptions.WAFNonexistentItemException):
        wafv2.list_resources_for_web_acl(WebACLArn=unknown)


def test_association_replaces_previous_acl(stack):
    wafv2 = client(stack, "wafv2")
    first, second = _regional_web_acl(stack, _unique("first")), _regional_web_acl(stack, _unique("second"))
    resource = f"arn:aws:elasticloadbalancing:{stack.region}:123456789012:loadbalancer/app/{_unique('test')}/0123456789abcdef"

    wafv2.associate_web_acl(WebACLArn=first, ResourceArn=resource)
    wafv2.associate_web_acl(WebACLArn=second, ResourceArn=resource)

    assert wafv2.get_web_acl_for_resource(ResourceArn=resource)["WebACL"]["ARN"] == second
    assert wafv2.list_resources_for_web_acl(WebACLArn=first)["ResourceArns"] == []
    assert wafv2.list_resources_for_web_acl(WebACLArn=second)["ResourceArns"] == [resource]


# CodePipeline ----------------------------------------------------------------------------------

@pytest.fixture
def new_pipeline(stack) -> str:
    """A three-stage pipeline created for one test, reusing the seeded pipeline's role and store."""
    codepipeline = client(stack, "codepipeline")
    seeded = codepipeline.get_pipeline(name=stack.outputs["pipeline_name"])["pipeline"]
    name = _unique("pipeline")
    codepipeline.create_pipeline(pipeline={**seeded, "name": name})
    yield name
    codepipeline.delete_pipeline(name=name)


def test_created_pipeline_runs_once_and_succeeds(stack, new_pipeline):
    codepipeline = client(stack, "codepipeline")

    executions = codepipeline.list_pipeline_executions(pipelineName=new_pipeline)["pipelineExecutionSummaries"]
    state = codepipeline.get_pipeline_state(name=new_pipeline)

    assert [execution["status"] for execution in executions] == ["Succeeded"]
    assert [stage["stageName"] for stage in state["stageStates"]] == ["Source", "Build", "Deploy"]
    for stage in state["stageStates"]:
        assert stage["latestExecution"] == {"pipelineExecutionId": executions[0]["pipelineExecutionId"], "status": "Succeeded"}
        assert stage["actionStates"][0]["latestExecution"]["status"] == "Succeeded"


def test_latest_execution_reports_set_failure(stack, new_pipeline, pipeline_outcomes):
    codepipeline = client(stack, "codepipeline")
    first = codepipeline.list_pipeline_executions(pipelineName=new_pipeline)["pipelineExecutionSummaries"][0]
    latest_id = codepipeline.start_pipeline_execution(name=new_pipeline)["pipelineExecutionId"]

    set_latest_execution(pipeline_outcomes, new_pipeline, "Failed", failed_stage="Build")

    summaries = codepipeline.list_pipeline_executions(pipelineName=new_pipeline)["pipelineExecutionSummaries"]
    assert [(item["pipelineExecutionId"], item["status"]) for item in summaries] == [
        (latest_id, "Failed"), (first["pipelineExecutionId"], "Succeeded")]
    latest = codepipeline.get_pipeline_execution(pipelineName=new_pipeline, pipelineExecutionId=latest_id)
    assert latest["pipelineExecution"]["status"] == "Failed"
    older = codepipeline.get_pipeline_execution(pipelineName=new_pipeline, pipelineExecutionId=first["pipelineExecutionId"])
    assert older["pipelineExecution"]["status"] == "Succeeded"

    stages = {stage["stageName"]: stage for stage in codepipeline.get_pipeline_state(name=new_pipeline)["stageStates"]}
    assert stages["Source"]["latestExecution"]["status"] == "Succeeded"
    assert stages["Build"]["latestExecution"]["status"] == "Failed"
    assert stages["Build"]["actionStates"][0]["latestExecution"]["errorDetails"]["code"] == "JobFailed"
    assert "latestExecution" not in stages["Deploy"]


def test_outcome_applies_to_named_pipeline_only(stack, new_pipeline, pipeline_outcomes):
    codepipeline = client(stack, "codepipeline")

    set_latest_execution(pipeline_outcomes, stack.outputs["pipeline_name"], "Failed", failed_stage="Deploy")

    summaries = codepipeline.list_pipeline_executions(pipelineName=new_pipeline)["pipelineExecutionSummaries"]
    assert summaries[0]["status"] == "Succeeded"


def test_unknown_execution_status_rejected(pipeline_outcomes):
    with pytest.raises(ValueError, match="Broken"):
        set_latest_execution(pipeline_outcomes, "any", "Broken")


def test_state_of_unknown_pipeline_raises(stack):
    codepipeline = client(stack, "codepipeline")

    with pytest.raises(codepipeline.exceptions.PipelineNotFoundException):
        codepipeline.get_pipeline_state(name=_unique("missing"))


# CodeDeploy ------------------------------------------------------------------------------------

def test_seeded_group_returns_alarm_configuration(stack):
    group = client(stack, "codedeploy").get_deployment_group(
        applicationName=stack.outputs["codedeploy_app_name"], deploymentGroupName=stack.outputs["codedeploy_group_name"],
    )["deploymentGroupInfo"]

    assert group["alarmConfiguration"]["enabled"] is True
    assert group["alarmConfiguration"]["ignorePollAlarmFailure"] is False
    assert {alarm["name"] for alarm in group["alarmConfiguration"]["alarms"]} == {
        "app-alb-target-5xx", "app-alb-response-time-p95"}


def test_update_changes_members_and_renames(stack):
    codedeploy = client(stack, "codedeploy")
    application, old_name, new_name = _unique("app"), _unique("group"), _unique("renamed")
    codedeploy.create_application(applicationName=application, computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName=application, deploymentGroupName=old_name, serviceRoleArn="arn:aws:iam::123456789012:role/test",
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
    )

    response = codedeploy.update_deployment_group(
        applicationName=application, currentDeploymentGroupName=old_name, newDeploymentGroupName=new_name,
        deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        autoRollbackConfiguration={"enabled": False, "events": []},
        alarmConfiguration={"enabled": True, "alarms": [{"name": "app-alb-target-5xx"}]},
    )

    assert response["hooksNotCleanedUp"] == []
    group = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=new_name)["deploymentGroupInfo"]
    assert group["deploymentGroupName"] == new_name
    assert group["deploymentConfigName"] == "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    assert group["autoRollbackConfiguration"] == {"enabled": False, "events": []}
    assert group["alarmConfiguration"] == {"enabled": True, "ignorePollAlarmFailure": False,
                                           "alarms": [{"name": "app-alb-target-5xx"}]}
    with pytest.raises(codedeploy.exceptions.DeploymentGroupDoesNotExistException):
        codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=old_name)


def test_update_unknown_group_raises(stack):
    codedeploy = client(stack, "codedeploy")

    with pytest.raises(codedeploy.exceptions.DeploymentGroupDoesNotExistException):
        codedeploy.update_deployment_group(applicationName=stack.outputs["codedeploy_app_name"],
                                           currentDeploymentGroupName=_unique("missing"))
