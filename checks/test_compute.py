"""Launch criteria for the ECS service, its load balancer, scaling, deployments and task definition."""

import fnmatch
import re

import pytest

pytestmark = pytest.mark.dryrun

MIN_TASKS = 2
MIN_ZONES = 2
MIN_SCALING_CAPACITY = 2
MAX_SCALING_CAPACITY = 20
MAX_RUNNING_SHARE_OF_MAX = 0.70
MAX_CPU_TARGET = 75.0
CPU_METRICS = {"ECSServiceAverageCPUUtilization"}
CONTAINER_INSIGHTS_ON = {"enabled", "enhanced"}
ROOT_USERS = {"root", "0"}
ROLLBACK_WORDS = ("rolling back", "rolled back", "rollback")
# An ECR image reference by tag: registry/repository[:tag]. References by digest never reach it.
ECR_IMAGE = re.compile(r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                       r"(?P<repository>[^:@]+)(?::(?P<tag>[^:@/]+))?$")


def _service(inventory, outputs) -> dict:
    service = inventory.ecs.app_service
    assert service, (
        f"ECS service {outputs['ecs_service_name']} was not found in cluster {outputs['ecs_cluster_name']}; "
        "expected the service the outputs name"
    )
    return service


@pytest.mark.criterion("INF-07")
def test_service_runs_tasks_across_zones(inventory, outputs):
    service = _service(inventory, outputs)
    name = service["serviceName"]
    zones = sorted({task.get("availabilityZone") or "unknown" for task in inventory.ecs.tasks if task.get("lastStatus") == "RUNNING"})

    assert service["desiredCount"] >= MIN_TASKS, (
        f"ECS service {name} has desired count {service['desiredCount']}; expected at least {MIN_TASKS}"
    )
    assert service["runningCount"] == service["desiredCount"], (
        f"ECS service {name} runs {service['runningCount']} of {service['desiredCount']} desired tasks; "
        "expected running to equal desired"
    )
    assert len(zones) >= MIN_ZONES, (
        f"ECS service {name} runs its tasks in {zones or 'no AZ'}; expected tasks in at least {MIN_ZONES} AZs"
    )


@pytest.mark.criterion("INF-08")
def test_service_scales_with_target_tracking(inventory, outputs):
    scalable = inventory.autoscaling.scalable_target
    resource = f"service/{outputs['ecs_cluster_name']}/{outputs['ecs_service_name']}"

    assert scalable, (
        f"ECS service {resource} has no scalable target; "
        f"expected one with min capacity {MIN_SCALING_CAPACITY} and max capacity {MAX_SCALING_CAPACITY} or more"
    )
    assert scalable["MinCapacity"] >= MIN_SCALING_CAPACITY, (
        f"scalable target {resource} has min capacity {scalable['MinCapacity']}; expected at least {MIN_SCALING_CAPACITY}"
    )
    assert scalable["MaxCapacity"] >= MAX_SCALING_CAPACITY, (
        f"scalable target {resource} has max capacity {scalable['MaxCapacity']}; expected at least {MAX_SCALING_CAPACITY}"
    )
    suspended = sorted(key for key, value in (scalable.get("SuspendedState") or {}).items() if value)
    assert not suspended, f"scalable target {resource} has suspended scaling ({', '.join(suspended)}); expected none suspended"

    policies = [policy["PolicyName"] for policy in inventory.autoscaling.target_tracking_policies()]
    assert policies, (
        f"scalable target {resource} has policies {[policy['PolicyName'] for policy in inventory.autoscaling.scaling_policies]} "
        "and no target-tracking policy; expected a TargetTrackingScaling policy on CPU or request count"
    )


@pytest.mark.criterion("INF-09")
def test_deployments_roll_back_on_failure(inventory, outputs):
    service = _service(inventory, outputs)
    name = service["serviceName"]
    controller = (service.get("deploymentController") or {}).get("type", "ECS")

    if controller == "CODE_DEPLOY":
        # With CodeDeploy in charge, the deployment group's automatic rollback undoes a failed release.
        group = inventory.codedeploy.deployment_group
        rollback = group.get("autoRollbackConfiguration") or {}
        events = rollback.get("events") or []
        observed = (f"ECS service {name} deploys through CodeDeploy group {group.get('deploymentGroupName')} "
                    f"with automatic rollback enabled={rollback.get('enabled', False)} on {events}")
        assert rollback.get("enabled"), f"{observed}; expected automatic rollback enabled"
        assert "DEPLOYMENT_FAILURE" in events, f"{observed}; expected rollback on DEPLOYMENT_FAILURE"
        return

    breaker = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
    observed = (f"ECS service {name} uses the {controller} deployment controller with circuit breaker "
                f"enable={breaker.get('enable', False)} rollback={breaker.get('rollback', False)}")
    expected = "expected the circuit breaker with rollback on, or the CODE_DEPLOY controller"
    assert controller == "ECS", f"{observed}; {expected}"
    assert breaker.get("enable"), f"{observed}; {expected}"
    assert breaker.get("rollback"), f"{observed}; {expected}"


@pytest.mark.criterion("INF-10")
def test_load_balancer_has_healthy_targets(inventory, outputs):
    elbv2 = inventory.elbv2
    zones = sorted(zone["ZoneName"] for zone in elbv2.load_balancer.get("AvailabilityZones", []))
    group = elbv2.target_group
    states = [(item["Target"]["Id"], item["TargetHealth"]["State"], item["TargetHealth"].get("Reason")) for item in elbv2.target_health]
    healthy = [target for target, state, _ in states if state == "healthy"]
    unhealthy = [f"{target} ({reason})" for target, state, reason in states if state == "unhealthy"]

    assert len(zones) >= MIN_ZONES, f"ALB {outputs['alb_arn']} spans {zones or 'no AZ'}; expected at least {MIN_ZONES} AZs"
    needs_path = group.get("HealthCheckProtocol") in ("HTTP", "HTTPS")
    assert group.get("HealthCheckEnabled") and (group.get("HealthCheckPath") or not needs_path), (
        f"target group {outputs['target_group_arn']} has health check enabled={group.get('HealthCheckEnabled')} "
        f"path={group.get('HealthCheckPath')}; expected an enabled health check with a path"
    )
    assert not unhealthy, f"target group {outputs['target_group_arn']} has unhealthy targets {unhealthy}; expected none unhealthy"
    assert len(healthy) >= MIN_TASKS, (
        f"target group {outputs['target_group_arn']} has {len(healthy)} healthy targets (states: {states}); "
        f"expected at least {MIN_TASKS}"
    )


@pytest.mark.criterion("MON-06")
def test_container_insights_enabled(inventory, outputs):
    cluster = inventory.ecs.cluster
    setting = next((item["value"] for item in cluster.get("settings", []) if item["name"] == "containerInsights"), "not set")

    assert cluster, f"ECS cluster {outputs['ecs_cluster_name']} was not found; expected the cluster the outputs name"
    assert setting in CONTAINER_INSIGHTS_ON, (
        f"ECS cluster {outputs['ecs_cluster_name']} has containerInsights {setting}; expected enabled or enhanced"
    )


@pytest.mark.criterion("PERF-06")
def test_scaling_has_headroom(inventory, outputs):
    service = _service(inventory, outputs)
    scalable = inventory.autoscaling.scalable_target
    resource = f"service/{outputs['ecs_cluster_name']}/{outputs['ecs_service_name']}"

    assert scalable, f"ECS service {resource} has no scalable target, so its scaling maximum is unknown; expected one"
    limit = MAX_RUNNING_SHARE_OF_MAX * scalable["MaxCapacity"]
    assert service["runningCount"] <= limit, (
        f"ECS service {resource} runs {service['runningCount']} tasks against a scaling maximum of {scalable['MaxCapacity']}; "
        f"expected at most {limit:g} ({MAX_RUNNING_SHARE_OF_MAX:.0%} of the maximum)"
    )

    high = []
    for policy in inventory.autoscaling.target_tracking_policies():
        configuration = policy.get("TargetTrackingScalingPolicyConfiguration", {})
        metric = (configuration.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        custom = (configuration.get("CustomizedMetricSpecification") or {}).get("MetricName")
        if (metric in CPU_METRICS or custom == "CPUUtilization") and configuration.get("TargetValue", 0) > MAX_CPU_TARGET:
            high.append(f"{policy['PolicyName']} ({configuration['TargetValue']:g} %)")
    assert not high, f"CPU target-tracking policies of {resource} aim too high: {high}; expected a target of at most {MAX_CPU_TARGET:g} %"


@pytest.mark.criterion("APP-02")
def test_service_deployment_is_steady(inventory, outputs):
    service = _service(inventory, outputs)
    name = service["serviceName"]
    expected = service.get("taskDefinition")

    if (service.get("deploymentController") or {}).get("type") == "CODE_DEPLOY":
        sets = [(item.get("status"), item.get("stabilityStatus"), item.get("taskDefinition")) for item in service.get("taskSets", [])]
        assert sets == [("PRIMARY", "STEADY_STATE", expected)], (
            f"ECS service {name} has task sets {sets}; expected one PRIMARY task set in STEADY_STATE running {expected}"
        )
        return

    deployments = service.get("deployments", [])
    observed = [(item.get("status"), item.get("rolloutState"), item.get("taskDefinition")) for item in deployments]
    rolled_back = [f"{item['id']} ({item.get('rolloutState')}: {item.get('rolloutStateReason')})" for item in deployments
                   if item.get("rolloutState") == "FAILED" or any(word in (item.get("rolloutStateReason") or "").lower() for word in ROLLBACK_WORDS)]
    assert not rolled_back, f"ECS service {name} has failed or rolled-back deployments {rolled_back}; expected none"
    assert observed == [("PRIMARY", "COMPLETED", expected)], (
        f"ECS service {name} has deployments {observed}; expected one PRIMARY deployment, rollout COMPLETED, running {expected}"
    )

    stale = sorted({task["taskDefinitionArn"] for task in inventory.ecs.tasks if task.get("taskDefinitionArn") != expected})
    assert not stale, f"ECS service {name} has tasks running {stale}; expected every task to run {expected}"


@pytest.mark.criterion("APP-03")
def test_task_definition_is_hardened(inventory, outputs):
    service = _service(inventory, outputs)
    definition = inventory.ecs.task_definition(service["taskDefinition"])
    log_group = outputs["app_log_group_name"]

    offenders = []
    for container in definition.get("containerDefinitions", []):
        name = container["name"]
        if not (container.get("healthCheck") or {}).get("command"):
            offenders.append(f"container {name} has no health check")
        user = (container.get("user") or "").split(":")[0]
        if user in ROOT_USERS or not user:
            offenders.append(f"container {name} runs as user {container.get('user') or 'unset (root)'}")
        shipping = container.get("logConfiguration") or {}
        group = (shipping.get("options") or {}).get("awslogs-group")
        if shipping.get("logDriver") != "awslogs" or group != log_group:
            offenders.append(f"container {name} logs with driver {shipping.get('logDriver')} to group {group}")

    assert definition.get("containerDefinitions"), f"task definition {service['taskDefinition']} has no containers"
    assert not offenders, (
        f"task definition {definition['taskDefinitionArn']}: {'; '.join(offenders)}; expected every container to have a "
        f"health check, a non-root user and awslogs shipping to {log_group}"
    )


def _tag_is_immutable(repository: dict, tag: str) -> bool:
    """Tell whether ECR refuses to move a tag in a repository, given its mutability and exclusion filters."""
    mutability = repository.get("imageTagMutability", "MUTABLE")
    filters = [item.get("filter", "") for item in repository.get("imageTagMutabilityExclusionFilters") or []]
    excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in filters)
    if mutability == "IMMUTABLE":
        return True
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if mutability == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return False


@pytest.mark.criterion("CICD-03")
def test_images_pinned_or_immutable(inventory, outputs):
    _service(inventory, outputs)
    running = inventory.ecs.running_task_definition_arn()
    definition = inventory.ecs.task_definition(running)

    offenders = []
    for container in definition.get("containerDefinitions", []):
        image = container.get("image", "")
        if "@sha256:" in image:
            continue
        match = ECR_IMAGE.match(image)
        if match is None:
            offenders.append(f"{container['name']} uses {image}, neither pinned by digest nor from ECR")
            continue
        repository = inventory.ecr.repository_named(match["repository"], region=match["region"], registry_id=match["registry"])
        tag = match["tag"] or "latest"
        if repository is None:
            offenders.append(f"{container['name']} uses {image} from repository {match['repository']}, which was not found")
        elif not _tag_is_immutable(repository, tag):
            offenders.append(f"{container['name']} uses {image} by tag {tag} in repository {match['repository']} "
                             f"with {repository.get('imageTagMutability')} tags")

    assert not offenders, (
        f"running task definition {running}: {'; '.join(offenders)}; expected images pinned by @sha256 digest "
        "or taken from an ECR repository with immutable tags"
    )
