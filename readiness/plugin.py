"""The pytest plugin: options, markers, the live guard, fixtures, and the verdict at session end."""

from __future__ import annotations

import datetime as dt
import logging

import allure
import pytest

from readiness import report as report_files
from readiness import terraform
from readiness.criteria import load_catalog
from readiness.environment import Environment, build_environment, load_declared_outputs, new_run_id
from readiness.twin import DEFAULT_BACKUP_REGION, DEFAULT_REGION
from readiness.twin.profiles import UnknownProfile, resolve_profiles
from readiness.errors import Unverifiable
from readiness.gameday import GameDayRecord, write_record
from readiness.options import Settings, add_options, read_settings
from readiness.results import ResultCollector
from readiness.verdict import score
from readiness.stash import SETTINGS, STATE

log = logging.getLogger(__name__)

# pytest loads the fixtures module as part of this plugin.
pytest_plugins = ("readiness.fixtures",)

ALLURE_SEVERITY = {"blocker": "blocker", "major": "critical", "minor": "minor"}


class RunState:
    """The controller's (or single process's) view of the run; workers get a copy of the inputs."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.twin = None
        self.environment: Environment | None = None
        self.declared_outputs = load_declared_outputs(settings)
        try:
            resolve_profiles(settings.twin_profiles)
        except UnknownProfile as error:
            raise pytest.UsageError(str(error)) from None
        self.collector = ResultCollector()
        self.verdict = None
        self.read_only = True
        self.report_paths: dict = {}
        worker_input = getattr(config, "workerinput", None)
        self.run_id = worker_input["readiness_run_id"] if worker_input else new_run_id()

    def set_read_only(self, read_only: bool) -> None:
        """Switch the guard for the running test; an environment made later starts with it."""
        self.read_only = read_only
        if self.environment is not None:
            self.environment.target.read_only = read_only

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Runs in the controller for every report, including those xdist workers send.
        self.collector.add_report(report)

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def environment_for_run(self) -> Environment:
        """Return the run's Environment, starting the twin on first use when it is the target."""
        if self.environment is None:
            self.environment = self._build_environment()
            self.environment.target.read_only = self.read_only
        return self.environment

    def _build_environment(self) -> Environment:
        worker_input = getattr(self.config, "workerinput", None)
        if worker_input and "readiness_endpoint" in worker_input:
            outputs = terraform.Outputs(worker_input["readiness_outputs"], worker_input["readiness_outputs_source"])
            return build_environment(self.settings, worker_input["readiness_endpoint"], outputs, self.run_id,
                                     worker_input["readiness_operations_dir"])

        if self.settings.target == "aws":
            return build_environment(self.settings, None, self.declared_outputs, self.run_id)
        if self.settings.endpoint_url:
            return build_environment(self.settings, self.settings.endpoint_url, self.declared_outputs, self.run_id)
        return self._start_twin()

    def _start_twin(self) -> Environment:
        # Imported here so that a run against a real account never imports moto.
        from readiness.twin.server import Twin

        self.twin = Twin(region=self.settings.region or DEFAULT_REGION,
                         backup_region=self.settings.backup_region or DEFAULT_BACKUP_REGION)
        self.twin.start(self.settings.twin_profiles)
        outputs = terraform.Outputs(self.twin.outputs, "the twin's outputs")
        return build_environment(self.settings, self.twin.endpoint_url, outputs, self.run_id, self.twin.operations_dir)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    settings = read_settings(config)
    config.stash[SETTINGS] = settings

    # allure-pytest writes results only when given a folder; default it to the reports folder.
    if hasattr(config.option, "allure_report_dir") and not config.option.allure_report_dir:
        config.option.allure_report_dir = str(settings.reports_dir / "allure-results")
        config.option.clean_alluredir = True

    # A JUnit XML file for CI systems that read it, beside the other reports.
    if hasattr(config.option, "xmlpath") and not config.option.xmlpath and not hasattr(config, "workerinput"):
        config.option.xmlpath = str(settings.reports_dir / "junit.xml")

    state = RunState(config, settings)
    config.stash[STATE] = state
    config.pluginmanager.register(state, "readiness-run")

    # A real account is checked for credentials and a region now, so a bad setup stops the run
    # with one message instead of an error in every test.
    if settings.target == "aws" and not state.is_worker:
        state.environment_for_run()


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None and state.twin is not None:
        state.twin.stop()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """Start the twin once in the controller and hand its endpoint to each xdist worker."""
    state = node.config.stash[STATE]
    environment = state.environment_for_run()
    node.workerinput["readiness_run_id"] = state.run_id
    node.workerinput["readiness_endpoint"] = environment.target.endpoint_url
    node.workerinput["readiness_outputs"] = environment.outputs.values
    node.workerinput["readiness_outputs_source"] = environment.outputs.source
    node.workerinput["readiness_operations_dir"] = environment.operations_dir


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    calls = getattr(node, "workeroutput", {}).get("readiness_calls", {})
    node.config.stash[STATE].collector.add_calls(calls)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    catalog = load_catalog()
    for item in items:
        marker = item.get_closest_marker("criterion")
        if marker is None:
            # Drills and experiments count in the verdict too; tests of other kinds do not.
            if item.get_closest_marker("dryrun") or item.get_closest_marker("live"):
                item.user_properties.append(("drill", item.nodeid))
            if item.get_closest_marker("live"):
                item.user_properties.append(("mode", "live"))
            continue
        criterion_id = marker.args[0]
        if criterion_id not in catalog:
            raise pytest.UsageError(f"{item.nodeid} is tied to unknown criterion {criterion_id!r}; add it to checks/criteria.toml")
        item.user_properties.append(("criterion", criterion_id))

        # allure-pytest sets the title and description from the function and its markers when
        # setup ends, replacing allure.dynamic calls made in fixtures, so set them here.
        entry = catalog[criterion_id]
        allure.title(f"{entry.id} {entry.title}")(item.obj)
        item.add_marker(allure.description(f"{entry.rationale}\n\nRemediation: {entry.remediation}"))

    if any(item.get_closest_marker("live") for item in items):
        _guard_live_run(config)


def _guard_live_run(config: pytest.Config) -> None:
    """Refuse live tests on a real account unless --confirm-account names the caller's account."""
    state = config.stash[STATE]
    if state.settings.target != "aws":
        return

    confirm = state.settings.confirm_account
    if confirm is None:
        raise pytest.UsageError(
            "live tests change resources in a real account; pass --confirm-account with the account id "
            "to confirm, or deselect them with -m 'not live'"
        )
    account = state.environment_for_run().target.account_id()
    if account != confirm:
        raise pytest.UsageError(
            f"--confirm-account {confirm} does not match the caller's account {account}; nothing was changed. "
            "Check --aws-profile and the credentials in use"
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    """Switch the read-only guard on for every test that is not marked live."""
    state = item.config.stash[STATE]
    state.set_read_only(item.get_closest_marker("live") is None)
    try:
        return (yield)
    finally:
        state.set_read_only(True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(Unverifiable):
        report.user_properties.append(("outcome", "unverifiable"))
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if report.failed and ("outcome", "unverifiable") in report.user_properties:
        return "unverifiable", "U", ("UNVERIFIABLE", {"yellow": True})
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash[STATE]
    if state.environment is not None:
        state.collector.add_calls(dict(state.environment.target.calls.counts))

    if state.is_worker:
        session.config.workeroutput["readiness_calls"] = dict(state.collector.calls)
        return
    _record_game_day(state)

    if not state.collector.results:
        # A session without criteria (a game day running only drills) has no launch verdict,
        # but its recovery measurements are still written.
        if state.collector.measurements:
            state.report_paths.update(report_files.write_recovery_objectives(state))
        return

    catalog = load_catalog()
    results = state.collector.verdict_results(catalog)
    verdict = score(results, total=len(catalog), threshold=state.settings.ini["go_threshold"],
                    measurements=state.collector.measurements, drills=state.collector.drill_results())
    state.verdict = verdict
    state.report_paths.update(report_files.write_all(state, catalog, results, verdict))

    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = pytest.ExitCode.OK if verdict.go else pytest.ExitCode.TESTS_FAILED


def _record_game_day(state: RunState) -> None:
    """Write a game-day record after live tests on a real account, for the DOC-02 criterion."""
    live = {node_id: outcome for node_id, (outcome, _) in state.collector.drills.items()
            if node_id in state.collector.live_tests}
    if not live or state.environment is None or not state.environment.target.is_real_account:
        return
    outcome = "passed" if all(value == "passed" for value in live.values()) else "failed"
    record = GameDayRecord(dt.date.today(), tuple(sorted(live)), outcome, run_id=state.run_id)
    state.report_paths["game-day record"] = write_record(state.settings.reports_dir, record)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or getattr(state, "is_worker", False):
        return
    verdict = getattr(state, "verdict", None)
    if verdict is None:
        if state.collector.measurements:
            report_files.print_recovery_objectives(terminalreporter, state)
        return
    report_files.print_summary(terminalreporter, state, verdict)
