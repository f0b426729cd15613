"""Building blocks shared by drills and experiments: timed phases, bounded waits, the undo registry."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import allure

log = logging.getLogger(__name__)


@dataclass
class UndoStep:
    description: str
    action: Callable[[], None]
    done: bool = False
    error: str = ""


@dataclass
class UndoRegistry:
    """Undo actions registered before each disruptive step, run newest first exactly once.

    Every step is attempted even when an earlier one fails; failures are returned, never hidden.
    """

    steps: list[UndoStep] = field(default_factory=list)

    def register(self, description: str, action: Callable[[], None]) -> UndoStep:
        step = UndoStep(description, action)
        self.steps.append(step)
        log.info("registered undo: %s", description)
        return step

    def run(self) -> list[UndoStep]:
        """Run every pending undo step; return the ones that failed."""
        failed = []
        for step in reversed(self.steps):
            if step.done:
                continue
            with allure.step(f"undo: {step.description}"):
                try:
                    step.action()
                except Exception as error:  # noqa: BLE001 - every undo step must get its turn
                    step.error = f"{type(error).__name__}: {error}"
                    log.warning("undo failed: %s: %s", step.description, step.error)
                    failed.append(step)
                else:
                    log.info("undone: %s", step.description)
                step.done = True
        return failed


@dataclass(frozen=True)
class WaitResult:
    succeeded: bool
    elapsed_s: float
    last_observation: object


def wait_until(check: Callable[[], tuple[bool, object]], timeout_s: float, description: str,
               interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> WaitResult:
    """Poll check() until it reports success or timeout_s passes; never waits without bound.

    check returns (done, observation); the last observation is kept for the failure message.
    Progress is logged at INFO about every 10 s so a long wait is visible.
    """
    started = clock()
    next_progress = started + 10
    observation = None
    while True:
        done, observation = check()
        elapsed = clock() - started
        if done:
            return WaitResult(True, elapsed, observation)
        if elapsed >= timeout_s:
            log.warning("gave up waiting for %s after %.1f s; last observation: %s", description, elapsed, observation)
            return WaitResult(False, elapsed, observation)
        if clock() >= next_progress:
            log.info("still waiting for %s (%.0f s of %.0f s): %s", description, elapsed, timeout_s, observation)
            next_progress += 10
        sleep(min(interval_s, max(timeout_s - elapsed, 0)))


class Phases:
    """Names each phase of a drill as an Allure step and records how long it took."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, label: str) -> Iterator[None]:
        log.info("%s: %s", self.name, label)
        started = time.monotonic()
        with allure.step(label):
            try:
                yield
            finally:
                self.timings[label] = time.monotonic() - started


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive file lock, so that live drills run one at a time across xdist workers."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
