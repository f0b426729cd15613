"""The ECS experiments: stop one running task, and scale the service out and back in.

Blast radius, decided here and checked by the preflight of each experiment:
- The task kill stops exactly one task, of the scope's service only, and only while at least two
  tasks run, so that one keeps serving while ECS replaces the other. It changes no desired count,
  so the service's desired count never drops below the scaling minimum; the desired count must
  not already be below it.
- Scaling raises the desired count by one, and only when that stays within the scaling maximum.
  It then restores the original count, which the preflight found within the scaling bounds.
"""

from __future__ import annotations

import logging
import time

import botocore.exceptions

from readiness.chaos.lifecycle import Experiment
from readiness.chaos.state import ServiceState, read_capacity
from readiness.drills import Phases

log = logging.getLogger(__name__)

# At least this many running tasks before one is stopped: one keeps serving while the other is replaced.
MIN_TASKS_FOR_KILL = 2
SCALE_STEP = 1


class TaskKill(Experiment):
    """Stop one random RUNNING task; recovered when running equals desired and every target is healthy."""

    name = "task-kill"

    @property
    def target_s(self) -> float:
        return self.settings.kill_target_s

    def blast_radius_problems(self, state: ServiceState) -> list[str]:
        problems = []
        if state.running < MIN_TASKS_FOR_KILL:
            problems.append(f"service {self.scope.label} runs {state.running} tasks; stopping one needs at least "
                            f"{MIN_TASKS_FOR_KILL}, so that one keeps serving")
        capacity = read_capacity(self.clients, self.scope)
        if capacity is not None and state.desired < capacity.minimum:
            problems.append(f"service {self.scope.label} wants {state.desired} tasks, below its scaling minimum of "
                            f"{capacity.minimum}")
        return problems

    def register_undo(self) -> None:
        desired = self.before.desired
        self.undo.register(f"restore desired count of {self.scope.label} to {desired}",
                           lambda: self.restore_desired_count(desired))

    def execute(self, phases: Phases) -> None:
        candidates = [task for task in self.before.tasks if task.get("group") == f"service:{self.scope.service}"]
        if not candidates:
            self.result.failures.append(f"no running task of {self.scope.label} carries group service:{self.scope.service}")
            return
        task = self.rng.choice(candidates)["taskArn"]

        with phases.phase(f"inject: stop task {task.rsplit('/', 1)[-1]}"):
            self.clients("ecs").stop_task(cluster=self.scope.cluster, task=task,
                                          reason=f"launch-readiness chaos experiment, run {self.run_id}")
            stopped_at = time.monotonic()
        self.result.details["stopped_task"] = task

        desired = self.before.desired

        def problems(state: ServiceState) -> list[str]:
            found = state.convergence_problems(desired)
            if task in state.task_arns:
                found.append(f"stopped task {task} still runs")
            return found

        with phases.phase("observe recovery"):
            self.wait_for_recovery(self.component, self.target_s, stopped_at, problems,
                                   f"{self.scope.label} to replace task {task}")


class ScaleOutAndIn(Experiment):
    """Raise the desired count by one, wait for healthy convergence, then restore the original count."""

    name = "scale-out-and-in"

    @property
    def target_s(self) -> float:
        return self.settings.scale_target_s

    def blast_radius_problems(self, state: ServiceState) -> list[str]:
        capacity = read_capacity(self.clients, self.scope)
        if capacity is None:
            return [f"service {self.scope.label} has no application auto-scaling target, so its scaling maximum is unknown"]
        problems = []
        if state.desired + SCALE_STEP > capacity.maximum:
            problems.append(f"scaling {self.scope.label} from {state.desired} to {state.desired + SCALE_STEP} tasks "
                            f"would exceed its scaling maximum of {capacity.maximum}")
        if state.desired < capacity.minimum:
            problems.append(f"service {self.scope.label} wants {state.desired} tasks, below its scaling minimum of "
                            f"{capacity.minimum}")
        return problems

    def register_undo(self) -> None:
        desired = self.before.desired
        self.undo.register(f"restore desired count of {self.scope.label} to {desired}",
                           lambda: self.restore_desired_count(desired))

    def execute(self, phases: Phases) -> None:
        original = self.before.desired
        raised = original + SCALE_STEP
        self.result.details.update(original_desired=original, raised_desired=raised)

        with phases.phase(f"inject: scale out from {original} to {raised} tasks"):
            self.set_desired_count(raised)
            scaled_out_at = time.monotonic()
        with phases.phase("observe scale-out"):
            self.wait_for_recovery("chaos:scale-out", self.target_s, scaled_out_at,
                                   lambda state: state.convergence_problems(raised),
                                   f"{self.scope.label} to run {raised} healthy tasks")

        with phases.phase(f"scale in from {raised} to {original} tasks"):
            try:
                self.set_desired_count(original)
            except botocore.exceptions.ClientError as error:
                # The rollback tries again and reports its own failure; the scale-in failure is a finding too.
                self.result.failures.append(f"scaling {self.scope.label} back in to {original} tasks failed: {error}")
                return
            scaled_in_at = time.monotonic()
        with phases.phase("observe scale-in"):
            self.wait_for_recovery("chaos:scale-in", self.target_s, scaled_in_at,
                                   lambda state: state.convergence_problems(original),
                                   f"{self.scope.label} to run {original} healthy tasks")

    def set_desired_count(self, desired: int) -> None:
        self.clients("ecs").update_service(cluster=self.scope.cluster, service=self.scope.service, desiredCount=desired)
        log.info("chaos %s: desired count of %s set to %d", self.name, self.scope.label, desired)
