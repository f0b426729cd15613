"""The twin's ECS scheduler and API limits, and the ECS collector, called over HTTP as boto3 calls AWS."""

from __future__ import annotations

import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest

from readiness.inventory import Inventory
from readiness.target import TWIN_CREDENTIALS, Target
from readiness.terraform import Outputs
from readiness.twin.context import BEHAVIOUR


def client(twin, service: str):
    return boto3.session.Session(**TWIN_CREDENTIALS).client(
        service, region_name=twin.region, endpoint_url=twin.endpoint_url,
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def stack(twin):
    """The shared twin with the reference stack; reseeded afterwards, because these tests add services."""
    twin.reseed()
    ecs = client(twin, "ecs")
    service = ecs.describe_services(cluster=twin.outputs["ecs_cluster_name"], services=[twin.outputs["ecs_service_name"]])["services"][0]
    yield {"twin": twin, "reference": service}
    twin.reseed()


@pytest.fixture
def ecs_settings():
    """The scheduler's behaviour settings, emptied after each test."""
    settings = BEHAVIOUR.settings.setdefault("ecs", {})
    yield settings
    settings.clear()


def new_service(stack, desired: int = 2, subnets: list[str] | None = None, target_group: bool = True) -> tuple[str, str]:
    """Create a cluster with one service like the reference service and return (cluster, service)."""
    twin, reference = stack["twin"], stack["reference"]
    ecs = client(twin, "ecs")
    cluster = f"scheduler-{uuid.uuid4().hex[:8]}"
    ecs.create_cluster(clusterName=cluster)

    awsvpc = dict(reference["networkConfiguration"]["awsvpcConfiguration"])
    if subnets is not None:
        awsvpc["subnets"] = subnets
    balancers = []
    if target_group:
        group_arn = client(twin, "elbv2").create_target_group(
            Name=cluster, Protocol="HTTP", Port=8080, VpcId=twin.outputs["vpc_id"], TargetType="ip", HealthCheckPath="/health",
        )["TargetGroups"][0]["TargetGroupArn"]
        balancers = [{"targetGroupArn": group_arn, "containerName": "app", "containerPort": 8080}]
    ecs.create_service(
        cluster=cluster, serviceName="web", taskDefinition=reference["taskDefinition"], desiredCount=desired,
        launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": awsvpc}, loadBalancers=balancers,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    return cluster, "web"


def describe(stack, cluster: str, service: str = "web") -> dict:
    return client(stack["twin"], "ecs").describe_services(cluster=cluster, services=[service])["services"][0]


def running_tasks(stack, cluster: str, service: str = "web") -> list[dict]:
    ecs = client(stack["twin"], "ecs")
    arns = ecs.list_tasks(cluster=cluster, serviceName=service)["taskArns"]
    return ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []


def target_states(stack, cluster: str) -> dict[str, str]:
    group_arn = describe(stack, cluster)["loadBalancers"][0]["targetGroupArn"]
    health = client(stack["twin"], "elbv2").describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"]
    return {item["Target"]["Id"]: item["TargetHealth"]["State"] for item in health}


def task_ip(task: dict) -> str:
    details = {item["name"]: item["value"] for item in task["attachments"][0]["details"]}
    return details["privateIPv4Address"]


def wait_for_running(stack, cluster: str, count: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = describe(stack, cluster)["runningCount"]
        if running == count:
            return running
        time.sleep(0.1)
    return describe(stack, cluster)["runningCount"]


def test_reference_service_runs_its_desired_count(stack):
    service = stack["reference"]
    tasks = running_tasks(stack, stack["twin"].outputs["ecs_cluster_name"], service["serviceName"])

    assert service["runningCount"] == service["desiredCount"] == 2
    assert service["pendingCount"] == 0
    assert len(tasks) == 2
    assert len({task["availabilityZone"] for task in tasks}) == 2


def test_tasks_spread_round_robin_over_subnets(stack):
    cluster, _ = new_service(stack, desired=5)

    tasks = running_tasks(stack, cluster)
    zones = sorted(task["availabilityZone"] for task in tasks)

    assert len(tasks) == 5
    assert sorted(zones.count(zone) for zone in set(zones)) == [1, 2, 2]


def test_tasks_register_healthy_targets(stack):
    cluster, _ = new_service(stack)

    tasks = running_tasks(stack, cluster)

    assert target_states(stack, cluster) == {task_ip(task): "healthy" for task in tasks}


def test_describe_tasks_keeps_tasks_running(stack):
    cluster, _ = new_service(stack)

    for _ in range(6):
        tasks = running_tasks(stack, cluster)

    assert [task["lastStatus"] for task in tasks] == ["RUNNING", "RUNNING"]
    assert all(task["group"] == "service:web" for task in tasks)
    assert all(task["startedBy"].startswith("ecs-svc/") for task in tasks)


def test_stopped_task_is_replaced_at_once(stack, ecs_settings):
    cluster, _ = new_service(stack)
    ecs = client(stack["twin"], "ecs")
    stopped = running_tasks(stack, cluster)[0]

    ecs.stop_task(cluster=cluster, task=stopped["taskArn"], reason="chaos drill")

    tasks = running_tasks(stack, cluster)
    assert describe(stack, cluster)["runningCount"] == 2
    assert stopped["taskArn"] not in [task["taskArn"] for task in tasks]
    assert task_ip(stopped) not in target_states(stack, cluster)
    assert len({task["availabilityZone"] for task in tasks}) == 2


def test_stopped_task_is_listed_as_stopped(stack, ecs_settings):
    cluster, _ = new_service(stack)
    ecs = client(stack["twin"], "ecs")
    stopped = running_tasks(stack, cluster)[0]

    ecs.stop_task(cluster=cluster, task=stopped["taskArn"], reason="chaos drill")

    listed = ecs.list_tasks(cluster=cluster, serviceName="web", desiredStatus="STOPPED")["taskArns"]
    described = ecs.describe_tasks(cluster=cluster, tasks=listed)["tasks"]
    assert listed == [stopped["taskArn"]]
    assert described[0]["lastStatus"] == "STOPPED"
    assert described[0]["stoppedReason"] == "chaos drill"
    assert described[0]["stopCode"] == "UserInitiated"


def test_replacement_waits_for_configured_delay(stack, ecs_settings):
    cluster, _ = new_service(stack)
    # A delay well above a loaded machine's request latency keeps the first read inside the window.
    ecs_settings["replacement_delay_seconds"] = 3

    client(stack["twin"], "ecs").stop_task(cluster=cluster, task=running_tasks(stack, cluster)[0]["taskArn"], reason="drill")

    assert describe(stack, cluster)["runningCount"] == 1
    assert wait_for_running(stack, cluster, 2, timeout=10) == 2


def test_replacement_can_be_switched_off(stack, ecs_settings):
    cluster, _ = new_service(stack)
    ecs_settings["replace_stopped_tasks"] = False

    client(stack["twin"], "ecs").stop_task(cluster=cluster, task=running_tasks(stack, cluster)[0]["taskArn"], reason="drill")

    service = describe(stack, cluster)
    assert service["runningCount"] == 1
    assert service["desiredCount"] == 2
    assert len(target_states(stack, cluster)) == 1


def test_desired_count_change_converges(stack):
    cluster, _ = new_service(stack)
    ecs = client(stack["twin"], "ecs")

    ecs.update_service(cluster=cluster, service="web", desiredCount=6)
    scaled_out = describe(stack, cluster)
    ecs.update_service(cluster=cluster, service="web", desiredCount=3)
    scaled_in = running_tasks(stack, cluster)

    assert scaled_out["runningCount"] == 6
    assert len(target_states(stack, cluster)) == 3
    assert len(scaled_in) == 3
    assert len({task["availabilityZone"] for task in scaled_in}) == 3


def test_service_reports_one_completed_deployment(stack):
    cluster, _ = new_service(stack)

    service = describe(stack, cluster)

    assert [(item["status"], item["rolloutState"], item["taskDefinition"]) for item in service["deployments"]] == [
        ("PRIMARY", "COMPLETED", stack["reference"]["taskDefinition"])]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def new_revision(stack) -> str:
    ecs = client(stack["twin"], "ecs")
    current = ecs.describe_task_definition(taskDefinition=stack["reference"]["taskDefinition"])["taskDefinition"]
    return ecs.register_task_definition(
        family=f"scheduler-{uuid.uuid4().hex[:8]}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu=current["cpu"], memory=current["memory"], containerDefinitions=current["containerDefinitions"],
    )["taskDefinition"]["taskDefinitionArn"]


def test_new_task_definition_replaces_tasks(stack):
    cluster, _ = new_service(stack)
    old_tasks = {task["taskArn"] for task in running_tasks(stack, cluster)}
    revision = new_revision(stack)

    client(stack["twin"], "ecs").update_service(cluster=cluster, service="web", taskDefinition=revision)

    service = describe(stack, cluster)
    tasks = running_tasks(stack, cluster)
    assert [(item["status"], item["rolloutState"], item["taskDefinition"]) for item in service["deployments"]] == [
        ("PRIMARY", "COMPLETED", revision)]
    assert {task["taskDefinitionArn"] for task in tasks} == {revision}
    assert old_tasks.isdisjoint(task["taskArn"] for task in tasks)
    assert len(target_states(stack, cluster)) == 2


def test_failed_deployment_rolls_back(stack, ecs_settings):
    cluster, _ = new_service(stack)
    ecs_settings["fail_deployments"] = True

    client(stack["twin"], "ecs").update_service(cluster=cluster, service="web", taskDefinition=new_revision(stack))

    service = describe(stack, cluster)
    primary, failed = service["deployments"]
    assert service["taskDefinition"] == stack["reference"]["taskDefinition"]
    assert (primary["status"], primary["rolloutState"], primary["taskDefinition"]) == (
        "PRIMARY", "COMPLETED", stack["reference"]["taskDefinition"])
    assert "rolling back" in primary["rolloutStateReason"]
    assert (failed["status"], failed["rolloutState"]) == ("ACTIVE", "FAILED")
    assert service["runningCount"] == 2


def test_failed_deployment_without_breaker_stays_in_progress(stack, ecs_settings):
    cluster, _ = new_service(stack)
    ecs = client(stack["twin"], "ecs")
    ecs.update_service(cluster=cluster, service="web",
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}})
    ecs_settings["fail_deployments"] = True
    revision = new_revision(stack)

    ecs.update_service(cluster=cluster, service="web", taskDefinition=revision)

    deployments = describe(stack, cluster)["deployments"]
    assert [(item["status"], item["rolloutState"], item["taskDefinition"]) for item in deployments] == [
        ("PRIMARY", "IN_PROGRESS", revision), ("ACTIVE", "COMPLETED", stack["reference"]["taskDefinition"])]


def test_deleted_service_stops_its_tasks(stack):
    cluster, _ = new_service(stack)
    ecs = client(stack["twin"], "ecs")

    ecs.delete_service(cluster=cluster, service="web", force=True)

    assert ecs.list_tasks(cluster=cluster, serviceName="web")["taskArns"] == []
    assert target_states(stack, cluster) == {}


def test_unhealthy_targets_setting(stack):
    cluster, _ = new_service(stack, desired=3)
    group_arn = describe(stack, cluster)["loadBalancers"][0]["targetGroupArn"]
    BEHAVIOUR.settings.setdefault("elbv2", {}).setdefault("unhealthy_targets", {})[group_arn] = 1
    try:
        states = sorted(target_states(stack, cluster).values())
    finally:
        BEHAVIOUR.settings["elbv2"]["unhealthy_targets"].pop(group_arn)

    assert states == ["healthy", "healthy", "unhealthy"]


@pytest.fixture(scope="module")
def crowded_cluster(stack):
    """A cluster with 15 services, more than one page of list_services and one describe_services batch."""
    ecs = client(stack["twin"], "ecs")
    ecs.create_cluster(clusterName="crowded")
    for index in range(15):
        ecs.create_service(cluster="crowded", serviceName=f"worker-{index:02d}", taskDefinition=stack["reference"]["taskDefinition"],
                           desiredCount=0, launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": stack["reference"]["networkConfiguration"]["awsvpcConfiguration"]})
    return "crowded"


def test_list_services_pages_by_ten(stack, crowded_cluster):
    ecs = client(stack["twin"], "ecs")

    first = ecs.list_services(cluster=crowded_cluster)
    second = ecs.list_services(cluster=crowded_cluster, nextToken=first["nextToken"])
    small = ecs.list_services(cluster=crowded_cluster, maxResults=4)

    assert len(first["serviceArns"]) == 10
    assert len(second["serviceArns"]) == 5
    assert "nextToken" not in second
    assert len(small["serviceArns"]) == 4


def test_list_services_rejects_bad_max_results(stack, crowded_cluster):
    with pytest.raises(botocore.exceptions.ClientError) as error:
        client(stack["twin"], "ecs").list_services(cluster=crowded_cluster, maxResults=101)

    assert error.value.response["Error"]["Code"] == "InvalidParameterException"


def test_describe_services_rejects_eleven_names(stack, crowded_cluster):
    names = [f"worker-{index:02d}" for index in range(11)]

    with pytest.raises(botocore.exceptions.ClientError) as error:
        client(stack["twin"], "ecs").describe_services(cluster=crowded_cluster, services=names)

    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "at most 10" in error.value.response["Error"]["Message"]


def test_collector_reads_every_service(stack, crowded_cluster):
    twin = stack["twin"]
    target = Target(name="endpoint", region=twin.region, backup_region=twin.backup_region, endpoint_url=twin.endpoint_url)
    inventory = Inventory(target, Outputs({"ecs_cluster_name": crowded_cluster, "ecs_service_name": "worker-14"}, "test outputs"))

    services = inventory.ecs.services

    assert sorted(service["serviceName"] for service in services) == [f"worker-{index:02d}" for index in range(15)]
    assert inventory.ecs.app_service["serviceName"] == "worker-14"
    assert target.calls.counts["ecs:ListServices"] == 2
    assert target.calls.counts["ecs:DescribeServices"] == 2
