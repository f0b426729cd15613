"""The suite's fixtures: the environment, inventory and outputs, undo, measurements, Allure labels."""

from __future__ import annotations

import json

import allure
import pytest

from readiness import terraform
from readiness.criteria import load_catalog
from readiness.drills import UndoRegistry, exclusive
from readiness.environment import Environment
from readiness.options import Settings
from readiness.results import MEASUREMENT_PROPERTY
from readiness.stash import SETTINGS, STATE
from readiness.verdict import Measurement

ALLURE_SEVERITY = {"blocker": "blocker", "major": "critical", "minor": "minor"}


@pytest.fixture(scope="session")
def readiness_env(pytestconfig: pytest.Config) -> Environment:
    """The run's environment; starts the twin on first use when it is the target."""
    return pytestconfig.stash[STATE].environment_for_run()


@pytest.fixture(scope="session")
def target(readiness_env: Environment):
    return readiness_env.target


@pytest.fixture(scope="session")
def outputs(readiness_env: Environment) -> terraform.Outputs:
    return readiness_env.outputs


@pytest.fixture(scope="session")
def inventory(readiness_env: Environment):
    return readiness_env.inventory


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture
def criterion(request: pytest.FixtureRequest):
    """The catalog entry of the criterion the current test judges."""
    marker = request.node.get_closest_marker("criterion")
    if marker is None:
        raise pytest.UsageError(f"{request.node.nodeid} asks for 'criterion' but has no criterion marker")
    return load_catalog()[marker.args[0]]


@pytest.fixture(autouse=True)
def _criterion_labels(request: pytest.FixtureRequest) -> None:
    """Label each criterion's Allure result with its id, category, severity and remediation."""
    marker = request.node.get_closest_marker("criterion")
    if marker is None:
        return
    entry = load_catalog()[marker.args[0]]
    allure.dynamic.severity(ALLURE_SEVERITY[entry.severity])
    allure.dynamic.epic("Launch checklist")
    allure.dynamic.feature(entry.category)
    allure.dynamic.label("criterion", entry.id)
    allure.dynamic.tag(entry.severity)
    for reference in entry.references:
        allure.dynamic.link(reference, name=reference)


@pytest.fixture
def undo(request: pytest.FixtureRequest):
    """Registry of undo steps; they run at teardown on pass, failure, error and Ctrl-C.

    pytest tears fixtures down after a KeyboardInterrupt too, so an interrupted drill is undone.
    A failed undo step fails the test at teardown, naming the step and the error.
    """
    registry = UndoRegistry()
    yield registry

    # After Ctrl-C, pytest tears fixtures down at session end, when the guard is already back on.
    # Undo steps of a live test must still write, so the guard is lifted for them alone.
    state = request.config.stash[STATE]
    live = request.node.get_closest_marker("live") is not None
    state.set_read_only(not live)
    try:
        failed = registry.run()
    finally:
        state.set_read_only(True)
    if failed:
        details = "; ".join(f"{step.description}: {step.error}" for step in failed)
        pytest.fail(f"undo did not complete, resources may be left behind: {details}", pytrace=False)


@pytest.fixture(autouse=True)
def _one_live_test_at_a_time(request: pytest.FixtureRequest, settings: Settings):
    """Serialise live tests across xdist workers with a file lock in the reports folder."""
    if request.node.get_closest_marker("live") is None:
        yield
        return
    with exclusive(settings.reports_dir.resolve() / ".live.lock"):
        yield


@pytest.fixture
def record_measurement(request: pytest.FixtureRequest):
    """Record a measured recovery time or point against its target for the verdict and reports.

    Call it as record_measurement(component, objective, target_s, measured_s, source); pass
    measured_s=None when the wait timed out, which counts as a breach.
    """

    def record(component: str, objective: str, target_s: float, measured_s: float | None, source: str) -> Measurement:
        measurement = Measurement(component, objective, float(target_s),
                                  None if measured_s is None else round(float(measured_s), 3), source)
        request.node.user_properties.append((MEASUREMENT_PROPERTY, json.dumps(vars(measurement))))
        shown = "not measured" if measurement.measured_s is None else f"{measurement.measured_s:.1f} s"
        allure.dynamic.parameter(f"{component} {objective}", f"{shown} (target {target_s:g} s)")
        return measurement

    return record


@pytest.fixture
def terraform_fixture(request: pytest.FixtureRequest, readiness_env: Environment):
    """Apply a module under terraform/fixtures/ for one test and destroy it at teardown.

    Returns apply(module, variables) -> outputs. The destroy runs on pass, failure, error and
    Ctrl-C. On the twin the module is replayed from tests/terraform/recordings; on a real account
    terraform applies it when the binary is on PATH.
    """
    from readiness.tf_fixture import terraform_fixture as apply_fixture

    target = readiness_env.target
    applied = []

    def apply(module: str, variables: dict, **options) -> dict:
        # Resource names end with the run id, so each fixture of a run gets its own suffix.
        applied.append(module)
        run_id = f"{readiness_env.run_id}-{len(applied)}"
        return apply_fixture(request, module, {"run_id": run_id, **variables}, endpoint_url=target.endpoint_url,
                             region=target.region, profile=target.profile, **options)

    return apply
