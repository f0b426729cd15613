"""Static tests of the reference Terraform in terraform/, and of the python-hcl2 parsing in readiness.tfparse."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from readiness import tfparse
from readiness.terraform import OUTPUT_KEYS, parse_outputs

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "terraform"

# Resource types by whether they take a `tags` argument, taken from the schema of AWS provider
# 5.100.0 (`terraform providers schema -json`). A type in neither set fails test_resource_types_are_classified.
TAGGABLE_TYPES = frozenset({
    "aws_appautoscaling_target", "aws_backup_plan", "aws_backup_vault", "aws_cloudfront_distribution",
    "aws_cloudtrail", "aws_cloudwatch_log_group", "aws_cloudwatch_metric_alarm", "aws_codebuild_project",
    "aws_codedeploy_app", "aws_codedeploy_deployment_group", "aws_codepipeline",
    "aws_codestarconnections_connection", "aws_db_instance", "aws_db_subnet_group",
    "aws_default_security_group", "aws_ecr_repository", "aws_ecs_cluster", "aws_ecs_service",
    "aws_ecs_task_definition", "aws_eip", "aws_fis_experiment_template", "aws_flow_log",
    "aws_guardduty_detector", "aws_iam_role", "aws_internet_gateway", "aws_kms_key", "aws_lambda_function",
    "aws_lb", "aws_lb_listener", "aws_lb_target_group", "aws_nat_gateway", "aws_route_table", "aws_s3_bucket",
    "aws_secretsmanager_secret", "aws_security_group", "aws_serverlessapplicationrepository_cloudformation_stack",
    "aws_sns_topic", "aws_subnet", "aws_vpc", "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule", "aws_wafv2_web_acl",
})
UNTAGGABLE_TYPES = frozenset({
    "aws_appautoscaling_policy", "aws_backup_selection", "aws_backup_vault_notifications",
    "aws_cloudfront_origin_access_control", "aws_cloudwatch_dashboard", "aws_ecr_lifecycle_policy",
    "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_kms_alias", "aws_kms_key_policy", "aws_route",
    "aws_route53_record", "aws_route_table_association", "aws_s3_account_public_access_block",
    "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_ownership_controls", "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block", "aws_s3_bucket_replication_configuration",
    "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_versioning", "aws_scheduler_schedule",
    "aws_secretsmanager_secret_rotation", "aws_secretsmanager_secret_version", "aws_sns_topic_policy",
    "aws_sns_topic_subscription", "aws_wafv2_web_acl_association",
})

# Resource types each module must declare for the reference stack to meet the launch criteria.
REQUIRED_TYPES = {
    "modules/network": {
        "aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_nat_gateway", "aws_route_table", "aws_route",
        "aws_flow_log", "aws_cloudwatch_log_group", "aws_security_group", "aws_vpc_security_group_ingress_rule",
    },
    "modules/data": {
        "aws_db_instance", "aws_db_subnet_group", "aws_kms_key", "aws_s3_bucket", "aws_s3_bucket_versioning",
        "aws_s3_bucket_replication_configuration", "aws_s3_account_public_access_block",
        "aws_secretsmanager_secret", "aws_secretsmanager_secret_rotation",
    },
    "modules/application": {
        "aws_ecr_repository", "aws_ecs_cluster", "aws_ecs_task_definition", "aws_ecs_service", "aws_iam_role",
        "aws_lb", "aws_lb_listener", "aws_lb_target_group", "aws_appautoscaling_target",
        "aws_appautoscaling_policy", "aws_cloudwatch_log_group",
    },
    "modules/edge": {
        "aws_cloudfront_distribution", "aws_cloudfront_origin_access_control", "aws_wafv2_web_acl",
        "aws_wafv2_web_acl_association",
    },
    "modules/security": {"aws_guardduty_detector", "aws_cloudtrail", "aws_kms_key", "aws_cloudwatch_log_group"},
    "modules/monitoring": {
        "aws_sns_topic", "aws_sns_topic_subscription", "aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard",
    },
    "modules/delivery": {
        "aws_codepipeline", "aws_codebuild_project", "aws_codedeploy_app", "aws_codedeploy_deployment_group",
    },
    "modules/disaster_recovery": {
        "aws_backup_vault", "aws_backup_plan", "aws_backup_selection", "aws_backup_vault_notifications",
        "aws_iam_role", "aws_lambda_function", "aws_fis_experiment_template",
    },
    "fixtures/restore_scratch": {"aws_db_subnet_group", "aws_security_group"},
}

ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
REGION = re.compile(
    r"\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-iso[a-z]?)?"
    r"-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d\b"
)


@pytest.fixture(scope="module")
def config() -> dict:
    return tfparse.parse_directory(TERRAFORM_DIR)


@pytest.fixture(scope="module")
def root(config) -> tfparse.Module:
    return config["modules"][tfparse.ROOT_MODULE]


def _text_hits(pattern: re.Pattern) -> list[tuple[str, int, str]]:
    """Return (file, line number, line) for each line of a .tf file outside examples/ that matches pattern."""
    hits = []
    for path in tfparse.iter_tf_files(TERRAFORM_DIR):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                hits.append((path.relative_to(TERRAFORM_DIR).as_posix(), number, line.strip()))
    return hits


def _has_default_tags(config: dict, configuration: str) -> bool:
    provider = config["modules"][tfparse.ROOT_MODULE].providers.get(configuration, {})
    return any(block.get("tags") for block in tfparse.nested_blocks(provider, "default_tags"))


# --- The outputs contract ------------------------------------------------------------------


def test_outputs_declare_contract_keys(config):
    declared = set(config["outputs"])

    assert not set(OUTPUT_KEYS) - declared, (
        f"terraform/outputs.tf lacks contract keys {sorted(set(OUTPUT_KEYS) - declared)}; "
        "expected every key of readiness.terraform.OUTPUT_KEYS"
    )
    assert not declared - set(OUTPUT_KEYS), (
        f"terraform/outputs.tf declares {sorted(declared - set(OUTPUT_KEYS))}, which OUTPUT_KEYS lacks; "
        "expected exactly the contract keys in the root module"
    )


def test_outputs_wired_to_module_outputs(config, root):
    offenders = []
    for name, output in root.outputs.items():
        references = tfparse.module_output_references(output.value)
        variables = tfparse.variable_references(output.value)
        if not references and not variables:
            offenders.append(f"{name} = {output.value!r} reads no module output or variable")
        for call_name, output_name in sorted(references):
            call = root.module_calls.get(call_name)
            if call is None:
                offenders.append(f"{name} reads module.{call_name}, which main.tf does not call")
            elif output_name not in config["modules"][call.path].outputs:
                offenders.append(f"{name} reads module.{call_name}.{output_name}, which {call.path} does not output")

    assert not offenders, f"root outputs with broken wiring: {'; '.join(offenders)}"


def test_every_output_has_description(config):
    missing = [
        f"{module.path}:{name}"
        for module in config["modules"].values()
        for name, output in module.outputs.items()
        if not (output.description or "").strip()
    ]

    assert not missing, f"outputs without a description: {missing}; expected a description on every output"


def test_example_outputs_cover_contract():
    document = json.loads((TERRAFORM_DIR / "examples" / "outputs.example.json").read_text(encoding="utf-8"))
    outputs = parse_outputs(document, "examples/outputs.example.json")

    assert set(document) == set(OUTPUT_KEYS), (
        f"examples/outputs.example.json has keys {sorted(set(document) ^ set(OUTPUT_KEYS))} that differ "
        "from OUTPUT_KEYS; expected exactly the contract keys"
    )
    assert not outputs.missing(), f"examples/outputs.example.json has empty values for {outputs.missing()}"
    assert all(set(entry) == {"sensitive", "type", "value"} for entry in document.values()), (
        "examples/outputs.example.json entries must have the `terraform output -json` shape {sensitive, type, value}"
    )


# --- Variables and module wiring -----------------------------------------------------------


def test_every_variable_typed_and_described(config):
    untyped = [f"{module.path}:{name}" for module in config["modules"].values()
               for name, variable in module.variables.items() if not variable.type]
    undescribed = [f"{module.path}:{name}" for module in config["modules"].values()
                   for name, variable in module.variables.items() if not (variable.description or "").strip()]

    assert not untyped, f"variables without a type: {untyped}; expected a type on every variable"
    assert not undescribed, f"variables without a description: {undescribed}; expected one on every variable"


def test_module_calls_match_variables(config):
    offenders = []
    for module in config["modules"].values():
        for call in module.module_calls.values():
            assert call.path in config["modules"], f"module {call.name!r} in {call.file} has no local source folder"
            child = config["modules"][call.path]
            unknown = sorted(set(call.arguments) - set(child.variables))
            required = {name for name, variable in child.variables.items() if not variable.has_default}
            missing = sorted(required - set(call.arguments))
            if unknown:
                offenders.append(f"module.{call.name} passes {unknown}, which {call.path} does not declare")
            if missing:
                offenders.append(f"module.{call.name} does not pass required {missing} of {call.path}")

    assert not offenders, f"module calls that do not match their module's variables: {'; '.join(offenders)}"


def test_variable_references_resolve(config):
    offenders = []
    for module in config["modules"].values():
        referenced = tfparse.module_variable_references(module)
        undeclared = sorted(referenced - set(module.variables))
        unused = sorted(set(module.variables) - referenced)
        if undeclared:
            offenders.append(f"{module.path} reads undeclared variables {undeclared}")
        if unused:
            offenders.append(f"{module.path} declares unused variables {unused}")

    assert not offenders, f"variable references that do not match declarations: {'; '.join(offenders)}"


def test_modules_have_standard_files(config):
    offenders = []
    for module in config["modules"].values():
        names = {Path(file).name for file in module.files}
        expected = {"main.tf", "variables.tf", "outputs.tf"}
        if module.path == tfparse.ROOT_MODULE:
            expected.add("versions.tf")
        if expected - names:
            offenders.append(f"{module.path} lacks {sorted(expected - names)}")

    assert not offenders, f"modules without their standard files: {'; '.join(offenders)}"


@pytest.mark.parametrize("module_path", sorted(REQUIRED_TYPES))
def test_module_declares_reference_resources(config, module_path):
    declared = set(tfparse.resource_types_by_module(config).get(module_path, []))

    missing = sorted(REQUIRED_TYPES[module_path] - declared)

    assert not missing, f"{module_path} declares no {missing}; the reference stack needs them"


# --- Versions and providers ----------------------------------------------------------------


def test_versions_pin_terraform_and_aws_provider(root):
    settings = root.terraform

    versions = [block.get("required_version") for block in settings if block.get("required_version")]
    providers = [provider for block in settings for provider in tfparse.nested_blocks(block, "required_providers")]
    aws = next((provider["aws"] for provider in providers if "aws" in provider), {})

    assert versions, "terraform/versions.tf sets no required_version"
    assert aws.get("source") == "hashicorp/aws", f"aws provider source is {aws.get('source')!r}; expected 'hashicorp/aws'"
    assert str(aws.get("version", "")).startswith("~> 5."), (
        f"aws provider version constraint is {aws.get('version')!r}; expected a '~> 5.x' constraint"
    )


def test_root_providers_have_default_tags(config, root):
    expected = {"aws", "aws.backup", "aws.us_east_1"}

    assert set(root.providers) == expected, f"root providers are {sorted(root.providers)}; expected {sorted(expected)}"
    for configuration in sorted(expected):
        assert _has_default_tags(config, configuration), f"provider {configuration} has no default_tags"


# --- Hard-coded values ---------------------------------------------------------------------


def test_no_account_id_outside_examples():
    hits = _text_hits(ACCOUNT_ID)

    assert not hits, (
        f"12-digit account IDs in .tf files: {hits}; expected data.aws_caller_identity or a variable instead"
    )


def test_no_region_outside_examples(root):
    # AWS serves CLOUDFRONT-scope web ACLs and CloudFront certificates only from us-east-1, so
    # that provider's region is the one literal allowed.
    allowed = set()
    if root.providers.get("aws.us_east_1", {}).get("region") == "us-east-1":
        allowed.add(("main.tf", 'region = "us-east-1"'))

    hits = [(file, number, line) for file, number, line in _text_hits(REGION)
            if (file, re.sub(r"\s+", " ", line)) not in allowed]

    assert not hits, f"region names in .tf files: {hits}; expected var.region, var.backup_region or data.aws_region"


# --- Security settings ---------------------------------------------------------------------


def test_resource_types_are_classified(config):
    unclassified = sorted(set(config["resources"]) - TAGGABLE_TYPES - UNTAGGABLE_TYPES)

    assert not unclassified, (
        f"resource types {unclassified} are in neither TAGGABLE_TYPES nor UNTAGGABLE_TYPES; "
        "add each to one of them after looking up its `tags` argument in the AWS provider docs"
    )


def test_taggable_resources_carry_tags(config):
    offenders = []
    for module in config["modules"].values():
        for resource in module.resources:
            if resource.type not in TAGGABLE_TYPES or resource.attributes.get("tags"):
                continue
            configurations = tfparse.root_provider_configurations(config, module.path, resource.provider)
            untagged = sorted(name for name in configurations if not _has_default_tags(config, name))
            if not configurations or untagged:
                offenders.append(f"{resource.address} (provider {resource.provider} reaches "
                                 f"{sorted(configurations) or 'no root provider'})")

    assert not offenders, (
        f"taggable resources with neither tags nor a provider with default_tags: {offenders}"
    )


def test_restore_scratch_tags_carry_run_id(config):
    module = config["modules"]["fixtures/restore_scratch"]
    local_tags = str(module.locals.get("tags", ""))

    assert '"readiness:drill" = var.run_id' in local_tags, (
        f"restore_scratch local.tags is {local_tags!r}; expected it to set readiness:drill to var.run_id"
    )
    for resource in module.resources:
        if resource.type in TAGGABLE_TYPES:
            assert "local.tags" in str(resource.attributes.get("tags", "")), (
                f"{resource.address} tags are {resource.attributes.get('tags')!r}; expected them to include local.tags"
            )


def test_kms_keys_rotate(config):
    not_rotating = [key.address for key in config["resources"].get("aws_kms_key", [])
                    if key.attributes.get("enable_key_rotation") is not True]

    assert not not_rotating, f"KMS keys without enable_key_rotation = true: {not_rotating}"


def _bucket_companions(module: tfparse.Module, bucket: tfparse.Resource) -> dict[str, tfparse.Resource]:
    """Return the bucket's settings resources by type, matched on bucket = aws_s3_bucket.<name>.id."""
    reference = f"${{aws_s3_bucket.{bucket.name}.id}}"
    return {resource.type: resource for resource in module.resources
            if resource.type.startswith("aws_s3_bucket_") and resource.attributes.get("bucket") == reference}


def _denies_insecure_transport(module: tfparse.Module, policy: tfparse.Resource) -> bool:
    document_name = tfparse.unwrap_expression(str(policy.attributes.get("policy", ""))).removesuffix(".json")
    for document in module.data_sources:
        if f"data.{document.type}.{document.name}" != document_name:
            continue
        for statement in tfparse.nested_blocks(document.attributes, "statement"):
            conditions = tfparse.nested_blocks(statement, "condition")
            if statement.get("effect") == "Deny" and any(
                condition.get("variable") == "aws:SecureTransport" and condition.get("values") == ["false"]
                for condition in conditions
            ):
                return True
    return False


def test_buckets_private_versioned_encrypted_tls_only(config):
    offenders = []
    for module in config["modules"].values():
        for bucket in module.resources:
            if bucket.type != "aws_s3_bucket":
                continue
            companions = _bucket_companions(module, bucket)
            for required in ("aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning",
                             "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_policy"):
                if required not in companions:
                    offenders.append(f"{bucket.address} has no {required}")
            encryption = companions.get("aws_s3_bucket_server_side_encryption_configuration")
            if encryption and "aws:kms" not in str(encryption.attributes):
                offenders.append(f"{bucket.address} default encryption is not aws:kms")
            policy = companions.get("aws_s3_bucket_policy")
            if policy and not _denies_insecure_transport(module, policy):
                offenders.append(f"{bucket.address} policy does not deny aws:SecureTransport = false")

    assert not offenders, f"buckets that miss a baseline setting: {'; '.join(offenders)}"


def test_terraform_fmt_clean():
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform binary not on PATH")

    # CHECKPOINT_DISABLE stops Terraform from calling its version-check service.
    completed = subprocess.run(
        [binary, "fmt", "-check", "-recursive", "-list=true", str(TERRAFORM_DIR)],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )

    assert completed.returncode == 0, (
        f"terraform fmt -check failed (exit {completed.returncode}) on: {completed.stdout.split() or completed.stderr[-500:]}; "
        "run 'terraform fmt -recursive terraform/'"
    )


# --- readiness.tfparse on small configurations ---------------------------------------------


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_unquote_handles_hcl2_8_string_shapes():
    assert tfparse.unquote('"eu"') == "eu"
    assert tfparse.unquote('"a\\"b\\\\c\\n"') == 'a"b\\c\n'
    assert tfparse.unquote('"${var.name}-app"') == "${var.name}-app"
    assert tfparse.unquote('"<<-EOT\n    first\n      second\n  EOT"') == "first\n  second\n"
    assert tfparse.unquote("plain") == "plain"


def test_normalize_drops_metadata_and_quotes():
    raw = {'"aws_vpc"': {'"main"': {"cidr_block": '"10.0.0.0/16"', "__is_block__": True, "count": 2}}}

    assert tfparse.normalize(raw) == {"aws_vpc": {"main": {"cidr_block": "10.0.0.0/16", "count": 2}}}


def test_parse_directory_resolves_providers_through_calls(tmp_path):
    _write(tmp_path, "main.tf", """
provider "aws" {
  region = var.region
  default_tags {
    tags = { team = "x" }
  }
}
provider "aws" {
  alias  = "backup"
  region = var.backup_region
}
module "child" {
  source = "./modules/child"
  providers = {
    aws        = aws
    aws.backup = aws.backup
  }
}
module "implicit" {
  source = "./modules/child"
}
""")
    _write(tmp_path / "modules" / "child", "main.tf", """
resource "aws_s3_bucket" "primary" {
  bucket = "a"
}
resource "aws_s3_bucket" "copy" {
  provider = aws.backup
  bucket   = "b"
}
""")
    _write(tmp_path / "examples", "ignored.tf", 'resource "aws_vpc" "x" {}\n')

    config = tfparse.parse_directory(tmp_path)

    assert sorted(config["modules"]) == [".", "modules/child"]
    assert tfparse.root_provider_configurations(config, "modules/child", "aws") == {"aws"}
    # Only module.child passes aws.backup; module.implicit passes no aliased configuration.
    assert tfparse.root_provider_configurations(config, "modules/child", "aws.backup") == {"aws.backup"}
    assert [resource.provider for resource in config["resources"]["aws_s3_bucket"]] == ["aws", "aws.backup"]


def test_parse_directory_reads_outputs_and_variables(tmp_path):
    _write(tmp_path, "main.tf", """
variable "tags" {
  type        = map(string)
  description = <<-EOT
    Tags for "everything".
  EOT
}
output "vpc_id" {
  description = "VPC \\"ID\\""
  value       = module.network.vpc_id
}
""")

    config = tfparse.parse_directory(tmp_path)

    assert config["variables"]["tags"].type == "map(string)"
    assert config["variables"]["tags"].description == 'Tags for "everything".\n'
    assert config["outputs"] == {"vpc_id": 'VPC "ID"'}
    assert tfparse.module_output_references(config["modules"]["."].outputs["vpc_id"].value) == {("network", "vpc_id")}


def test_invalid_hcl_names_file(tmp_path):
    _write(tmp_path, "main.tf", 'resource "aws_vpc" "x" {\n')

    with pytest.raises(tfparse.TerraformParseError, match=r"main\.tf: invalid HCL"):
        tfparse.parse_directory(tmp_path)


def test_directory_without_root_module_rejected(tmp_path):
    _write(tmp_path / "modules" / "only", "main.tf", "")

    with pytest.raises(tfparse.TerraformParseError, match="not a root module"):
        tfparse.parse_directory(tmp_path)
