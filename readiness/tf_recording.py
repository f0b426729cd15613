"""Recordings of fixture applies: the file format, its ${...} placeholders, and the boto3 replay per resource type."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from readiness import tfparse

RECORDINGS_DIR = Path(__file__).resolve().parent.parent / "tests" / "terraform" / "recordings"
RECORDING_FORMAT = 1
# Attributes a recording keeps per resource type; the rest of `terraform show -json` is provider detail.
KEY_ATTRIBUTES = {
    "aws_db_subnet_group": ("name", "description", "subnet_ids", "tags"),
    "aws_security_group": ("name", "description", "vpc_id", "tags"),
    "aws_vpc_security_group_ingress_rule": (
        "security_group_id", "description", "ip_protocol", "from_port", "to_port", "referenced_security_group_id",
        "cidr_ipv4", "cidr_ipv6", "prefix_list_id", "tags"),
}
# String variables at least this long are also replaced inside longer strings when recording;
# shorter values could match by chance and stay literal.
MIN_EMBEDDED_VARIABLE_LENGTH = 6
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


class FixtureError(RuntimeError):
    """A fixture apply or destroy that failed; the message names what is left and how to retry."""


# --- Templates: ${run_id}, ${var.NAME}, ${each.value}, ${TYPE.NAME.ATTRIBUTE} ----------------


def render(template: Any, scope: dict[str, Any]) -> Any:
    """Return template with its placeholders replaced from scope; a lone placeholder keeps the value's type."""
    if isinstance(template, dict):
        return {key: render(value, scope) for key, value in template.items()}
    if isinstance(template, list):
        return [render(item, scope) for item in template]
    if not isinstance(template, str):
        return template

    whole = _PLACEHOLDER.fullmatch(template)
    if whole:
        return _lookup(whole.group(1), scope)
    return _PLACEHOLDER.sub(lambda match: str(_lookup(match.group(1), scope)), template)


def _lookup(name: str, scope: dict[str, Any]) -> Any:
    if name not in scope:
        raise FixtureError(f"the recording refers to ${{{name}}}, which is neither a variable nor a created resource")
    return scope[name]


def references(template: Any) -> set[str]:
    """Return the resource addresses (TYPE.NAME) that a template refers to."""
    found = set()
    for text in tfparse.strings_in(template):
        for name in _PLACEHOLDER.findall(text):
            if name.startswith("aws_") and name.count(".") == 2:
                found.add(name.rsplit(".", 1)[0])
    return found


# --- Recordings --------------------------------------------------------------------------------


def recording_path(module: str, recordings_dir: Path | None = None) -> Path:
    return (recordings_dir or RECORDINGS_DIR) / f"{module}.json"


def load_recording(module: str, recordings_dir: Path | None = None) -> dict:
    """Read the recording of a fixture module, or raise FixtureError naming the file."""
    path = recording_path(module, recordings_dir)
    try:
        recording = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FixtureError(f"recording {path} cannot be read ({error}); record it with mode='record' "
                           "where terraform and AWS credentials work") from error
    if recording.get("format") != RECORDING_FORMAT or recording.get("module") != module:
        raise FixtureError(f"recording {path} has format {recording.get('format')!r} for module "
                           f"{recording.get('module')!r}; expected format {RECORDING_FORMAT} for {module}")
    return recording


def recording_from_state(module: str, show: dict, outputs: dict, variables: dict, terraform_version: str) -> dict:
    """Build a recording from `terraform show -json` and the outputs, with values turned back into placeholders.

    A value equal to another resource's id becomes ${TYPE.NAME.id}, a value equal to a variable becomes
    ${var.NAME}, and the run id becomes ${run_id}. The instances of a for_each over a list variable
    become one entry with for_each = ${var.NAME} and ${each.value}. Tags that var.tags adds are dropped
    because replay merges the caller's var.tags back in.

    NOTE: a resource with no instances in the state, such as a for_each over an empty list, is not
    recorded, so replay never creates it. Record with a non-empty list.
    """
    instances = [resource for resource in show.get("values", {}).get("root_module", {}).get("resources", [])
                 if resource.get("mode") == "managed"]
    ids = {}
    for resource in instances:
        for attribute in ("id", "arn"):
            value = resource["values"].get(attribute)
            if isinstance(value, str) and variables["run_id"] not in value:
                ids[value] = f"${{{resource['type']}.{resource['name']}.{attribute}}}"

    entries: dict[str, dict] = {}
    for resource in instances:
        address = f"{resource['type']}.{resource['name']}"
        each = resource.get("index")
        keep = KEY_ATTRIBUTES.get(resource["type"], ())
        values = {key: value for key, value in resource["values"].items() if key in keep and value is not None}
        attributes = _templatize(values, variables, ids, each, own=address)
        entry = {"address": address, "type": resource["type"],
                 "depends_on": sorted(dep for dep in resource.get("depends_on", []) if dep.startswith("aws_")),
                 "attributes": attributes}

        if each is not None:
            keys = {str(item.get("index")) for item in instances if f"{item['type']}.{item['name']}" == address}
            over = next((name for name, value in variables.items()
                         if isinstance(value, list) and set(map(str, value)) == keys), None)
            if over is None:
                entry["address"] = f"{address}[{json.dumps(each)}]"
                entry["attributes"] = _templatize(values, variables, ids, None, own=address)
            else:
                entry["for_each"] = f"${{var.{over}}}"
        entries.setdefault(entry["address"], entry)

    return {
        "format": RECORDING_FORMAT, "module": module, "recorded": True,
        "source": f"terraform apply of terraform/fixtures/{module} with Terraform {terraform_version} "
                  f"on {dt.date.today().isoformat()}",
        "terraform_version": terraform_version,
        "variables": {**{name: value for name, value in variables.items() if name != "run_id"}, "run_id": "${run_id}"},
        "resources": list(entries.values()),
        "outputs": _templatize(outputs, variables, ids, None, own=None),
    }


def _templatize(value: Any, variables: dict, ids: dict[str, str], each: Any, own: str | None, key: str = "") -> Any:
    run_id = variables["run_id"]
    if isinstance(value, dict):
        extra_tags = variables.get("tags") if key == "tags" and isinstance(variables.get("tags"), dict) else {}
        return {name: _templatize(item, variables, ids, each, own, name) for name, item in value.items()
                if extra_tags.get(name) != item}
    if isinstance(value, list):
        for name, candidate in variables.items():
            if isinstance(candidate, list) and candidate and sorted(map(str, candidate)) == sorted(map(str, value)):
                return f"${{var.{name}}}"
        return [_templatize(item, variables, ids, each, own) for item in value]
    if not isinstance(value, str):
        for name, candidate in variables.items():
            if type(candidate) is type(value) and candidate == value and not isinstance(value, bool):
                return f"${{var.{name}}}"
        return value

    if each is not None and value == str(each):
        return "${each.value}"
    reference = ids.get(value)
    if reference and not reference.startswith(f"${{{own}."):
        return reference
    for name, candidate in variables.items():
        if name != "run_id" and candidate == value:
            return f"${{var.{name}}}"

    needles = {run_id: "${run_id}"}
    if each is not None:
        needles[str(each)] = "${each.value}"
    for name, candidate in variables.items():
        if name != "run_id" and isinstance(candidate, str) and len(candidate) >= MIN_EMBEDDED_VARIABLE_LENGTH:
            needles.setdefault(candidate, f"${{var.{name}}}")
    pattern = re.compile("|".join(re.escape(needle) for needle in sorted(needles, key=len, reverse=True)))
    return pattern.sub(lambda match: needles[match.group(0)], value)


# --- Replay: one creator and deleter per resource type ------------------------------------------


@dataclass(frozen=True)
class Creator:
    """Replay of one resource type with boto3: create returns the resource's ids ("id" always), delete takes them."""

    create: Callable[[Callable, dict, dict], dict]
    delete: Callable[[Callable, dict], None]
    # Error codes that mean the resource is already deleted, so a retried delete succeeds.
    gone_codes: frozenset[str]


def _tag_list(tags: dict) -> list[dict]:
    return [{"Key": key, "Value": str(value)} for key, value in tags.items()]


def _create_db_subnet_group(client: Callable, attributes: dict, tags: dict) -> dict:
    group = client("rds").create_db_subnet_group(
        DBSubnetGroupName=attributes["name"], DBSubnetGroupDescription=attributes["description"],
        SubnetIds=list(attributes["subnet_ids"]), Tags=_tag_list(tags),
    )["DBSubnetGroup"]
    return {"id": group["DBSubnetGroupName"], "name": group["DBSubnetGroupName"], "arn": group["DBSubnetGroupArn"]}


def _create_security_group(client: Callable, attributes: dict, tags: dict) -> dict:
    ec2 = client("ec2")
    group_id = ec2.create_security_group(
        GroupName=attributes["name"], Description=attributes["description"], VpcId=attributes["vpc_id"],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tag_list(tags)}],
    )["GroupId"]
    # AWS adds an allow-all egress rule to a new group. restore_scratch declares no egress, and
    # NOTE: the AWS provider's documentation says aws_security_group then removes that rule; no
    # recorded apply has confirmed it here.
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return {"id": group_id, "name": attributes["name"]}


def _create_ingress_rule(client: Callable, attributes: dict, tags: dict) -> dict:
    permission: dict[str, Any] = {"IpProtocol": attributes["ip_protocol"]}
    if attributes.get("from_port") is not None:
        permission.update(FromPort=int(attributes["from_port"]), ToPort=int(attributes["to_port"]))
    description = {"Description": attributes["description"]} if attributes.get("description") else {}
    if attributes.get("referenced_security_group_id"):
        permission["UserIdGroupPairs"] = [{"GroupId": attributes["referenced_security_group_id"], **description}]
    elif attributes.get("cidr_ipv4"):
        permission["IpRanges"] = [{"CidrIp": attributes["cidr_ipv4"], **description}]
    elif attributes.get("cidr_ipv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": attributes["cidr_ipv6"], **description}]
    else:
        permission["PrefixListIds"] = [{"PrefixListId": attributes["prefix_list_id"], **description}]

    rule = client("ec2").authorize_security_group_ingress(
        GroupId=attributes["security_group_id"], IpPermissions=[permission],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": _tag_list(tags)}],
    )["SecurityGroupRules"][0]
    return {"id": rule["SecurityGroupRuleId"], "security_group_id": attributes["security_group_id"]}


CREATORS: dict[str, Creator] = {
    "aws_db_subnet_group": Creator(
        _create_db_subnet_group,
        lambda client, ids: client("rds").delete_db_subnet_group(DBSubnetGroupName=ids["id"]),
        frozenset({"DBSubnetGroupNotFoundFault"})),
    "aws_security_group": Creator(
        _create_security_group,
        lambda client, ids: client("ec2").delete_security_group(GroupId=ids["id"]),
        frozenset({"InvalidGroup.NotFound"})),
    "aws_vpc_security_group_ingress_rule": Creator(
        _create_ingress_rule,
        lambda client, ids: client("ec2").revoke_security_group_ingress(
            GroupId=ids["security_group_id"], SecurityGroupRuleIds=[ids["id"]]),
        frozenset({"InvalidGroup.NotFound", "InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound"})),
}


# --- Replay order -------------------------------------------------------------------------------


def creation_order(entries: list[dict]) -> list[dict]:
    """Return recording entries so that each comes after the resources it refers to or depends on."""
    by_address = {entry["address"]: entry for entry in entries}
    ordered: list[dict] = []
    visiting: set[str] = set()

    def visit(entry: dict) -> None:
        if entry in ordered:
            return
        if entry["address"] in visiting:
            raise FixtureError(f"the recording's resources refer to each other in a cycle at {entry['address']}")
        visiting.add(entry["address"])
        for address in sorted(references(entry["attributes"]) | set(entry.get("depends_on", []))):
            if address in by_address:
                visit(by_address[address])
        visiting.discard(entry["address"])
        ordered.append(entry)

    for entry in entries:
        visit(entry)
    return ordered


def instances(entry: dict, scope: dict) -> list[tuple[str, Any]]:
    """Return (address, each.value) per instance: one with None, or one per for_each element."""
    if "for_each" not in entry:
        return [(entry["address"], None)]
    values = render(entry["for_each"], scope)
    return [(f"{entry['address']}[{json.dumps(value)}]", value) for value in values]
