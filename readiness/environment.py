"""One run's environment: the target, its outputs, the inventory, and the twin when embedded."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from readiness import terraform
from readiness.errors import OutputsError
from readiness.inventory import Inventory
from readiness.options import Settings
from readiness.target import Target, check_credentials
from readiness.twin import DEFAULT_BACKUP_REGION, DEFAULT_REGION

log = logging.getLogger(__name__)


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def load_declared_outputs(settings: Settings) -> terraform.Outputs | None:
    """Load the outputs named by --tf-dir or --tf-outputs; raise pytest.UsageError on bad input."""
    try:
        if settings.tf_dir:
            return terraform.load_terraform_dir(settings.tf_dir)
        if settings.tf_outputs:
            return terraform.load_outputs_file(settings.tf_outputs)
    except OutputsError as error:
        raise pytest.UsageError(str(error)) from None
    return None


@dataclass
class Environment:
    """The target, outputs and inventory that every fixture of the run uses."""

    settings: Settings
    target: Target
    outputs: terraform.Outputs
    run_id: str
    operations_dir: str | None = None
    inventory: Inventory = field(init=False)

    def __post_init__(self) -> None:
        self.inventory = Inventory(self.target, self.outputs)

    @property
    def runbooks_dir(self) -> Path:
        """The operations folder: --runbooks-dir, else the twin's, else ./operations."""
        return Path(self.settings.runbooks_dir or self.operations_dir or "operations")


def build_environment(settings: Settings, endpoint_url: str | None, outputs: terraform.Outputs,
                      run_id: str, operations_dir: str | None = None) -> Environment:
    """Make the Target for the run; the regions come from the options, then the outputs."""
    default_region = DEFAULT_REGION if endpoint_url else None
    region = settings.region or outputs.get("region") or default_region
    backup_region = settings.backup_region or outputs.get("backup_region") or (DEFAULT_BACKUP_REGION if endpoint_url else None)

    target = Target(
        name=settings.target if not settings.endpoint_url else "endpoint",
        region=region or "",
        backup_region=backup_region or "",
        endpoint_url=endpoint_url,
        profile=settings.aws_profile,
    )
    if target.is_real_account:
        problem = check_credentials(target)
        if problem:
            raise pytest.UsageError(problem)
        if not target.region:
            target.region = target.session.region_name or ""
        if not target.region:
            raise pytest.UsageError("no region is set: pass --region, add a 'region' output, or set one in the AWS profile")
        if not target.backup_region:
            raise pytest.UsageError("no backup region is set: pass --backup-region or add a 'backup_region' output")
    return Environment(settings, target, outputs, run_id, operations_dir)
