"""Each drill passes on the reference twin and fails on its drift profile with a message naming the component,
the measured value and the target. Live runs leave no drill resource behind and report every component's RTO and RPO."""

import re

import pytest

from drill_runs import drills_on, leftovers, twin_client  # noqa: F401 - drills_on is a fixture
from readiness.options import INI_SETTINGS
from readiness.recovery import NAMESPACE
from readiness.twin.profiles import load_profiles

pytestmark = pytest.mark.slow

DRYRUN_DRILLS = {
    "test_newest_recovery_points_recent", "test_newest_points_copied_to_backup_region",
    "test_database_point_in_time_within_rpo", "test_restore_readiness", "test_replication_rules_cover_bucket",
    "test_replication_latency_last_day", "test_secret_replica_in_sync",
}
LIVE_DRILLS = {"test_restore_drill", "test_replication_probe", "test_failover_drill", "test_credentials_drill"}
MARKERS = {"dryrun": DRYRUN_DRILLS, "live": LIVE_DRILLS}
COMPONENTS = ("application", "database", "static_assets", "credentials")

# (profile, marker, extra arguments, {drill: pattern its failure message must match})
CASES = [
    ("stale-recovery-point", "dryrun", (), {"test_newest_recovery_points_recent":
        r"database app-db: newest COMPLETED recovery point \S+ completed 27\.\d h ago, expected younger than 26 h"}),
    ("missing-cross-region-copy", "dryrun", (), {"test_newest_points_copied_to_backup_region":
        r"database app-db: copy job \w+ is COMPLETED but its recovery point \S+ is not in vault app-backup-copy-vault"}),
    ("point-in-time-behind", "dryrun", (), {"test_database_point_in_time_within_rpo":
        r"database RPO 27\d\d\.\d s against a target of 300 s"}),
    ("point-in-time-behind", "live", (), {"test_restore_drill": r"database RPO 27\d\d\.\d s against a target of 300 s"}),
    ("restore-role-untrusted", "dryrun", (), {"test_restore_readiness":
        r"restore role \S+/app-backup-restore trusts \['ec2.amazonaws.com'\]"}),
    ("restore-role-untrusted", "live", (), {"test_restore_drill":
        r"ended FAILED: IAM role \S+ does not trust backup.amazonaws.com; "
        r"database RTO not measured against a target of 600 s"}),
    ("slow-restore", "live", ("-o", "rto_database=1"), {"test_restore_drill":
        r"database RTO not measured against a target of 1 s .*after 1\.5 s"}),
    ("replica-key-outside-backup-region", "dryrun", (), {"test_replication_rules_cover_bucket":
        r"rule replicate-everything encrypts replicas with key \S+:eu-west-1:\S+, which is not in eu-central-1"}),
    ("replica-key-outside-backup-region", "live", (), {"test_replication_probe":
        r"static_assets RPO not measured against a target of 60 s .*'source status': 'FAILED'"}),
    ("slow-replication", "dryrun", (), {"test_replication_latency_last_day":
        r"static_assets RPO 1500\.0 s against a target of 60 s"}),
    ("slow-replication", "live", ("-o", "rpo_static_assets=1"), {"test_replication_probe":
        r"static_assets RPO not measured against a target of 1 s .*within 1\.5 s"}),
    ("failover-same-az", "live", (), {"test_failover_drill":
        r"database app-db came back in eu-west-1a, the AZ it ran in before the forced failover; expected its "
        r"standby's AZ eu-west-1b; application RTO \d+\.\d s against a target of 300 s"}),
    ("secret-replica-out-of-sync", "dryrun", (), {"test_secret_replica_in_sync":
        r"credentials: the replica of secret app/db-credentials in eu-central-1 is Failed"}),
    ("secret-replica-out-of-sync", "live", (), {"test_credentials_drill":
        r"credentials RPO 720\d\.\d s against a target of 1800 s"}),
]


def test_cases_cover_declared_drills():
    covered: dict[str, set[str]] = {}
    for name, _marker, _extra, messages in CASES:
        covered.setdefault(name, set()).update(messages)

    declared = {name: set(drift.drills) for name, drift in load_profiles().items()
                if drift.apply.__module__ == "readiness.twin.profiles.drills"}
    assert covered == declared


@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_reference_twin_passes_every_drill(drills_on, twin, marker):
    run = drills_on(marker=marker)

    assert run.returncode == 0, run.output[-3000:]
    assert set(run.outcomes()) == MARKERS[marker]
    assert run.not_passed() == {}
    assert leftovers(twin) == []


@pytest.mark.parametrize("name, marker, extra, messages", CASES, ids=[f"{case[0]}-{case[1]}" for case in CASES])
def test_profile_fails_its_drill(drills_on, twin, name, marker, extra, messages):
    run = drills_on(name, marker=marker, extra=extra)

    assert run.not_passed() == {drill: "failed" for drill in messages}, run.output[-3000:]
    for drill, pattern in messages.items():
        assert re.search(pattern, run.message(drill), re.DOTALL), run.message(drill)
    assert leftovers(twin) == []


def test_live_run_reports_every_objective(drills_on, twin):
    run = drills_on(marker="live")

    objectives = {(component, objective) for component in COMPONENTS for objective in ("RTO", "RPO")}
    rows = {(row["component"], row["objective"]): row for row in run.recovery["measurements"]}
    assert set(rows) == objectives
    for (component, objective), row in rows.items():
        assert row["target_s"] == float(INI_SETTINGS[f"{objective.lower()}_{component}"][1])
        assert row["measured_s"] is not None
        assert row["breached"] is False
    assert run.recovery["run"]["target"] == "endpoint"

    metrics = twin_client(twin, "cloudwatch").list_metrics(
        Namespace=NAMESPACE, MetricName="MeasuredSeconds",
        Dimensions=[{"Name": "RunId", "Value": run.recovery["run"]["run_id"]}])["Metrics"]
    published = {(dimensions["Component"], dimensions["Objective"])
                 for dimensions in ({item["Name"]: item["Value"] for item in metric["Dimensions"]} for metric in metrics)}
    assert published == objectives
