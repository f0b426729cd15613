"""Bad options, outputs files, credentials and folders end with one clear message, not a traceback."""

import pytest

from support import run_checklist

USAGE_ERROR = 4


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--target", "gcp"], "--target 'gcp' is not valid; use one of: twin, aws"),
        (["--tf-outputs", "absent.json", "--target", "aws"], "--tf-outputs absent.json: file not found"),
        (["--tf-dir", "a", "--tf-outputs", "b"], "pass only one"),
        (["--endpoint-url", "http://127.0.0.1:9"], "--endpoint-url needs --tf-outputs"),
        (["--target", "aws"], "--target aws needs the stack's outputs"),
        (["--confirm-account", "12345"], "must be a 12-digit AWS account id"),
        (["--last-gameday", "yesterday"], "must be a date like"),
        (["--runbooks-dir", "no-such-folder"], "--runbooks-dir no-such-folder: folder not found"),
        (["--twin-profile", "no-such-profile"], "unknown twin profile no-such-profile; known profiles:"),
        (["-o", "go_threshold=high"], "go_threshold = 'high' must be a number"),
        (["-o", "go_threshold=120"], "go_threshold = 120 must be between 0 and 100"),
    ],
)
def test_bad_option_gives_one_clear_message(tmp_path, arguments, expected):
    run = run_checklist(tmp_path / "reports", "checks/test_network.py", *arguments)

    assert run.returncode == USAGE_ERROR, run.output
    assert expected in run.output
    assert "Traceback" not in run.output


def test_malformed_outputs_file(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text("{not json")

    run = run_checklist(tmp_path / "reports", "checks/test_network.py", "--target", "aws", f"--tf-outputs={outputs}")

    assert run.returncode == USAGE_ERROR
    assert "invalid JSON at line 1" in run.output


def test_aws_without_credentials(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text('{"region": {"value": "eu-west-1"}, "backup_region": {"value": "eu-central-1"}}')

    run = run_checklist(tmp_path / "reports", "checks/test_network.py", "--target", "aws", f"--tf-outputs={outputs}")

    assert run.returncode == USAGE_ERROR, run.output
    assert "--target aws needs AWS credentials and none were found" in run.output
    assert "Traceback" not in run.output


def test_reports_dir_that_is_a_file(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("")

    run = run_checklist(blocker, "checks/test_network.py")

    assert run.returncode == USAGE_ERROR
    assert "exists and is not a folder" in run.output


FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"}


def live_sample(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text('{"region": {"value": "eu-west-1"}, "backup_region": {"value": "eu-central-1"}}')
    live_test = tmp_path / "test_live_sample.py"
    live_test.write_text("import pytest\n\n@pytest.mark.live\ndef test_disrupt():\n    pass\n")
    return outputs, live_test


def test_live_on_real_account_needs_confirmation(tmp_path):
    outputs, live_test = live_sample(tmp_path)

    run = run_checklist(tmp_path / "reports", str(live_test), "-m", "live", "--target", "aws",
                        f"--tf-outputs={outputs}", "-p", "readiness.plugin", env=FAKE_CREDENTIALS)

    assert run.returncode == USAGE_ERROR, run.output
    assert "live tests change resources in a real account; pass --confirm-account" in run.output


def test_live_with_wrong_account_changes_nothing(tmp_path, twin):
    outputs, live_test = live_sample(tmp_path)
    # STS calls go to the twin, which returns its own account id; no other service has an endpoint set.
    sts_on_twin = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_STS": twin.endpoint_url}

    run = run_checklist(tmp_path / "reports", str(live_test), "-m", "live", "--target", "aws",
                        f"--tf-outputs={outputs}", "--confirm-account", "111122223333",
                        "-p", "readiness.plugin", env=sts_on_twin)

    assert run.returncode == USAGE_ERROR, run.output
    assert "--confirm-account 111122223333 does not match the caller's account 123456789012" in run.output
    assert "1 passed" not in run.output
