"""Every drift profile makes exactly the criteria it names fail, for the reason it names."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from readiness.criteria import load_catalog
from readiness.twin.profiles import load_profiles

pytestmark = pytest.mark.slow

PROFILES = load_profiles()


def test_every_criterion_has_a_failing_profile():
    broken = {criterion_id for drift in PROFILES.values() if drift.outcome == "failed" for criterion_id in drift.breaks}

    assert sorted(set(load_catalog()) - broken) == []


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_breaks_exactly_its_criteria(name, checklist_on):
    drift = PROFILES[name]

    run = checklist_on(name)

    not_passed = run.not_passed()
    assert set(not_passed) == set(drift.breaks), run.output[-3000:]
    for criterion_id in drift.breaks:
        assert not_passed[criterion_id] == drift.outcome
        if drift.expect_in_message:
            assert drift.expect_in_message in run.message(criterion_id)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(name for name, drift in PROFILES.items() if drift.outcome == "failed")),
                min_size=2, max_size=3, unique=True))
def test_combined_profiles_break_the_union(checklist_on, names):
    run = checklist_on(*names)

    expected = set().union(*(PROFILES[name].breaks for name in names))
    assert set(run.not_passed()) == expected
