"""Observations of the service under experiment: its tasks and deployments, targets, alarms and health endpoint.

Every read is fresh, unlike the session-cached inventory, because an experiment watches the
service change from one poll to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import botocore.exceptions

from readiness.chaos.scope import Clients, Scope, read
from readiness.errors import Unverifiable
from readiness.inventory.base import batched, classify_error
from readiness.probe import ProbeResult, probe

# DescribeTasks takes at most 100 tasks per call.
DESCRIBE_TASKS_BATCH = 100
# A draining target is leaving on purpose (a stopped or scaled-in task) and is neither healthy nor a fault.
LEAVING_TARGET_STATES = {"draining"}


@dataclass
class Capacity:
    """The service's application auto-scaling bounds for its desired count."""

    minimum: int
    maximum: int


@dataclass
class ServiceState:
    """One observation of the service and what surrounds it."""

    scope: Scope
    status: str
    desired: int
    # Tasks whose desired and last status are RUNNING, as DescribeTasks returns them.
    tasks: list[dict]
    deployments: list[dict]
    # Target id to health state, over the scope's target groups.
    targets: dict[str, str]
    # Alarm name to its state, or None when no alarm has that name.
    alarms: dict[str, str | None] = field(default_factory=dict)
    health: ProbeResult | None = None

    @property
    def running(self) -> int:
        return len(self.tasks)

    @property
    def task_arns(self) -> list[str]:
        return [task["taskArn"] for task in self.tasks]

    @property
    def healthy_targets(self) -> int:
        return sum(1 for state in self.targets.values() if state == "healthy")

    def firing_alarms(self) -> list[str]:
        return sorted(name for name, state in self.alarms.items() if state == "ALARM")

    def missing_alarms(self) -> list[str]:
        return sorted(name for name, state in self.alarms.items() if state is None)

    def convergence_problems(self, desired: int | None = None) -> list[str]:
        """Return why the service does not run `desired` healthy tasks (default: its desired count) yet."""
        desired = self.desired if desired is None else desired
        problems = []
        if self.status != "ACTIVE":
            problems.append(f"service {self.scope.label} is {self.status}, expected ACTIVE")
        if self.desired != desired:
            problems.append(f"service {self.scope.label} wants {self.desired} tasks, expected {desired}")
        if self.running != desired:
            problems.append(f"service {self.scope.label} runs {self.running} tasks, expected {desired}")

        rolling = [deployment for deployment in self.deployments
                   if deployment.get("status") != "PRIMARY" or deployment.get("rolloutState") == "IN_PROGRESS"]
        if rolling:
            listing = ", ".join(f"{item.get('status')} {item.get('rolloutState', '')}".strip() for item in self.deployments)
            problems.append(f"service {self.scope.label} has a deployment in progress ({listing}), expected one completed PRIMARY deployment")

        unhealthy = sorted(f"{target} {state}" for target, state in self.targets.items()
                           if state != "healthy" and state not in LEAVING_TARGET_STATES)
        if unhealthy:
            problems.append(f"targets not healthy: {', '.join(unhealthy)}")
        if self.healthy_targets < desired:
            problems.append(f"{self.healthy_targets} healthy targets, expected at least {desired}")
        return problems

    def health_problems(self) -> list[str]:
        """Return why the health endpoint's last probe was not all HTTP 2xx; empty when it was not probed."""
        if self.health is None:
            return []
        bad = [status for status in self.health.statuses if status is None or not 200 <= status < 300]
        if not bad:
            return []
        errors = "; ".join(sorted({error for error in self.health.errors if error})) or "no transport error"
        return [f"health endpoint {self.health.url} answered {len(bad)} of {self.health.sent} requests with "
                f"{sorted({str(status) for status in bad})} ({errors}), expected HTTP 200"]

    def alarm_problems(self) -> list[str]:
        problems = []
        if self.missing_alarms():
            problems.append(f"stop-condition alarms {', '.join(self.missing_alarms())} do not exist")
        if self.firing_alarms():
            problems.append(f"stop-condition alarms {', '.join(self.firing_alarms())} are in ALARM")
        return problems

    def steady_state_problems(self) -> list[str]:
        """Return everything that keeps the service from its steady state; empty when it holds."""
        return self.convergence_problems() + self.alarm_problems() + self.health_problems()


def target_group_arns(clients: Clients, scope: Scope, service: dict) -> list[str]:
    """Return the scope's target group, else the target groups of the service's load balancers."""
    if scope.target_group_arn:
        return [scope.target_group_arn]
    return [balancer["targetGroupArn"] for balancer in service.get("loadBalancers", []) if balancer.get("targetGroupArn")]


def describe_service(clients: Clients, scope: Scope) -> dict:
    """Return DescribeServices' entry for the scope's service; raise Unverifiable if it does not exist."""
    response = read(clients, "ecs", "describe_services", cluster=scope.cluster, services=[scope.service])
    services = response.get("services", [])
    if not services:
        failures = "; ".join(f"{item.get('arn')}: {item.get('reason')}" for item in response.get("failures", []))
        raise Unverifiable(f"ECS service {scope.label} was not found ({failures or 'no failure reason'})")
    return services[0]


def running_tasks(clients: Clients, scope: Scope) -> list[dict]:
    """Return the service's tasks whose desired and last status are RUNNING."""
    ecs = clients("ecs")
    arns: list[str] = []
    try:
        for page in ecs.get_paginator("list_tasks").paginate(cluster=scope.cluster, serviceName=scope.service,
                                                              desiredStatus="RUNNING"):
            arns.extend(page.get("taskArns", []))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise Unverifiable(classify_error(error, "ecs list_tasks", "ecs").describe()) from error

    tasks = []
    for batch in batched(arns, DESCRIBE_TASKS_BATCH):
        tasks.extend(read(clients, "ecs", "describe_tasks", cluster=scope.cluster, tasks=batch).get("tasks", []))
    return [task for task in tasks if task.get("lastStatus") == "RUNNING" and task.get("desiredStatus") == "RUNNING"]


def alarm_states(clients: Clients, names: list[str]) -> dict[str, str | None]:
    """Return each named metric alarm's state, None for a name with no alarm."""
    states: dict[str, str | None] = {name: None for name in names}
    # DescribeAlarms takes at most 100 alarm names per call.
    for batch in batched(sorted(set(names)), 100):
        for alarm in read(clients, "cloudwatch", "describe_alarms", AlarmNames=batch).get("MetricAlarms", []):
            states[alarm["AlarmName"]] = alarm.get("StateValue")
    return states


def read_capacity(clients: Clients, scope: Scope) -> Capacity | None:
    """Return the service's scalable target bounds, or None when it has no scalable target."""
    resource_id = f"service/{scope.cluster}/{scope.service}"
    targets = read(clients, "application-autoscaling", "describe_scalable_targets", ServiceNamespace="ecs",
                   ResourceIds=[resource_id], ScalableDimension="ecs:service:DesiredCount").get("ScalableTargets", [])
    if not targets:
        return None
    return Capacity(int(targets[0]["MinCapacity"]), int(targets[0]["MaxCapacity"]))


def read_state(clients: Clients, scope: Scope, alarm_names: list[str] = (), probe_requests: int = 0,
               probe_timeout_s: float = 5.0) -> ServiceState:
    """Observe the service once; probe the health endpoint only when probe_requests > 0."""
    service = describe_service(clients, scope)
    targets: dict[str, str] = {}
    for group_arn in target_group_arns(clients, scope, service):
        descriptions = read(clients, "elbv2", "describe_target_health", TargetGroupArn=group_arn)["TargetHealthDescriptions"]
        for description in descriptions:
            targets[description["Target"]["Id"]] = description["TargetHealth"]["State"]

    health = None
    if probe_requests and scope.health_url:
        health = probe(scope.health_url, probe_requests, probe_timeout_s, budget_s=probe_requests * probe_timeout_s)

    return ServiceState(
        scope=scope,
        status=service.get("status", ""),
        desired=int(service.get("desiredCount", 0)),
        tasks=running_tasks(clients, scope),
        deployments=service.get("deployments", []),
        targets=targets,
        alarms=alarm_states(clients, list(alarm_names)) if alarm_names else {},
        health=health,
    )
