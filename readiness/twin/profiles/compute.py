"""Drift profiles that break the compute criteria: the ECS service, its ALB, scaling, roles, images and ECR."""

from __future__ import annotations

from readiness.twin.context import TwinContext
from readiness.twin.profiles import profile
from readiness.twin.stack.compute import NAME, push_image


def _task_definition(ctx: TwinContext) -> dict:
    """Return the task definition the service runs now, so that profiles applied one after another compose."""
    ecs = ctx.client("ecs")
    service = ecs.describe_services(cluster=ctx.ids["ecs_cluster_name"], services=[ctx.ids["ecs_service_name"]])["services"][0]
    return ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]


def _deploy_revision(ctx: TwinContext, change) -> None:
    """Register a new revision of the running task definition, changed by change(container), and deploy it."""
    current = _task_definition(ctx)
    containers = current["containerDefinitions"]
    change(next(container for container in containers if container["name"] == NAME))

    ecs = ctx.client("ecs")
    arn = ecs.register_task_definition(
        family=current["family"], networkMode=current["networkMode"], containerDefinitions=containers,
        requiresCompatibilities=current.get("requiresCompatibilities", ["FARGATE"]), cpu=current["cpu"],
        memory=current["memory"], executionRoleArn=current["executionRoleArn"], taskRoleArn=current["taskRoleArn"],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=ctx.ids["ecs_cluster_name"], service=ctx.ids["ecs_service_name"], taskDefinition=arn)


@profile("tasks-in-one-az", breaks={"INF-07"},
         description="the service's network configuration lists only the first private subnet, so every task runs in one AZ",
         expect_in_message="runs its tasks in")
def tasks_in_one_az(ctx: TwinContext) -> None:
    ctx.client("ecs").update_service(
        cluster=ctx.ids["ecs_cluster_name"], service=ctx.ids["ecs_service_name"],
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": ctx.ids["private_subnet_ids"][:1], "securityGroups": [ctx.ids["sg_app"]], "assignPublicIp": "DISABLED",
        }},
    )


@profile("no-scaling-policy", breaks={"INF-08"},
         description="the service's CPU target-tracking policy is deleted; the scalable target stays",
         expect_in_message="no target-tracking policy")
def no_scaling_policy(ctx: TwinContext) -> None:
    scaling = ctx.client("application-autoscaling")
    resource_id = f"service/{ctx.ids['ecs_cluster_name']}/{ctx.ids['ecs_service_name']}"
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)["ScalingPolicies"]
    for policy in policies:
        scaling.delete_scaling_policy(PolicyName=policy["PolicyName"], ServiceNamespace="ecs", ResourceId=resource_id,
                                      ScalableDimension=policy["ScalableDimension"])


@profile("no-circuit-breaker", breaks={"INF-09"},
         description="the service's deployment circuit breaker and its rollback are turned off",
         expect_in_message="circuit breaker enable=False")
def no_circuit_breaker(ctx: TwinContext) -> None:
    ctx.client("ecs").update_service(
        cluster=ctx.ids["ecs_cluster_name"], service=ctx.ids["ecs_service_name"],
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False},
                                 "maximumPercent": 200, "minimumHealthyPercent": 100},
    )


@profile("unhealthy-target", breaks={"INF-10"},
         description="one target of the service's target group fails its health checks with HTTP 503",
         expect_in_message="has unhealthy targets")
def unhealthy_target(ctx: TwinContext) -> None:
    ctx.behaviour.settings.setdefault("elbv2", {}).setdefault("unhealthy_targets", {})[ctx.ids["target_group_arn"]] = 1


@profile("weak-tls-policy", breaks={"SEC-04"},
         description="the HTTPS listener uses ELBSecurityPolicy-2016-08, which allows TLS 1.0 and 1.1",
         expect_in_message="ELBSecurityPolicy-2016-08")
def weak_tls_policy(ctx: TwinContext) -> None:
    ctx.client("elbv2").modify_listener(ListenerArn=ctx.ids["https_listener_arn"], SslPolicy="ELBSecurityPolicy-2016-08")


@profile("open-database-group", breaks={"SEC-09"},
         description="the database security group admits PostgreSQL from 0.0.0.0/0",
         expect_in_message="0.0.0.0/0")
def open_database_group(ctx: TwinContext) -> None:
    ctx.client("ec2").authorize_security_group_ingress(GroupId=ctx.ids["sg_db"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


@profile("admin-task-role", breaks={"SEC-10"},
         description="the task role has AdministratorAccess attached",
         expect_in_message="AdministratorAccess")
def admin_task_role(ctx: TwinContext) -> None:
    ctx.client("iam").attach_role_policy(RoleName=ctx.ids["task_role_arn"].rsplit("/", 1)[-1],
                                         PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


@profile("mutable-ecr-tags", breaks={"SEC-11"},
         description="the ECR repository allows tags to be moved (MUTABLE); the service still pins its image by digest, "
                     "so CICD-03 holds",
         expect_in_message="MUTABLE")
def mutable_ecr_tags(ctx: TwinContext) -> None:
    ctx.client("ecr").put_image_tag_mutability(repositoryName=ctx.ids["ecr_repository_name"], imageTagMutability="MUTABLE")


@profile("no-container-insights", breaks={"MON-06"},
         description="Container Insights is disabled on the ECS cluster",
         expect_in_message="containerInsights disabled")
def no_container_insights(ctx: TwinContext) -> None:
    ctx.client("ecs").update_cluster(cluster=ctx.ids["ecs_cluster_name"],
                                     settings=[{"name": "containerInsights", "value": "disabled"}])


@profile("rolled-back-deployment", breaks={"APP-02"},
         description="a release whose tasks fail to start is deployed; the circuit breaker fails it and rolls back "
                     "to the previous revision",
         expect_in_message="rolled-back deployments", apply_last=True)
def rolled_back_deployment(ctx: TwinContext) -> None:
    # A later successful deployment would replace these, as in AWS; apply_last keeps this one last.
    digest = push_image(ctx, ctx.ids["ecr_repository_name"], "1.1.0-broken")
    repository_uri = ctx.ids["ecr_repository_uri"]
    ctx.behaviour.settings.setdefault("ecs", {})["fail_deployments"] = True
    try:
        _deploy_revision(ctx, lambda container: container.update(image=f"{repository_uri}@{digest}"))
    finally:
        ctx.behaviour.settings["ecs"].pop("fail_deployments")


@profile("root-container", breaks={"APP-03"},
         description="a new revision runs the application container as root (user 0) and is deployed",
         expect_in_message="runs as user 0")
def root_container(ctx: TwinContext) -> None:
    _deploy_revision(ctx, lambda container: container.update(user="0"))


@profile("scaling-no-headroom", breaks={"PERF-06"},
         description="the service runs 16 tasks against a scaling maximum of 20 (80 %)",
         expect_in_message="against a scaling maximum of 20")
def scaling_no_headroom(ctx: TwinContext) -> None:
    ctx.client("ecs").update_service(cluster=ctx.ids["ecs_cluster_name"], service=ctx.ids["ecs_service_name"], desiredCount=16)


@profile("image-by-mutable-tag", breaks={"CICD-03"},
         description="a new revision takes its image by the tag 'latest' from a second ECR repository with MUTABLE tags",
         expect_in_message="by tag latest")
def image_by_mutable_tag(ctx: TwinContext) -> None:
    ecr = ctx.client("ecr")
    repository = ecr.create_repository(repositoryName="app-legacy", imageTagMutability="MUTABLE",
                                       imageScanningConfiguration={"scanOnPush": True})["repository"]
    push_image(ctx, "app-legacy", "latest")
    _deploy_revision(ctx, lambda container: container.update(image=f"{repository['repositoryUri']}:latest"))
