"""Fixtures from terraform/fixtures/ applied and destroyed by readiness.tf_fixture, replayed on the twin or recorded with terraform."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import botocore.config
import pytest

from readiness import tfparse, tf_fixture, tf_recording
from readiness.target import TWIN_CREDENTIALS
from readiness.tf_fixture import FixtureError, FixtureRunner, destroy_from_state, probe_terraform
from readiness.twin.context import BEHAVIOUR

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE = "restore_scratch"
DRILL_TAG = "readiness:drill"


@pytest.fixture(scope="module")
def seeded(twin):
    """The shared twin with the reference stack, seeded once for this module."""
    twin.reseed([])
    return twin


@pytest.fixture(scope="module")
def aws(seeded):
    """Client factory on the twin that does not retry, so each call is one request."""
    session = boto3.session.Session(region_name=seeded.region, **TWIN_CREDENTIALS)
    config = botocore.config.Config(retries={"total_max_attempts": 1})
    return lambda service: session.client(service, endpoint_url=seeded.endpoint_url, config=config)


@pytest.fixture(scope="module")
def network(seeded, aws) -> dict:
    """The reference stack's VPC, private subnets and application security group."""
    ec2 = aws("ec2")
    vpc_filter = {"Name": "vpc-id", "Values": [seeded.outputs["vpc_id"]]}
    subnets = ec2.describe_subnets(Filters=[vpc_filter, {"Name": "tag:tier", "Values": ["private"]}])["Subnets"]
    groups = ec2.describe_security_groups(Filters=[vpc_filter, {"Name": "group-name", "Values": ["app-service"]}])
    return {"vpc_id": seeded.outputs["vpc_id"], "subnet_ids": sorted(subnet["SubnetId"] for subnet in subnets),
            "client_security_group_ids": [groups["SecurityGroups"][0]["GroupId"]]}


@pytest.fixture
def variables(network) -> dict:
    return {"run_id": f"t{uuid.uuid4().hex[:10]}", **network}


@pytest.fixture
def runner(seeded, tmp_path) -> FixtureRunner:
    return FixtureRunner(mode="replay", endpoint_url=seeded.endpoint_url, region=seeded.region,
                         state_dir=tmp_path / "state")


@pytest.fixture
def behaviour():
    """The twin's behaviour, with the actions a test denies allowed again afterwards."""
    denied = set(BEHAVIOUR.denied_actions)
    yield BEHAVIOUR
    BEHAVIOUR.denied_actions.intersection_update(denied)


def drill_resources(aws, run_id: str) -> dict[str, list[str]]:
    """Return the twin's resources tagged readiness:drill = run_id: subnet groups, security groups, rules."""
    tag_filter = [{"Name": f"tag:{DRILL_TAG}", "Values": [run_id]}]
    ec2 = aws("ec2")
    groups = [group["GroupId"] for group in ec2.describe_security_groups(Filters=tag_filter)["SecurityGroups"]]
    rules = [rule["SecurityGroupRuleId"] for rule in ec2.describe_security_group_rules(Filters=tag_filter)["SecurityGroupRules"]]

    rds = aws("rds")
    subnet_groups = []
    for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
        tags = rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])["TagList"]
        if {"Key": DRILL_TAG, "Value": run_id} in tags:
            subnet_groups.append(group["DBSubnetGroupName"])
    return {"db_subnet_groups": subnet_groups, "security_groups": groups, "ingress_rules": rules}


NOTHING = {"db_subnet_groups": [], "security_groups": [], "ingress_rules": []}


# --- Replay on the twin --------------------------------------------------------------------


def test_replay_apply_creates_resources(runner, variables, aws):
    outputs = runner.apply(MODULE, {**variables, "tags": {"team": "platform"}})

    name = f"readiness-drill-{variables['run_id']}"
    assert outputs == {"db_subnet_group_name": name, "security_group_id": outputs["security_group_id"]}
    subnet_group = aws("rds").describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    assert sorted(subnet["SubnetIdentifier"] for subnet in subnet_group["Subnets"]) == variables["subnet_ids"]
    group = aws("ec2").describe_security_groups(GroupIds=[outputs["security_group_id"]])["SecurityGroups"][0]
    assert group["VpcId"] == variables["vpc_id"]
    assert group["GroupName"] == name
    assert {"Key": DRILL_TAG, "Value": variables["run_id"]} in group["Tags"]
    assert {"Key": "team", "Value": "platform"} in group["Tags"]
    assert {"Key": "Name", "Value": name} in group["Tags"]
    assert group["IpPermissionsEgress"] == [], "the default allow-all egress rule was not removed"
    assert [(permission["FromPort"], [pair["GroupId"] for pair in permission["UserIdGroupPairs"]])
            for permission in group["IpPermissions"]] == [(5432, variables["client_security_group_ids"])]
    assert len(drill_resources(aws, variables["run_id"])["ingress_rules"]) == 1
    assert runner.state_file.is_file(), "replay keeps no state file while the fixture exists"

    runner.destroy()


def test_replay_destroy_removes_resources(runner, variables, aws):
    runner.apply(MODULE, variables)
    state_file = runner.state_file

    runner.destroy()

    assert drill_resources(aws, variables["run_id"]) == NOTHING
    assert not state_file.exists(), f"{state_file} is left after a complete destroy"


def test_replay_without_clients_creates_no_rule(runner, variables, aws):
    outputs = runner.apply(MODULE, {**variables, "client_security_group_ids": [], "db_port": 3306})

    group = aws("ec2").describe_security_groups(GroupIds=[outputs["security_group_id"]])["SecurityGroups"][0]
    assert group["IpPermissions"] == []
    assert [item["address"] for item in runner.created] == ["aws_db_subnet_group.restore", "aws_security_group.restore"]

    runner.destroy()
    assert drill_resources(aws, variables["run_id"]) == NOTHING


def test_destroy_before_apply_does_nothing(runner):
    runner.destroy()

    assert runner.created == []


def test_apply_twice_rejected(runner, variables):
    runner.apply(MODULE, variables)
    try:
        with pytest.raises(FixtureError, match="already applied fixture restore_scratch"):
            runner.apply(MODULE, variables)
    finally:
        runner.destroy()


@pytest.mark.parametrize(("given", "expected"), [
    ({"run_id": "r1"}, r"missing required variables \['subnet_ids', 'vpc_id'\]"),
    ({"run_id": "r1", "vpc_id": "v", "subnet_ids": [], "color": "red"}, r"declares no variables \['color'\]"),
])
def test_invalid_variables_rejected(runner, given, expected):
    with pytest.raises(FixtureError, match=expected):
        runner.apply(MODULE, given)


def test_unknown_module_rejected(runner):
    with pytest.raises(FixtureError, match="fixture module no_such_fixture not found"):
        runner.apply("no_such_fixture", {"run_id": "r1"})


# --- Failures: partial applies and failed destroys -----------------------------------------


def test_failed_apply_leaves_nothing(runner, variables, aws, behaviour):
    behaviour.denied_actions.add("ec2:AuthorizeSecurityGroupIngress")

    with pytest.raises(FixtureError) as failure:
        runner.apply(MODULE, variables)

    message = str(failure.value)
    client = variables["client_security_group_ids"][0]
    assert f'failed at aws_vpc_security_group_ingress_rule.clients["{client}"]' in message
    assert "UnauthorizedOperation" in message
    assert "the 2 resources it had created were deleted" in message
    assert drill_resources(aws, variables["run_id"]) == NOTHING
    assert not runner.state_file.exists()
    runner.destroy()


def test_failed_apply_cleanup_failure_keeps_state(runner, variables, aws, behaviour):
    behaviour.denied_actions.update({"ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup"})

    with pytest.raises(FixtureError) as failure:
        runner.apply(MODULE, variables)

    message = str(failure.value)
    assert "deleting what it created failed too: aws_security_group.restore (sg-" in message
    assert f"the state is kept in {runner.state_file}" in message
    leftovers = json.loads(runner.state_file.read_text(encoding="utf-8"))["resources"]
    assert [item["address"] for item in leftovers] == ["aws_security_group.restore"]
    assert drill_resources(aws, variables["run_id"])["db_subnet_groups"] == []

    behaviour.denied_actions.discard("ec2:DeleteSecurityGroup")
    command = message.split("retry with: ", 1)[1].split(", or readiness.tf_fixture", 1)[0]
    completed = subprocess.run([sys.executable if part == "python" else part for part in shlex.split(command)],
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)

    assert completed.returncode == 0, f"retry command {command!r} failed: {completed.stderr[-800:]}"
    assert drill_resources(aws, variables["run_id"]) == NOTHING
    assert not runner.state_file.exists()


def test_failed_destroy_keeps_state_file(runner, variables, aws, behaviour):
    outputs = runner.apply(MODULE, variables)
    behaviour.denied_actions.add("ec2:DeleteSecurityGroup")

    with pytest.raises(FixtureError) as failure:
        runner.destroy()

    message = str(failure.value)
    group_id = outputs["security_group_id"]
    assert message.startswith(f"destroy of fixture restore_scratch (run {variables['run_id']}) left 1 resources: "
                              f"aws_security_group.restore ({group_id}): ClientError")
    assert f"the state is kept in {runner.state_file}" in message
    assert f"readiness.tf_fixture.destroy_from_state('{runner.state_file}')" in message
    assert 'python -c "from readiness.tf_fixture import destroy_from_state;' in message
    state = json.loads(runner.state_file.read_text(encoding="utf-8"))
    assert [item["address"] for item in state["resources"]] == ["aws_security_group.restore"]
    assert state["endpoint_url"] == runner.endpoint_url
    assert drill_resources(aws, variables["run_id"]) == {
        "db_subnet_groups": [], "security_groups": [group_id], "ingress_rules": []}

    behaviour.denied_actions.discard("ec2:DeleteSecurityGroup")
    destroy_from_state(runner.state_file)

    assert drill_resources(aws, variables["run_id"]) == NOTHING
    assert not runner.state_file.exists()


def test_retry_treats_deleted_resources_as_gone(runner, variables, aws, behaviour):
    outputs = runner.apply(MODULE, variables)
    behaviour.denied_actions.add("ec2:DeleteSecurityGroup")
    with pytest.raises(FixtureError):
        runner.destroy()
    behaviour.denied_actions.discard("ec2:DeleteSecurityGroup")
    aws("ec2").delete_security_group(GroupId=outputs["security_group_id"])

    destroy_from_state(runner.state_file)

    assert not runner.state_file.exists()


# --- The pytest fixture factory ------------------------------------------------------------


class _Request:
    """The part of pytest's FixtureRequest that terraform_fixture uses."""

    def __init__(self) -> None:
        self.finalizers = []

    def addfinalizer(self, finalizer) -> None:
        self.finalizers.append(finalizer)


def test_factory_registers_destroy(seeded, variables, aws, tmp_path):
    request = _Request()

    outputs = tf_fixture.terraform_fixture(request, MODULE, variables, endpoint_url=seeded.endpoint_url,
                                           region=seeded.region, state_dir=tmp_path)

    assert outputs["db_subnet_group_name"] == f"readiness-drill-{variables['run_id']}"
    assert len(request.finalizers) == 1
    request.finalizers[0]()
    assert drill_resources(aws, variables["run_id"]) == NOTHING


@pytest.mark.parametrize("ending", ["assert False", "raise RuntimeError('broken')", "raise KeyboardInterrupt"])
def test_factory_destroys_after_failure_and_interrupt(pytester, seeded, variables, aws, tmp_path, ending):
    settings = {"endpoint_url": seeded.endpoint_url, "region": seeded.region, "state_dir": str(tmp_path),
                "variables": variables}
    pytester.makepyfile(test_drill=f"""
import json
import pytest
from readiness.tf_fixture import terraform_fixture

SETTINGS = json.loads({json.dumps(json.dumps(settings))})


@pytest.fixture
def scratch(request):
    return terraform_fixture(request, "restore_scratch", SETTINGS["variables"], endpoint_url=SETTINGS["endpoint_url"],
                             region=SETTINGS["region"], state_dir=SETTINGS["state_dir"])


def test_drill(scratch):
    assert scratch["security_group_id"].startswith("sg-")
    {ending}
""")

    # no_reraise_ctrlc keeps the inner session's KeyboardInterrupt from ending this one.
    result = pytester.inline_run("-p", "no:cacheprovider", no_reraise_ctrlc=True)

    assert result.ret != 0
    assert drill_resources(aws, variables["run_id"]) == NOTHING


# --- The committed recording ---------------------------------------------------------------


@pytest.fixture(scope="module")
def recording() -> dict:
    return tf_recording.load_recording(MODULE)


@pytest.fixture(scope="module")
def fixture_module() -> tfparse.Module:
    folder = tf_fixture.FIXTURES_DIR / MODULE
    return tfparse.parse_module(folder, folder)


def test_recording_marked_as_hand_written(recording):
    assert recording["recorded"] is False
    assert recording["source"] == "written from terraform/fixtures/restore_scratch, not from a real apply"


def test_recording_matches_module(recording, fixture_module):
    declared = sorted(f"{resource.type}.{resource.name}" for resource in fixture_module.resources)

    assert sorted(entry["address"] for entry in recording["resources"]) == declared
    assert sorted(recording["outputs"]) == sorted(fixture_module.outputs)
    assert set(recording["variables"]) <= set(fixture_module.variables)
    for entry in recording["resources"]:
        extra = set(entry["attributes"]) - set(tf_recording.KEY_ATTRIBUTES[entry["type"]])
        assert not extra, f"{entry['address']} records {sorted(extra)}, which KEY_ATTRIBUTES does not keep"


def test_every_fixture_type_has_creator():
    folders = [folder for folder in tf_fixture.FIXTURES_DIR.iterdir() if (folder / "main.tf").is_file()]
    fixture_types = {resource.type for folder in folders for resource in tfparse.parse_module(folder, folder).resources}

    missing = sorted(fixture_types - set(tf_recording.CREATORS))

    assert fixture_types, "no resource found under terraform/fixtures"
    assert not missing, f"fixture resource types {missing} have no replay creator in readiness.tf_recording.CREATORS"


def test_creation_order_follows_references(recording):
    reversed_entries = list(reversed(recording["resources"]))

    order = [entry["address"] for entry in tf_recording.creation_order(reversed_entries)]

    assert order.index("aws_security_group.restore") < order.index("aws_vpc_security_group_ingress_rule.clients")


def show_document(variables: dict) -> tuple[dict, dict]:
    """Return what `terraform show -json` and `terraform output -json` hold after applying restore_scratch."""
    run_id = variables["run_id"]
    name = f"{variables.get('name_prefix', 'readiness-drill')}-{run_id}"
    drill_tags = {**variables.get("tags", {}), DRILL_TAG: run_id}
    port = variables.get("db_port", 5432)
    resources = [
        {"address": "aws_db_subnet_group.restore", "mode": "managed", "type": "aws_db_subnet_group", "name": "restore",
         "values": {"id": name, "arn": f"arn:aws:rds:eu-west-1:1:subgrp:{name}", "name": name,
                    "description": f"Private subnets of the database restored by drill {run_id}",
                    "subnet_ids": sorted(variables["subnet_ids"], reverse=True), "tags": drill_tags,
                    "tags_all": drill_tags}},
        {"address": "aws_security_group.restore", "mode": "managed", "type": "aws_security_group", "name": "restore",
         "values": {"id": "sg-0new", "arn": "arn:aws:ec2:eu-west-1:1:security-group/sg-0new", "name": name,
                    "description": f"Database restored by drill {run_id}: the database port from the listed groups only",
                    "vpc_id": variables["vpc_id"], "egress": [], "tags": {**drill_tags, "Name": name}}},
    ]
    for client in variables.get("client_security_group_ids", []):
        resources.append({
            "address": f'aws_vpc_security_group_ingress_rule.clients["{client}"]', "mode": "managed",
            "type": "aws_vpc_security_group_ingress_rule", "name": "clients", "index": client,
            "depends_on": ["aws_security_group.restore"],
            "values": {"id": f"sgr-{client}", "security_group_id": "sg-0new", "description": f"Database port from {client}",
                       "ip_protocol": "tcp", "from_port": port, "to_port": port, "referenced_security_group_id": client,
                       "cidr_ipv4": None, "tags": drill_tags}})
    outputs = {"db_subnet_group_name": name, "security_group_id": "sg-0new"}
    return {"values": {"root_module": {"resources": resources}}}, outputs


def test_recording_from_state_replays_like_committed(recording):
    variables = {"run_id": "r1abc", "name_prefix": "readiness-drill", "vpc_id": "vpc-0a1", "db_port": 5432,
                 "subnet_ids": ["subnet-0a1", "subnet-0b2"], "client_security_group_ids": ["sg-0c1", "sg-0c2"],
                 "tags": {"team": "platform"}}
    show, outputs = show_document(variables)

    recorded = tf_recording.recording_from_state(MODULE, show, outputs, variables, "1.11.4")

    assert recorded["recorded"] is True
    assert recorded["variables"]["run_id"] == "${run_id}"
    assert recorded["resources"][2]["for_each"] == "${var.client_security_group_ids}"
    assert _replayed(recorded, variables) == _replayed(recording, variables)


def _replayed(recording: dict, variables: dict) -> tuple[list, dict]:
    """Render a recording as replay would, with fixed ids for the created resources."""
    scope = {"run_id": variables["run_id"], **{f"var.{name}": value for name, value in variables.items()}}
    # A DB subnet group's id is its name.
    scope.update({"aws_db_subnet_group.restore.id": f"readiness-drill-{variables['run_id']}",
                  "aws_security_group.restore.id": "sg-new"})
    rendered = []
    for entry in tf_recording.creation_order(recording["resources"]):
        for address, each in tf_recording.instances(entry, scope):
            attributes = tf_recording.render(entry["attributes"], {**scope, "each.value": each})
            attributes["tags"] = {**variables["tags"], **attributes.get("tags", {})}
            if isinstance(attributes.get("subnet_ids"), list):
                attributes["subnet_ids"] = sorted(attributes["subnet_ids"])
            rendered.append((address, attributes))
    return rendered, tf_recording.render(recording["outputs"], scope)


def test_render_placeholders():
    scope = {"run_id": "r1", "var.ports": [1, 2], "var.prefix": "drill"}

    assert tf_recording.render("${var.ports}", scope) == [1, 2]
    assert tf_recording.render({"name": "${var.prefix}-${run_id}"}, scope) == {"name": "drill-r1"}
    with pytest.raises(FixtureError, match=r"refers to \$\{var.missing\}"):
        tf_recording.render("${var.missing}", scope)


# --- Record mode with the terraform binary --------------------------------------------------


def test_probe_runs_outside_work_tree():
    probe_terraform(tf_fixture.os.environ.get(tf_fixture.PLUGIN_DIR_ENV))

    assert not (tf_fixture.FIXTURES_DIR / MODULE / ".terraform").exists()
    assert not (tf_fixture.FIXTURES_DIR / MODULE / ".terraform.lock.hcl").exists()


@pytest.fixture
def terraform_usable():
    """Skip unless `terraform init` of a fixture succeeds offline."""
    reason = probe_terraform(tf_fixture.os.environ.get(tf_fixture.PLUGIN_DIR_ENV))
    if reason is not None:
        pytest.skip(f"record mode needs terraform with the aws provider offline: {reason}")


def test_record_apply_and_destroy_on_twin(terraform_usable, seeded, variables, aws, tmp_path):
    runner = FixtureRunner(mode="record", endpoint_url=seeded.endpoint_url, region=seeded.region,
                           recordings_dir=tmp_path / "recordings", state_dir=tmp_path / "state")

    outputs = runner.apply(MODULE, variables)
    try:
        assert outputs["db_subnet_group_name"] == f"readiness-drill-{variables['run_id']}"
        assert len(drill_resources(aws, variables["run_id"])["security_groups"]) == 1
        written = json.loads((tmp_path / "recordings" / f"{MODULE}.json").read_text(encoding="utf-8"))
        assert written["recorded"] is True
        assert sorted(entry["address"] for entry in written["resources"]) == sorted(
            entry["address"] for entry in tf_recording.load_recording(MODULE)["resources"])
    finally:
        runner.destroy()

    assert drill_resources(aws, variables["run_id"]) == NOTHING
    assert not runner.workdir.exists()


def test_record_failed_destroy_keeps_workdir(terraform_usable, seeded, variables, behaviour, tmp_path):
    runner = FixtureRunner(mode="record", endpoint_url=seeded.endpoint_url, region=seeded.region,
                           recordings_dir=tmp_path / "recordings", state_dir=tmp_path / "state")
    runner.apply(MODULE, variables)
    behaviour.denied_actions.add("ec2:DeleteSecurityGroup")

    with pytest.raises(FixtureError) as failure:
        runner.destroy()

    assert f"terraform -chdir={runner.workdir} destroy -auto-approve" in str(failure.value)
    assert (runner.workdir / "terraform.tfstate").is_file()
    behaviour.denied_actions.discard("ec2:DeleteSecurityGroup")
    destroy_from_state(runner.workdir)
    assert not runner.workdir.exists()


# --- Record mode with a fake terraform ------------------------------------------------------
# No provider can be installed here, so these tests put a stand-in terraform on PATH. It answers
# each subcommand from files the test writes and logs its arguments, which exercises the runner's
# record-mode steps (working copy, tfvars, provider settings, clean-up, retry) without AWS.

FAKE_TERRAFORM = """#!{python}
import json, os, pathlib, sys
command = sys.argv[1]
control = pathlib.Path(os.environ["FAKE_TERRAFORM_DIR"])
with open(control / "calls.log", "a") as log:
    log.write(json.dumps([os.getcwd(), *sys.argv[1:]]) + "\\n")
if command in os.environ.get("FAKE_TERRAFORM_FAIL", "").split(","):
    sys.stderr.write("Error: " + command + " failed: UnauthorizedOperation")
    sys.exit(1)
if command == "apply":
    pathlib.Path("terraform.tfstate").write_text("{{}}")
elif command in ("output", "show"):
    variables = json.loads(pathlib.Path("readiness.auto.tfvars.json").read_text())
    show, outputs = json.loads((control / "documents.json").read_text())
    if command == "output":
        print(json.dumps({{name: {{"value": value}} for name, value in outputs.items()}}))
    else:
        print(json.dumps(show))
elif command == "version":
    print(json.dumps({{"terraform_version": "0.0.0-fake"}}))
elif command == "destroy":
    pathlib.Path("terraform.tfstate").write_text("{{}}")
"""


@pytest.fixture
def fake_terraform(tmp_path, monkeypatch, variables):
    """A stand-in terraform first on PATH; returns its control folder with calls.log."""
    control = tmp_path / "fake-terraform"
    (control / "bin").mkdir(parents=True)
    binary = control / "bin" / "terraform"
    binary.write_text(FAKE_TERRAFORM.format(python=sys.executable), encoding="utf-8")
    binary.chmod(0o755)
    (control / "documents.json").write_text(json.dumps(show_document(variables)), encoding="utf-8")
    monkeypatch.setenv("PATH", f"{control / 'bin'}:{tf_fixture.os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TERRAFORM_DIR", str(control))
    monkeypatch.delenv("FAKE_TERRAFORM_FAIL", raising=False)
    monkeypatch.delenv(tf_fixture.PLUGIN_DIR_ENV, raising=False)
    return control


def fake_calls(control: Path) -> list[list[str]]:
    """Return the subcommands and arguments the fake terraform received, without the working folder."""
    lines = (control / "calls.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)[1:] for line in lines]


@pytest.fixture
def recorder(tmp_path) -> FixtureRunner:
    return FixtureRunner(mode="record", region="eu-west-1", recordings_dir=tmp_path / "recordings",
                         state_dir=tmp_path / "state", plugin_dir=str(tmp_path / "plugins"))


def test_fake_record_apply_writes_recording(fake_terraform, recorder, variables, tmp_path):
    outputs = recorder.apply(MODULE, variables)

    assert outputs == {"db_subnet_group_name": f"readiness-drill-{variables['run_id']}", "security_group_id": "sg-0new"}
    assert json.loads((recorder.workdir / "readiness.auto.tfvars.json").read_text())["run_id"] == variables["run_id"]
    provider = json.loads((recorder.workdir / "readiness_provider.tf.json").read_text())
    assert provider == {"provider": {"aws": {"region": "eu-west-1"}}}
    assert (recorder.workdir / "main.tf").is_file()
    written = json.loads((tmp_path / "recordings" / f"{MODULE}.json").read_text(encoding="utf-8"))
    assert written["recorded"] is True
    assert written["source"].startswith("terraform apply of terraform/fixtures/restore_scratch with Terraform 0.0.0-fake")
    assert [entry["address"] for entry in written["resources"]] == [
        "aws_db_subnet_group.restore", "aws_security_group.restore", "aws_vpc_security_group_ingress_rule.clients"]

    workdir = recorder.workdir
    recorder.destroy()

    assert not workdir.exists()
    assert fake_calls(fake_terraform) == [
        ["init", "-no-color", "-input=false", "-plugin-dir", str(tmp_path / "plugins")],
        ["apply", "-no-color", "-auto-approve", "-input=false"],
        ["output", "-json"], ["show", "-json"], ["version", "-json"],
        ["destroy", "-no-color", "-auto-approve", "-input=false"],
    ]


def test_fake_record_on_endpoint_sets_provider(fake_terraform, variables, tmp_path):
    runner = FixtureRunner(mode="record", endpoint_url="http://127.0.0.1:9", region="eu-west-1",
                           recordings_dir=tmp_path / "recordings", state_dir=tmp_path / "state")

    runner.apply(MODULE, variables)
    provider = json.loads((runner.workdir / "readiness_provider.tf.json").read_text())["provider"]["aws"]
    runner.destroy()

    assert provider["endpoints"] == [{"ec2": "http://127.0.0.1:9", "rds": "http://127.0.0.1:9",
                                      "sts": "http://127.0.0.1:9", "iam": "http://127.0.0.1:9"}]
    assert provider["skip_credentials_validation"] is True
    assert ["init", "-no-color", "-input=false"] in fake_calls(fake_terraform)


def test_fake_record_failed_apply_destroys(fake_terraform, recorder, variables, monkeypatch, tmp_path):
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "apply")

    with pytest.raises(FixtureError, match="terraform destroy removed what it had created") as failure:
        recorder.apply(MODULE, variables)

    assert "terraform apply in" in str(failure.value)
    assert "UnauthorizedOperation" in str(failure.value)
    assert [call[0] for call in fake_calls(fake_terraform)] == ["init", "apply", "destroy"]
    assert not list((tmp_path / "state").iterdir()), "the working folder of a cleaned-up apply was kept"
    assert not (tmp_path / "recordings").exists()


def test_fake_record_failed_apply_and_destroy_keeps_workdir(fake_terraform, recorder, variables, monkeypatch):
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "apply,destroy")

    with pytest.raises(FixtureError) as failure:
        recorder.apply(MODULE, variables)

    message = str(failure.value)
    assert "and terraform destroy failed too" in message
    assert f"retry with: terraform -chdir={recorder.workdir} destroy -auto-approve" in message
    assert recorder.workdir.is_dir()


def test_fake_record_failed_destroy_keeps_workdir(fake_terraform, recorder, variables, monkeypatch):
    recorder.apply(MODULE, variables)
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "destroy")

    with pytest.raises(FixtureError) as failure:
        recorder.destroy()

    message = str(failure.value)
    workdir = recorder.workdir
    assert message.startswith(f"destroy of fixture restore_scratch (run {variables['run_id']}) failed: terraform destroy")
    assert f"the state is kept in {workdir / 'terraform.tfstate'}" in message
    assert f"terraform -chdir={workdir} destroy -auto-approve" in message
    assert f"readiness.tf_fixture.destroy_from_state('{workdir}')" in message
    assert (workdir / "terraform.tfstate").is_file()

    monkeypatch.delenv("FAKE_TERRAFORM_FAIL")
    destroy_from_state(workdir)

    assert not workdir.exists()
    assert [call[0] for call in fake_calls(fake_terraform)][-2:] == ["destroy", "destroy"]


def test_fake_record_init_failure_leaves_nothing(fake_terraform, recorder, variables, monkeypatch, tmp_path):
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "init")

    with pytest.raises(FixtureError, match="terraform init in .* failed \\(exit 1\\)"):
        recorder.apply(MODULE, variables)

    assert not list((tmp_path / "state").iterdir())
    recorder.destroy()


def test_auto_mode_choice(fake_terraform, monkeypatch, tmp_path):
    assert FixtureRunner().choose_mode() == "record"
    assert FixtureRunner(endpoint_url="http://127.0.0.1:9").choose_mode() == "replay"
    assert FixtureRunner(mode="record", endpoint_url="http://127.0.0.1:9").choose_mode() == "record"

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert FixtureRunner().choose_mode() == "replay"


def test_interrupted_apply_deletes_and_reraises(runner, variables, aws, monkeypatch):
    original = tf_recording.CREATORS["aws_vpc_security_group_ingress_rule"]

    def interrupt(client, attributes, tags):
        raise KeyboardInterrupt

    monkeypatch.setitem(tf_recording.CREATORS, "aws_vpc_security_group_ingress_rule",
                        tf_recording.Creator(interrupt, original.delete, original.gone_codes))

    with pytest.raises(KeyboardInterrupt):
        runner.apply(MODULE, variables)

    assert drill_resources(aws, variables["run_id"]) == NOTHING
    assert not runner.state_file.exists()
