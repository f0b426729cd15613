"""Command-line options and ini settings of the suite, and their validation into Settings."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TARGETS = ("twin", "aws")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")

# name: (help, default). Durations are seconds unless the name says otherwise.
INI_SETTINGS = {
    "go_threshold": ("Minimum pass percentage for GO (0-100)", "90"),
    "perf_requests": ("Requests PERF-03 sends to the health URL", "50"),
    "perf_p95_ms": ("p95 latency target of the health URL and the ALB, in milliseconds", "500"),
    "health_expected_body": ("Text the health endpoint's body must contain", '"status": "ok"'),
    "gameday_max_age_days": ("Maximum age of the last live game day, in days", "90"),
    "rto_application": ("Recovery time objective of the application, in seconds", "300"),
    "rpo_application": ("Recovery point objective of the application, in seconds", "60"),
    "rto_database": ("Recovery time objective of the database, in seconds", "600"),
    "rpo_database": ("Recovery point objective of the database, in seconds", "300"),
    "rto_static_assets": ("Recovery time objective of the static assets, in seconds", "60"),
    "rpo_static_assets": ("Maximum replication lag of the static assets, in seconds", "60"),
    "rto_credentials": ("Recovery time objective of the credentials, in seconds", "120"),
    "rpo_credentials": ("Recovery point objective of the credentials, in seconds", "1800"),
    "chaos_kill_target_s": ("Recovery target of the task-kill experiment, in seconds", "60"),
    "chaos_scale_target_s": ("Recovery target of each direction of the scaling experiment, in seconds", "120"),
    "chaos_latency_target_s": ("Recovery target after the network-latency fault ends, in seconds", "90"),
    "chaos_latency_ms": ("Largest network delay a latency experiment may inject, in milliseconds", "200"),
    "chaos_stop_alarms": ("Comma-separated CloudWatch alarms that abort an experiment when they enter ALARM "
                          "(default: the stop conditions of the FIS latency template)", ""),
}
# Settings read as text; every other ini setting is a number.
TEXT_SETTINGS = {"health_expected_body", "chaos_stop_alarms"}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "launch readiness")
    group.addoption("--target", default="twin",
                    help="Where AWS is: 'twin' (embedded endpoint on 127.0.0.1, the default) or 'aws' (a real account).")
    group.addoption("--aws-profile", default=None, help="AWS profile for --target aws (default: the standard credential chain).")
    group.addoption("--region", default=None, help="Primary region (default: the 'region' output, then the profile's region).")
    group.addoption("--backup-region", default=None, help="Backup region (default: the 'backup_region' output).")
    group.addoption("--tf-dir", default=None, help="Terraform directory to read outputs from with 'terraform output -json'.")
    group.addoption("--tf-outputs", default=None, help="JSON file of Terraform outputs, as 'terraform output -json' writes it.")
    group.addoption("--endpoint-url", default=None,
                    help="Use an AWS-compatible endpoint that is already running (for example 'readiness twin') "
                         "instead of starting the twin; needs --tf-outputs.")
    group.addoption("--twin-profile", action="append", default=[],
                    help="Drift profile to apply to the twin (repeatable, or comma-separated); "
                         "'readiness profiles' lists them.")
    group.addoption("--confirm-account", default=None,
                    help="Account id that live tests may change; must equal the caller's account on --target aws.")
    group.addoption("--runbooks-dir", default=None,
                    help="Operations folder with the runbooks and game-day records (default: the twin's, or ./operations).")
    group.addoption("--last-gameday", default=None, help="Date of the last live game day (YYYY-MM-DD), if not recorded in files.")
    group.addoption("--reports-dir", default="reports", help="Folder for the verdict, the reports and the Allure results.")

    for name, (help_text, default) in INI_SETTINGS.items():
        parser.addini(name, help=help_text, default=default)


@dataclass
class Settings:
    """Validated options and ini values for one run."""

    target: str
    aws_profile: str | None
    region: str | None
    backup_region: str | None
    tf_dir: str | None
    tf_outputs: str | None
    endpoint_url: str | None
    twin_profiles: list[str]
    confirm_account: str | None
    runbooks_dir: str | None
    last_gameday: dt.date | None
    reports_dir: Path
    ini: dict[str, float] = field(default_factory=dict)
    health_expected_body: str = ""


def read_settings(config: pytest.Config) -> Settings:
    """Validate options and ini values; raise pytest.UsageError saying what to fix."""
    option = config.option

    if option.target not in TARGETS:
        raise pytest.UsageError(f"--target {option.target!r} is not valid; use one of: {', '.join(TARGETS)}")
    if option.tf_dir and option.tf_outputs:
        raise pytest.UsageError("--tf-dir and --tf-outputs both name the outputs; pass only one")
    if option.endpoint_url and not option.tf_outputs:
        raise pytest.UsageError("--endpoint-url needs --tf-outputs with the names of the resources behind it")
    if option.endpoint_url and not option.endpoint_url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--endpoint-url {option.endpoint_url!r} must start with http:// or https://")
    if option.target == "aws" and option.endpoint_url:
        raise pytest.UsageError("--endpoint-url and --target aws exclude each other: a real account uses AWS's endpoints")
    if option.target == "aws" and not (option.tf_dir or option.tf_outputs):
        raise pytest.UsageError("--target aws needs the stack's outputs: pass --tf-dir DIR or --tf-outputs FILE")

    profiles = [name.strip() for value in option.twin_profile for name in value.split(",") if name.strip()]
    if profiles and (option.target != "twin" or option.endpoint_url):
        raise pytest.UsageError("--twin-profile applies only to the embedded twin (--target twin without --endpoint-url)")

    if option.confirm_account is not None and not ACCOUNT_ID_PATTERN.match(option.confirm_account):
        raise pytest.UsageError(f"--confirm-account {option.confirm_account!r} must be a 12-digit AWS account id")

    last_gameday = None
    if option.last_gameday:
        try:
            last_gameday = dt.date.fromisoformat(option.last_gameday)
        except ValueError:
            raise pytest.UsageError(f"--last-gameday {option.last_gameday!r} must be a date like 2026-09-30") from None

    if option.runbooks_dir and not Path(option.runbooks_dir).is_dir():
        raise pytest.UsageError(
            f"--runbooks-dir {option.runbooks_dir}: folder not found; pass the folder that contains the runbooks"
        )

    reports_dir = Path(option.reports_dir)
    if reports_dir.exists() and not reports_dir.is_dir():
        raise pytest.UsageError(f"--reports-dir {reports_dir} exists and is not a folder; choose another path")

    ini = {}
    for name in INI_SETTINGS:
        if name in TEXT_SETTINGS:
            continue
        raw = config.getini(name)
        try:
            ini[name] = float(raw)
        except (TypeError, ValueError):
            raise pytest.UsageError(f"ini option {name} = {raw!r} must be a number ({INI_SETTINGS[name][0]})") from None
        if ini[name] < 0:
            raise pytest.UsageError(f"ini option {name} = {raw!r} must not be negative")
    if ini["go_threshold"] > 100:
        raise pytest.UsageError(f"ini option go_threshold = {ini['go_threshold']:g} must be between 0 and 100")

    return Settings(
        target=option.target,
        aws_profile=option.aws_profile,
        region=option.region,
        backup_region=option.backup_region,
        tf_dir=option.tf_dir,
        tf_outputs=option.tf_outputs,
        endpoint_url=option.endpoint_url,
        twin_profiles=profiles,
        confirm_account=option.confirm_account,
        runbooks_dir=option.runbooks_dir,
        last_gameday=last_gameday,
        reports_dir=reports_dir,
        ini=ini,
        health_expected_body=config.getini("health_expected_body"),
    )
