"""Launch criteria for the security of the compute tier: TLS on the ALB, security groups, task roles, ECR."""

import fnmatch
import json

import pytest

pytestmark = pytest.mark.dryrun

WEAK_PROTOCOLS = {"SSLv3", "TLSv1", "TLSv1.1"}
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}
WEB_PORTS = {80, 443}
ADMIN_POLICY_SUFFIX = ":policy/AdministratorAccess"
SCANNING_FREQUENCIES = {"SCAN_ON_PUSH", "CONTINUOUS_SCAN"}


def _service(inventory, outputs) -> dict:
    service = inventory.ecs.app_service
    assert service, (
        f"ECS service {outputs['ecs_service_name']} was not found in cluster {outputs['ecs_cluster_name']}; "
        "expected the service the outputs name"
    )
    return service


def _is_https_redirect(action: dict) -> bool:
    return action.get("Type") == "redirect" and (action.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"


@pytest.mark.criterion("SEC-04")
def test_listeners_use_modern_tls(inventory, outputs):
    elbv2 = inventory.elbv2
    listeners = elbv2.listeners

    offenders = []
    for listener in listeners:
        label = f"{listener['Protocol']}:{listener['Port']}"
        if listener["Protocol"] == "HTTPS":
            name = listener.get("SslPolicy")
            policy = elbv2.ssl_policy(name) if name else None
            protocols = set((policy or {}).get("SslProtocols", []))
            if not protocols:
                offenders.append(f"{label} uses SSL policy {name}, which ELB does not list")
            elif protocols & WEAK_PROTOCOLS:
                offenders.append(f"{label} uses SSL policy {name}, which allows {sorted(protocols & WEAK_PROTOCOLS)}")
        elif listener["Protocol"] == "HTTP":
            # moto reports an SSL policy on HTTP listeners too, so only their actions are judged.
            actions = [action for rule in elbv2.rules(listener["ListenerArn"]) for action in rule.get("Actions", [])]
            actions = actions or listener.get("DefaultActions", [])
            served = sorted({action.get("Type") for action in actions if not _is_https_redirect(action)})
            if served:
                offenders.append(f"{label} has {served} actions besides redirects to HTTPS")

    assert listeners, f"ALB {outputs['alb_arn']} has no listeners; expected an HTTPS listener"
    assert not offenders, (
        f"ALB {outputs['alb_arn']} listeners: {'; '.join(offenders)}; expected HTTPS listeners with a TLS 1.2 or newer "
        "policy and HTTP listeners that only redirect to HTTPS"
    )


def _ports(permission: dict) -> str:
    if permission.get("IpProtocol") == "-1":
        return "all ports"
    return f"{permission.get('IpProtocol')} {permission.get('FromPort')}-{permission.get('ToPort')}"


@pytest.mark.criterion("SEC-09")
def test_security_groups_restrict_ingress(inventory, outputs):
    service = _service(inventory, outputs)
    groups = {group["GroupId"]: group for group in inventory.ec2.security_groups}
    alb_groups = set(inventory.elbv2.load_balancer.get("SecurityGroups", []))
    app_groups = set(((service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}).get("securityGroups", []))
    database = inventory.rds.database() or inventory.rds.database_cluster() or {}
    db_groups = {item["VpcSecurityGroupId"] for item in database.get("VpcSecurityGroups", [])}

    open_to_world = []
    for group_id, group in groups.items():
        for permission in group.get("IpPermissions", []):
            cidrs = [item["CidrIp"] for item in permission.get("IpRanges", []) if item.get("CidrIp") in OPEN_CIDRS]
            cidrs += [item["CidrIpv6"] for item in permission.get("Ipv6Ranges", []) if item.get("CidrIpv6") in OPEN_CIDRS]
            web = (group_id in alb_groups and permission.get("IpProtocol") == "tcp"
                   and permission.get("FromPort") == permission.get("ToPort") and permission.get("FromPort") in WEB_PORTS)
            if cidrs and not web:
                open_to_world.append(f"{group_id} ({group.get('GroupName')}) admits {cidrs} on {_ports(permission)}")

    database_sources = []
    for group_id in sorted(db_groups):
        if group_id not in groups:
            database_sources.append(f"{group_id} is not a security group of VPC {outputs['vpc_id']}")
            continue
        for permission in groups[group_id].get("IpPermissions", []):
            sources = [item["CidrIp"] for item in permission.get("IpRanges", [])]
            sources += [item["CidrIpv6"] for item in permission.get("Ipv6Ranges", [])]
            sources += [item["PrefixListId"] for item in permission.get("PrefixListIds", [])]
            sources += [item["GroupId"] for item in permission.get("UserIdGroupPairs", []) if item.get("GroupId") not in app_groups]
            if sources:
                database_sources.append(f"{group_id} admits {sources} on {_ports(permission)}")

    assert not open_to_world, (
        f"security groups open to the internet: {'; '.join(open_to_world)}; expected 0.0.0.0/0 and ::/0 only on "
        f"ports 80 and 443 of the ALB's groups {sorted(alb_groups)}"
    )
    assert not database_sources, (
        f"database security groups admit other sources: {'; '.join(database_sources)}; expected only the "
        f"application's groups {sorted(app_groups)}"
    )


def _statements(document) -> list[dict]:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _grants_everything(statement: dict) -> bool:
    """Tell whether an Allow statement grants every action, or all but a few with NotAction, on every resource."""
    if statement.get("Effect") != "Allow" or "*" not in _as_list(statement.get("Resource", [])):
        return False
    if "NotAction" in statement:
        return True
    return bool({"*", "*:*"} & set(_as_list(statement.get("Action", []))))


@pytest.mark.criterion("SEC-10")
def test_task_roles_are_not_admin(inventory, outputs):
    service = _service(inventory, outputs)
    definition = inventory.ecs.task_definition(service["taskDefinition"])
    roles = {"task role": definition.get("taskRoleArn"), "execution role": definition.get("executionRoleArn")}

    offenders = []
    for kind, role_arn in roles.items():
        policies = inventory.iam.role_policies(role_arn) if role_arn else None
        if policies is None:
            continue
        for policy_arn in policies["attached"]:
            if policy_arn.endswith(ADMIN_POLICY_SUFFIX):
                offenders.append(f"{kind} {role_arn} has {policy_arn} attached")
        documents = {**{f"inline policy {name}": doc for name, doc in policies["inline"].items()},
                     **{f"policy {arn}": doc for arn, doc in policies["attached"].items()}}
        for label, document in documents.items():
            if any(_grants_everything(statement) for statement in _statements(document)):
                offenders.append(f"{kind} {role_arn} {label} allows every action on *")

    assert not offenders, (
        f"task definition {definition['taskDefinitionArn']}: {'; '.join(offenders)}; expected roles with specific "
        "actions and resources and without AdministratorAccess"
    )


@pytest.mark.criterion("SEC-11")
def test_ecr_repository_scans_and_is_immutable(inventory, outputs):
    name = outputs["ecr_repository_name"]
    repository = inventory.ecr.repository
    scanning = inventory.ecr.registry_scanning
    scan_type = scanning.get("scanType", "BASIC")

    assert repository, f"ECR repository {name} was not found; expected the repository the outputs name"
    rules = [rule for rule in scanning.get("rules", []) if rule.get("scanFrequency") in SCANNING_FREQUENCIES
             and any(fnmatch.fnmatchcase(name, item.get("filter", "")) for item in rule.get("repositoryFilters", []))]
    # With ENHANCED registry scanning, the repository's own scanOnPush setting is not used.
    scan_on_push = scan_type == "BASIC" and (repository.get("imageScanningConfiguration") or {}).get("scanOnPush")
    assert rules or scan_on_push, (
        f"ECR repository {name} has scanOnPush={scan_on_push} under {scan_type} registry scanning and no registry rule "
        "scanning it; expected scan on push or a matching registry scanning rule"
    )
    assert repository.get("imageTagMutability") == "IMMUTABLE", (
        f"ECR repository {name} has {repository.get('imageTagMutability')} image tags; expected IMMUTABLE"
    )
