"""Build the launch review: one offline HTML file rendered by Allure 3 from a run's results and verdict."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
ALLURE_CONFIG = REPO_ROOT / "allure" / "allurerc.mjs"
ALLURE_BIN = REPO_ROOT / "node_modules" / ".bin" / "allure"
ALLURE_TIMEOUT_S = 300
CARD_MARKER = 'id="launch-verdict"'
# The keys the verdict plugin reads; allure/plugin-verdict/document.mjs checks the same list.
VERDICT_KEYS = ("verdict", "pass_pct", "go_threshold", "total", "counts", "blocking", "reasons", "run", "criteria",
                "recovery_objectives")

# A reference that a browser follows on its own or on a click: an attribute that names a URL,
# a CSS url() or @import. XML namespace URIs (xmlns="http://www.w3.org/2000/svg") are names,
# not references, and do not match.
EXTERNAL_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|srcset|action|formaction|poster|data|background)\s*=\s*["']?"""
    r"""|url\(\s*["']?|@import\s+["'])\s*((?:https?:)?//[^\s"'()<>]+)""",
    re.IGNORECASE,
)
ANALYTICS_HOSTS = ("googletagmanager.com", "google-analytics.com")
PLUGIN_ERROR = re.compile(r"^plugin \S+ error .*$", re.MULTILINE)


class ReviewError(Exception):
    """Raised when the review cannot be built; its one-line message names the input at fault and the fix."""


@dataclass(frozen=True)
class Review:
    """A written review file with its verdict, pass percentage and build time."""

    path: Path
    verdict: str
    pass_pct: float
    seconds: float
    history_appended: bool


def external_references(html: str) -> list[str]:
    """Return every URL of another host that the page references, and any analytics host it names."""
    found = [match.group(1) for match in EXTERNAL_REFERENCE.finditer(html)]
    found += [host for host in ANALYTICS_HOSTS if host in html]
    return found


def read_verdict(path: Path) -> dict:
    """Read the suite's launch-readiness.json; raise ReviewError naming what is wrong with it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReviewError(f"verdict file {path} not found: run `pytest -m dryrun` first, or pass --verdict-file") from None
    except json.JSONDecodeError as error:
        raise ReviewError(f"verdict file {path} is not valid JSON ({error}); rerun `pytest -m dryrun`") from None

    missing = [key for key in VERDICT_KEYS if key not in document]
    if missing:
        raise ReviewError(f"verdict file {path} has no {', '.join(missing)}; it is not a launch-readiness.json")
    return document


def check_results(results_dir: Path, document: dict) -> None:
    """Check that the Allure results exist and come from the run the verdict file describes."""
    if not results_dir.is_dir():
        raise ReviewError(f"Allure results folder {results_dir} not found: run `pytest -m dryrun` first, or pass --results")
    if not any(results_dir.glob("*-result.json")):
        raise ReviewError(f"Allure results folder {results_dir} has no *-result.json file: run `pytest -m dryrun` first")

    properties = results_dir / "environment.properties"
    if not properties.is_file():
        log.warning("%s has no environment.properties, so the results cannot be matched to the verdict's run", results_dir)
        return
    values = dict(line.split("=", 1) for line in properties.read_text(encoding="utf-8").splitlines() if "=" in line)
    results_run = values.get("Run.id")
    verdict_run = document["run"].get("run_id")
    if results_run and verdict_run and results_run != verdict_run:
        raise ReviewError(
            f"Allure results in {results_dir} are from run {results_run} but the verdict file is from run "
            f"{verdict_run}; pass the results and the verdict file of the same run"
        )


def history_has_run(history: Path, run_id: str) -> bool:
    """Return whether the history file already contains this run, as it does when a report is rendered again."""
    if not history.is_file():
        return False
    suffix = f"· run {run_id}"
    with history.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                name = json.loads(line).get("name", "")
            except json.JSONDecodeError:
                continue
            if name.endswith(suffix):
                return True
    return False


def find_allure() -> list[str]:
    """Return the command that starts the project's Allure 3, or raise ReviewError saying how to install it."""
    if shutil.which("node") is None:
        raise ReviewError(f"node not found on PATH: install Node.js 20 or later, then run `npm ci` in {REPO_ROOT}")
    if not ALLURE_BIN.exists():
        raise ReviewError(f"Allure 3 is not installed ({ALLURE_BIN} is missing): run `npm ci` in {REPO_ROOT}")
    return [str(ALLURE_BIN)]


def run_allure(results_dir: Path, verdict_file: Path, history: Path, append_history: bool, output_dir: Path) -> Path:
    """Run `allure generate` with the project's config and return the single-file page it wrote."""
    command = find_allure() + ["generate", str(results_dir), "--config", str(ALLURE_CONFIG), "--output", str(output_dir)]
    environment = {
        **os.environ,
        "READINESS_VERDICT_FILE": str(verdict_file),
        "READINESS_HISTORY": str(history),
        "READINESS_APPEND_HISTORY": "1" if append_history else "0",
    }
    log.debug("running %s", " ".join(command))
    try:
        completed = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True,
                                   timeout=ALLURE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ReviewError(f"allure generate timed out after {ALLURE_TIMEOUT_S} s on {results_dir}") from None
    log.debug("allure generate output:\n%s%s", completed.stdout, completed.stderr)

    # Allure logs a plugin's exception as "plugin ID error ..." and still exits 0.
    plugin_error = PLUGIN_ERROR.search(completed.stderr)
    if plugin_error:
        raise ReviewError(f"allure generate reported {plugin_error.group(0).strip()} ; `readiness --verbose report` shows Allure's full output")

    page = output_dir / "index.html"
    if completed.returncode != 0 or not page.is_file():
        output_lines = (completed.stderr.strip() or completed.stdout.strip() or "no output").splitlines()
        raise ReviewError(
            f"allure generate failed with exit code {completed.returncode}: {output_lines[-1]} "
            "(Allure writes crash logs to ~/.allure/logs)"
        )
    return page


def build_review(results_dir: Path, verdict_file: Path, output: Path, history: Path) -> Review:
    """Render the launch review of one run to `output` and add the run to the history file."""
    started = time.monotonic()
    results_dir, verdict_file, output, history = (path.resolve() for path in (results_dir, verdict_file, output, history))

    document = read_verdict(verdict_file)
    check_results(results_dir, document)
    run_id = document["run"].get("run_id", "")
    append_history = not history_has_run(history, run_id)
    if not append_history:
        log.info("run %s is already in %s; the report shows it once and the history stays as it is", run_id, history)
    history.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="launch-review-") as scratch:
        page = run_allure(results_dir, verdict_file, history, append_history, Path(scratch) / "report")
        html = page.read_text(encoding="utf-8")

    if CARD_MARKER not in html:
        raise ReviewError("the generated page has no verdict card: check that allure/allurerc.mjs lists the verdict plugin")
    references = external_references(html)
    if references:
        raise ReviewError(f"the generated page references other hosts ({', '.join(sorted(set(references)))}); "
                          "it was not written because the review must open offline")

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(output)

    return Review(path=output, verdict=document["verdict"], pass_pct=document["pass_pct"],
                  seconds=time.monotonic() - started, history_appended=append_history)
