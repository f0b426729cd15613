"""Parity of the Terraform reference stack and the twin: outputs, resource types and resource kinds."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from readiness import parity, tfparse
from readiness.twin import ACCOUNT_ID
from readiness.twin.context import TwinContext
from readiness.twin.stack.tags import STACK_TAGS

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "terraform"


@pytest.fixture(scope="module")
def config() -> dict:
    return tfparse.parse_directory(TERRAFORM_DIR)


@pytest.fixture(scope="module")
def seeded(twin):
    """The shared twin with the reference stack and no drift profile, seeded once for this module."""
    twin.reseed([])
    return twin


@pytest.fixture
def damaged(seeded):
    """The seeded twin for a test that changes it; seeded again afterwards for the tests that follow."""
    yield seeded
    seeded.reseed([])


@pytest.fixture(scope="module")
def clients(seeded):
    """Client factory on the twin: (service, region) -> boto3 client."""
    return TwinContext(seeded.endpoint_url, seeded.region, seeded.backup_region, ACCOUNT_ID).client


@pytest.fixture(scope="module")
def regions(seeded) -> dict[str, str]:
    return {parity.PRIMARY: seeded.region, parity.BACKUP: seeded.backup_region, parity.US_EAST_1: "us-east-1"}


def _without_type(config: dict, type_name: str) -> dict:
    """Return a copy of a parsed configuration in which no module declares type_name."""
    altered = copy.deepcopy(config)
    for module in altered["modules"].values():
        module.resources = [resource for resource in module.resources if resource.type != type_name]
    altered["resources"].pop(type_name, None)
    return altered


def _with_type(config: dict, type_name: str, module_path: str = "modules/network") -> dict:
    """Return a copy of a parsed configuration with one resource of type_name added to a stack module."""
    altered = copy.deepcopy(config)
    resource = tfparse.Resource("resource", type_name, "added", module_path, f"{module_path}/main.tf", {})
    altered["modules"][module_path].resources.append(resource)
    altered["resources"].setdefault(type_name, []).append(resource)
    return altered


# --- The reference stack and the twin agree ------------------------------------------------


def test_twin_produces_every_declared_output(config, seeded):
    problems = parity.compare_outputs(config["outputs"], seeded.outputs)

    assert not problems, "; ".join(problems)


def test_every_stack_type_has_table_entry(config):
    problems = parity.compare_types(parity.stack_resource_types(config))

    assert not problems, "; ".join(problems)


def test_observable_types_found_on_twin(config, seeded, clients, regions):
    declared = parity.stack_resource_types(config)

    problems = parity.observe_types(declared, clients, regions, seeded.outputs)

    assert not problems, "; ".join(problems)


def test_twin_kinds_declared_in_terraform(config, clients, regions):
    kinds = parity.tagged_kinds(clients, sorted(set(regions.values())), ("project", STACK_TAGS["project"]))

    problems = parity.compare_kinds(kinds, parity.stack_resource_types(config))

    assert "ec2:vpc" in kinds, f"the tagging API lists {sorted(kinds)} on the twin; expected ec2:vpc among them"
    assert not problems, "; ".join(problems)


def test_check_parity_finds_nothing(config, seeded, clients, regions):
    problems = parity.check_parity(config, seeded.outputs, clients, regions)

    assert problems == []


def test_not_observable_entries_have_reasons():
    short = {name: reason for name, reason in parity.NOT_OBSERVABLE.items() if len(reason.split()) < 5}

    assert not short, f"NOT_OBSERVABLE entries without a reason: {short}"


def test_fixture_modules_not_in_stack(config):
    modules = parity.stack_modules(config)

    assert "fixtures/restore_scratch" in config["modules"], "terraform/fixtures/restore_scratch was not parsed"
    assert "fixtures/restore_scratch" not in modules, f"stack modules are {modules}; expected no fixture module"
    assert modules[0] == tfparse.ROOT_MODULE


# --- Drift on the Terraform side -----------------------------------------------------------


def test_type_removed_from_terraform_named(config):
    altered = _without_type(config, "aws_flow_log")

    problems = parity.compare_types(parity.stack_resource_types(altered))

    assert len(problems) == 1, problems
    assert "aws_flow_log" in problems[0]
    assert "declares no aws_flow_log" in problems[0]


def test_not_observable_type_removed_from_terraform_named(config):
    altered = _without_type(config, "aws_route53_record")

    problems = parity.compare_types(parity.stack_resource_types(altered))

    assert len(problems) == 1, problems
    assert "aws_route53_record" in problems[0]


def test_unknown_type_in_terraform_named(config):
    altered = _with_type(config, "aws_elasticache_replication_group")

    problems = parity.compare_types(parity.stack_resource_types(altered))

    assert len(problems) == 1, problems
    assert "aws_elasticache_replication_group" in problems[0]
    assert "modules/network" in problems[0]
    assert "no entry in readiness.parity.OBSERVATIONS or NOT_OBSERVABLE" in problems[0]


def test_type_in_fixture_only_ignored(config):
    altered = _with_type(config, "aws_elasticache_replication_group", module_path="fixtures/restore_scratch")

    problems = parity.compare_types(parity.stack_resource_types(altered))

    assert problems == []


def test_output_removed_from_terraform_named(config, seeded):
    declared = {name: text for name, text in config["outputs"].items() if name != "dashboard_name"}

    problems = parity.compare_outputs(declared, seeded.outputs)

    assert len(problems) == 1, problems
    assert "output dashboard_name is produced by the twin but terraform/outputs.tf does not declare it" in problems[0]


def test_output_added_to_terraform_named(config, seeded):
    declared = {**config["outputs"], "cache_cluster_id": "ID of the cache."}

    problems = parity.compare_outputs(declared, seeded.outputs)

    assert len(problems) == 1, problems
    assert "output cache_cluster_id is declared in terraform/outputs.tf but the twin does not produce it" in problems[0]


def test_table_entry_in_both_lists_named(config):
    not_observable = {**parity.NOT_OBSERVABLE, "aws_vpc": "listed twice on purpose"}

    problems = parity.compare_types(parity.stack_resource_types(config), not_observable=not_observable)

    assert problems == ["aws_vpc is both in OBSERVATIONS and in NOT_OBSERVABLE; expected exactly one of them"]


# --- Drift on the twin side ----------------------------------------------------------------


def test_output_removed_from_twin_named(config, seeded):
    produced = {key: value for key, value in seeded.outputs.items() if key != "backup_plan_id"}

    problems = parity.compare_outputs(config["outputs"], produced)

    assert len(problems) == 1, problems
    assert "output backup_plan_id is declared in terraform/outputs.tf but the twin does not produce it" in problems[0]


def test_output_added_to_twin_named(config, seeded):
    produced = {**seeded.outputs, "queue_url": "http://127.0.0.1/queue"}

    problems = parity.compare_outputs(config["outputs"], produced)

    assert len(problems) == 1, problems
    assert "output queue_url is produced by the twin" in problems[0]


def test_resource_deleted_on_twin_named(config, damaged, clients, regions):
    clients("cloudwatch", damaged.region).delete_dashboards(DashboardNames=[damaged.outputs["dashboard_name"]])

    problems = parity.observe_types(parity.stack_resource_types(config), clients, regions, damaged.outputs)

    assert len(problems) == 1, problems
    assert problems[0].startswith("aws_cloudwatch_dashboard is not on the twin: cloudwatch.get_dashboard(")


def test_flow_logs_deleted_on_twin_named(config, damaged, clients, regions):
    ec2 = clients("ec2", damaged.region)
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [damaged.outputs["vpc_id"]]}])
    ec2.delete_flow_logs(FlowLogIds=[flow_log["FlowLogId"] for flow_log in flow_logs["FlowLogs"]])

    problems = parity.observe_types(["aws_flow_log", "aws_vpc"], clients, regions, damaged.outputs)

    assert problems == [
        "aws_flow_log is not on the twin: ec2.describe_flow_logs(Filters=[{'Name': 'resource-id', "
        "'Values': ['{vpc_id}']}]) | FlowLogs in primary returned nothing; expected one or more"
    ]


def test_output_missing_for_observation_named(seeded, clients, regions):
    outputs = {key: value for key, value in seeded.outputs.items() if key != "vpc_id"}

    problems = parity.observe_types(["aws_vpc"], clients, regions, outputs)

    assert len(problems) == 1, problems
    assert "aws_vpc cannot be observed on the twin" in problems[0]
    assert "needs output vpc_id" in problems[0]


def test_unmapped_kind_on_twin_named(config, damaged, clients, regions):
    clients("dynamodb", damaged.region).create_table(
        TableName="parity-extra", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        Tags=[{"Key": "project", "Value": STACK_TAGS["project"]}],
    )

    kinds = parity.tagged_kinds(clients, [damaged.region], ("project", STACK_TAGS["project"]))
    problems = parity.compare_kinds(kinds, parity.stack_resource_types(config))

    assert len(problems) == 1, problems
    assert problems[0].startswith("the twin holds dynamodb:table resources (such as arn:aws:dynamodb:")
    assert "map to no Terraform type" in problems[0]


def test_kind_without_declared_type_named(config):
    declared = parity.stack_resource_types(_without_type(config, "aws_nat_gateway"))
    kinds = {"ec2:natgateway": "arn:aws:ec2:eu-west-1:123456789012:natgateway/nat-1"}

    problems = parity.compare_kinds(kinds, declared)

    assert problems == [
        "the twin holds ec2:natgateway resources (such as arn:aws:ec2:eu-west-1:123456789012:natgateway/nat-1) "
        "but the Terraform stack declares no aws_nat_gateway; expected both sides to hold them"
    ]


# --- Helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("arn", "kind"), [
    ("arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1", "ec2:vpc"),
    ("arn:aws:rds:eu-west-1:123456789012:db:app-db", "rds:db"),
    ("arn:aws:s3:::app-data", "s3"),
    ("arn:aws:sns:eu-west-1:123456789012:app-alarms", "sns"),
    ("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/app-alb/1", "elasticloadbalancing:loadbalancer"),
    ("arn:aws:lambda:eu-west-1:123456789012:function:chaos", "lambda:function"),
    ("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/app", "logs:log-group"),
])
def test_arn_kind(arn, kind):
    assert parity.arn_kind(arn) == kind


@pytest.mark.parametrize(("selected", "expected"), [([], 0), ([1, 2], 2), (None, 0), (False, 0), ("", 0),
                                                    ({"a": 1}, 1), ("Enabled", 1), (True, 1)])
def test_count(selected, expected):
    assert parity.count(selected) == expected
