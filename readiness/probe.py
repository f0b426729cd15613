"""HTTP probing of one URL: sequential GETs with a bounded count and time, and their latencies."""

from __future__ import annotations

import http.client
import ipaddress
import logging
import math
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# The probe keeps this much of each body for messages and JSON parsing, far more than a health page needs.
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "launch-readiness-probe"


@dataclass
class ProbeResult:
    """The requests sent to one URL, in order; a request that got no response has status None."""

    url: str
    requested: int
    statuses: list[int | None] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    # Why the probe sent fewer requests than requested, or "" when it sent them all.
    stopped_early: str = ""

    @property
    def sent(self) -> int:
        return len(self.statuses)

    @property
    def p95_ms(self) -> float | None:
        """The 95th percentile latency of the requests sent, by the nearest-rank method."""
        return percentile(self.latencies_ms, 95)

    @property
    def server_errors(self) -> list[int]:
        """The 5xx statuses received."""
        return [status for status in self.statuses if status is not None and status >= 500]

    @property
    def failed_requests(self) -> list[str]:
        """The errors of requests that got no HTTP response (refused, timed out, TLS failure)."""
        return [error for status, error in zip(self.statuses, self.errors) if status is None and error]

    def slow_count(self, threshold_ms: float) -> int:
        """Return how many requests took longer than threshold_ms."""
        return sum(1 for latency in self.latencies_ms if latency > threshold_ms)


def percentile(values: list[float], percent: float) -> float | None:
    """Return the nearest-rank percentile: the smallest value with at least percent % of values at or below it."""
    if not values:
        return None
    rank = max(1, math.ceil(percent / 100 * len(values)))
    return sorted(values)[rank - 1]


def is_loopback(url: str) -> bool:
    """Tell whether the URL's host is a loopback address or localhost."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # The probe reports a redirect as it is and never follows it to another URL.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    handlers: list = [_NoRedirect()]
    if is_loopback(url):
        # A proxy from the environment cannot reach this machine's loopback interface.
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def probe(url: str, requests: int, timeout: float, budget_s: float | None = None,
          stop: Callable[[ProbeResult], str] | None = None) -> ProbeResult:
    """Send up to `requests` sequential GETs to url, each with a timeout in seconds.

    The probe stops early when budget_s seconds have passed in total, or when stop(result)
    returns a non-empty reason after a request.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"probe URL {url!r} must start with http:// or https://")
    if requests < 1:
        raise ValueError(f"probe request count {requests} must be at least 1")

    opener = _opener(url)
    result = ProbeResult(url=url, requested=requests)
    started = time.monotonic()

    for _ in range(requests):
        status, body, error, latency_ms = _get(opener, url, timeout)
        result.statuses.append(status)
        result.bodies.append(body)
        result.errors.append(error)
        result.latencies_ms.append(latency_ms)

        if result.sent == requests:
            break
        reason = stop(result) if stop is not None else ""
        if reason:
            result.stopped_early = reason
            break
        if budget_s is not None and time.monotonic() - started >= budget_s:
            result.stopped_early = f"the time budget of {budget_s:g} s ran out"
            break

    if result.stopped_early:
        log.info("probe of %s stopped after %d of %d requests: %s", url, result.sent, requests, result.stopped_early)
    return result


def _get(opener: urllib.request.OpenerDirector, url: str, timeout: float) -> tuple[int | None, str, str | None, float]:
    """Send one GET; return status, body, error text and latency in milliseconds."""
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": USER_AGENT})
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_BODY_BYTES)
            status = response.status
    except urllib.error.HTTPError as error:
        # 4xx, 5xx and unfollowed 3xx responses arrive as HTTPError and still carry a body.
        body = error.read(MAX_BODY_BYTES) if error.fp is not None else b""
        status = error.code
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        latency_ms = (time.perf_counter() - started) * 1000
        reason = getattr(error, "reason", error)
        log.debug("GET %s failed: %s", url, reason)
        return None, "", f"{type(error).__name__}: {reason}", latency_ms

    latency_ms = (time.perf_counter() - started) * 1000
    return status, body.decode("utf-8", errors="replace"), None, latency_ms
