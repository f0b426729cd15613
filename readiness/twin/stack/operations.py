"""Reference stack, operations: the running health endpoint, and an operations folder with runbooks and a game day.

Reads ctx.ids: db_instance_identifier, optional (without it the app reports the database "unknown").
Puts ctx.ids: health_app (the running HealthApp; call its stop() when the twin stops),
operations_dir (a fresh temporary folder). Sets output: health_url.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

from readiness.gameday import GameDayRecord, write_record
from readiness.twin.app import HealthApp
from readiness.twin.context import TwinContext

log = logging.getLogger(__name__)

RUNBOOKS_SOURCE = Path(__file__).resolve().parent.parent / "operations"
RUNBOOK_NAMES = ("disaster-recovery.md", "incident-response.md", "rollback.md")
# The reference stack's last game day: recent enough for DOC-02's default of 90 days.
GAMEDAY_DAYS_AGO = 5
GAMEDAY_SCOPE = ("dr_drills", "chaos")


def seed(ctx: TwinContext) -> None:
    app = HealthApp(ctx.endpoint_url, ctx.region, ctx.ids.get("db_instance_identifier")).start()
    ctx.ids["health_app"] = app
    ctx.outputs["health_url"] = app.url

    operations_dir = Path(tempfile.mkdtemp(prefix="readiness-ops-"))
    for name in RUNBOOK_NAMES:
        shutil.copyfile(RUNBOOKS_SOURCE / name, operations_dir / name)

    gameday = GameDayRecord(
        date=dt.date.today() - dt.timedelta(days=GAMEDAY_DAYS_AGO),
        scope=GAMEDAY_SCOPE,
        outcome="passed",
    )
    write_record(operations_dir, gameday)
    ctx.ids["operations_dir"] = str(operations_dir)
    log.debug("twin operations folder at %s", operations_dir)
