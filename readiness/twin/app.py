"""The twin's application: a health endpoint on loopback that reports the database state read from the twin."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore.config
import botocore.exceptions

from readiness.target import TWIN_CREDENTIALS
from readiness.twin.context import BEHAVIOUR

log = logging.getLogger(__name__)

HEALTH_PATH = "/health"
# Probes send bursts of requests, so the app reads the DB status at most once per this many seconds.
DATABASE_CACHE_SECONDS = 1.0

REACHABLE = "reachable"
UNREACHABLE = "unreachable"
UNKNOWN = "unknown"


@dataclass
class HealthSettings:
    """Faults that drift profiles and chaos experiments set while the application runs."""

    # Delay added to every health response, in milliseconds.
    latency_ms: float = 0.0
    # Fraction of requests that get a 503, spread evenly: 0.1 fails every tenth request.
    error_rate: float = 0.0
    # Report the database unreachable whatever its status in the twin, as a broken connection would.
    database_unreachable: bool = False
    # The "status" field of the body.
    status: str = "ok"


class DatabaseProbe:
    """Reads the DB instance status from the twin and caches it for cache_seconds."""

    def __init__(self, endpoint_url: str, region: str, db_instance_identifier: str | None,
                 cache_seconds: float = DATABASE_CACHE_SECONDS) -> None:
        self.db_instance_identifier = db_instance_identifier
        self.cache_seconds = cache_seconds
        self._client = None
        if db_instance_identifier:
            self._client = boto3.session.Session(**TWIN_CREDENTIALS).client(
                "rds", region_name=region, endpoint_url=endpoint_url,
                config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
            )
        self._lock = threading.Lock()
        self._state = UNKNOWN
        self._read_at = float("-inf")

    def state(self) -> str:
        """Return reachable, unreachable or unknown, reading the twin at most once per cache period."""
        if self._client is None:
            return UNKNOWN

        with self._lock:
            if time.monotonic() - self._read_at >= self.cache_seconds:
                state = self._read()
                if state != self._state:
                    log.info("health app: database %s is now %s", self.db_instance_identifier, state)
                self._state = state
                self._read_at = time.monotonic()
            return self._state

    def _read(self) -> str:
        try:
            instances = self._client.describe_db_instances(DBInstanceIdentifier=self.db_instance_identifier)["DBInstances"]
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "DBInstanceNotFound":
                return UNREACHABLE
            # Denied or throttled: the application cannot tell, which is not the same as down.
            log.warning("health app could not read database %s: %s", self.db_instance_identifier, error)
            return UNKNOWN
        except botocore.exceptions.BotoCoreError as error:
            log.warning("health app could not reach the twin for database %s: %s", self.db_instance_identifier, error)
            return UNKNOWN

        status = instances[0].get("DBInstanceStatus") if instances else None
        return REACHABLE if status == "available" else UNREACHABLE


class HealthApp:
    """A small HTTP application on 127.0.0.1 with GET /health; start() picks a free port."""

    def __init__(self, endpoint_url: str, region: str, db_instance_identifier: str | None = None,
                 port: int = 0, database_cache_seconds: float = DATABASE_CACHE_SECONDS) -> None:
        self.settings = HealthSettings()
        self.database = DatabaseProbe(endpoint_url, region, db_instance_identifier, database_cache_seconds)
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._requests = 0
        self._requests_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The health URL, such as http://127.0.0.1:PORT/health."""
        if self._server is None:
            raise RuntimeError("the health app is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{HEALTH_PATH}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "HealthApp":
        """Bind 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="health-app", daemon=True)
        self._thread.start()
        log.info("health app listening at %s (database %s)", self.url, self.database.db_instance_identifier or "not set")
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe to call more than once."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        log.info("health app stopped")
        self._server = None
        self._thread = None

    def next_request_number(self) -> int:
        with self._requests_lock:
            self._requests += 1
            return self._requests

    def health(self) -> tuple[int, dict]:
        """Return the status code and body of one health request, applying the settings and running FIS faults."""
        number = self.next_request_number()
        delay_ms = self.settings.latency_ms + injected_latency_ms(number)
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)

        if _selected(number, self.settings.error_rate):
            return 503, {"status": "unavailable", "error": "the application is overloaded"}

        database = UNREACHABLE if self.settings.database_unreachable else self.database.state()
        return 200, {
            "status": self.settings.status,
            "database": database,
            "database_instance": self.database.db_instance_identifier,
        }

    def __enter__(self) -> "HealthApp":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _selected(number: int, rate: float) -> bool:
    """Tell whether request number `number` is one of the share `rate` of requests, spread evenly.

    Request n is selected when the running count of selected requests steps up at n, so a rate
    of 0.1 selects every tenth request.
    """
    rate = min(max(rate, 0.0), 1.0)
    return int(number * rate) > int((number - 1) * rate)


def injected_latency_ms(number: int) -> float:
    """Return the delay the twin's running FIS latency experiments add to request number `number`.

    readiness.twin.ext.fis records each experiment's delay and the share of the service's tasks it
    targets. That share of requests is delayed, because a load balancer spreads requests evenly
    over the tasks.
    """
    faults = list(BEHAVIOUR.settings.get("fis", {}).get("network_latency", {}).values())
    return sum(fault["delay_ms"] for fault in faults if _selected(number, fault["fraction"]))


def _handler_for(app: HealthApp) -> type[BaseHTTPRequestHandler]:
    class HealthHandler(BaseHTTPRequestHandler):
        server_version = "readiness-twin-app"

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != HEALTH_PATH:
                self._send(404, {"error": f"no route for {self.path}"})
                return
            status, body = app.health()
            self._send(status, body)

        def _send(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args) -> None:
            # http.server writes every request to stderr; the suite's logs are enough.
            log.debug("health app: " + format, *args)

    return HealthHandler
