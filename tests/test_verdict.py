"""Verdict rules as properties: threshold, blockers, unverifiable, recovery objectives."""

from hypothesis import given, strategies as st

from readiness.verdict import FAILED, PASSED, SKIPPED, UNVERIFIABLE, Measurement, Result, score

SEVERITIES = ("blocker", "major", "minor")
TOTAL = 47

results_strategy = st.lists(
    st.tuples(st.sampled_from((PASSED, FAILED, UNVERIFIABLE, SKIPPED)), st.sampled_from(SEVERITIES)),
    max_size=TOTAL,
).map(lambda pairs: [Result(f"C-{index:02d}", outcome, severity) for index, (outcome, severity) in enumerate(pairs)])
threshold_strategy = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(results_strategy, threshold_strategy)
def test_pass_pct_counts_only_passed_over_catalog(results, threshold):
    verdict = score(results, TOTAL, threshold)

    passed = sum(result.outcome == PASSED for result in results)
    assert verdict.pass_pct == round(passed / TOTAL * 100, 1)
    assert sum(verdict.counts.values()) == TOTAL


@given(results_strategy, threshold_strategy)
def test_go_needs_threshold_and_no_open_blocker(results, threshold):
    verdict = score(results, TOTAL, threshold)

    open_blocker = any(r.severity == "blocker" and r.outcome in (FAILED, UNVERIFIABLE) for r in results)
    expected_go = verdict.pass_pct >= threshold and not open_blocker
    assert verdict.go is expected_go
    assert verdict.label == ("GO" if expected_go else "NO-GO")


@given(results_strategy)
def test_unverifiable_never_counts_as_passed(results):
    as_unverifiable = [Result(r.criterion_id, UNVERIFIABLE if r.outcome == PASSED else r.outcome, r.severity) for r in results]

    assert score(as_unverifiable, TOTAL, 0).counts[PASSED] == 0
    assert score(as_unverifiable, TOTAL, 0).pass_pct == 0


@given(st.floats(min_value=1, max_value=3600), st.floats(min_value=0, max_value=7200))
def test_breached_objective_makes_no_go(target_s, measured_s):
    all_passed = [Result(f"C-{index:02d}", PASSED, "minor") for index in range(TOTAL)]
    measurement = Measurement("database", "RTO", target_s, measured_s, "restore")

    verdict = score(all_passed, TOTAL, 90, [measurement])

    assert verdict.go is (measured_s <= target_s)


def test_unmeasured_objective_is_breach():
    all_passed = [Result(f"C-{index:02d}", PASSED, "minor") for index in range(TOTAL)]

    verdict = score(all_passed, TOTAL, 90, [Measurement("database", "RTO", 600, None, "restore")])

    assert not verdict.go
    assert "not measured" in verdict.reasons[0]


def test_missing_criteria_count_as_not_run():
    verdict = score([Result("INF-01", PASSED, "blocker")], TOTAL, 90)

    assert verdict.counts["not run"] == TOTAL - 1
    assert not verdict.go


def test_minor_failure_above_threshold_is_go():
    results = [Result(f"C-{index:02d}", PASSED, "blocker") for index in range(TOTAL - 1)]
    results.append(Result("C-46", FAILED, "minor"))

    verdict = score(results, TOTAL, 90)

    assert verdict.go
    assert verdict.pass_pct == 97.9


def test_failed_drill_makes_no_go():
    all_passed = [Result(f"C-{index:02d}", PASSED, "minor") for index in range(TOTAL)]
    drill = Result("dr_drills/test_restore.py::test_restore", FAILED, "", "restore took 900 s")

    verdict = score(all_passed, TOTAL, 90, drills=[drill])

    assert not verdict.go
    assert "restore took 900 s" in verdict.reasons[0]


def test_drill_skipped_as_unsafe_is_not_passed():
    all_passed = [Result(f"C-{index:02d}", PASSED, "minor") for index in range(TOTAL)]

    verdict = score(all_passed, TOTAL, 90, drills=[Result("chaos/test_kill.py::test_kill", SKIPPED, "", "steady state")])

    assert not verdict.go
