"""`pytest -m dryrun` as users run it: embedded twin, verdict, reports, exit status."""

import json

import pytest

from support import run_checklist

pytestmark = pytest.mark.slow


def test_reference_stack_is_go_at_100(tmp_path):
    run = run_checklist(tmp_path / "reports")

    document = run.document
    assert run.returncode == 0, run.output
    assert document["verdict"] == "GO"
    assert document["pass_pct"] == 100
    assert document["counts"]["passed"] == 47
    assert "VERDICT: GO (100 %)" in run.output
    assert f"json report: {tmp_path / 'reports' / 'launch-readiness.json'}" in run.output


def test_reports_are_complete(tmp_path):
    run = run_checklist(tmp_path / "reports", "--twin-profile", "no-flow-logs")

    reports = tmp_path / "reports"
    allure = reports / "allure-results"
    categories = json.loads((allure / "categories.json").read_text())
    assert run.document["api_calls"]["total"] > 0
    assert (reports / "launch-readiness.md").read_text().startswith("# Launch readiness: GO")
    assert "INF-03" in (reports / "launch-readiness.md").read_text()
    assert (reports / "junit.xml").is_file()
    assert "Verdict=GO (97.9 %)" in (allure / "environment.properties").read_text()
    assert json.loads((allure / "executor.json").read_text())["name"] == "launch-readiness"
    assert any(category["name"].startswith("Unverifiable") for category in categories)
    criteria_results = [path for path in allure.glob("*-result.json")
                        if any(label["name"] == "criterion" for label in json.loads(path.read_text())["labels"])]
    assert len(criteria_results) == 47


def test_blocker_drift_is_no_go_with_exit_1(tmp_path):
    run = run_checklist(tmp_path / "reports", "--twin-profile", "single-az-public-subnets")

    assert run.returncode == 1
    assert run.document["verdict"] == "NO-GO"
    assert run.document["blocking"] == ["INF-01"]
    assert "VERDICT: NO-GO" in run.output


def test_xdist_run_matches_single_process(tmp_path):
    run = run_checklist(tmp_path / "reports", "-n", "2")

    assert run.returncode == 0, run.output
    assert run.document["pass_pct"] == 100
    assert run.document["api_calls"]["total"] > 0


def test_denied_permission_is_unverifiable_not_pass(tmp_path):
    run = run_checklist(tmp_path / "reports", "--twin-profile", "deny-describe-subnets")

    not_passed = run.not_passed()
    assert not_passed.get("INF-01") == "unverifiable"
    assert "ec2:DescribeSubnets" in run.message("INF-01")
    assert run.document["counts"]["unverifiable"] >= 1
    assert run.returncode == 1
    assert "UNVERIFIABLE" in run.output


def test_missing_output_is_unverifiable(tmp_path, twin):
    twin.reseed([])
    outputs = {key: {"value": value} for key, value in twin.outputs.items() if key != "vpc_id"}
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))

    run = run_checklist(tmp_path / "reports", "checks/test_network.py", f"--endpoint-url={twin.endpoint_url}",
                        f"--tf-outputs={outputs_file}")

    assert run.outcomes()["INF-01"] == "unverifiable"
    assert "'vpc_id'" in run.message("INF-01")
