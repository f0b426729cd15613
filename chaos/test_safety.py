"""The dry-run half of the chaos experiments: each could run safely now, and the chaos function may run them.

Nothing is injected. Each experiment's preflight reads the steady state (tasks, targets, alarms,
health endpoint) and its safety limits, exactly as the live run does before it injects.
"""

import pytest

from readiness.chaos import NetworkLatency, ScaleOutAndIn, TaskKill
from readiness.chaos.permissions import function_problems, permission_problems
from readiness.chaos.scope import read
from readiness.chaos.state import describe_service

pytestmark = pytest.mark.dryrun


def test_task_kill_could_run(chaos_experiment):
    problems = chaos_experiment(TaskKill).preflight()

    assert not problems, f"task kill is not safe to run: {'; '.join(problems)}"


def test_scaling_could_run(chaos_experiment):
    problems = chaos_experiment(ScaleOutAndIn).preflight()

    assert not problems, f"scaling is not safe to run: {'; '.join(problems)}"


def test_network_latency_could_run(chaos_experiment):
    problems = chaos_experiment(NetworkLatency).preflight()

    assert not problems, f"network latency is not safe to run: {'; '.join(problems)}"


def test_chaos_function_permissions(outputs, inventory, chaos_clients, chaos_scope, target):
    function_name = outputs["chaos_lambda_name"]
    configuration = read(chaos_clients, "lambda", "get_function_configuration", FunctionName=function_name)
    cluster_arn = describe_service(chaos_clients, chaos_scope)["clusterArn"]
    template_arn = None
    if chaos_scope.template_id:
        template_arn = f"arn:aws:fis:{target.region}:{target.account_id()}:experiment-template/{chaos_scope.template_id}"

    problems = function_problems(configuration, chaos_scope)
    problems += permission_problems(configuration["Role"], inventory.iam.role_policies(configuration["Role"]),
                                    cluster_arn, template_arn)

    assert not problems, f"chaos function {function_name} cannot run the experiments safely: {'; '.join(problems)}"
