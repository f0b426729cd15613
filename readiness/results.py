"""Gathers criterion outcomes, recovery measurements and API call counts from test reports."""

from __future__ import annotations

import collections
import json

import pytest

from readiness.criteria import Criterion
from readiness.verdict import FAILED, PASSED, SKIPPED, UNVERIFIABLE, Measurement, Result

MEASUREMENT_PROPERTY = "measurement"


def short_message(report: pytest.TestReport) -> str:
    """Return the one-line reason of a failed or skipped report."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # skip: (path, line, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        # pytest appends the rewritten assert expression after the message; keep the sentence only.
        message = crash.message.split("\nassert ")[0]
        return message.removeprefix("AssertionError: ").strip()
    return str(longrepr).strip().splitlines()[-1] if str(longrepr).strip() else ""


class ResultCollector:
    """Keeps the outcome of each criterion and the drills' measurements as reports arrive."""

    def __init__(self) -> None:
        self.results: dict[str, tuple[str, str]] = {}
        self.measurements: list[Measurement] = []
        self.calls: collections.Counter[str] = collections.Counter()
        self.drills: dict[str, tuple[str, str]] = {}
        self.live_tests: set[str] = set()

    def add_calls(self, counts: dict[str, int]) -> None:
        self.calls.update(counts)

    def add_report(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)

        if report.when == "call" or report.outcome != "passed":
            for name, value in report.user_properties:
                if name == MEASUREMENT_PROPERTY and report.when == "call":
                    self.measurements.append(Measurement(**json.loads(value)))

        if properties.get("mode") == "live":
            self.live_tests.add(report.nodeid)

        key = properties.get("criterion")
        results = self.results
        if key is None:
            key = properties.get("drill")
            results = self.drills
        if key is None:
            return

        outcome = self._outcome(report, properties)
        if outcome is None:
            return
        previous = results.get(key)
        # A teardown error after a pass (a failed undo, say) still fails; otherwise the first outcome is kept.
        if previous is None or (previous[0] == PASSED and outcome != PASSED):
            results[key] = (outcome, short_message(report))

    @staticmethod
    def _outcome(report: pytest.TestReport, properties: dict) -> str | None:
        if report.passed:
            return PASSED if report.when == "call" else None
        if report.skipped:
            return SKIPPED
        if properties.get("outcome") == UNVERIFIABLE:
            return UNVERIFIABLE
        return FAILED

    def drill_results(self) -> list[Result]:
        """Return one Result per drill or experiment that ran; drills carry no severity."""
        return [Result(node_id, outcome, "", message) for node_id, (outcome, message) in self.drills.items()]

    def verdict_results(self, catalog: dict[str, Criterion]) -> list[Result]:
        """Return one Result per criterion that ran, in catalog order."""
        results = []
        for criterion_id, criterion in catalog.items():
            if criterion_id in self.results:
                outcome, message = self.results[criterion_id]
                results.append(Result(criterion_id, outcome, criterion.severity, message))
        return results
