"""Dry-run review of the chaos function: its configuration, and whether its role allows what experiments need."""

from __future__ import annotations

import fnmatch
import json
import urllib.parse

from readiness.chaos.metrics import NAMESPACE
from readiness.chaos.scope import Scope

# The changes the chaos function makes; reads are not listed because a missing read fails loudly at once.
REQUIRED_ACTIONS = ("ecs:StopTask", "ecs:UpdateService", "fis:StartExperiment", "cloudwatch:PutMetricData")
CLUSTER_SCOPED_ACTIONS = ("ecs:StopTask", "ecs:UpdateService")
CLUSTER_CONDITION_OPERATORS = ("ArnEquals", "ArnLike", "StringEquals", "StringLike")


def function_problems(configuration: dict, scope: Scope) -> list[str]:
    """Return why the chaos function is not deployed for the scope's service, from GetFunctionConfiguration."""
    name = configuration.get("FunctionName", "the chaos function")
    problems = []
    if configuration.get("State") not in (None, "Active"):
        problems.append(f"Lambda function {name} is {configuration['State']}, expected Active")
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    for variable, expected in (("CLUSTER_NAME", scope.cluster), ("SERVICE_NAME", scope.service)):
        if variables.get(variable) != expected:
            problems.append(f"Lambda function {name} has {variable}={variables.get(variable)!r}, expected {expected!r}")
    if not variables.get("EXPERIMENT_TEMPLATE_ID"):
        problems.append(f"Lambda function {name} has no EXPERIMENT_TEMPLATE_ID, so it cannot start the latency experiment")
    return problems


def statements(policies: dict) -> list[dict]:
    """Return every statement of a role's policies, as IamCollector.role_policies returns them."""
    documents = [*policies.get("inline", {}).values(), *policies.get("attached", {}).values()]
    found = []
    for document in documents:
        if isinstance(document, str):
            # IAM returns policy documents URL-encoded; boto3 usually decodes them already.
            document = json.loads(urllib.parse.unquote(document))
        statement = document.get("Statement", [])
        found.extend(statement if isinstance(statement, list) else [statement])
    return found


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _action_matches(statement: dict, action: str) -> bool:
    if "NotAction" in statement:
        return not any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _as_list(statement["NotAction"]))
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _as_list(statement.get("Action")))


def _covers(statement: dict, resource: str) -> bool:
    if "NotResource" in statement:
        return not any(fnmatch.fnmatchcase(resource, pattern) for pattern in _as_list(statement["NotResource"]))
    return any(fnmatch.fnmatchcase(resource, pattern) for pattern in _as_list(statement.get("Resource")))


def _cluster_condition(statement: dict) -> list[str]:
    """Return the values the statement's conditions allow for the ecs:cluster key."""
    values = []
    for operator, keys in (statement.get("Condition") or {}).items():
        if operator not in CLUSTER_CONDITION_OPERATORS:
            continue
        for key, value in keys.items():
            if key.lower() == "ecs:cluster":
                values.extend(_as_list(value))
    return values


def scoped_to_cluster(statement: dict, cluster_arn: str) -> bool:
    """Tell whether an Allow statement reaches only the cluster, by resource ARNs or the ecs:cluster condition."""
    cluster_name = cluster_arn.rsplit("/", 1)[-1]
    condition = _cluster_condition(statement)
    if condition:
        return all(fnmatch.fnmatchcase(cluster_arn, value) and "*" not in value.rsplit("/", 1)[-1] for value in condition)
    resources = _as_list(statement.get("Resource"))
    if "NotResource" in statement or not resources:
        return False
    inside = (f":task/{cluster_name}/", f":service/{cluster_name}/", f":container-instance/{cluster_name}/")
    return all(resource == cluster_arn or any(part in resource for part in inside) for resource in resources)


def permission_problems(role_arn: str, policies: dict | None, cluster_arn: str, template_arn: str | None) -> list[str]:
    """Return what the chaos function's role lacks for the experiments, or allows beyond the cluster."""
    if policies is None:
        return [f"IAM role {role_arn} of the chaos function does not exist"]

    every = statements(policies)
    problems = []
    for action in REQUIRED_ACTIONS:
        allows = [item for item in every if item.get("Effect") == "Allow" and _action_matches(item, action)]
        denies = [item for item in every if item.get("Effect") == "Deny" and _action_matches(item, action)
                  and not item.get("Condition") and _covers(item, "*")]
        if not allows:
            problems.append(f"IAM role {role_arn} does not allow {action}, which the chaos experiments need")
        elif denies:
            problems.append(f"IAM role {role_arn} denies {action} in statement {denies[0].get('Sid', '(no Sid)')}")
        elif action in CLUSTER_SCOPED_ACTIONS:
            loose = [item.get("Sid", "(no Sid)") for item in allows if not scoped_to_cluster(item, cluster_arn)]
            if loose:
                problems.append(f"IAM role {role_arn} allows {action} beyond cluster {cluster_arn} in statement "
                                f"{', '.join(loose)}, expected it limited to the cluster by resource ARN or ecs:cluster condition")
        elif action == "fis:StartExperiment" and template_arn and not any(_covers(item, template_arn) for item in allows):
            problems.append(f"IAM role {role_arn} allows fis:StartExperiment but not on template {template_arn}")
        elif action == "cloudwatch:PutMetricData" and not any(_allows_namespace(item) for item in allows):
            problems.append(f"IAM role {role_arn} allows cloudwatch:PutMetricData but not in namespace {NAMESPACE}")
    return problems


def _allows_namespace(statement: dict) -> bool:
    namespaces = [value for keys in (statement.get("Condition") or {}).values() for key, value in keys.items()
                  if key.lower() == "cloudwatch:namespace"]
    return not namespaces or any(fnmatch.fnmatchcase(NAMESPACE, pattern) for value in namespaces for pattern in _as_list(value))
