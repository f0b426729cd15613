"""Reference stack, delivery: the CodePipeline, the CodeDeploy canary deployment group, and the chaos tooling.

The chaos tooling is a FIS experiment template that adds network latency to half of the service's
tasks, and the chaos Lambda that starts it or stops one task.

Reads ctx.ids, when present: ecs_cluster_name, ecs_cluster_arn, ecs_service_name, https_listener_arn,
target_group_arn, vpc_id (network, compute), rollback_alarm_names, chaos_stop_alarm_names (monitoring),
kms_key_arn (keys).
Puts in ctx.ids and outputs: pipeline_name, codedeploy_app_name, codedeploy_group_name, chaos_lambda_name.
Puts in ctx.ids: chaos_latency_template_id (absent without an ECS service).
"""

from __future__ import annotations

import io
import json
import zipfile

from readiness.twin.context import TwinContext
from readiness.twin.stack.monitoring import create_private_bucket
from readiness.twin.stack.tags import tags

PIPELINE_NAME = "app-delivery"
BUILD_PROJECT = "app-build"
CODEDEPLOY_APP = "app"
CODEDEPLOY_GROUP = "app-ecs"
DEPLOYMENT_CONFIG = "CodeDeployDefault.ECSCanary10Percent5Minutes"
CHAOS_FUNCTION = "launch-readiness-chaos"
SOURCE_KEY = "source/app.zip"
# The FIS latency experiment, as terraform/modules/disaster_recovery declares it by default.
LATENCY_MILLISECONDS = 200
EXPERIMENT_DURATION = "PT5M"
CHAOS_METRIC_NAMESPACE = "LaunchReadiness/Chaos"

# The twin never runs Lambda code (moto needs Docker for that), so the package contains a placeholder, and
# tests call chaos/lambda/handler.py in-process against the twin instead.
CHAOS_HANDLER = '''"""Placeholder for the chaos handler, which the deployment package takes from chaos/lambda/handler.py."""


def handler(event, context):
    raise NotImplementedError("the twin does not run the chaos function; call chaos/lambda/handler.py in-process")
'''


def seed(ctx: TwinContext) -> None:
    artifact_bucket = create_private_bucket(ctx, f"app-pipeline-artifacts-{ctx.account_id}-{ctx.region}")
    _build_project(ctx, artifact_bucket)
    _deployment_group(ctx)
    _pipeline(ctx, artifact_bucket)
    if ctx.ids.get("ecs_cluster_name") and ctx.ids.get("ecs_service_name"):
        ctx.ids["chaos_latency_template_id"] = _latency_template(ctx)
    _chaos_function(ctx)

    names = {"pipeline_name": PIPELINE_NAME, "codedeploy_app_name": CODEDEPLOY_APP,
             "codedeploy_group_name": CODEDEPLOY_GROUP, "chaos_lambda_name": CHAOS_FUNCTION}
    ctx.ids.update(names)
    ctx.outputs.update(names)


def _service_role(ctx: TwinContext, name: str, service: str, actions: list[str]) -> str:
    """Create a role that one AWS service assumes, with an inline policy for the actions it needs."""
    # moto's CodePipeline rejects a role whose single trust statement lists several services.
    iam = ctx.client("iam")
    role_arn = iam.create_role(
        RoleName=name, Tags=tags(key="Key", value="Value"),
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}),
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="service-access", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return role_arn


def _build_project(ctx: TwinContext, artifact_bucket: str) -> None:
    role_arn = _service_role(ctx, "app-codebuild", "codebuild.amazonaws.com",
                             ["logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:PutObject",
                              "ecr:GetAuthorizationToken", "ecr:PutImage", "ecr:UploadLayerPart"])
    ctx.client("codebuild").create_project(
        name=BUILD_PROJECT, serviceRole=role_arn, tags=tags(key="key", value="value"),
        # moto wants locations even for CODEPIPELINE sources and artifacts, which take them from the pipeline.
        source={"type": "CODEPIPELINE", "location": f"{artifact_bucket}/{SOURCE_KEY}"},
        artifacts={"type": "CODEPIPELINE", "location": artifact_bucket},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL", "privilegedMode": True},
    )


def _deployment_group(ctx: TwinContext) -> None:
    """Create the ECS blue/green group: 10 % canary for 5 minutes, rolled back on failure or alarm."""
    role_arn = _service_role(ctx, "app-codedeploy", "codedeploy.amazonaws.com",
                             ["ecs:*", "elasticloadbalancing:*", "cloudwatch:DescribeAlarms", "iam:PassRole"])
    codedeploy = ctx.client("codedeploy")
    codedeploy.create_application(applicationName=CODEDEPLOY_APP, computePlatform="ECS",
                                  tags=tags(key="Key", value="Value"))

    target_groups = [{"name": "app-tg"}, {"name": _green_target_group(ctx)}] if ctx.ids.get("target_group_arn") else []
    listeners = [ctx.ids["https_listener_arn"]] if ctx.ids.get("https_listener_arn") else []
    services = ([{"clusterName": ctx.ids["ecs_cluster_name"], "serviceName": ctx.ids["ecs_service_name"]}]
                if ctx.ids.get("ecs_cluster_name") and ctx.ids.get("ecs_service_name") else [])

    codedeploy.create_deployment_group(
        applicationName=CODEDEPLOY_APP, deploymentGroupName=CODEDEPLOY_GROUP, serviceRoleArn=role_arn,
        deploymentConfigName=DEPLOYMENT_CONFIG,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        },
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        alarmConfiguration={"enabled": True, "ignorePollAlarmFailure": False,
                            "alarms": [{"name": name} for name in ctx.ids.get("rollback_alarm_names", [])]},
        ecsServices=services,
        loadBalancerInfo={"targetGroupPairInfoList": [{"targetGroups": target_groups,
                                                       "prodTrafficRoute": {"listenerArns": listeners}}]},
        tags=tags(key="Key", value="Value"),
    )


def _green_target_group(ctx: TwinContext) -> str:
    """Create the target group CodeDeploy shifts traffic to, a copy of the service's current one."""
    elbv2 = ctx.client("elbv2")
    blue = elbv2.describe_target_groups(TargetGroupArns=[ctx.ids["target_group_arn"]])["TargetGroups"][0]
    name = "app-tg-green"
    elbv2.create_target_group(
        Name=name, Protocol=blue["Protocol"], Port=blue["Port"], VpcId=blue["VpcId"], TargetType=blue["TargetType"],
        HealthCheckEnabled=True, HealthCheckProtocol=blue["HealthCheckProtocol"], HealthCheckPath=blue["HealthCheckPath"],
        Matcher=blue["Matcher"], Tags=tags(key="Key", value="Value"),
    )
    return name


def _pipeline(ctx: TwinContext, artifact_bucket: str) -> None:
    role_arn = _service_role(ctx, "app-codepipeline", "codepipeline.amazonaws.com",
                             ["s3:*", "codebuild:StartBuild", "codebuild:BatchGetBuilds", "codedeploy:*",
                              "ecs:RegisterTaskDefinition", "iam:PassRole"])
    artifact_store = {"type": "S3", "location": artifact_bucket}
    if ctx.ids.get("kms_key_arn"):
        artifact_store["encryptionKey"] = {"id": ctx.ids["kms_key_arn"], "type": "KMS"}

    stages = [
        _stage("Source", "Source", "S3", {"S3Bucket": artifact_bucket, "S3ObjectKey": SOURCE_KEY,
                                            "PollForSourceChanges": "false"}, outputs=["SourceOutput"]),
        _stage("Build", "Build", "CodeBuild", {"ProjectName": BUILD_PROJECT},
               inputs=["SourceOutput"], outputs=["BuildOutput"]),
        _stage("Deploy", "Deploy", "CodeDeployToECS", {
            "ApplicationName": CODEDEPLOY_APP, "DeploymentGroupName": CODEDEPLOY_GROUP,
            "TaskDefinitionTemplateArtifact": "BuildOutput", "AppSpecTemplateArtifact": "BuildOutput",
        }, inputs=["BuildOutput"]),
    ]
    # The twin starts the new pipeline once, as AWS does, and that execution succeeds.
    ctx.client("codepipeline").create_pipeline(
        pipeline={"name": PIPELINE_NAME, "roleArn": role_arn, "artifactStore": artifact_store, "stages": stages,
                  "version": 1},
        tags=tags(key="key", value="value"),
    )


def _stage(name: str, category: str, provider: str, configuration: dict, inputs: list[str] = (),
           outputs: list[str] = ()) -> dict:
    return {"name": name, "actions": [{
        "name": name, "runOrder": 1, "configuration": configuration,
        "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
        "inputArtifacts": [{"name": artifact} for artifact in inputs],
        "outputArtifacts": [{"name": artifact} for artifact in outputs],
    }]}


def _latency_template(ctx: TwinContext) -> str:
    """Create the FIS template that adds latency to half of the service's tasks, stopped by the chaos stop alarms."""
    role_arn = _service_role(ctx, "app-fis", "fis.amazonaws.com",
                             ["ecs:DescribeTasks", "ecs:ListTasks", "ssm:SendCommand", "ssm:ListCommands",
                              "ssm:CancelCommand"])
    stop_conditions = [{"source": "aws:cloudwatch:alarm", "value": ctx.arn("cloudwatch", f"alarm:{name}")}
                       for name in ctx.ids.get("chaos_stop_alarm_names", [])]
    template = ctx.client("fis").create_experiment_template(
        description=f"Adds {LATENCY_MILLISECONDS} ms of network latency to half of the {ctx.ids['ecs_service_name']} tasks",
        roleArn=role_arn,
        stopConditions=stop_conditions or [{"source": "none"}],
        targets={"service-tasks": {
            "resourceType": "aws:ecs:task", "selectionMode": "PERCENT(50)",
            "parameters": {"cluster": ctx.ids["ecs_cluster_name"], "service": ctx.ids["ecs_service_name"]},
        }},
        actions={"task-network-latency": {
            "actionId": "aws:ecs:task-network-latency",
            "parameters": {"duration": EXPERIMENT_DURATION, "delayMilliseconds": str(LATENCY_MILLISECONDS),
                           "useEcsFaultInjectionEndpoints": "true"},
            "targets": {"Tasks": "service-tasks"},
        }},
        tags={**{tag["Key"]: tag["Value"] for tag in tags(key="Key", value="Value")},
              "Name": "app-task-network-latency"},
    )["experimentTemplate"]
    return template["id"]


def _chaos_policy(ctx: TwinContext) -> dict:
    """Return the chaos function's policy: ECS changes only in the application's cluster, FIS only on its template."""
    in_cluster = {"ArnEquals": {"ecs:cluster": ctx.ids.get("ecs_cluster_arn", ctx.arn("ecs", "cluster/*"))}}
    statements = [
        {"Sid": "WriteFunctionLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": ctx.arn("logs", f"log-group:/aws/lambda/{CHAOS_FUNCTION}:*")},
        {"Sid": "ReadService", "Effect": "Allow", "Action": ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:DescribeServices"],
         "Resource": "*", "Condition": in_cluster},
        {"Sid": "DisruptService", "Effect": "Allow", "Action": ["ecs:StopTask", "ecs:UpdateService"],
         "Resource": "*", "Condition": in_cluster},
        {"Sid": "ReadHealth", "Effect": "Allow", "Resource": "*",
         "Action": ["application-autoscaling:DescribeScalableTargets", "elasticloadbalancing:DescribeTargetHealth",
                    "cloudwatch:DescribeAlarms", "fis:GetExperimentTemplate"]},
        {"Sid": "FollowExperiments", "Effect": "Allow", "Resource": "*",
         "Action": ["fis:GetExperiment", "fis:ListExperiments", "fis:StopExperiment"]},
        {"Sid": "PublishResults", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": CHAOS_METRIC_NAMESPACE}}},
    ]
    if ctx.ids.get("chaos_latency_template_id"):
        statements.append({"Sid": "StartLatencyExperiment", "Effect": "Allow", "Action": "fis:StartExperiment", "Resource": [
            ctx.arn("fis", f"experiment-template/{ctx.ids['chaos_latency_template_id']}"), ctx.arn("fis", "experiment/*")]})
    return {"Version": "2012-10-17", "Statement": statements}


def _chaos_function(ctx: TwinContext) -> None:
    iam = ctx.client("iam")
    role_arn = iam.create_role(
        RoleName="app-chaos", Tags=tags(key="Key", value="Value"),
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName="app-chaos", PolicyName="run-chaos-experiments",
                        PolicyDocument=json.dumps(_chaos_policy(ctx)))

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("chaos.py", CHAOS_HANDLER)

    environment = {key: ctx.ids[source] for key, source in (("CLUSTER_NAME", "ecs_cluster_name"),
                                                            ("SERVICE_NAME", "ecs_service_name"),
                                                            ("EXPERIMENT_TEMPLATE_ID", "chaos_latency_template_id"))
                   if ctx.ids.get(source)}
    ctx.client("lambda").create_function(
        FunctionName=CHAOS_FUNCTION, Runtime="python3.12", Role=role_arn, Handler="chaos.handler",
        Code={"ZipFile": archive.getvalue()}, Timeout=300, MemorySize=256, Tags=tags(),
        Description="Starts the task latency experiment or stops one task of the application's service",
        Environment={"Variables": environment},
    )
