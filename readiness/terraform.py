"""The Terraform outputs contract: where resource names come from, and the keys the suite reads."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

from readiness.errors import OutputsError, Unverifiable

log = logging.getLogger(__name__)

# Every output the suite reads, with what it names. terraform/outputs.tf declares the same keys.
OUTPUT_KEYS: dict[str, str] = {
    "region": "Primary region of the stack",
    "backup_region": "Region that holds backup copies and replicas",
    "vpc_id": "Application VPC",
    "db_instance_identifier": "RDS instance of the application database",
    "ecs_cluster_name": "ECS cluster that runs the application",
    "ecs_service_name": "ECS service of the application",
    "alb_arn": "Application load balancer in front of the service",
    "target_group_arn": "Target group the service registers its tasks with",
    "app_bucket_name": "S3 bucket with the application's data and static assets",
    "replica_bucket_name": "Replica of the application bucket in the backup region",
    "cloudfront_distribution_id": "CloudFront distribution serving the application",
    "backup_vault_name": "AWS Backup vault in the primary region",
    "backup_copy_vault_arn": "AWS Backup vault in the backup region that receives copies",
    "backup_plan_id": "AWS Backup plan covering the database and the bucket",
    "backup_restore_role_arn": "IAM role AWS Backup assumes to restore",
    "cloudtrail_name": "Multi-region CloudTrail trail",
    "alarm_topic_arn": "SNS topic the alarms notify",
    "dashboard_name": "CloudWatch dashboard of the stack",
    "db_secret_arn": "Secrets Manager secret with the database credentials",
    "ecr_repository_name": "ECR repository of the application image",
    "pipeline_name": "CodePipeline delivery pipeline",
    "codedeploy_app_name": "CodeDeploy application",
    "codedeploy_group_name": "CodeDeploy deployment group of the ECS service",
    "chaos_lambda_name": "Lambda function that runs scheduled chaos experiments",
    "app_log_group_name": "CloudWatch log group of the application",
    "flow_log_group_name": "CloudWatch log group of the VPC flow logs",
    "cloudtrail_log_group_name": "CloudWatch log group CloudTrail delivers to",
    "health_url": "Public URL of the application's health endpoint",
}


class Outputs:
    """Terraform outputs by name; a missing key makes the asking criterion unverifiable."""

    def __init__(self, values: dict, source: str) -> None:
        self.values = values
        self.source = source

    def __getitem__(self, key: str):
        return self.require(key)

    def require(self, key: str):
        """Return an output's value, or raise Unverifiable naming the missing key."""
        if key not in OUTPUT_KEYS:
            raise KeyError(f"{key!r} is not in the outputs contract (readiness.terraform.OUTPUT_KEYS)")
        value = self.values.get(key)
        if value in (None, ""):
            raise Unverifiable(
                f"Terraform output {key!r} ({OUTPUT_KEYS[key]}) is missing from {self.source}; "
                "add it to outputs.tf or to the --tf-outputs file"
            )
        return value

    def get(self, key: str, default=None):
        return self.values.get(key, default) or default

    def missing(self) -> list[str]:
        """Return the contract keys this source does not provide."""
        return [key for key in OUTPUT_KEYS if self.values.get(key) in (None, "")]


def parse_outputs(document, source: str) -> Outputs:
    """Build Outputs from `terraform output -json` data, or a flat {name: value} mapping."""
    if not isinstance(document, dict):
        raise OutputsError(
            f"{source} must hold a JSON object of outputs, as `terraform output -json` prints, "
            f"not a {type(document).__name__}"
        )

    values = {}
    for key, entry in document.items():
        # `terraform output -json` wraps each value as {"value": ..., "type": ..., "sensitive": ...}.
        if isinstance(entry, dict) and "value" in entry:
            values[key] = entry["value"]
        else:
            values[key] = entry
    return Outputs(values, source)


def load_outputs_file(path: str) -> Outputs:
    """Read an outputs file; raise OutputsError saying what is wrong and what to do."""
    file = Path(path)
    if not file.is_file():
        raise OutputsError(
            f"--tf-outputs {path}: file not found; write it with "
            "'terraform output -json > outputs.json' or pass --tf-dir instead"
        )

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise OutputsError(f"--tf-outputs {path}: cannot be read ({error})") from error
    except json.JSONDecodeError as error:
        raise OutputsError(
            f"--tf-outputs {path}: invalid JSON at line {error.lineno}, column {error.colno} "
            f"({error.msg}); regenerate it with 'terraform output -json'"
        ) from error
    return parse_outputs(document, f"outputs file {path}")


def load_terraform_dir(tf_dir: str, terraform: str = "terraform") -> Outputs:
    """Run `terraform output -json` in a directory; raise OutputsError on any failure."""
    directory = Path(tf_dir)
    if not directory.is_dir():
        raise OutputsError(f"--tf-dir {tf_dir}: directory not found")

    binary = shutil.which(terraform)
    if binary is None:
        raise OutputsError(
            "--tf-dir needs the terraform binary on PATH and none was found; install Terraform, "
            "or run 'terraform output -json > outputs.json' elsewhere and pass --tf-outputs"
        )

    command = [binary, f"-chdir={directory}", "output", "-json"]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as error:
        raise OutputsError(f"'{' '.join(command)}' timed out after 120 s") from error

    if completed.returncode != 0:
        detail = completed.stderr.strip().splitlines()[-1:] or ["no error output"]
        raise OutputsError(
            f"'terraform output -json' failed in {tf_dir} (exit {completed.returncode}): "
            f"{detail[0]}; check that the state is reachable ('terraform init' and credentials)"
        )

    try:
        document = json.loads(completed.stdout or "{}")
    except json.JSONDecodeError as error:
        raise OutputsError(f"'terraform output -json' in {tf_dir} printed invalid JSON: {error}") from error

    outputs = parse_outputs(document, f"terraform state in {tf_dir}")
    if not outputs.values:
        raise OutputsError(
            f"'terraform output -json' in {tf_dir} returned no outputs; "
            "has the stack been applied, and is this the right directory?"
        )
    return outputs
