"""Drift profiles that break the application criteria and the operations documents."""

import dataclasses
import datetime as dt
import re
from pathlib import Path

from readiness.gameday import read_records, write_record
from readiness.twin.context import TwinContext
from readiness.twin.profiles import profile

STALE_GAMEDAY_DAYS_AGO = 400


@profile("health-body-wrong", breaks={"APP-01"},
         description="the health endpoint returns 200 with status 'maintenance' instead of 'ok'",
         expect_in_message="maintenance")
def health_body_wrong(ctx: TwinContext) -> None:
    ctx.ids["health_app"].settings.status = "maintenance"


@profile("database-unreachable", breaks={"APP-04"},
         description="the application loses its database connection while the DB instance stays available",
         expect_in_message="'unreachable'")
def database_unreachable(ctx: TwinContext) -> None:
    ctx.ids["health_app"].settings.database_unreachable = True


@profile("slow-health-endpoint", breaks={"PERF-03"},
         description="every health request takes 800 ms more, above the 500 ms p95 target",
         expect_in_message="slower than 500 ms")
def slow_health_endpoint(ctx: TwinContext) -> None:
    ctx.ids["health_app"].settings.latency_ms = 800


@profile("health-endpoint-errors", breaks={"PERF-03"},
         description="the health endpoint returns 503 to every tenth request, so the single request of APP-01 still gets 200",
         expect_in_message="HTTP 503")
def health_endpoint_errors(ctx: TwinContext) -> None:
    # NOTE: APP-01 passes only while its request is not a tenth one. That holds when the checks run
    # in file order in one process, but under xdist another probe may run at the same time.
    ctx.ids["health_app"].settings.error_rate = 0.1


@profile("health-endpoint-down", breaks={"APP-01", "APP-04", "PERF-03"},
         description="the application stops, so the health URL refuses connections",
         expect_in_message="no response")
def health_endpoint_down(ctx: TwinContext) -> None:
    ctx.ids["health_app"].stop()


@profile("runbook-missing-steps", breaks={"DOC-01"},
         description="the disaster-recovery runbook's numbered steps become an unnumbered list",
         expect_in_message="disaster-recovery.md has no numbered steps")
def runbook_missing_steps(ctx: TwinContext) -> None:
    runbook = Path(ctx.ids["operations_dir"]) / "disaster-recovery.md"
    text = runbook.read_text(encoding="utf-8")
    runbook.write_text(re.sub(r"^(\s*)\d+[.)]\s+", r"\1- ", text, flags=re.MULTILINE), encoding="utf-8")


@profile("stale-gameday", breaks={"DOC-02"},
         description=f"the only game-day record is {STALE_GAMEDAY_DAYS_AGO} days old",
         expect_in_message=f"{STALE_GAMEDAY_DAYS_AGO} days ago")
def stale_gameday(ctx: TwinContext) -> None:
    folder = Path(ctx.ids["operations_dir"])
    stale_date = dt.date.today() - dt.timedelta(days=STALE_GAMEDAY_DAYS_AGO)
    records, _ = read_records(folder)
    for record in records:
        record.path.unlink()
        write_record(folder, dataclasses.replace(record, date=stale_date, path=None))
