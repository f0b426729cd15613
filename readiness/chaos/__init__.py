"""Chaos experiments on the application's ECS service, shared by the chaos tests and the chaos Lambda function.

Each experiment follows one lifecycle (readiness.chaos.lifecycle): check the steady state and the
safety limits, register its rollback, inject the fault, observe the recovery, roll back, and check
the steady state again.
"""

from readiness.chaos.experiments import ScaleOutAndIn, TaskKill
from readiness.chaos.latency import NetworkLatency
from readiness.chaos.lifecycle import Aborted, Experiment, ExperimentResult, NotSafe, Recovery
from readiness.chaos.metrics import NAMESPACE, publish
from readiness.chaos.scope import Clients, Scope, scope_from_environment, scope_from_outputs
from readiness.chaos.settings import ChaosSettings, from_environment as settings_from_environment
from readiness.chaos.settings import from_pytest as settings_from_pytest

# The experiment_type values the chaos function accepts.
EXPERIMENT_TYPES: dict[str, type[Experiment]] = {
    "kill_random_task": TaskKill,
    "scale_out_and_in": ScaleOutAndIn,
    "network_latency": NetworkLatency,
}

__all__ = [
    "Aborted", "ChaosSettings", "Clients", "EXPERIMENT_TYPES", "Experiment", "ExperimentResult", "NAMESPACE",
    "NetworkLatency", "NotSafe", "Recovery", "ScaleOutAndIn", "Scope", "TaskKill", "publish",
    "scope_from_environment", "scope_from_outputs", "settings_from_environment", "settings_from_pytest",
]
