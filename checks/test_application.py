"""Launch criteria measured against the running application: the health URL, its database state, latency."""

import json
import math

import pytest

from readiness.errors import Unverifiable
from readiness.probe import is_loopback, probe

pytestmark = pytest.mark.dryrun

# Seconds one health request may take before it counts as failed.
REQUEST_TIMEOUT_S = 10


def _describe(result, index: int = 0) -> str:
    """Describe one probe response: its status and the start of its body, or the connection error."""
    if result.statuses[index] is None:
        return f"no response ({result.errors[index]})"
    return f"HTTP {result.statuses[index]} with body {result.bodies[index][:200]!r}"


@pytest.mark.criterion("APP-01")
def test_health_url_returns_expected_body(outputs, settings):
    url = outputs.require("health_url")
    expected_body = settings.health_expected_body

    assert url.startswith("https://") or (url.startswith("http://") and is_loopback(url)), (
        f"health URL {url} does not use HTTPS; expected an https:// URL (plain HTTP is accepted only on loopback)"
    )

    result = probe(url, requests=1, timeout=REQUEST_TIMEOUT_S)

    assert result.statuses[0] == 200, (
        f"health URL {url} returned {_describe(result)}; expected HTTP 200 with a body containing {expected_body!r}"
    )
    assert expected_body in result.bodies[0], (
        f"health URL {url} returned {_describe(result)}; expected a body containing {expected_body!r}"
    )


@pytest.mark.criterion("APP-04")
def test_database_available_and_reachable(inventory, outputs):
    identifier = outputs.require("db_instance_identifier")
    instance = inventory.rds.database()
    # The output may name an Aurora cluster rather than an instance; its status reads the same way.
    cluster = inventory.rds.database_cluster() if instance is None else None

    assert instance or cluster, f"DB instance {identifier} was not found; expected it with status 'available'"
    status = instance["DBInstanceStatus"] if instance else cluster.get("Status")
    assert status == "available", f"database {identifier} has status {status!r}; expected 'available'"

    url = outputs.require("health_url")
    result = probe(url, requests=1, timeout=REQUEST_TIMEOUT_S)
    assert result.statuses[0] == 200, (
        f"health URL {url} returned {_describe(result)}; expected HTTP 200 with the database state in its JSON body"
    )

    try:
        database = json.loads(result.bodies[0]).get("database")
    except (json.JSONDecodeError, AttributeError):
        database = None
    assert database == "reachable", (
        f"health URL {url} reports database {database!r} for DB instance {identifier} "
        f"(body {result.bodies[0][:200]!r}); expected a JSON body with \"database\": \"reachable\""
    )


@pytest.mark.criterion("PERF-03")
def test_health_url_latency_and_errors(outputs, settings):
    url = outputs.require("health_url")
    requests = int(settings.ini["perf_requests"])
    target_ms = settings.ini["perf_p95_ms"]
    if requests < 1:
        raise Unverifiable(f"ini option perf_requests is {requests}; set it to at least 1 request")

    # With nearest-rank p95, the target is missed once more than this many requests are slow,
    # so the probe can stop there instead of waiting for every slow response.
    allowed_slow = requests - max(1, math.ceil(0.95 * requests))

    def stop(result) -> str:
        if result.server_errors or result.failed_requests:
            return "a request failed"
        if result.slow_count(target_ms) > allowed_slow:
            return "p95 could no longer meet the target"
        return ""

    result = probe(url, requests=requests, timeout=REQUEST_TIMEOUT_S, budget_s=requests * REQUEST_TIMEOUT_S, stop=stop)

    failures = [_describe(result, index) for index, status in enumerate(result.statuses)
                if status is None or status >= 500]
    assert not failures, (
        f"health URL {url} returned a 5xx or no response to {len(failures)} of {result.sent} requests "
        f"({'; '.join(failures[:3])}); expected no 5xx in {requests} requests"
    )

    slow = result.slow_count(target_ms)
    if result.sent < requests:
        observed = (f"{slow} of the first {result.sent} requests were slower than {target_ms:g} ms "
                    f"(stopped early because {result.stopped_early}), so p95 over {requests} requests is above it")
    else:
        observed = f"p95 latency over {requests} requests is {result.p95_ms:.0f} ms ({slow} slower than {target_ms:g} ms)"
    assert slow <= allowed_slow, f"health URL {url}: {observed}; expected p95 latency under {target_ms:g} ms"
    assert result.sent == requests, (
        f"health URL {url}: only {result.sent} of {requests} requests were sent because {result.stopped_early}; "
        f"expected all {requests} within {requests * REQUEST_TIMEOUT_S} s"
    )
