"""Runs of dr_drills in pytest subprocesses against the shared twin, their results, and what they leave behind.

Not a conftest.py: a second conftest module would replace tests/conftest.py under the name
"conftest" and break the `from conftest import ...` lines of the other test modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.config
import pytest

from support import REPO_ROOT, isolated_environment
from readiness.recovery import DRILL_PREFIX
from readiness.target import TWIN_CREDENTIALS

# Outcome precedence when junit.xml reports a test twice (a call failure and a teardown error).
SEVERITY = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


@dataclass
class DrillRun:
    """One pytest subprocess over dr_drills: exit code, output, and the reports it wrote."""

    returncode: int
    output: str
    reports_dir: Path

    def outcomes(self) -> dict[str, tuple[str, str]]:
        """Return (outcome, message) by test function name, read from junit.xml."""
        results: dict[str, tuple[str, str]] = {}
        for case in ElementTree.parse(self.reports_dir / "junit.xml").iter("testcase"):
            outcome, message = "passed", ""
            for kind in ("error", "failure", "skipped"):
                element = case.find(kind)
                if element is not None:
                    outcome = {"failure": "failed"}.get(kind, kind)
                    message = f"{element.get('message', '')} {element.text or ''}"
                    break
            name = case.get("name")
            if name not in results or SEVERITY[outcome] > SEVERITY[results[name][0]]:
                results[name] = (outcome, message)
        return results

    def not_passed(self) -> dict[str, str]:
        return {name: outcome for name, (outcome, _message) in self.outcomes().items() if outcome != "passed"}

    def message(self, name: str) -> str:
        return self.outcomes()[name][1]

    @property
    def recovery(self) -> dict:
        return json.loads((self.reports_dir / "recovery-objectives.json").read_text(encoding="utf-8"))

    @property
    def document(self) -> dict:
        return json.loads((self.reports_dir / "launch-readiness.json").read_text(encoding="utf-8"))


def drill_command(twin, tmp_path: Path, marker: str, *args: str) -> list[str]:
    """Return the pytest command that runs dr_drills with a marker against the running twin."""
    outputs_file = tmp_path / "outputs.json"
    twin.write_outputs(str(outputs_file))
    # Path options use the --name=value form: pytest picks its root folder from free arguments.
    command = [sys.executable, "-m", "pytest", "-m", marker, "-q",
               f"--reports-dir={tmp_path / 'reports'}", f"--endpoint-url={twin.endpoint_url}",
               f"--tf-outputs={outputs_file}"]
    if twin.operations_dir:
        command.append(f"--runbooks-dir={twin.operations_dir}")
    return command + list(args or ["dr_drills"])


def run_drills(twin, tmp_path: Path, marker: str, *args: str, env: dict | None = None, timeout: float = 180) -> DrillRun:
    completed = subprocess.run(drill_command(twin, tmp_path, marker, *args), cwd=REPO_ROOT,
                               env={**isolated_environment(), **(env or {})}, capture_output=True, text=True,
                               timeout=timeout, check=False)
    return DrillRun(completed.returncode, completed.stdout + completed.stderr, tmp_path / "reports")


@pytest.fixture
def drills_on(tmp_path, twin):
    """Run dr_drills with a marker against the shared twin reseeded with the given drift profiles."""

    def run(*profiles: str, marker: str = "dryrun", extra: tuple[str, ...] = (), paths: tuple[str, ...] = ("dr_drills",),
            env: dict | None = None) -> DrillRun:
        twin.reseed(list(profiles))
        return run_drills(twin, tmp_path, marker, *extra, *paths, env=env)

    return run


def twin_client(twin, service: str, region: str | None = None):
    return boto3.session.Session(**TWIN_CREDENTIALS).client(
        service, region_name=region or twin.region, endpoint_url=twin.endpoint_url,
        config=botocore.config.Config(retries={"total_max_attempts": 1}, inject_host_prefix=False),
    )


def leftovers(twin) -> list[str]:
    """Return the drill resources on the twin named readiness-drill: DB instances, scratch subnet
    groups and security groups, and object versions."""
    rds = twin_client(twin, "rds")
    found = [f"DB instance {instance['DBInstanceIdentifier']}"
             for instance in rds.describe_db_instances()["DBInstances"]
             if instance["DBInstanceIdentifier"].startswith(DRILL_PREFIX)]
    found += [f"DB subnet group {group['DBSubnetGroupName']}"
              for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]
              if group["DBSubnetGroupName"].startswith(DRILL_PREFIX)]
    found += [f"security group {group['GroupId']} ({group['GroupName']})"
              for group in twin_client(twin, "ec2").describe_security_groups()["SecurityGroups"]
              if group["GroupName"].startswith(DRILL_PREFIX)]
    buckets = ((twin.outputs["app_bucket_name"], twin.region), (twin.outputs["replica_bucket_name"], twin.backup_region))
    for bucket, region in buckets:
        listing = twin_client(twin, "s3", region).list_object_versions(Bucket=bucket, Prefix=f"{DRILL_PREFIX}/")
        found += [f"s3://{bucket}/{item['Key']} version {item['VersionId']}"
                  for item in listing.get("Versions", []) + listing.get("DeleteMarkers", [])]
    return found
