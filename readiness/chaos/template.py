"""The FIS latency template: reading it, its stop-condition alarms, and whether it stays inside the scope."""

from __future__ import annotations

from readiness.chaos.scope import Clients, Scope, read

LATENCY_ACTION = "aws:ecs:task-network-latency"
ECS_TASK = "aws:ecs:task"
ALARM_SOURCE = "aws:cloudwatch:alarm"


def read_template(clients: Clients, template_id: str) -> dict:
    """Return GetExperimentTemplate's template."""
    return read(clients, "fis", "get_experiment_template", id=template_id)["experimentTemplate"]


def alarm_name(arn: str) -> str:
    """Return the alarm name of a CloudWatch alarm ARN (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)."""
    return arn.split(":alarm:", 1)[-1]


def stop_alarm_names(template: dict) -> list[str]:
    """Return the names of the alarms the template's stop conditions watch."""
    return [alarm_name(condition["value"]) for condition in template.get("stopConditions", [])
            if condition.get("source") == ALARM_SOURCE and condition.get("value")]


def latency_delay_ms(template: dict) -> float:
    """Return the largest delayMilliseconds of the template's latency actions, 0 when it has none."""
    delays = [float((action.get("parameters") or {}).get("delayMilliseconds", 0))
              for action in template.get("actions", {}).values() if action.get("actionId") == LATENCY_ACTION]
    return max(delays, default=0.0)


def scope_problems(template: dict, scope: Scope, max_delay_ms: float) -> list[str]:
    """Return why the template could act outside the scope or inject more than max_delay_ms."""
    name = f"FIS template {template.get('id')}"
    problems = []
    actions = template.get("actions", {})
    others = sorted({action.get("actionId", "?") for action in actions.values() if action.get("actionId") != LATENCY_ACTION})
    if others:
        problems.append(f"{name} also runs {', '.join(others)}, expected only {LATENCY_ACTION}")
    if not any(action.get("actionId") == LATENCY_ACTION for action in actions.values()):
        problems.append(f"{name} has no {LATENCY_ACTION} action")

    for target_name, target in template.get("targets", {}).items():
        parameters = target.get("parameters") or {}
        cluster = (parameters.get("cluster") or "").split("/")[-1]
        service = (parameters.get("service") or "").split("/")[-1]
        if target.get("resourceType") != ECS_TASK:
            problems.append(f"{name} target {target_name} selects {target.get('resourceType')}, expected {ECS_TASK}")
        elif target.get("resourceArns"):
            outside = [arn for arn in target["resourceArns"] if f":task/{scope.cluster}/" not in arn]
            if outside:
                problems.append(f"{name} target {target_name} names tasks outside cluster {scope.cluster}: {', '.join(outside)}")
        elif (cluster, service) != (scope.cluster, scope.service):
            problems.append(f"{name} target {target_name} selects tasks of {cluster or '?'}/{service or '?'}, "
                            f"expected {scope.label}")

    delay = latency_delay_ms(template)
    if delay > max_delay_ms:
        problems.append(f"{name} adds {delay:g} ms of latency, more than the chaos_latency_ms limit of {max_delay_ms:g} ms")
    return problems


def latency_alarm_problems(clients: Clients, template: dict, load_balancers: set[str]) -> list[str]:
    """Return a problem unless a stop condition watches the TargetResponseTime of the service's load balancer."""
    names = stop_alarm_names(template)
    alarms = read(clients, "cloudwatch", "describe_alarms", AlarmNames=names).get("MetricAlarms", []) if names else []
    for alarm in alarms:
        dimensions = {item["Name"]: item["Value"] for item in alarm.get("Dimensions", [])}
        if (alarm.get("Namespace") == "AWS/ApplicationELB" and alarm.get("MetricName") == "TargetResponseTime"
                and dimensions.get("LoadBalancer") in load_balancers):
            return []
    watched = ", ".join(sorted(load_balancers)) or "no load balancer"
    return [f"FIS template {template.get('id')} has no stop condition on a latency alarm (TargetResponseTime of "
            f"{watched}); its stop conditions are {', '.join(names) or 'none'}, so a latency that runs away "
            "would not stop the experiment"]
