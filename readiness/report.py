"""The run's files: reports/launch-readiness.json and .md, and Allure's environment, executor and categories."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import subprocess
from pathlib import Path

from readiness.criteria import Criterion
from readiness.verdict import FAILED, UNVERIFIABLE, Result, Verdict

log = logging.getLogger(__name__)

JSON_NAME = "launch-readiness.json"
RECOVERY_NAME = "recovery-objectives.json"
MARKDOWN_NAME = "launch-readiness.md"

# Allure matches a result to the first category whose status and message fit.
ALLURE_CATEGORIES = [
    {"name": "Unverifiable (could not look)", "matchedStatuses": ["broken"], "messageRegex": "(?s).*Unverifiable.*"},
    {"name": "Read-only guard blocked a change", "matchedStatuses": ["broken"], "messageRegex": "(?s).*ReadOnlyViolation.*"},
    {"name": "Criterion not met", "matchedStatuses": ["failed"]},
    {"name": "Not safe to run", "matchedStatuses": ["skipped"]},
    {"name": "Suite error", "matchedStatuses": ["broken"]},
]


def current_commit() -> str:
    """Return the short commit of the working directory's repository, or 'unknown'."""
    try:
        completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                   timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return completed.stdout.strip() if completed.returncode == 0 else "unknown"


def run_info(state) -> dict:
    """Describe where and when the run happened, for every report."""
    environment = state.environment
    target = environment.target if environment else None
    account = None
    if target is not None:
        account = target._account_id or ("123456789012" if not target.is_real_account else None)
    return {
        "run_id": state.run_id,
        "target": state.settings.target if not state.settings.endpoint_url else "endpoint",
        "endpoint": target.endpoint_url if target else None,
        "account": account,
        "region": target.region if target else None,
        "backup_region": target.backup_region if target else None,
        "twin_profiles": state.settings.twin_profiles,
        "outputs_source": environment.outputs.source if environment else None,
        "commit": current_commit(),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def build_document(state, catalog: dict[str, Criterion], results: list[Result], verdict: Verdict) -> dict:
    by_id = {result.criterion_id: result for result in results}
    criteria = []
    for criterion_id, criterion in catalog.items():
        result = by_id.get(criterion_id)
        criteria.append({
            "id": criterion_id,
            "title": criterion.title,
            "category": criterion.category,
            "severity": criterion.severity,
            "outcome": result.outcome if result else "not run",
            "message": result.message if result else "",
            "remediation": criterion.remediation,
        })

    return {
        "verdict": verdict.label,
        "go": verdict.go,
        "pass_pct": verdict.pass_pct,
        "go_threshold": verdict.threshold,
        "total": verdict.total,
        "counts": verdict.counts,
        "blocking": list(verdict.blocking),
        "reasons": list(verdict.reasons),
        "run": run_info(state),
        "api_calls": {"total": sum(state.collector.calls.values()), "by_operation": dict(sorted(state.collector.calls.items()))},
        "criteria": criteria,
        "recovery_objectives": recovery_rows(state),
        "drills": [{"test": node_id, "outcome": outcome, "message": message}
                   for node_id, (outcome, message) in state.collector.drills.items()],
    }


def render_markdown(document: dict) -> str:
    run = document["run"]
    lines = [
        f"# Launch readiness: {document['verdict']}",
        "",
        f"**{document['pass_pct']:g} %** of {document['total']} criteria passed (GO threshold {document['go_threshold']:g} %).",
        f"Target `{run['target']}`, account `{run['account'] or 'unknown'}`, regions `{run['region']}` / "
        f"`{run['backup_region']}`, commit `{run['commit']}`, run `{run['run_id']}`.",
        "",
    ]
    if document["reasons"]:
        lines += ["## Why not GO", ""] + [f"- {reason}" for reason in document["reasons"]] + [""]

    open_items = [item for item in document["criteria"] if item["outcome"] in (FAILED, UNVERIFIABLE)]
    if open_items:
        lines += ["## Failed and unverifiable criteria", "", "| id | severity | outcome | observed | remediation |",
                  "|---|---|---|---|---|"]
        for item in open_items:
            lines.append(f"| {item['id']} | {item['severity']} | {item['outcome']} | "
                         f"{_cell(item['message'])} | {_cell(item['remediation'])} |")
        lines.append("")

    if document["recovery_objectives"]:
        lines += ["## Recovery objectives", "", "| component | objective | target (s) | measured (s) | drill |",
                  "|---|---|---|---|---|"]
        for item in document["recovery_objectives"]:
            measured = "not measured" if item["measured_s"] is None else f"{item['measured_s']:.1f}"
            flag = " **breach**" if item["breached"] else ""
            lines.append(f"| {item['component']} | {item['objective']} | {item['target_s']:g} | {measured}{flag} | {item['source']} |")
        lines.append("")

    lines += ["## All criteria", "", "| id | category | severity | outcome | title |", "|---|---|---|---|---|"]
    for item in document["criteria"]:
        lines.append(f"| {item['id']} | {item['category']} | {item['severity']} | {item['outcome']} | {_cell(item['title'])} |")
    lines += ["", f"AWS API calls: {document['api_calls']['total']}.", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def write_allure_metadata(allure_dir: Path, document: dict) -> None:
    """Write the files allure-pytest never writes: environment, executor and categories."""
    allure_dir.mkdir(parents=True, exist_ok=True)
    run = document["run"]
    environment = {
        "Verdict": f"{document['verdict']} ({document['pass_pct']:g} %)",
        "Target": run["target"],
        "Account": run["account"] or "unknown",
        "Region": run["region"],
        "Backup.region": run["backup_region"],
        "Commit": run["commit"],
        "Run.id": run["run_id"],
        "Python": platform.python_version(),
    }
    (allure_dir / "environment.properties").write_text(
        "".join(f"{key}={value}\n" for key, value in environment.items()), encoding="utf-8"
    )
    executor = {
        "name": "launch-readiness",
        "type": "pytest",
        "buildName": f"launch readiness {run['run_id']}",
        "buildOrder": int(dt.datetime.now(dt.timezone.utc).timestamp()),
        "reportName": f"Launch readiness: {document['verdict']}",
    }
    if os.environ.get("CI_JOB_URL") or os.environ.get("BUILD_URL"):
        executor["buildUrl"] = os.environ.get("CI_JOB_URL") or os.environ.get("BUILD_URL")
    (allure_dir / "executor.json").write_text(json.dumps(executor, indent=2), encoding="utf-8")
    (allure_dir / "categories.json").write_text(json.dumps(ALLURE_CATEGORIES, indent=2), encoding="utf-8")


def write_all(state, catalog: dict[str, Criterion], results: list[Result], verdict: Verdict) -> dict[str, Path]:
    """Write every report file of the run and return their paths by kind."""
    reports_dir = state.settings.reports_dir
    reports_dir.mkdir(parents=True, exist_ok=True)
    document = build_document(state, catalog, results, verdict)

    paths = {"json": reports_dir / JSON_NAME, "markdown": reports_dir / MARKDOWN_NAME}
    paths["json"].write_text(json.dumps(document, indent=2), encoding="utf-8")
    paths["markdown"].write_text(render_markdown(document), encoding="utf-8")
    if document["recovery_objectives"]:
        paths.update(write_recovery_objectives(state))

    allure_dir = getattr(state.config.option, "allure_report_dir", None)
    if allure_dir:
        write_allure_metadata(Path(allure_dir), document)
        paths["allure"] = Path(allure_dir)
    return paths


def recovery_rows(state) -> list[dict]:
    return [{**vars(measurement), "breached": measurement.breached} for measurement in state.collector.measurements]


def write_recovery_objectives(state) -> dict[str, Path]:
    """Write reports/recovery-objectives.json: each measured RTO and RPO beside its target."""
    reports_dir = state.settings.reports_dir
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / RECOVERY_NAME
    document = {
        "run": run_info(state),
        "measurements": recovery_rows(state),
        "api_calls": {"total": sum(state.collector.calls.values()), "by_operation": dict(sorted(state.collector.calls.items()))},
    }
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return {"recovery objectives": path}


def print_recovery_objectives(terminalreporter, state) -> None:
    """Print the measured recovery objectives of a session that ran drills but no criteria."""
    terminalreporter.write_sep("=", "recovery objectives")
    for row in recovery_rows(state):
        measured = "not measured" if row["measured_s"] is None else f"{row['measured_s']:.1f} s"
        flag = "BREACH" if row["breached"] else "ok"
        terminalreporter.write_line(f"  {flag:<6} {row['component']:<14} {row['objective']} {measured} "
                                    f"(target {row['target_s']:g} s) from {row['source']}")
    for kind, path in state.report_paths.items():
        terminalreporter.write_line(f"{kind} report: {path}")


def print_summary(terminalreporter, state, verdict: Verdict) -> None:
    """Print the closing block: pass percentage, verdict, open criteria, report paths."""
    catalog_results = {item[0]: item[1] for item in state.collector.results.items()}
    write = terminalreporter.write_line
    terminalreporter.write_sep("=", f"launch readiness: {verdict.label}", green=verdict.go, red=not verdict.go, bold=True)
    write(f"{verdict.pass_pct:g} % of {verdict.total} criteria passed (GO threshold {verdict.threshold:g} %); "
          f"{verdict.counts['failed']} failed, {verdict.counts['unverifiable']} unverifiable, "
          f"{verdict.counts['skipped']} skipped, {verdict.counts['not run']} not run")

    from readiness.criteria import load_catalog
    catalog = load_catalog()
    for criterion_id, (outcome, message) in catalog_results.items():
        if outcome in (FAILED, UNVERIFIABLE):
            write(f"  {outcome.upper():<13} {criterion_id:<8} [{catalog[criterion_id].severity}] {message[:160]}")
    for reason in verdict.reasons:
        write(f"  NO-GO because {reason}")

    for kind, path in state.report_paths.items():
        write(f"{kind} report: {path}")
    write(f"VERDICT: {verdict.label} ({verdict.pass_pct:g} %)", bold=True, green=verdict.go, red=not verdict.go)
