"""Twin extension: an ECS service scheduler whose tasks follow the desired count, as in AWS.

moto 5.2.5 starts no task for a service and never replaces a stopped one. It drops the deployment
configuration on create_service and moves a task towards STOPPED on every describe_tasks. This
module fixes those; ecs_limits.py adds ECS's page sizes and batch limits.

Settings read from BEHAVIOUR.settings["ecs"] on every change, for drills and drift profiles:
- "replace_stopped_tasks" (bool, default True): start a replacement when stop_task stops a task.
- "replacement_delay_seconds" (float, default 0): wait this long before starting the replacement.
- "fail_deployments" (bool, default False): tasks of the next deployments fail to start, so the
  circuit breaker fails the deployment and, with rollback on, returns to the previous revision.
- "scaling_delay_seconds" (float, default 0): after update_service changes only the desired count,
  wait this long before starting or stopping tasks, as a slowly converging service would.
- "reject_scale_in" (bool, default False): update_service calls that lower a desired count fail
  with AccessDeniedException, so a chaos experiment's scale-out works and its rollback does not.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from unittest import mock

from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.ecs.exceptions import ECSException
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import elbv2_backends
from moto.moto_api._internal import mock_random

from readiness.twin.context import BEHAVIOUR

log = logging.getLogger(__name__)

# The deployment configuration AWS sets when create_service has none.
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
FARGATE_PLATFORM_VERSION = "1.4.0"

# Attribute set on a moto Task: the service it belongs to, as "cluster:service".
SERVICE_KEY = "twin_service_key"

# moto serves requests on several threads, and delayed replacements run on timer threads.
_lock = threading.RLock()


def _settings() -> dict:
    return BEHAVIOUR.settings.get("ecs", {})


def _service_key(service) -> str:
    return f"{service.cluster_name}:{service.name}"


def _service_tasks(backend, service) -> list:
    """Return the service's tasks whose desired status is RUNNING."""
    key = _service_key(service)
    tasks = backend.tasks.get(service.cluster_name, {}).values()
    return [task for task in tasks if getattr(task, SERVICE_KEY, None) == key and task.desired_status == "RUNNING"]


def _subnets(service) -> list[str]:
    return (service.network_configuration or {}).get("awsvpcConfiguration", {}).get("subnets", [])


def _attachment_detail(task, name: str) -> str | None:
    """Return a detail of the task's network interface: privateIPv4Address, networkInterfaceId or subnetId."""
    for attachment in task.attachments:
        for detail in attachment["details"]:
            if detail["name"] == name:
                return detail["value"]
    return None


# Deployments ---------------------------------------------------------------------------------

def _new_deployment(service, task_definition: str) -> dict:
    deployment_id = f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
    now = utcnow()
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": FARGATE_PLATFORM_VERSION if service.launch_type == "FARGATE" else None,
        "platformFamily": "Linux",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }


def _primary(service) -> dict | None:
    return next((deployment for deployment in service.deployments if deployment["status"] == "PRIMARY"), None)


def _add_event(service, message: str) -> None:
    # AWS lists a service's events newest first.
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": utcnow(),
                              "message": f"(service {service.name}) {message}"})


def _deploy(backend, service, previous_definition: str | None) -> None:
    """Start a deployment of the service's task definition, or fail it when the settings request failures."""
    previous = _primary(service)
    deployment = _new_deployment(service, service.task_definition)

    if not _settings().get("fail_deployments") or previous is None:
        # NOTE: every task is replaced at once, because maximumPercent and minimumHealthyPercent are not modelled.
        for task in _service_tasks(backend, service):
            _stop(backend, task, f"Task replaced by deployment {deployment['id']}", "ServiceSchedulerInitiated")
        service.deployments = [deployment]
        return

    deployment["failedTasks"] = service.desired_count
    breaker = (getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
    previous["status"] = "ACTIVE"
    if not breaker.get("enable"):
        # Without the circuit breaker ECS keeps retrying and the deployment never completes.
        service.deployments = [deployment, previous]
        _add_event(service, f"deployment {deployment['id']} has tasks that failed to start.")
        return

    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
    _add_event(service, f"deployment {deployment['id']} deployment failed: tasks failed to start.")
    if not breaker.get("rollback"):
        service.deployments = [deployment, previous]
        return

    # The rollback is a new PRIMARY deployment of the last completed revision, and the failed one
    # stays ACTIVE. The previous revision's tasks never stopped, so the rollback completes at once.
    rollback = _new_deployment(service, previous_definition or previous["taskDefinition"])
    rollback["rolloutState"] = "COMPLETED"
    rollback["rolloutStateReason"] = f"ECS deployment circuit breaker: rolling back to deploymentId {previous['id']}."
    deployment["status"] = "ACTIVE"
    service.task_definition = rollback["taskDefinition"]
    service.deployments = [rollback, deployment]
    _add_event(service, f"rolling back to deployment {previous['id']}.")


# Tasks ---------------------------------------------------------------------------------------

def _start(backend, service, subnet: str) -> None:
    """Start one Fargate task of the service in a subnet and register it with its target groups."""
    primary = _primary(service)
    awsvpc = (service.network_configuration or {}).get("awsvpcConfiguration", {})
    network = {"awsvpcConfiguration": {**awsvpc, "subnets": [subnet], "securityGroups": awsvpc.get("securityGroups", [])}}
    try:
        task = backend.run_task(
            service.cluster_name, service.task_definition, 1, None, primary["id"] if primary else "",
            None, "FARGATE", network, f"service:{service.name}", FARGATE_PLATFORM_VERSION,
        )[0]
    except Exception as error:  # noqa: BLE001 - moto raises bare Exceptions for placement errors
        # AWS keeps the service and counts failed tasks, and so does the twin.
        log.warning("twin ECS scheduler failed to start a task of service %s: %s", service.name, error)
        if primary is not None:
            primary["failedTasks"] += 1
        return

    now = utcnow()
    setattr(task, SERVICE_KEY, _service_key(service))
    task.availability_zone = ec2_backends[backend.account_id][backend.region_name].get_subnet(subnet).availability_zone
    task.health_status = "HEALTHY"
    task.connectivity = "CONNECTED"
    task.created_at = task.started_at = task.connectivity_at = now
    task.platform_family = "Linux"
    for container in task.containers:
        container.last_status = "RUNNING"
        container.health_status = "HEALTHY"

    ip = _attachment_detail(task, "privateIPv4Address")
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for balancer in service.load_balancers:
        if balancer.get("targetGroupArn") and ip:
            try:
                elbv2.register_targets(balancer["targetGroupArn"], [{"Id": ip, "Port": balancer.get("containerPort")}])
            except ELBClientError as error:
                log.warning("twin ECS scheduler failed to register target %s in %s: %s", ip, balancer["targetGroupArn"], error)


def _release(backend, task) -> None:
    """Deregister a stopped task from its service's target groups and delete its network interface."""
    service = backend.services.get(getattr(task, SERVICE_KEY, ""))
    ip = _attachment_detail(task, "privateIPv4Address")
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for balancer in service.load_balancers if service else []:
        if balancer.get("targetGroupArn") and ip:
            try:
                elbv2.deregister_targets(balancer["targetGroupArn"], [{"Id": ip}])
            except ELBClientError:
                pass  # already deregistered, or the target group was deleted

    eni = _attachment_detail(task, "networkInterfaceId")
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    if eni and eni in ec2.enis:
        ec2.delete_network_interface(eni)
    task.stopped_at = task.execution_stopped_at = utcnow()
    for container in task.containers:
        container.last_status = "STOPPED"


def _stop(backend, task, reason: str, stop_code: str) -> None:
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = stop_code
    _release(backend, task)


def reconcile(backend, service) -> None:
    """Start or stop tasks until the service runs its desired count, spread over its subnets."""
    with _lock:
        desired = service.desired_count if service.status == "ACTIVE" else 0
        running = _service_tasks(backend, service)
        per_subnet = {subnet: [] for subnet in _subnets(service)}
        for task in running:
            per_subnet.setdefault(_attachment_detail(task, "subnetId"), []).append(task)

        # Scale in from the most crowded subnet, scale out into the emptiest, so AZs stay balanced.
        primary = _primary(service)
        reason = f"Scaling activity initiated by (deployment {primary['id'] if primary else 'none'})"
        for _ in range(len(running) - desired):
            crowded = max(per_subnet, key=lambda subnet: len(per_subnet[subnet]))
            _stop(backend, per_subnet[crowded].pop(), reason, "ServiceSchedulerInitiated")
        for _ in range(desired - len(running)):
            if not per_subnet:
                break
            emptiest = min(_subnets(service), key=lambda subnet: len(per_subnet[subnet]))
            _start(backend, service, emptiest)
            per_subnet[emptiest].append(None)

        _refresh(backend, service)


def _refresh(backend, service) -> None:
    """Set the service's, its deployments' and its cluster's counts from the tasks that exist."""
    running = _service_tasks(backend, service)
    service.running_count = len(running)
    service.pending_count = 0
    for deployment in service.deployments:
        deployment["runningCount"] = sum(1 for task in running if task.task_definition_arn == deployment["taskDefinition"])
        deployment["desiredCount"] = service.desired_count if deployment["status"] == "PRIMARY" else 0
        deployment["updatedAt"] = utcnow()

    primary = _primary(service)
    steady = primary is not None and primary["runningCount"] >= service.desired_count
    if steady and primary["rolloutState"] == "IN_PROGRESS" and not primary["failedTasks"]:
        primary["rolloutState"] = "COMPLETED"
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
        _add_event(service, "has reached a steady state.")

    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        cluster_tasks = backend.tasks.get(cluster.name, {}).values()
        cluster.running_tasks_count = sum(1 for task in cluster_tasks if task.desired_status == "RUNNING")
        cluster.pending_tasks_count = 0
        cluster.active_services_count = sum(
            1 for other in backend.services.values() if other.cluster_name == cluster.name and other.status == "ACTIVE"
        )


def _replace_later(backend, service) -> None:
    """Start a replacement for a stopped task now, after the configured delay, or never."""
    settings = _settings()
    if not settings.get("replace_stopped_tasks", True):
        return
    _reconcile_after(backend, service, float(settings.get("replacement_delay_seconds", 0)))


def _reconcile_after(backend, service, delay: float) -> None:
    """Reconcile the service now, or on a timer thread after delay seconds if it still exists then."""
    if delay <= 0:
        reconcile(backend, service)
        return

    def run() -> None:
        if backend.services.get(_service_key(service)) is service:
            reconcile(backend, service)

    timer = threading.Timer(delay, run)
    timer.daemon = True
    timer.start()


def _reject_scale_in(backend, service_properties: dict) -> None:
    """Raise AccessDeniedException when the settings reject a request that lowers a desired count."""
    desired = service_properties.get("desired_count")
    if not _settings().get("reject_scale_in") or desired is None:
        return
    cluster = service_properties.get("cluster", "default")
    service = backend._get_service(cluster, service_properties["service"].split("/")[-1])
    if desired < service.desired_count:
        raise ECSException(
            "AccessDeniedException",
            f"User: arn:aws:iam::{backend.account_id}:user/readiness-runner is not authorized to perform: "
            f"ecs:UpdateService on resource: {service.arn} because no identity-based policy allows lowering "
            f"its desired count from {service.desired_count} to {desired}",
        )


# Backend wrappers ----------------------------------------------------------------------------

def _wrap_backend() -> None:
    create_service = EC2ContainerServiceBackend.create_service
    update_service = EC2ContainerServiceBackend.update_service
    delete_service = EC2ContainerServiceBackend.delete_service
    stop_task = EC2ContainerServiceBackend.stop_task
    advance = Task.advance

    def create(self, *args, **kwargs):
        service = create_service(self, *args, **kwargs)
        with _lock:
            service.deployment_configuration = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
            if service.deployment_controller.get("type", "ECS") == "ECS":
                service.deployments = [_new_deployment(service, service.task_definition)]
            reconcile(self, service)
        return service

    def update(self, service_properties: dict):
        _reject_scale_in(self, service_properties)
        before = self._get_service(service_properties.get("cluster", "default"), service_properties["service"].split("/")[-1])
        previous = (before.task_definition, json.dumps(before.network_configuration, sort_keys=True, default=str),
                    json.dumps(before.load_balancers, sort_keys=True, default=str), before.platform_version)
        previous_desired = before.desired_count
        force = bool(service_properties.get("force_new_deployment"))

        service = update_service(self, service_properties)
        with _lock:
            # moto stores the task definition as given, which may be "family" or "family:revision".
            if service.task_definition:
                service.task_definition = self.describe_task_definition(service.task_definition).arn
            current = (service.task_definition, json.dumps(service.network_configuration, sort_keys=True, default=str),
                       json.dumps(service.load_balancers, sort_keys=True, default=str), service.platform_version)
            deploying = (force or current != previous) and service.deployment_controller.get("type", "ECS") == "ECS"
            if deploying:
                _deploy(self, service, previous[0])

            delay = float(_settings().get("scaling_delay_seconds", 0))
            if not deploying and service.desired_count != previous_desired and delay > 0:
                # moto's update_service sets running = desired; the counts must follow the tasks.
                _refresh(self, service)
                _reconcile_after(self, service, delay)
            else:
                reconcile(self, service)
        return service

    def delete(self, cluster_name: str, service_name: str, force: bool):
        service = delete_service(self, cluster_name, service_name, force)
        with _lock:
            service.desired_count = 0
            reconcile(self, service)
        return service

    def stop(self, cluster_str: str, task_str: str, reason: str):
        task = stop_task(self, cluster_str, task_str, reason)
        service = self.services.get(getattr(task, SERVICE_KEY, ""))
        if service is not None:
            with _lock:
                task.stop_code = "UserInitiated"
                _release(self, task)
                _refresh(self, service)
            _replace_later(self, service)
        return task

    def advance_unless_scheduled(self) -> None:
        # Tasks of a service run until something stops them, however often they are described.
        if getattr(self, SERVICE_KEY, None) and self.desired_status == "RUNNING":
            return
        advance(self)

    mock.patch.object(EC2ContainerServiceBackend, "create_service", create).start()
    mock.patch.object(EC2ContainerServiceBackend, "update_service", update).start()
    mock.patch.object(EC2ContainerServiceBackend, "delete_service", delete).start()
    mock.patch.object(EC2ContainerServiceBackend, "stop_task", stop).start()
    mock.patch.object(Task, "advance", advance_unless_scheduled).start()


# Response wrapper: the settings moto drops on create_service ----------------------------------

def _wrap_create_response() -> None:
    create_service = EC2ContainerServiceResponse.create_service

    def create(self):
        result = create_service(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        configuration = self._get_param("deploymentConfiguration")
        if configuration:
            service.deployment_configuration = {**DEFAULT_DEPLOYMENT_CONFIGURATION, **configuration}
        for parameter, attribute in (("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
                                     ("enableECSManagedTags", "enable_ecs_managed_tags"),
                                     ("enableExecuteCommand", "enable_execute_command")):
            if self._get_param(parameter) is not None:
                setattr(service, attribute, self._get_param(parameter))
        return result

    mock.patch.object(EC2ContainerServiceResponse, "create_service", create).start()


def install() -> None:
    """Patch moto's ECS backend and create_service response once per process."""
    _wrap_backend()
    _wrap_create_response()
