"""The twin's lifecycle: a moto server on loopback, extended, seeded, and optionally drifted."""

from __future__ import annotations

import json
import os
import shutil
import logging
import threading
import time
import urllib.request

from moto.core import config as moto_config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from readiness.twin import ACCOUNT_ID, DEFAULT_BACKUP_REGION, DEFAULT_REGION, ext, stack
from readiness.twin.context import BEHAVIOUR, TwinContext
from readiness.twin.profiles import resolve_profiles

log = logging.getLogger(__name__)



class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's line per request on stderr."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def configure_moto() -> None:
    """Keep moto off Docker: there is no engine here, and Lambda functions are run in-process."""
    moto_config.default_user_config["lambda"]["use_docker"] = False
    moto_config.default_user_config["batch"]["use_docker"] = False
    # The stack launches no EC2 instances; loading moto's default AMIs costs about a second.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


class Twin:
    """An embedded AWS endpoint on 127.0.0.1 holding the reference stack."""

    def __init__(self, region: str = DEFAULT_REGION, backup_region: str = DEFAULT_BACKUP_REGION) -> None:
        self.region = region
        self.backup_region = backup_region
        self._server = None
        self._thread: threading.Thread | None = None
        self.endpoint_url = ""
        self.outputs: dict = {}
        self.profiles: list[str] = []
        self.operations_dir: str | None = None
        self._ids: dict = {}

    def start(self, profiles: list[str] = ()) -> "Twin":
        """Start the server, install the extensions, seed the stack and apply drift profiles."""
        started = time.perf_counter()
        chosen = resolve_profiles(list(profiles))
        configure_moto()
        ext.install()

        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="twin", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"

        self._seed(chosen)
        log.info("twin ready at %s in %.1f s (profiles: %s)", self.endpoint_url,
                 time.perf_counter() - started, ", ".join(self.profiles) or "none")
        return self

    def reseed(self, profiles: list[str] = ()) -> dict:
        """Wipe every backend and seed again; faster than a new twin. Returns the outputs."""
        chosen = resolve_profiles(list(profiles))
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass
        self._seed(chosen)
        return self.outputs

    def _seed(self, chosen) -> None:
        self._stop_application()
        BEHAVIOUR.reset()
        ctx = TwinContext(self.endpoint_url, self.region, self.backup_region, ACCOUNT_ID)
        stack.seed(ctx)
        for drift in chosen:
            log.info("applying twin profile %s: %s", drift.name, drift.description)
            drift.apply(ctx)
        self.outputs = ctx.outputs
        self.operations_dir = ctx.ids.get("operations_dir")
        self._ids = ctx.ids
        self.profiles = [drift.name for drift in chosen]

    def _stop_application(self) -> None:
        """Stop the health app and remove the operations folder of the previous seed."""
        application = self._ids.get("health_app")
        if application is not None:
            application.stop()
        if self.operations_dir:
            shutil.rmtree(self.operations_dir, ignore_errors=True)
            self.operations_dir = None
        self._ids = {}

    def stop(self) -> None:
        self._stop_application()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None
        BEHAVIOUR.reset()

    def write_outputs(self, path: str) -> None:
        """Write the outputs as `terraform output -json` would, for --tf-outputs."""
        document = {
            key: {"value": value, "type": "string" if isinstance(value, str) else ["tuple", []], "sensitive": False}
            for key, value in self.outputs.items()
        }
        with open(path, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2, sort_keys=True)

    def __enter__(self) -> "Twin":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
