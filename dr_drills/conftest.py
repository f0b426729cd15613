"""Fixtures of the disaster-recovery drills: objective targets, measurement recording, phases, drill names."""

from __future__ import annotations

import logging

import pytest

from readiness.drills import Phases
from readiness.recovery import drill_name, objective_target, publish_measurement, shown

log = logging.getLogger(__name__)


@pytest.fixture
def record_objective(request: pytest.FixtureRequest, record_measurement, settings, readiness_env):
    """Record a measured RTO or RPO against its target from the ini options; live drills also publish it.

    Call it as record_objective(component, objective, measured_s, source); measured_s=None is a
    timeout and counts as a breach. Returns the Measurement.
    """
    live = request.node.get_closest_marker("live") is not None

    def record(component: str, objective: str, measured_s: float | None, source: str):
        target_s = objective_target(settings, component, objective)
        measurement = record_measurement(component, objective, target_s, measured_s, source)
        if measurement.breached:
            log.warning("recovery objective breached: %s", shown(measurement))
        if live:
            publish_measurement(readiness_env.target.client("cloudwatch"), measurement, readiness_env.run_id)
        return measurement

    return record


@pytest.fixture
def phases(request: pytest.FixtureRequest) -> Phases:
    """The drill's phases, each an Allure step with its duration."""
    return Phases(request.node.name)


@pytest.fixture
def drill_resource(readiness_env) -> str:
    """The name of the resources this run's drills create, such as readiness-drill-<run id>."""
    return drill_name(readiness_env.run_id)
