"""The lifecycle every experiment follows: steady state, inject, observe recovery, roll back, steady state again."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from readiness.chaos.scope import Clients, Scope
from readiness.chaos.settings import ChaosSettings
from readiness.chaos.state import ServiceState, describe_service, read_state
from readiness.chaos.template import read_template, stop_alarm_names
from readiness.drills import Phases, UndoRegistry, wait_until

log = logging.getLogger(__name__)

# Tag put on every FIS experiment a run starts, so that its rollback finds them.
RUN_TAG = "launch-readiness-run"
# With a time budget (the chaos function's timeout), the waits stop this early to leave time to roll back.
ROLLBACK_RESERVE_S = 30.0


class NotSafe(Exception):
    """The experiment must not start: the steady state or a safety limit does not hold."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Aborted(Exception):
    """A stop condition fired while the fault was in place."""


@dataclass
class Recovery:
    """How long one return to the steady state took, against its target."""

    component: str
    target_s: float
    # None when the service did not recover while the experiment waited.
    measured_s: float | None
    waited_s: float
    last_observation: str = ""

    @property
    def within_target(self) -> bool:
        return self.measured_s is not None and self.measured_s <= self.target_s

    def describe(self) -> str:
        if self.measured_s is None:
            return (f"{self.component} did not recover within {self.waited_s:.1f} s (target {self.target_s:g} s); "
                    f"last observation: {self.last_observation}")
        return f"{self.component} recovered in {self.measured_s:.1f} s (target {self.target_s:g} s)"


@dataclass
class ExperimentResult:
    """The observations of one experiment run, from injection to the steady-state check after rollback."""

    experiment: str
    scope: str
    recoveries: list[Recovery] = field(default_factory=list)
    # Why a stop condition ended the experiment early; empty when none fired.
    aborted: str = ""
    # Observations that contradict the experiment's hypothesis, other than slow recoveries.
    failures: list[str] = field(default_factory=list)
    rollback_failures: list[str] = field(default_factory=list)
    # Problems of the steady-state check after rollback; empty when the steady state is back.
    steady_after: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    @property
    def recovered_within_target(self) -> bool:
        return bool(self.recoveries) and all(recovery.within_target for recovery in self.recoveries)

    @property
    def passed(self) -> bool:
        return (not self.aborted and not self.failures and not self.rollback_failures and not self.steady_after
                and self.recovered_within_target)

    @property
    def recovery_s(self) -> float | None:
        """The slowest recovery measured, or None when one did not happen or none was measured."""
        measured = [recovery.measured_s for recovery in self.recoveries]
        if not measured or None in measured:
            return None
        return max(measured)

    def recovery_message(self) -> str:
        """Return one sentence per recovery, naming the measured time and the target."""
        if not self.recoveries:
            return f"{self.experiment} on {self.scope} measured no recovery"
        return f"{self.experiment} on {self.scope}: " + "; ".join(recovery.describe() for recovery in self.recoveries)

    def to_dict(self) -> dict:
        return {
            "experiment": self.experiment, "scope": self.scope, "passed": self.passed,
            "recoveries": [vars(recovery) for recovery in self.recoveries], "aborted": self.aborted,
            "failures": self.failures, "rollback_failures": self.rollback_failures,
            "steady_after": self.steady_after, "timings": self.timings, "details": self.details,
        }


class Experiment:
    """One chaos experiment. Subclasses name it and implement blast_radius_problems, register_undo and execute."""

    name: ClassVar[str] = ""

    def __init__(self, clients: Clients, scope: Scope, settings: ChaosSettings, undo: UndoRegistry, run_id: str,
                 budget_s: float | None = None, rng: random.Random | None = None) -> None:
        self.clients = clients
        self.scope = scope
        self.settings = settings
        self.undo = undo
        self.run_id = run_id
        self.rng = rng or random.Random()
        self.deadline = time.monotonic() + budget_s if budget_s is not None else None
        self.stop_alarms: list[str] = []
        self.before: ServiceState | None = None
        self.result = ExperimentResult(self.name, scope.label)
        self._template: dict | None = None

    @property
    def component(self) -> str:
        return f"chaos:{self.name}"

    # Steady state and safety limits ----------------------------------------------------------

    def preflight(self) -> list[str]:
        """Return every reason the experiment may not start now; empty when it may. Only reads."""
        self.stop_alarms, problems = self.resolve_stop_alarms()
        self.before = self.read(probe=True)
        problems += self.before.steady_state_problems()
        problems += self.blast_radius_problems(self.before)
        return problems

    def resolve_stop_alarms(self) -> tuple[list[str], list[str]]:
        """Return the stop-condition alarm names: chaos_stop_alarms, else the FIS template's stop conditions."""
        if self.settings.stop_alarms:
            return list(self.settings.stop_alarms), []
        if not self.scope.template_id:
            return [], ["no stop-condition alarm is configured: set chaos_stop_alarms, or give the chaos function "
                        "an EXPERIMENT_TEMPLATE_ID whose FIS template has alarm stop conditions"]
        names = stop_alarm_names(self.template())
        if not names:
            return [], [f"FIS template {self.scope.template_id} has no CloudWatch alarm stop condition and "
                        "chaos_stop_alarms is not set, so nothing would stop a harmful experiment"]
        return names, []

    def template(self) -> dict:
        """Return the FIS latency template, read once per experiment."""
        if self._template is None:
            self._template = read_template(self.clients, self.scope.template_id)
        return self._template

    def blast_radius_problems(self, state: ServiceState) -> list[str]:
        raise NotImplementedError

    # The lifecycle ---------------------------------------------------------------------------

    def run(self) -> ExperimentResult:
        """Run the whole lifecycle; raise NotSafe before changing anything when the preflight fails.

        Rollback runs on every path: after the experiment, after an abort, and before an exception
        or KeyboardInterrupt propagates. Its undo steps are registered before the fault is injected.
        """
        phases = Phases(f"chaos {self.name}")
        with phases.phase("steady state before"):
            problems = self.preflight()
        if problems:
            raise NotSafe(problems)

        try:
            self.register_undo()
            self.execute(phases)
        except Aborted as abort:
            self.result.aborted = str(abort)
            log.warning("chaos %s aborted: %s", self.name, abort)
        except BaseException as error:
            failed = self.roll_back(phases)
            if failed:
                error.add_note(f"rollback after the error failed: {'; '.join(failed)}")
            raise

        self.roll_back(phases)
        with phases.phase("steady state after"):
            self.result.steady_after = self.after_problems(self.read(probe=True))
        self.result.timings = dict(phases.timings)
        return self.result

    def register_undo(self) -> None:
        raise NotImplementedError

    def execute(self, phases: Phases) -> None:
        raise NotImplementedError

    def roll_back(self, phases: Phases) -> list[str]:
        """Run every pending undo step; record and return the failures."""
        with phases.phase("roll back"):
            failed = [f"{step.description}: {step.error}" for step in self.undo.run()]
        self.result.rollback_failures += failed
        for failure in failed:
            log.error("chaos %s rollback failed: %s", self.name, failure)
        return failed

    def after_problems(self, state: ServiceState) -> list[str]:
        """Return why the steady state does not hold after rollback, including a changed desired count."""
        problems = state.steady_state_problems()
        if self.before is not None and state.desired != self.before.desired:
            problems.insert(0, f"service {self.scope.label} wants {state.desired} tasks after rollback, "
                               f"expected {self.before.desired} as before the experiment")
        return problems

    # Helpers for subclasses ------------------------------------------------------------------

    def read(self, probe: bool = False) -> ServiceState:
        return read_state(self.clients, self.scope, self.stop_alarms,
                          self.settings.probe_requests if probe else 0, self.settings.probe_timeout_s)

    def watch(self, state: ServiceState) -> None:
        """Raise Aborted when a stop-condition alarm is in ALARM."""
        firing = state.firing_alarms()
        if firing:
            raise Aborted(f"stop-condition alarm {', '.join(firing)} entered ALARM during the {self.name} experiment "
                          f"on {self.scope.label}, so it was stopped and rolled back")

    def wait_limit(self, target_s: float) -> float:
        """Return how long to wait for a recovery: a multiple of its target, cut to the time budget."""
        limit = target_s * self.settings.recovery_wait_factor
        if self.deadline is not None:
            limit = min(limit, max(0.0, self.deadline - ROLLBACK_RESERVE_S - time.monotonic()))
        return limit

    def wait_for_recovery(self, component: str, target_s: float, started_at: float,
                          problems_of: Callable[[ServiceState], list[str]], description: str) -> Recovery:
        """Poll until problems_of(state) is empty; the measured time counts from started_at."""

        def check() -> tuple[bool, str]:
            state = self.read()
            self.watch(state)
            problems = problems_of(state)
            return not problems, "; ".join(problems) or "recovered"

        outcome = wait_until(check, self.wait_limit(target_s), description, interval_s=self.settings.poll_interval_s)
        waited = time.monotonic() - started_at
        recovery = Recovery(component, target_s, waited if outcome.succeeded else None, waited,
                            "" if outcome.succeeded else str(outcome.last_observation))
        self.result.recoveries.append(recovery)
        log.info("chaos %s: %s", self.name, recovery.describe())
        return recovery

    def restore_desired_count(self, desired: int) -> None:
        """Set the service's desired count back to `desired` if it differs now."""
        current = int(describe_service(self.clients, self.scope).get("desiredCount", 0))
        if current != desired:
            self.clients("ecs").update_service(cluster=self.scope.cluster, service=self.scope.service,
                                               desiredCount=desired)
            log.info("chaos %s: desired count of %s restored from %d to %d", self.name, self.scope.label, current, desired)
