"""The dry-run review of the chaos function's role and configuration."""

import json
import urllib.parse

import pytest

from readiness.chaos import Scope
from readiness.chaos.permissions import function_problems, permission_problems, scoped_to_cluster

ROLE = "arn:aws:iam::123456789012:role/app-chaos"
CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/app"
TEMPLATE = "arn:aws:fis:eu-west-1:123456789012:experiment-template/EXT1"
IN_CLUSTER = {"ArnEquals": {"ecs:cluster": CLUSTER}}


def policies(*statements: dict) -> dict:
    return {"inline": {"chaos": {"Version": "2012-10-17", "Statement": list(statements)}}, "attached": {}}


def allow(actions, resource="*", condition=None, sid="Test") -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


COMPLETE = [
    allow(["ecs:StopTask", "ecs:UpdateService"], condition=IN_CLUSTER, sid="DisruptService"),
    allow("fis:StartExperiment", [TEMPLATE, "arn:aws:fis:eu-west-1:123456789012:experiment/*"]),
    allow("cloudwatch:PutMetricData", condition={"StringEquals": {"cloudwatch:namespace": "LaunchReadiness/Chaos"}}),
]


def test_complete_policy_has_no_problems():
    assert permission_problems(ROLE, policies(*COMPLETE), CLUSTER, TEMPLATE) == []


def test_missing_action_is_named():
    problems = permission_problems(ROLE, policies(*COMPLETE[1:]), CLUSTER, TEMPLATE)

    assert problems == [f"IAM role {ROLE} does not allow ecs:StopTask, which the chaos experiments need",
                        f"IAM role {ROLE} does not allow ecs:UpdateService, which the chaos experiments need"]


def test_unscoped_stop_task_is_a_problem():
    problems = permission_problems(ROLE, policies(allow("ecs:*", sid="Everything"), *COMPLETE[1:]), CLUSTER, TEMPLATE)

    assert len(problems) == 2
    assert problems[0].startswith(f"IAM role {ROLE} allows ecs:StopTask beyond cluster {CLUSTER} in statement Everything")


def test_explicit_deny_is_a_problem():
    deny = {"Sid": "NoStops", "Effect": "Deny", "Action": "ecs:StopTask", "Resource": "*"}

    problems = permission_problems(ROLE, policies(*COMPLETE, deny), CLUSTER, TEMPLATE)

    assert problems == [f"IAM role {ROLE} denies ecs:StopTask in statement NoStops"]


def test_start_experiment_on_another_template_is_a_problem():
    other = allow("fis:StartExperiment", "arn:aws:fis:eu-west-1:123456789012:experiment-template/OTHER")

    problems = permission_problems(ROLE, policies(COMPLETE[0], other, COMPLETE[2]), CLUSTER, TEMPLATE)

    assert problems == [f"IAM role {ROLE} allows fis:StartExperiment but not on template {TEMPLATE}"]


def test_metrics_in_another_namespace_is_a_problem():
    metrics = allow("cloudwatch:PutMetricData", condition={"StringEquals": {"cloudwatch:namespace": "Other"}})

    problems = permission_problems(ROLE, policies(*COMPLETE[:2], metrics), CLUSTER, TEMPLATE)

    assert problems == [f"IAM role {ROLE} allows cloudwatch:PutMetricData but not in namespace LaunchReadiness/Chaos"]


def test_missing_role_is_a_problem():
    assert permission_problems(ROLE, None, CLUSTER, TEMPLATE) == [f"IAM role {ROLE} of the chaos function does not exist"]


def test_url_encoded_documents_are_read():
    encoded = urllib.parse.quote(json.dumps({"Version": "2012-10-17", "Statement": COMPLETE}))

    assert permission_problems(ROLE, {"inline": {"chaos": encoded}, "attached": {}}, CLUSTER, TEMPLATE) == []


@pytest.mark.parametrize("statement, scoped", [
    (allow("ecs:StopTask", condition=IN_CLUSTER), True),
    (allow("ecs:StopTask", condition={"ArnLike": {"ecs:cluster": "arn:aws:ecs:*:*:cluster/*"}}), False),
    (allow("ecs:StopTask", "arn:aws:ecs:eu-west-1:123456789012:task/app/*"), True),
    (allow("ecs:StopTask", "arn:aws:ecs:eu-west-1:123456789012:task/billing/*"), False),
    (allow("ecs:StopTask", "*"), False),
])
def test_cluster_scope(statement, scoped):
    assert scoped_to_cluster(statement, CLUSTER) is scoped


def test_function_configuration_is_checked():
    configuration = {"FunctionName": "chaos", "State": "Failed",
                     "Environment": {"Variables": {"CLUSTER_NAME": "app", "SERVICE_NAME": "billing"}}}

    problems = function_problems(configuration, Scope(cluster="app", service="app"))

    assert problems == [
        "Lambda function chaos is Failed, expected Active",
        "Lambda function chaos has SERVICE_NAME='billing', expected 'app'",
        "Lambda function chaos has no EXPERIMENT_TEMPLATE_ID, so it cannot start the latency experiment",
    ]
