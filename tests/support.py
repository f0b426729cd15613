"""Helpers of the suite's own tests: run the checklist in a subprocess as users run it, and read its verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ChecklistRun:
    """One `pytest -m dryrun` subprocess: its exit code, output and launch-readiness.json."""

    returncode: int
    output: str
    reports_dir: Path

    @property
    def document(self) -> dict:
        return json.loads((self.reports_dir / "launch-readiness.json").read_text(encoding="utf-8"))

    def outcomes(self) -> dict[str, str]:
        return {item["id"]: item["outcome"] for item in self.document["criteria"]}

    def not_passed(self) -> dict[str, str]:
        return {criterion_id: outcome for criterion_id, outcome in self.outcomes().items() if outcome != "passed"}

    def message(self, criterion_id: str) -> str:
        return next(item["message"] for item in self.document["criteria"] if item["id"] == criterion_id)


def isolated_environment() -> dict[str, str]:
    """Return the environment for a subprocess run, with no AWS configuration of the machine."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return environment


def run_checklist(reports_dir: Path, *args: str, timeout: float = 300, env: dict | None = None) -> ChecklistRun:
    """Run `pytest -m dryrun` from the repository root with extra arguments and environment."""
    command = [sys.executable, "-m", "pytest", "-m", "dryrun", f"--reports-dir={reports_dir}", "-q", *args]
    environment = {**isolated_environment(), **(env or {})}
    completed = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True,
                               text=True, timeout=timeout, check=False)
    return ChecklistRun(completed.returncode, completed.stdout + completed.stderr, reports_dir)
