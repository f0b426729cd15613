"""Fixtures of the chaos experiments: settings, scope, experiment runner, measurements and metrics."""

from __future__ import annotations

import json

import allure
import pytest

from readiness.chaos import (ChaosSettings, Experiment, ExperimentResult, NotSafe, Scope, publish,
                             scope_from_outputs, settings_from_pytest)


@pytest.fixture(scope="session")
def chaos_settings(pytestconfig, settings) -> ChaosSettings:
    """Recovery targets, latency limit and stop-condition alarms from the ini settings."""
    try:
        return settings_from_pytest(pytestconfig, settings.ini)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def chaos_clients(target):
    """A client factory on the run's target, so the read-only guard and call counting apply."""
    return lambda service: target.client(service)


@pytest.fixture(scope="session")
def chaos_scope(outputs, chaos_clients) -> Scope:
    """The resources the experiments may touch, from the Terraform outputs."""
    return scope_from_outputs(outputs, chaos_clients)


@pytest.fixture
def chaos_experiment(chaos_clients, chaos_scope, chaos_settings, undo, readiness_env):
    """Build an experiment of a given class whose rollback steps go to the test's undo registry."""

    def build(kind: type[Experiment]) -> Experiment:
        return kind(chaos_clients, chaos_scope, chaos_settings, undo, readiness_env.run_id)

    return build


@pytest.fixture
def run_chaos(request, chaos_experiment, chaos_clients, record_measurement, readiness_env):
    """Run an experiment's whole lifecycle; skip when it is not safe to run.

    Records each recovery against its target, attaches the result to the Allure report and
    publishes the run's CloudWatch metrics.
    """

    def run(kind: type[Experiment]) -> ExperimentResult:
        experiment = chaos_experiment(kind)
        try:
            result = experiment.run()
        except NotSafe as error:
            publish(chaos_clients("cloudwatch"), experiment.name, readiness_env.run_id, None)
            pytest.skip(f"not safe to run: {error}")

        for recovery in result.recoveries:
            record_measurement(recovery.component, "recovery", recovery.target_s, recovery.measured_s, request.node.nodeid)
        allure.attach(json.dumps(result.to_dict(), indent=2, default=str), name=f"chaos {experiment.name} result",
                      attachment_type=allure.attachment_type.JSON)

        metrics_error = publish(chaos_clients("cloudwatch"), experiment.name, readiness_env.run_id, result)
        if metrics_error:
            allure.attach(metrics_error, name="metrics not published", attachment_type=allure.attachment_type.TEXT)
        return result

    return run
