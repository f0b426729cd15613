"""Drills undo what they did when interrupted midway, and a dryrun of them calls only read operations."""

import signal
import subprocess
import time

import pytest

from support import REPO_ROOT, isolated_environment
from drill_runs import drill_command, drills_on, leftovers, twin_client  # noqa: F401 - drills_on is a fixture
from readiness.recovery import DRILL_PREFIX, DRILL_TAG, HOLD_MARKER_VARIABLE, HOLD_VARIABLE
from readiness.target import is_read_operation

pytestmark = pytest.mark.slow

# pytest's exit status after a KeyboardInterrupt.
INTERRUPTED = 2


def _wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _drill_tags(twin) -> list[dict]:
    """Return the readiness:drill tags of the DB instances a restore drill created."""
    rds = twin_client(twin, "rds")
    return [tag for instance in rds.describe_db_instances()["DBInstances"]
            if instance["DBInstanceIdentifier"].startswith(DRILL_PREFIX)
            for tag in rds.list_tags_for_resource(ResourceName=instance["DBInstanceArn"])["TagList"]
            if tag["Key"] == DRILL_TAG]


@pytest.mark.parametrize("point, drill, leaves_resource", [
    ("restore:started", "test_restore_drill", True),
    ("restore:restored", "test_restore_drill", True),
    ("replication:canary-written", "test_replication_probe", True),
    ("failover:started", "test_failover_drill", False),
])
def test_interrupted_drill_is_undone(tmp_path, twin, point, drill, leaves_resource):
    twin.reseed([])
    holding = tmp_path / "holding"
    environment = {**isolated_environment(), HOLD_VARIABLE: point, HOLD_MARKER_VARIABLE: str(holding)}
    process = subprocess.Popen(drill_command(twin, tmp_path, "live", "-k", drill, "dr_drills"), cwd=REPO_ROOT,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started_holding = _wait_for(lambda: holding.exists() or process.poll() is not None, 120)
        midway = leftovers(twin)
        tags = _drill_tags(twin)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()

    assert started_holding and holding.read_text() == point, output[-3000:]
    assert bool(midway) is leaves_resource
    if point == "restore:restored":
        # The restored instance is named and tagged with the same run id.
        assert len(tags) == 1
        # Midway the scratch subnet group and security group exist beside the restored instance.
        assert f"DB instance {DRILL_PREFIX}-{tags[0]['Value']}" in midway
    assert process.returncode == INTERRUPTED, output[-3000:]
    assert "KeyboardInterrupt" in output
    assert leftovers(twin) == []
    rds = twin_client(twin, "rds")
    database = rds.describe_db_instances(DBInstanceIdentifier=twin.outputs["db_instance_identifier"])["DBInstances"][0]
    assert database["DBInstanceStatus"] == "available"


def test_dryrun_calls_only_read_operations(drills_on):
    # A session of drills alone writes no launch-readiness.json, so one criterion file runs with them.
    run = drills_on(marker="dryrun", paths=("dr_drills", "checks/test_network.py"))

    operations = run.document["api_calls"]["by_operation"]
    drills = {item["test"].split("::")[-1]: item["outcome"] for item in run.document["drills"]}
    assert [operation for operation in operations if not is_read_operation(operation.split(":", 1)[1])] == []
    assert {"backup:ListRecoveryPointsByBackupVault", "backup:GetRecoveryPointRestoreMetadata",
            "monitoring:GetMetricStatistics", "secretsmanager:DescribeSecret"} <= set(operations)
    assert set(drills.values()) == {"passed"}
    assert len(drills) == 7
