"""The network latency experiment: the FIS template adds latency to the service's tasks, then the fault ends.

The hypothesis: while the fault runs, the health endpoint's p95 rises by about the injected delay
and no stop-condition alarm fires. Once the experiment stops, latency returns to its baseline and
the service is back in its steady state within chaos_latency_target_s.
"""

from __future__ import annotations

import logging
import time
import uuid

from readiness.chaos.lifecycle import RUN_TAG, Aborted, Experiment
from readiness.chaos.scope import read
from readiness.chaos.state import ServiceState, alarm_states, describe_service, target_group_arns
from readiness.chaos.template import latency_alarm_problems, latency_delay_ms, scope_problems, stop_alarm_names
from readiness.drills import Phases, wait_until
from readiness.probe import ProbeResult, probe

log = logging.getLogger(__name__)

TERMINAL_STATES = {"completed", "stopped", "failed"}
# How long FIS may take to start an experiment or to stop one.
STATE_CHANGE_TIMEOUT_S = 60.0
# Health requests per recovery poll; enough to see whether any still carry the delay.
RECOVERY_PROBE_REQUESTS = 5
# The fault counts as visible, and later as gone, at this share of the injected delay above the baseline p95.
VISIBLE_SHARE = 0.5


class NetworkLatency(Experiment):
    """Start the FIS latency template, measure p95 under the fault, stop it, and time the return to baseline."""

    name = "network-latency"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.experiment_id: str | None = None
        self.baseline_p95_ms: float | None = None

    @property
    def target_s(self) -> float:
        return self.settings.latency_target_s

    def resolve_stop_alarms(self) -> tuple[list[str], list[str]]:
        """Return the configured stop alarms together with the template's own stop conditions, which FIS enforces."""
        names, problems = super().resolve_stop_alarms()
        if self.scope.template_id:
            names = sorted(set(names) | set(stop_alarm_names(self.template())))
        return names, problems

    def blast_radius_problems(self, state: ServiceState) -> list[str]:
        if not self.scope.template_id:
            return ["the chaos function names no FIS template (EXPERIMENT_TEMPLATE_ID), so there is no latency experiment to run"]
        if not self.scope.health_url:
            return ["no health URL is known (health_url output), so the latency cannot be measured"]

        template = self.template()
        problems = scope_problems(template, self.scope, self.settings.latency_ms)
        problems += latency_alarm_problems(self.clients, template, self.load_balancers())
        running = [item["id"] for item in self.experiments_of_template() if item["state"]["status"] not in TERMINAL_STATES]
        if running:
            problems.append(f"FIS experiments {', '.join(running)} of template {self.scope.template_id} are already running")
        if state.health is not None and state.health.p95_ms is not None:
            self.baseline_p95_ms = state.health.p95_ms
        return problems

    def load_balancers(self) -> set[str]:
        """Return the LoadBalancer dimension values (app/NAME/ID) of the load balancers in front of the service."""
        service = describe_service(self.clients, self.scope)
        dimensions = set()
        for group_arn in target_group_arns(self.clients, self.scope, service):
            groups = read(self.clients, "elbv2", "describe_target_groups", TargetGroupArns=[group_arn])["TargetGroups"]
            for arn in groups[0].get("LoadBalancerArns", []) if groups else []:
                dimensions.add(arn.split(":loadbalancer/", 1)[-1])
        return dimensions

    def experiments_of_template(self) -> list[dict]:
        experiments = []
        fis = self.clients("fis")
        request = {"experimentTemplateId": self.scope.template_id}
        while True:
            page = fis.list_experiments(**request)
            experiments.extend(page.get("experiments", []))
            if not page.get("nextToken"):
                return experiments
            request["nextToken"] = page["nextToken"]

    # Lifecycle ---------------------------------------------------------------------------------

    def register_undo(self) -> None:
        self.undo.register(f"stop FIS experiments of template {self.scope.template_id} started by run {self.run_id}",
                           self.stop_experiments_of_run)

    def stop_experiments_of_run(self) -> None:
        """Stop every experiment of the template that this run started, and wait until FIS reports each ended."""
        # The run tag finds an experiment even when an interrupt came before start_experiment returned its id.
        mine = [item["id"] for item in self.experiments_of_template() if (item.get("tags") or {}).get(RUN_TAG) == self.run_id]
        fis = self.clients("fis")
        for experiment_id in mine:
            if self.experiment_state(experiment_id)["status"] not in TERMINAL_STATES:
                fis.stop_experiment(id=experiment_id)
                log.info("chaos %s: stopped FIS experiment %s", self.name, experiment_id)

        for experiment_id in mine:
            outcome = wait_until(lambda: self._ended(experiment_id), STATE_CHANGE_TIMEOUT_S,
                                 f"FIS experiment {experiment_id} to end", interval_s=self.settings.poll_interval_s)
            if not outcome.succeeded:
                raise RuntimeError(f"FIS experiment {experiment_id} is still {outcome.last_observation} "
                                   f"{STATE_CHANGE_TIMEOUT_S:g} s after StopExperiment, expected stopped")

    def _ended(self, experiment_id: str) -> tuple[bool, str]:
        status = self.experiment_state(experiment_id)["status"]
        return status in TERMINAL_STATES, status

    def experiment_state(self, experiment_id: str) -> dict:
        return self.clients("fis").get_experiment(id=experiment_id)["experiment"]["state"]

    def execute(self, phases: Phases) -> None:
        delay_ms = latency_delay_ms(self.template())
        baseline = self.baseline_p95_ms or 0.0
        visible_ms = baseline + VISIBLE_SHARE * delay_ms
        self.result.details.update(delay_ms=delay_ms, baseline_p95_ms=baseline)

        with phases.phase(f"inject: start FIS experiment from template {self.scope.template_id}"):
            started = self.clients("fis").start_experiment(
                clientToken=str(uuid.uuid4()), experimentTemplateId=self.scope.template_id, tags={RUN_TAG: self.run_id})
            self.experiment_id = started["experiment"]["id"]
            self.result.details["fis_experiment_id"] = self.experiment_id
            self.wait_until_running()

        with phases.phase(f"observe the fault: p95 of {self.settings.probe_requests} health requests"):
            under_fault = self.probe_under_fault()
            self.result.details["fault_p95_ms"] = under_fault.p95_ms
            self.result.details["alarms_during_fault"] = alarm_states(self.clients, self.stop_alarms)
            if under_fault.p95_ms is None or under_fault.p95_ms < visible_ms:
                self.result.failures.append(
                    f"the fault did not reach {self.scope.health_url}: p95 was {under_fault.p95_ms or 0:.0f} ms under a "
                    f"{delay_ms:g} ms fault with a baseline of {baseline:.0f} ms, expected at least {visible_ms:.0f} ms")

        with phases.phase("end the fault: stop the FIS experiment"):
            self.stop_experiments_of_run()
            ended_at = time.monotonic()

        with phases.phase("observe recovery"):
            desired = self.before.desired
            self.wait_for_recovery(self.component, self.target_s, ended_at,
                                   lambda state: state.convergence_problems(desired) + self.latency_problems(visible_ms),
                                   f"{self.scope.label} to return to its latency baseline")

    def wait_until_running(self) -> None:
        """Wait until FIS runs the experiment; raise Aborted when it ended first, as a stop condition does."""
        outcome = wait_until(lambda: self._running(), STATE_CHANGE_TIMEOUT_S,
                             f"FIS experiment {self.experiment_id} to run", interval_s=self.settings.poll_interval_s)
        state = outcome.last_observation
        if state["status"] in TERMINAL_STATES:
            raise Aborted(f"FIS ended experiment {self.experiment_id} as {state['status']} before the fault was "
                          f"observed: {state.get('reason', 'no reason given')}")
        if not outcome.succeeded:
            raise Aborted(f"FIS experiment {self.experiment_id} is still {state['status']} after "
                          f"{STATE_CHANGE_TIMEOUT_S:g} s, expected running")

    def _running(self) -> tuple[bool, dict]:
        state = self.experiment_state(self.experiment_id)
        return state["status"] == "running" or state["status"] in TERMINAL_STATES, state

    def probe_under_fault(self) -> ProbeResult:
        """Probe the health endpoint while the fault runs; raise Aborted when a stop condition ends it."""
        reasons: list[str] = []

        def stop(result: ProbeResult) -> str:
            # Checking FIS and the alarms after every request would slow the probe, so every fifth.
            if result.sent % 5:
                return ""
            state = self.experiment_state(self.experiment_id)
            firing = sorted(name for name, value in alarm_states(self.clients, self.stop_alarms).items() if value == "ALARM")
            if state["status"] != "running" or firing:
                reasons.append(f"FIS experiment {self.experiment_id} is {state['status']} "
                               f"({state.get('reason', 'no reason given')}); alarms in ALARM: {', '.join(firing) or 'none'}")
            return reasons[-1] if reasons else ""

        result = probe(self.scope.health_url, self.settings.probe_requests, self.settings.probe_timeout_s,
                       budget_s=self.settings.probe_requests * self.settings.probe_timeout_s, stop=stop)
        if reasons:
            raise Aborted(f"a stop condition ended the {self.name} experiment on {self.scope.label}: {reasons[-1]}; "
                          "it was stopped and rolled back")
        return result

    def latency_problems(self, visible_ms: float) -> list[str]:
        result = probe(self.scope.health_url, RECOVERY_PROBE_REQUESTS, self.settings.probe_timeout_s)
        if result.server_errors or result.failed_requests:
            return [f"health endpoint answered {result.statuses}, expected HTTP 200"]
        if result.p95_ms is None or result.p95_ms >= visible_ms:
            return [f"health p95 is {result.p95_ms or 0:.0f} ms, expected below {visible_ms:.0f} ms"]
        return []
