"""Reference stack, compute: ECR, IAM task roles, the ECS cluster and Fargate service, the ALB, and autoscaling.

Reads ctx.ids from network (vpc_id, public_subnet_ids, private_subnet_ids, sg_alb, sg_app) and,
when present, from keys and data (kms_key_arn, app_bucket_arn, db_secret_arn) for the task role's
policy. Adds ctx.ids: ecs_cluster_name, ecs_cluster_arn, ecs_service_name, alb_arn, alb_dns_name,
https_listener_arn, target_group_arn, task_definition_arn, app_log_group_name, ecr_repository_name,
ecr_repository_uri, image_digest, task_role_arn, execution_role_arn.
"""

from __future__ import annotations

import hashlib
import json


from readiness.twin.context import TwinContext
from readiness.twin.stack.certificates import import_self_signed
from readiness.twin.stack.tags import tags

NAME = "app"
CONTAINER_PORT = 8080
HEALTH_PATH = "/health"
LOG_GROUP = "/ecs/app"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ECS_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def seed(ctx: TwinContext) -> None:
    repository_uri, digest = _image(ctx)
    execution_role_arn, task_role_arn = _roles(ctx)

    logs = ctx.client("logs")
    logs.create_log_group(logGroupName=LOG_GROUP, tags=tags())
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=90)

    ecs = ctx.client("ecs")
    cluster = ecs.create_cluster(clusterName=NAME, settings=[{"name": "containerInsights", "value": "enabled"}],
                                 tags=tags(key="key", value="value"))["cluster"]
    task_definition_arn = register_task_definition(ctx, f"{repository_uri}@{digest}", execution_role_arn, task_role_arn)

    load_balancer = _load_balancer(ctx)
    target_group_arn = load_balancer["target_group_arn"]

    # TODO(#6): terraform/ runs this service on the CODE_DEPLOY controller for canary releases.
    # The twin keeps the ECS controller with a circuit breaker, because its scheduler models ECS
    # deployments only. So the two sides roll back a failed release in different ways.
    ecs.create_service(
        cluster=NAME, serviceName=NAME, taskDefinition=task_definition_arn, desiredCount=2, launchType="FARGATE",
        platformVersion="LATEST", schedulingStrategy="REPLICA", deploymentController={"type": "ECS"},
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200, "minimumHealthyPercent": 100,
        },
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": ctx.ids["private_subnet_ids"], "securityGroups": [ctx.ids["sg_app"]], "assignPublicIp": "DISABLED",
        }},
        loadBalancers=[{"targetGroupArn": target_group_arn, "containerName": NAME, "containerPort": CONTAINER_PORT}],
        healthCheckGracePeriodSeconds=60, enableECSManagedTags=True, propagateTags="SERVICE",
        tags=tags(key="key", value="value"),
    )
    _autoscaling(ctx)

    ctx.ids.update(
        ecs_cluster_name=NAME, ecs_cluster_arn=cluster["clusterArn"], ecs_service_name=NAME,
        alb_arn=load_balancer["alb_arn"], alb_dns_name=load_balancer["alb_dns_name"],
        https_listener_arn=load_balancer["https_listener_arn"], target_group_arn=target_group_arn,
        task_definition_arn=task_definition_arn, app_log_group_name=LOG_GROUP, ecr_repository_name=NAME,
        ecr_repository_uri=repository_uri, image_digest=digest,
        task_role_arn=task_role_arn, execution_role_arn=execution_role_arn,
    )
    ctx.outputs.update(
        ecs_cluster_name=NAME, ecs_service_name=NAME, alb_arn=load_balancer["alb_arn"],
        target_group_arn=target_group_arn, ecr_repository_name=NAME, app_log_group_name=LOG_GROUP,
    )


def register_task_definition(ctx: TwinContext, image: str, execution_role_arn: str, task_role_arn: str,
                             user: str = "1000") -> str:
    """Register a revision of the application's Fargate task definition and return its ARN."""
    container = {
        "name": NAME,
        "image": image,
        "essential": True,
        "user": user,
        # moto's run_task needs container-level memory; Fargate itself needs only the task's.
        "memory": 1024,
        "cpu": 512,
        "readonlyRootFilesystem": True,
        "portMappings": [{"containerPort": CONTAINER_PORT, "protocol": "tcp"}],
        "environment": [{"name": "PORT", "value": str(CONTAINER_PORT)}],
        "healthCheck": {
            "command": ["CMD-SHELL", f"curl -fsS http://localhost:{CONTAINER_PORT}{HEALTH_PATH} || exit 1"],
            "interval": 15, "timeout": 5, "retries": 3, "startPeriod": 30,
        },
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": LOG_GROUP, "awslogs-region": ctx.region, "awslogs-stream-prefix": NAME,
        }},
    }
    return ctx.client("ecs").register_task_definition(
        family=NAME, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512", memory="1024",
        executionRoleArn=execution_role_arn, taskRoleArn=task_role_arn, containerDefinitions=[container],
        runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        tags=tags(key="key", value="value"),
    )["taskDefinition"]["taskDefinitionArn"]


def push_image(ctx: TwinContext, repository: str, tag: str) -> str:
    """Put an image manifest in an ECR repository and return the image's digest."""
    layer = hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
                   "digest": f"sha256:{hashlib.sha256(layer.encode()).hexdigest()}"},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2811478,
                    "digest": f"sha256:{layer}"}],
    })
    image = ctx.client("ecr").put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)["image"]
    return image["imageId"]["imageDigest"]


def _image(ctx: TwinContext) -> tuple[str, str]:
    ecr = ctx.client("ecr")
    repository = ecr.create_repository(
        repositoryName=NAME, imageTagMutability="IMMUTABLE", imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "AES256"}, tags=tags(key="Key", value="Value"),
    )["repository"]
    return repository["repositoryUri"], push_image(ctx, NAME, "1.0.0")


def _roles(ctx: TwinContext) -> tuple[str, str]:
    """Create the execution role (AWS's managed policy) and the task role (only the app's own resources)."""
    iam = ctx.client("iam")
    trust = json.dumps(ECS_TASKS_TRUST)

    execution = iam.create_role(RoleName="app-task-execution", AssumeRolePolicyDocument=trust,
                                Description="Pulls the app image and writes its logs", Tags=tags(key="Key", value="Value"))
    iam.attach_role_policy(RoleName="app-task-execution", PolicyArn=EXECUTION_POLICY_ARN)

    task = iam.create_role(RoleName="app-task", AssumeRolePolicyDocument=trust,
                           Description="What the application may call", Tags=tags(key="Key", value="Value"))
    statements = [{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                   "Resource": ctx.arn("logs", f"log-group:{LOG_GROUP}:*")}]
    # The data and keys stages come first in the full stack; a partial stack seeds without them.
    if ctx.ids.get("app_bucket_arn"):
        statements.append({"Sid": "AppBucketObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                           "Resource": f"{ctx.ids['app_bucket_arn']}/*"})
    if ctx.ids.get("db_secret_arn"):
        statements.append({"Sid": "DatabaseSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                           "Resource": ctx.ids["db_secret_arn"]})
    if ctx.ids.get("kms_key_arn"):
        statements.append({"Sid": "DecryptWithAppKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                           "Resource": ctx.ids["kms_key_arn"]})
    iam.put_role_policy(RoleName="app-task", PolicyName="app-access",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return execution["Role"]["Arn"], task["Role"]["Arn"]


def _load_balancer(ctx: TwinContext) -> dict:
    elbv2 = ctx.client("elbv2")
    alb = elbv2.create_load_balancer(
        Name="app-alb", Subnets=ctx.ids["public_subnet_ids"], SecurityGroups=[ctx.ids["sg_alb"]],
        Scheme="internet-facing", Type="application", IpAddressType="ipv4", Tags=tags(key="Key", value="Value"),
    )["LoadBalancers"][0]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"], Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"},
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
    ])

    target_group_arn = elbv2.create_target_group(
        Name="app-tg", Protocol="HTTP", Port=CONTAINER_PORT, VpcId=ctx.ids["vpc_id"], TargetType="ip",
        HealthCheckEnabled=True, HealthCheckProtocol="HTTP", HealthCheckPath=HEALTH_PATH, HealthCheckIntervalSeconds=15,
        HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2, UnhealthyThresholdCount=3, Matcher={"HttpCode": "200"},
        Tags=tags(key="Key", value="Value"),
    )["TargetGroups"][0]["TargetGroupArn"]

    https = elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTPS", Port=443, SslPolicy=TLS_POLICY,
        Certificates=[{"CertificateArn": import_self_signed(ctx, alb["DNSName"])}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )["Listeners"][0]
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}],
    )
    return {"alb_arn": alb["LoadBalancerArn"], "alb_dns_name": alb["DNSName"], "target_group_arn": target_group_arn,
            "https_listener_arn": https["ListenerArn"]}


def _autoscaling(ctx: TwinContext) -> None:
    scaling = ctx.client("application-autoscaling")
    resource_id = f"service/{NAME}/{NAME}"
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource_id,
                                     ScalableDimension="ecs:service:DesiredCount", MinCapacity=2, MaxCapacity=20)
    scaling.put_scaling_policy(
        PolicyName="app-cpu-target-tracking", ServiceNamespace="ecs", ResourceId=resource_id,
        ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": 300, "ScaleOutCooldown": 60,
        },
    )
