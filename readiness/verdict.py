"""Pure scoring: criterion results and recovery measurements in, one GO / NO-GO verdict out."""

from __future__ import annotations

from dataclasses import dataclass, field

PASSED, FAILED, UNVERIFIABLE, SKIPPED, NOT_RUN = "passed", "failed", "unverifiable", "skipped", "not run"
OUTCOMES = (PASSED, FAILED, UNVERIFIABLE, SKIPPED, NOT_RUN)


@dataclass(frozen=True)
class Result:
    """The outcome of one criterion, with its severity and the failure or skip message."""

    criterion_id: str
    outcome: str
    severity: str
    message: str = ""


@dataclass(frozen=True)
class Measurement:
    """A measured recovery time or recovery point, in seconds, against its target.

    ``measured_s`` is None when the drill could not measure it (a timeout counts as a breach).
    """

    component: str
    objective: str
    target_s: float
    measured_s: float | None
    source: str

    @property
    def breached(self) -> bool:
        return self.measured_s is None or self.measured_s > self.target_s


@dataclass(frozen=True)
class Verdict:
    go: bool
    pass_pct: float
    threshold: float
    total: int
    counts: dict[str, int]
    blocking: tuple[str, ...]
    breaches: tuple[Measurement, ...]
    reasons: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return "GO" if self.go else "NO-GO"


def score(
    results: list[Result],
    total: int,
    threshold: float,
    measurements: list[Measurement] = (),
    drills: list[Result] = (),
) -> Verdict:
    """Score results against the catalog size.

    GO needs pass_pct >= threshold, no failed or unverifiable blocker, no breached recovery
    objective, and every drill or experiment that ran passed (a skip as not safe to run is
    not a pass). Criteria that did not run count as not passed.
    """
    if total <= 0:
        raise ValueError("the catalog must hold at least one criterion")

    counts = {outcome: 0 for outcome in OUTCOMES}
    for result in results:
        counts[result.outcome] += 1
    counts[NOT_RUN] += max(total - len(results), 0)

    pass_pct = round(counts[PASSED] / total * 100, 1)
    blocking = tuple(
        result.criterion_id
        for result in results
        if result.severity == "blocker" and result.outcome in (FAILED, UNVERIFIABLE)
    )
    breaches = tuple(measurement for measurement in measurements if measurement.breached)
    unsuccessful_drills = [drill for drill in drills if drill.outcome != PASSED]

    reasons = []
    if pass_pct < threshold:
        reasons.append(f"pass percentage {pass_pct:g} % is below the GO threshold of {threshold:g} %")
    if blocking:
        reasons.append(f"blocker criteria not passed: {', '.join(blocking)}")
    for breach in breaches:
        measured = "not measured" if breach.measured_s is None else f"{breach.measured_s:.1f} s"
        reasons.append(
            f"{breach.component} {breach.objective} {measured} exceeds its target of {breach.target_s:g} s"
        )

    for drill in unsuccessful_drills:
        reasons.append(f"drill {drill.criterion_id} {drill.outcome}: {drill.message}".rstrip(": "))

    return Verdict(
        go=not reasons,
        pass_pct=pass_pct,
        threshold=threshold,
        total=total,
        counts=counts,
        blocking=blocking,
        breaches=breaches,
        reasons=tuple(reasons),
    )
