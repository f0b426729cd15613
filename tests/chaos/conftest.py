"""Fixtures of the chaos self-tests: the shared twin reseeded per test, clients on it, and pytest runs of chaos/."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from support import REPO_ROOT, isolated_environment
from chaos_support import FAST_SETTINGS
from readiness.chaos import ChaosSettings, Scope, scope_from_outputs
from readiness.drills import UndoRegistry
from readiness.target import TWIN_CREDENTIALS, Target
from readiness.terraform import Outputs
from readiness.twin.app import HealthSettings
from readiness.twin.context import BEHAVIOUR
from readiness.twin.stack.monitoring import CHAOS_LATENCY_ALARM

# The reference service's desired count, as readiness/twin/stack/compute.py seeds it.
REFERENCE_DESIRED = 2

@dataclass
class ChaosRun:
    """One pytest subprocess over chaos/: its exit code, output, and each test's outcome and message."""

    returncode: int
    output: str
    reports_dir: Path

    def outcomes(self) -> dict[str, tuple[str, str]]:
        """Return {test name: (passed | failed | skipped | error, message)} from the run's junit.xml."""
        results = {}
        for case in ElementTree.parse(self.reports_dir / "junit.xml").getroot().iter("testcase"):
            outcome, message = "passed", ""
            for kind in ("failure", "error", "skipped"):
                element = case.find(kind)
                if element is not None:
                    outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[kind]
                    message = element.get("message", "")
                    break
            results[case.get("name")] = (outcome, message)
        return results

    def measurements(self) -> dict[str, dict]:
        """Return the recovery measurements of reports/recovery-objectives.json by component."""
        document = json.loads((self.reports_dir / "recovery-objectives.json").read_text(encoding="utf-8"))
        return {item["component"]: item for item in document["measurements"]}


@pytest.fixture
def chaos_run(tmp_path, twin):
    """Run chaos/ tests (dryrun and live) in a pytest subprocess against the shared twin reseeded with profiles."""

    def run(*profiles: str, paths: tuple[str, ...] = ("chaos",), options: tuple[str, ...] = ()) -> ChaosRun:
        twin.reseed(list(profiles))
        outputs_file = tmp_path / "outputs.json"
        twin.write_outputs(str(outputs_file))
        reports_dir = tmp_path / "reports"
        command = [sys.executable, "-m", "pytest", "-m", "dryrun or live", *paths, f"--endpoint-url={twin.endpoint_url}",
                   f"--tf-outputs={outputs_file}", f"--reports-dir={reports_dir}", "-q", *options]
        completed = subprocess.run(command, cwd=REPO_ROOT, env=isolated_environment(), capture_output=True, text=True,
                                   timeout=300, check=False)
        return ChaosRun(completed.returncode, completed.stdout + completed.stderr, reports_dir)

    return run


def _is_reference(twin) -> bool:
    """Tell whether the twin still holds the unchanged reference stack as far as the chaos tests touch it."""
    running_faults = BEHAVIOUR.settings.get("fis", {}).get("network_latency")
    if twin.profiles or BEHAVIOUR.settings.get("ecs") or BEHAVIOUR.settings.get("elbv2") or running_faults:
        return False
    if BEHAVIOUR.denied_actions or BEHAVIOUR.throttled_actions:
        return False
    app = twin._ids.get("health_app")
    if app is None or not app.running or app.settings != HealthSettings():
        return False

    clients = boto3.session.Session(**TWIN_CREDENTIALS)
    ecs = clients.client("ecs", region_name=twin.region, endpoint_url=twin.endpoint_url)
    service = ecs.describe_services(cluster="app", services=["app"])["services"][0]
    tasks = ecs.list_tasks(cluster="app", serviceName="app")["taskArns"]
    cloudwatch = clients.client("cloudwatch", region_name=twin.region, endpoint_url=twin.endpoint_url)
    alarms = cloudwatch.describe_alarms(AlarmNames=[CHAOS_LATENCY_ALARM])["MetricAlarms"]
    firing = cloudwatch.describe_alarms(StateValue="ALARM")["MetricAlarms"]
    return service["desiredCount"] == REFERENCE_DESIRED == len(tasks) and len(alarms) == 1 and not firing


@pytest.fixture
def reference(twin):
    """The shared twin with the reference stack; reseeded only when an earlier test changed what chaos tests use.

    A reseed costs several seconds, and most experiments roll the twin back to where it was.
    """
    if not _is_reference(twin):
        twin.reseed()
    return twin


@pytest.fixture
def twin_clients(twin):
    """A client factory on the twin that may change resources, as a live run's is."""
    target = Target(name="twin", region=twin.region, backup_region=twin.backup_region, endpoint_url=twin.endpoint_url,
                    read_only=False)
    return lambda service: target.client(service)


@pytest.fixture
def twin_scope(reference, twin_clients) -> Scope:
    return scope_from_outputs(Outputs(reference.outputs, "the twin's outputs"), twin_clients)


@pytest.fixture
def build_experiment(twin_clients, twin_scope):
    """Build an experiment on the reference twin with fast settings and a fresh undo registry."""

    def build(kind, settings: ChaosSettings = FAST_SETTINGS, scope: Scope | None = None):
        return kind(twin_clients, scope or twin_scope, settings, UndoRegistry(), "selftest")

    return build


@pytest.fixture
def service_view(twin, twin_clients):
    """Read the service's desired count and running tasks, and the FIS experiments of the latency template.

    Each read takes the names from the twin's current outputs, so it follows a reseed within the test.
    """

    class View:
        def scope(self) -> Scope:
            return scope_from_outputs(Outputs(twin.outputs, "the twin's outputs"), twin_clients)

        def desired(self) -> int:
            scope = self.scope()
            return twin_clients("ecs").describe_services(cluster=scope.cluster, services=[scope.service])["services"][0]["desiredCount"]

        def task_arns(self) -> list[str]:
            scope = self.scope()
            return twin_clients("ecs").list_tasks(cluster=scope.cluster, serviceName=scope.service)["taskArns"]

        def experiments(self) -> list[dict]:
            return twin_clients("fis").list_experiments(experimentTemplateId=self.scope().template_id)["experiments"]

        def running_experiments(self) -> list[str]:
            return [item["id"] for item in self.experiments() if item["state"]["status"] not in ("completed", "stopped", "failed")]

    return View()


@pytest.fixture
def chaos_function(monkeypatch, reference, twin_clients):
    """Return a loader of chaos/lambda/handler.py that sets the environment the twin's chaos function has.

    load(*profiles) reseeds the twin with the profiles first, when given, because the environment
    names the FIS template of the current seed.
    """
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)

    def load(*profiles: str):
        if profiles:
            reference.reseed(list(profiles))
        function_name = reference.outputs["chaos_lambda_name"]
        configuration = twin_clients("lambda").get_function_configuration(FunctionName=function_name)
        environment = {
            **configuration["Environment"]["Variables"],
            "HEALTH_URL": reference.outputs["health_url"],
            "AWS_ENDPOINT_URL": reference.endpoint_url,
            "AWS_ACCESS_KEY_ID": TWIN_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": TWIN_CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": reference.region,
            "AWS_REGION": reference.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)

        spec = importlib.util.spec_from_file_location("chaos_lambda_handler", REPO_ROOT / "chaos" / "lambda" / "handler.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
