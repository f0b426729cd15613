"""The ECS scheduler settings the chaos profiles use: a scaling delay, and rejected scale-in."""

import time

import botocore.exceptions
import pytest

from readiness.twin.context import BEHAVIOUR


@pytest.fixture
def ecs_settings(reference):
    settings = BEHAVIOUR.settings.setdefault("ecs", {})
    yield settings
    settings.clear()
    reference.reseed()


def running(twin_clients) -> int:
    return len(twin_clients("ecs").list_tasks(cluster="app", serviceName="app")["taskArns"])


def test_scaling_delay_defers_new_tasks(twin_clients, ecs_settings):
    ecs_settings["scaling_delay_seconds"] = 0.5

    service = twin_clients("ecs").update_service(cluster="app", service="app", desiredCount=3)["service"]

    assert service["runningCount"] == 2
    assert running(twin_clients) == 2
    time.sleep(1.0)
    assert running(twin_clients) == 3


def test_scaling_delay_leaves_deployments_at_once(twin_clients, ecs_settings):
    ecs_settings["scaling_delay_seconds"] = 5
    ecs = twin_clients("ecs")
    definition = ecs.describe_services(cluster="app", services=["app"])["services"][0]["taskDefinition"]
    before = set(ecs.list_tasks(cluster="app", serviceName="app")["taskArns"])

    ecs.update_service(cluster="app", service="app", taskDefinition=definition, forceNewDeployment=True)

    after = set(ecs.list_tasks(cluster="app", serviceName="app")["taskArns"])
    assert len(after) == 2
    assert not before & after


def test_rejected_scale_in_allows_scale_out(twin_clients, ecs_settings):
    ecs_settings["reject_scale_in"] = True
    ecs = twin_clients("ecs")

    ecs.update_service(cluster="app", service="app", desiredCount=3)
    with pytest.raises(botocore.exceptions.ClientError, match="AccessDeniedException.*lowering its desired count from 3 to 2"):
        ecs.update_service(cluster="app", service="app", desiredCount=2)

    assert ecs.describe_services(cluster="app", services=["app"])["services"][0]["desiredCount"] == 3
