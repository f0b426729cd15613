"""Launch criteria for operations documents: the runbooks and the last live game day."""

import datetime as dt
import re
from pathlib import Path

import pytest
import testinfra

from readiness.errors import Unverifiable
from readiness.gameday import newest_live, read_records

pytestmark = pytest.mark.dryrun

# Runbook kind: pattern its file name must match (case-insensitive, Markdown only).
RUNBOOK_KINDS = {
    "disaster-recovery": re.compile(r"disaster[-_ ]?recovery.*\.md$", re.IGNORECASE),
    "incident-response": re.compile(r"incident[-_ ]?response.*\.md$", re.IGNORECASE),
    "rollback": re.compile(r"roll[-_ ]?back.*\.md$", re.IGNORECASE),
}
# Element a runbook must contain: pattern that finds it.
RUNBOOK_ELEMENTS = {
    "RTO": re.compile(r"\bRTO\b|recovery time objective", re.IGNORECASE),
    "RPO": re.compile(r"\bRPO\b|recovery point objective", re.IGNORECASE),
    "an owners or escalation section": re.compile(
        r"^\s*(#{1,6}\s+.*\b(owners?|ownership|escalation)\b|(\*\*)?(owners?|escalation)(\*\*)?\s*:)",
        re.IGNORECASE | re.MULTILINE,
    ),
    "numbered steps": re.compile(r"^\s*1[.)]\s+\S", re.MULTILINE),
}


def _runbook_files(host, folder: Path) -> list[Path]:
    """List the Markdown files in folder and in its direct subfolders."""
    files = []
    for name in host.file(str(folder)).listdir():
        path = folder / name
        if host.file(str(path)).is_directory:
            files += [path / child for child in host.file(str(path)).listdir() if child.lower().endswith(".md")]
        elif name.lower().endswith(".md"):
            files.append(path)
    return sorted(files)


def _missing_elements(text: str) -> list[str]:
    return [element for element, pattern in RUNBOOK_ELEMENTS.items() if not pattern.search(text)]


@pytest.mark.criterion("DOC-01")
def test_runbooks_complete(readiness_env):
    folder = readiness_env.runbooks_dir
    host = testinfra.get_host("local://")
    if not host.file(str(folder)).is_directory:
        raise Unverifiable(
            f"operations folder {folder} was not found; pass --runbooks-dir with the folder that holds the runbooks"
        )

    files = _runbook_files(host, folder)
    offenders = []
    for kind, pattern in RUNBOOK_KINDS.items():
        candidates = [path for path in files if pattern.search(path.name)]
        if not candidates:
            offenders.append(f"no {kind} runbook (a *{kind}*.md file)")
            continue

        problems = {path: _missing_elements(host.file(str(path)).content_string) for path in candidates}
        if not any(not missing for missing in problems.values()):
            offenders += [f"{path.name} has no {' and no '.join(missing)}" for path, missing in problems.items()]

    assert not offenders, (
        f"runbooks in {folder} are incomplete: {'; '.join(offenders)}; expected disaster-recovery, "
        "incident-response and rollback runbooks, each with RTO, RPO, an owners or escalation section "
        "and a numbered list of steps"
    )


@pytest.mark.criterion("DOC-02")
def test_recent_live_gameday(readiness_env, settings):
    max_age_days = settings.ini["gameday_max_age_days"]
    today = dt.date.today()
    folders = [readiness_env.runbooks_dir, settings.reports_dir]

    records, problems = [], []
    for folder in folders:
        found, unreadable = read_records(folder)
        records += found
        problems += unreadable

    # A record dated after tomorrow is a typo, not a game day. The day of slack covers time zones.
    future = [record for record in records if record.date > today + dt.timedelta(days=1)]
    problems += [f"{record.path} is dated {record.date} in the future" for record in future]
    newest = newest_live([record for record in records if record not in future])

    candidates = []
    if newest is not None:
        candidates.append((newest.date, f"the record {newest.path}"))
    if settings.last_gameday is not None:
        candidates.append((settings.last_gameday, "--last-gameday"))

    sources = " or ".join(str(folder) for folder in folders)
    notes = f" (ignored: {'; '.join(problems)})" if problems else ""
    assert candidates, (
        f"no live game-day record found in {sources} and --last-gameday is not set{notes}; "
        f"expected a live game day in the last {max_age_days:g} days"
    )

    last_date, source = max(candidates)
    age_days = (today - last_date).days
    assert age_days <= max_age_days, (
        f"the last live game day ran on {last_date} ({source}), {age_days} days ago{notes}; "
        f"expected one in the last {max_age_days:g} days"
    )
