"""The twin's health application, the HTTP probe, game-day records and the denial extension."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import pytest

from readiness import gameday
from readiness.errors import Unverifiable
from readiness.inventory.ec2 import Ec2
from readiness.probe import is_loopback, percentile, probe
from readiness.target import TWIN_CREDENTIALS, Target
from readiness.terraform import Outputs
from readiness.twin.app import HealthApp
from readiness.twin.context import BEHAVIOUR
from readiness.twin.ext.denial import iam_prefix
from readiness.twin.stack.operations import RUNBOOK_NAMES


def client(twin, service: str, region: str | None = None):
    """A client on the twin that does not retry, so each call is one request."""
    return boto3.session.Session(**TWIN_CREDENTIALS).client(
        service, region_name=region or twin.region, endpoint_url=twin.endpoint_url,
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def behaviour():
    """The twin's behaviour, with the denied and throttled actions a test adds removed afterwards."""
    denied, throttled = set(BEHAVIOUR.denied_actions), set(BEHAVIOUR.throttled_actions)
    yield BEHAVIOUR
    BEHAVIOUR.denied_actions.intersection_update(denied)
    BEHAVIOUR.throttled_actions.intersection_update(throttled)


@pytest.fixture
def database(twin):
    """A DB instance created on the twin for one test; returns its identifier."""
    identifier = f"health-{uuid.uuid4().hex[:8]}"
    rds = client(twin, "rds")
    rds.create_db_instance(DBInstanceIdentifier=identifier, Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="app", MasterUserPassword="not-a-real-password", AllocatedStorage=20)
    yield identifier
    rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


@pytest.fixture
def health_app(twin, database):
    """A HealthApp for the test's database that reads the twin on every request."""
    with HealthApp(twin.endpoint_url, twin.region, database, database_cache_seconds=0) as app:
        yield app


def get_json(url: str) -> tuple[int | None, dict]:
    result = probe(url, requests=1, timeout=5)
    return result.statuses[0], json.loads(result.bodies[0]) if result.bodies[0] else {}


# Health application ----------------------------------------------------------------------------

def test_health_reports_available_database_reachable(health_app, database):
    status, body = get_json(health_app.url)

    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "reachable"
    assert body["database_instance"] == database


def test_health_url_is_loopback_health_path(health_app):
    assert health_app.url.startswith("http://127.0.0.1:")
    assert health_app.url.endswith("/health")


def test_health_reports_stopped_database_unreachable(twin, health_app, database):
    client(twin, "rds").stop_db_instance(DBInstanceIdentifier=database)

    _, body = get_json(health_app.url)

    assert body["database"] == "unreachable"
    client(twin, "rds").start_db_instance(DBInstanceIdentifier=database)


def test_health_reports_missing_database_unreachable(twin):
    with HealthApp(twin.endpoint_url, twin.region, "no-such-database", database_cache_seconds=0) as app:
        _, body = get_json(app.url)

    assert body["database"] == "unreachable"


def test_health_without_identifier_reports_unknown(twin):
    with HealthApp(twin.endpoint_url, twin.region, None) as app:
        status, body = get_json(app.url)

    assert status == 200
    assert body["database"] == "unknown"


def test_health_with_denied_describe_reports_unknown(health_app, behaviour):
    behaviour.denied_actions.add("rds:DescribeDBInstances")

    _, body = get_json(health_app.url)

    assert body["database"] == "unknown"


def test_health_caches_database_state(twin, database):
    with HealthApp(twin.endpoint_url, twin.region, database, database_cache_seconds=60) as app:
        first = get_json(app.url)[1]["database"]
        client(twin, "rds").stop_db_instance(DBInstanceIdentifier=database)
        second = get_json(app.url)[1]["database"]

    assert first == "reachable"
    assert second == "reachable"
    client(twin, "rds").start_db_instance(DBInstanceIdentifier=database)


def test_setting_database_unreachable(health_app):
    health_app.settings.database_unreachable = True

    _, body = get_json(health_app.url)

    assert body["database"] == "unreachable"


def test_setting_status(health_app):
    health_app.settings.status = "maintenance"

    status, body = get_json(health_app.url)

    assert status == 200
    assert body["status"] == "maintenance"


def test_setting_latency(health_app):
    health_app.settings.latency_ms = 300

    result = probe(health_app.url, requests=2, timeout=5)

    assert min(result.latencies_ms) >= 300


def test_setting_error_rate_spreads_failures_evenly(health_app):
    health_app.settings.error_rate = 0.25

    result = probe(health_app.url, requests=8, timeout=5)

    assert result.statuses == [200, 200, 200, 503, 200, 200, 200, 503]


def test_setting_error_rate_one_fails_every_request(health_app):
    health_app.settings.error_rate = 1.0

    result = probe(health_app.url, requests=3, timeout=5)

    assert result.statuses == [503, 503, 503]


def test_unknown_path_is_not_found(health_app):
    result = probe(health_app.url.replace("/health", "/other"), requests=1, timeout=5)

    assert result.statuses == [404]


def test_stop_frees_port_and_repeats_safely(twin):
    app = HealthApp(twin.endpoint_url, twin.region).start()
    url = app.url

    app.stop()
    app.stop()

    result = probe(url, requests=1, timeout=2)
    assert result.statuses == [None]
    assert "refused" in result.errors[0].lower()
    assert not app.running


def test_url_before_start_raises(twin):
    app = HealthApp(twin.endpoint_url, twin.region)

    with pytest.raises(RuntimeError, match="not running"):
        app.url


# Operations stage ------------------------------------------------------------------------------

def test_twin_publishes_running_health_url(twin):
    status, body = get_json(twin.outputs["health_url"])

    assert status == 200
    assert body["status"] == "ok"


def test_twin_operations_folder_has_runbooks_and_recent_gameday(twin):
    folder = Path(twin.operations_dir)

    assert folder.name.startswith("readiness-ops-")
    for name in RUNBOOK_NAMES:
        assert (folder / name).is_file(), name
    records, problems = gameday.read_records(folder)
    assert problems == []
    assert len(records) == 1
    assert 0 < records[0].age_days() < 30
    assert records[0].is_live


# Probe -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "expected"), [
    ([], None),
    ([5.0], 5.0),
    ([float(value) for value in range(1, 21)], 19.0),
    ([float(value) for value in range(1, 101)], 95.0),
    ([float(value) for value in range(100, 0, -1)], 95.0),
    ([1.0, 2.0, 3.0], 3.0),
])
def test_percentile_nearest_rank(values, expected):
    assert percentile(values, 95) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8080/health", True),
    ("http://127.8.9.10/health", True),
    ("http://localhost/health", True),
    ("http://[::1]:8080/health", True),
    ("https://app.example.com/health", False),
    ("http://10.0.0.1/health", False),
])
def test_is_loopback(url, expected):
    assert is_loopback(url) is expected


def test_probe_records_every_request(health_app):
    result = probe(health_app.url, requests=5, timeout=5)

    assert result.sent == 5
    assert result.statuses == [200] * 5
    assert len(result.latencies_ms) == 5
    assert all('"status": "ok"' in body for body in result.bodies)
    assert result.errors == [None] * 5
    assert result.p95_ms == max(result.latencies_ms)
    assert result.stopped_early == ""


def test_probe_stop_callback_ends_early(health_app):
    health_app.settings.error_rate = 0.5

    result = probe(health_app.url, requests=10, timeout=5,
                   stop=lambda sent: "a 5xx arrived" if sent.server_errors else "")

    assert result.sent == 2
    assert result.server_errors == [503]
    assert result.stopped_early == "a 5xx arrived"


def test_probe_time_budget_ends_early(health_app):
    health_app.settings.latency_ms = 200

    result = probe(health_app.url, requests=20, timeout=5, budget_s=0.3)

    assert 1 <= result.sent < 20
    assert "time budget" in result.stopped_early


def test_probe_connection_refused_has_no_status(twin):
    app = HealthApp(twin.endpoint_url, twin.region).start()
    url = app.url
    app.stop()

    result = probe(url, requests=2, timeout=2)

    assert result.statuses == [None, None]
    assert len(result.failed_requests) == 2


class _RedirectHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:
        pass


def test_probe_reports_redirect_without_following():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RedirectHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = probe(f"http://127.0.0.1:{server.server_address[1]}/health", requests=1, timeout=5)
    finally:
        server.shutdown()
        server.server_close()

    assert result.statuses == [302]


@pytest.mark.parametrize(("url", "requests"), [("ftp://127.0.0.1/health", 1), ("http://127.0.0.1/health", 0)])
def test_probe_rejects_invalid_input(url, requests):
    with pytest.raises(ValueError):
        probe(url, requests=requests, timeout=1)


# Game-day records ------------------------------------------------------------------------------

def test_gameday_record_round_trip(tmp_path):
    record = gameday.GameDayRecord(date=dt.date(2026, 3, 1), scope=("dr_drills",), outcome="passed", run_id="abc123")

    path = gameday.write_record(tmp_path, record)
    records, problems = gameday.read_records(tmp_path)

    assert path.name == "gameday-2026-03-01-abc123.json"
    assert problems == []
    assert records == [record]
    assert records[0].path == path


def test_gameday_malformed_files_are_reported(tmp_path):
    (tmp_path / "gameday-broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "gameday-nodate.json").write_text(json.dumps({"kind": gameday.KIND, "date": "soon"}), encoding="utf-8")

    records, problems = gameday.read_records(tmp_path)

    assert records == []
    assert len(problems) == 2
    assert any("invalid JSON" in problem for problem in problems)
    assert any("'date'" in problem for problem in problems)


def test_gameday_newest_live_ignores_dry_runs(tmp_path):
    live = gameday.GameDayRecord(date=dt.date(2026, 1, 1), scope=(), outcome="passed")
    dry = gameday.GameDayRecord(date=dt.date(2026, 2, 1), scope=(), outcome="passed", mode="dryrun")

    assert gameday.newest_live([live, dry]) == live
    assert gameday.newest_live([dry]) is None


def test_gameday_missing_folder_has_no_records(tmp_path):
    assert gameday.read_records(tmp_path / "absent") == ([], [])


def test_gameday_rejects_unsafe_run_id(tmp_path):
    record = gameday.GameDayRecord(date=dt.date(2026, 1, 1), scope=(), outcome="passed", run_id="../x")

    with pytest.raises(ValueError, match="run id"):
        gameday.write_record(tmp_path, record)


# Denial and throttling -------------------------------------------------------------------------

@pytest.mark.parametrize(("service", "expected"), [
    ("ec2", "ec2"), ("rds", "rds"), ("cloudwatch", "cloudwatch"), ("elbv2", "elasticloadbalancing"),
    ("ecr", "ecr"), ("logs", "logs"), ("application-autoscaling", "application-autoscaling"),
])
def test_iam_prefix(service, expected):
    assert iam_prefix(service) == expected


@pytest.mark.parametrize(("service", "action", "call", "code"), [
    ("ec2", "ec2:DescribeSubnets", lambda c: c.describe_subnets(), "UnauthorizedOperation"),
    ("rds", "rds:DescribeDBInstances", lambda c: c.describe_db_instances(), "AccessDenied"),
    ("logs", "logs:DescribeLogGroups", lambda c: c.describe_log_groups(), "AccessDeniedException"),
    ("cloudwatch", "cloudwatch:DescribeAlarms", lambda c: c.describe_alarms(), "AccessDeniedException"),
    ("backup", "backup:ListBackupVaults", lambda c: c.list_backup_vaults(), "AccessDeniedException"),
    ("cloudfront", "cloudfront:ListDistributions", lambda c: c.list_distributions(), "AccessDenied"),
])
def test_denied_action_answers_access_denied(twin, behaviour, service, action, call, code):
    behaviour.denied_actions.add(action)

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(client(twin, service))

    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert action in error["Error"]["Message"]


@pytest.mark.parametrize(("service", "action", "call", "code", "status"), [
    ("ec2", "ec2:DescribeFlowLogs", lambda c: c.describe_flow_logs(), "RequestLimitExceeded", 503),
    ("rds", "rds:DescribeDBInstances", lambda c: c.describe_db_instances(), "Throttling", 400),
    ("ecs", "ecs:ListClusters", lambda c: c.list_clusters(), "ThrottlingException", 400),
])
def test_throttled_action_answers_throttling(twin, behaviour, service, action, call, code, status):
    behaviour.throttled_actions.add(action)

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(client(twin, service))

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_denial_leaves_other_actions_working(twin, behaviour):
    behaviour.denied_actions.add("ec2:DescribeSubnets")

    vpcs = client(twin, "ec2").describe_vpcs()["Vpcs"]

    assert vpcs


def test_denial_ends_when_action_removed(twin, behaviour):
    behaviour.denied_actions.add("ec2:DescribeSubnets")
    behaviour.denied_actions.discard("ec2:DescribeSubnets")

    assert "Subnets" in client(twin, "ec2").describe_subnets()


@pytest.mark.parametrize(("kind", "expected"), [("denied", "access denied to ec2:DescribeSubnets"),
                                                ("throttled", "throttled past retries on ec2:DescribeSubnets")])
def test_collector_turns_rejection_into_unverifiable(twin, behaviour, kind, expected):
    getattr(behaviour, f"{kind}_actions").add("ec2:DescribeSubnets")
    target = Target(name="twin", region=twin.region, backup_region=twin.backup_region, endpoint_url=twin.endpoint_url)
    collector = Ec2(target, Outputs(twin.outputs, "the twin's outputs"))

    with pytest.raises(Unverifiable, match=expected):
        collector.subnets
