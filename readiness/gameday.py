"""Game-day records: one JSON file per live game day, written by live runs and read by DOC-02."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

RECORD_GLOB = "gameday-*.json"
KIND = "launch-readiness game day"
LIVE = "live"
SAFE_RUN_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class GameDayRecord:
    """One game day: when it ran, what it covered and how it went.

    Only live runs count for DOC-02, because a dry run changes nothing and proves no recovery.
    """

    date: dt.date
    scope: tuple[str, ...]
    outcome: str
    mode: str = LIVE
    run_id: str = ""
    path: Path | None = field(default=None, compare=False)

    @property
    def is_live(self) -> bool:
        return self.mode == LIVE

    def age_days(self, today: dt.date | None = None) -> int:
        return ((today or dt.date.today()) - self.date).days

    def to_document(self) -> dict:
        return {
            "kind": KIND,
            "date": self.date.isoformat(),
            "mode": self.mode,
            "scope": list(self.scope),
            "outcome": self.outcome,
            "run_id": self.run_id,
        }


def record_filename(record: GameDayRecord) -> str:
    """Return gameday-YYYY-MM-DD.json, or gameday-YYYY-MM-DD-RUNID.json when the record has a run id."""
    suffix = f"-{record.run_id}" if record.run_id else ""
    return f"gameday-{record.date.isoformat()}{suffix}.json"


def write_record(folder: Path | str, record: GameDayRecord) -> Path:
    """Write a record into folder, creating the folder; return the file's path."""
    if record.run_id and not SAFE_RUN_ID.match(record.run_id):
        raise ValueError(f"game-day run id {record.run_id!r} may contain only letters, digits, '.', '_' and '-'")

    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / record_filename(record)
    path.write_text(json.dumps(record.to_document(), indent=2) + "\n", encoding="utf-8")
    log.info("wrote game-day record %s", path)
    return path


def parse_record(document, path: Path) -> GameDayRecord:
    """Build a record from a parsed JSON document; raise ValueError naming the file and the field."""
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a JSON object, found {type(document).__name__}")
    if document.get("kind") != KIND:
        raise ValueError(f"{path}: field 'kind' is {document.get('kind')!r}, expected {KIND!r}")

    try:
        date = dt.date.fromisoformat(str(document.get("date")))
    except ValueError:
        raise ValueError(f"{path}: field 'date' is {document.get('date')!r}, expected a date like 2026-09-30") from None

    scope = document.get("scope", [])
    if not isinstance(scope, list) or not all(isinstance(item, str) for item in scope):
        raise ValueError(f"{path}: field 'scope' must be a list of strings")

    return GameDayRecord(
        date=date,
        scope=tuple(scope),
        outcome=str(document.get("outcome", "")),
        mode=str(document.get("mode", "")),
        run_id=str(document.get("run_id", "")),
        path=path,
    )


def read_records(folder: Path | str) -> tuple[list[GameDayRecord], list[str]]:
    """Read every gameday-*.json file directly in folder; return the records and the problems found.

    A missing folder has no records. Unreadable or malformed files are reported, not raised.
    """
    directory = Path(folder)
    if not directory.is_dir():
        return [], []

    records, problems = [], []
    for path in sorted(directory.glob(RECORD_GLOB)):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            records.append(parse_record(document, path))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}: cannot be read ({error})")
        except json.JSONDecodeError as error:
            problems.append(f"{path}: invalid JSON at line {error.lineno} ({error.msg})")
        except ValueError as error:
            problems.append(str(error))
    return records, problems


def newest_live(records: list[GameDayRecord]) -> GameDayRecord | None:
    """Return the most recent live record, or None."""
    live = [record for record in records if record.is_live]
    return max(live, key=lambda record: record.date, default=None)
