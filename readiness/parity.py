"""Compare the Terraform reference stack with the twin: outputs, resource types, and resource kinds."""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import botocore.exceptions
import jmespath
import jmespath.functions

from readiness import tfparse
from readiness.twin.stack.tags import STACK_TAGS

log = logging.getLogger(__name__)

# Region names of an observation, resolved against the twin's own regions.
PRIMARY = "primary"
BACKUP = "backup"
# CLOUDFRONT-scope web ACLs, CloudFront and its certificates live in us-east-1.
US_EAST_1 = "us-east-1"

ClientFactory = Callable[[str, str], Any]


class _ParityFunctions(jmespath.functions.Functions):
    """JMESPath functions for the observation table."""

    @jmespath.functions.signature({"types": ["string"]})
    def _func_arn_name(self, arn):
        """Return the last path segment of an ARN, such as app-chaos for arn:aws:iam::1:role/app-chaos."""
        return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


_JMESPATH_OPTIONS = jmespath.Options(custom_functions=_ParityFunctions())


@dataclass(frozen=True)
class Observation:
    """A read call on the twin whose selected result contains the resources of one Terraform type.

    String parameters and the JMESPath select expression are formatted with the twin's outputs and
    derived_values(), so a literal brace in them is doubled. A parameter that is itself an
    Observation is replaced by the value that observation selects, for reads that need an id only
    another read returns.
    """

    service: str
    operation: str
    select: str
    params: Mapping[str, Any] = field(default_factory=dict)
    region: str = PRIMARY

    def describe(self) -> str:
        arguments = ", ".join(f"{name}={_describe_param(value)}" for name, value in self.params.items())
        return f"{self.service}.{self.operation}({arguments}) | {self.select} in {self.region}"

    def run(self, clients: ClientFactory, regions: Mapping[str, str], values: Mapping[str, str]) -> Any:
        """Call the operation and return the selected part of its response."""
        params = {name: _resolve(value, clients, regions, values) for name, value in self.params.items()}
        client = clients(self.service, regions.get(self.region, self.region))
        response = getattr(client, self.operation)(**params)
        expression = string.Formatter().vformat(self.select, (), values)
        return jmespath.search(expression, response, options=_JMESPATH_OPTIONS)


def observe(service: str, operation: str, select: str, region: str = PRIMARY, **params: Any) -> Observation:
    return Observation(service, operation, select, params, region)


def _describe_param(value: Any) -> str:
    if isinstance(value, Observation):
        return f"<{value.describe()}>"
    return repr(value)


def _resolve(value: Any, clients: ClientFactory, regions: Mapping[str, str], values: Mapping[str, str]) -> Any:
    if isinstance(value, Observation):
        return value.run(clients, regions, values)
    if isinstance(value, str):
        return string.Formatter().vformat(value, (), values)
    if isinstance(value, list):
        return [_resolve(item, clients, regions, values) for item in value]
    if isinstance(value, dict):
        return {key: _resolve(item, clients, regions, values) for key, item in value.items()}
    return value


def _vpc(name: str = "vpc-id") -> list[dict]:
    return [{"Name": name, "Values": ["{vpc_id}"]}]


_STACK_TAG = [{"Name": "tag:project", "Values": ["{stack_project}"]}]
_SECURITY_GROUPS = {"Filters": _vpc()}
_ROUTE_TABLES = {"Filters": _vpc()}
_CHAOS_ROLE = observe("lambda", "get_function", "arn_name(Configuration.Role)", FunctionName="{chaos_lambda_name}")
_ROTATION_FUNCTION = observe("secretsmanager", "describe_secret", "RotationLambdaARN", SecretId="{db_secret_arn}")
_TASK_DEFINITION = observe("ecs", "describe_services", "services[0].taskDefinition",
                           cluster="{ecs_cluster_name}", services=["{ecs_service_name}"])

# How to see each Terraform resource type of the stack on the twin: a read that returns one or more.
OBSERVATIONS: dict[str, Observation] = {
    "aws_appautoscaling_policy": observe("application-autoscaling", "describe_scaling_policies", "ScalingPolicies", ServiceNamespace="ecs", ResourceId="{ecs_scalable_resource_id}"),
    "aws_appautoscaling_target": observe("application-autoscaling", "describe_scalable_targets", "ScalableTargets", ServiceNamespace="ecs", ResourceIds=["{ecs_scalable_resource_id}"]),
    "aws_backup_plan": observe("backup", "get_backup_plan", "BackupPlan", BackupPlanId="{backup_plan_id}"),
    "aws_backup_selection": observe("backup", "list_backup_selections", "BackupSelectionsList", BackupPlanId="{backup_plan_id}"),
    "aws_backup_vault": observe("backup", "describe_backup_vault", "BackupVaultArn", BackupVaultName="{backup_vault_name}"),
    "aws_backup_vault_notifications": observe("backup", "get_backup_vault_notifications", "BackupVaultEvents", BackupVaultName="{backup_vault_name}"),
    "aws_cloudfront_distribution": observe("cloudfront", "get_distribution", "Distribution", US_EAST_1, Id="{cloudfront_distribution_id}"),
    "aws_cloudfront_origin_access_control": observe("cloudfront", "list_origin_access_controls", "OriginAccessControlList.Items", US_EAST_1),
    "aws_cloudtrail": observe("cloudtrail", "describe_trails", "trailList", trailNameList=["{cloudtrail_name}"]),
    "aws_cloudwatch_dashboard": observe("cloudwatch", "get_dashboard", "DashboardBody", DashboardName="{dashboard_name}"),
    "aws_cloudwatch_log_group": observe("logs", "describe_log_groups", "logGroups", logGroupNamePrefix="{app_log_group_name}"),
    "aws_cloudwatch_metric_alarm": observe("cloudwatch", "describe_alarms", "MetricAlarms[?contains(AlarmActions, '{alarm_topic_arn}')]"),
    "aws_codebuild_project": observe("codebuild", "list_projects", "projects"),
    "aws_codedeploy_app": observe("codedeploy", "get_application", "application", applicationName="{codedeploy_app_name}"),
    "aws_codedeploy_deployment_group": observe("codedeploy", "get_deployment_group", "deploymentGroupInfo", applicationName="{codedeploy_app_name}", deploymentGroupName="{codedeploy_group_name}"),
    "aws_codepipeline": observe("codepipeline", "get_pipeline", "pipeline", name="{pipeline_name}"),
    "aws_db_instance": observe("rds", "describe_db_instances", "DBInstances", DBInstanceIdentifier="{db_instance_identifier}"),
    "aws_db_subnet_group": observe("rds", "describe_db_instances", "DBInstances[].DBSubnetGroup", DBInstanceIdentifier="{db_instance_identifier}"),
    "aws_default_security_group": observe("ec2", "describe_security_groups", "SecurityGroups[?GroupName=='default']", **_SECURITY_GROUPS),
    "aws_ecr_repository": observe("ecr", "describe_repositories", "repositories", repositoryNames=["{ecr_repository_name}"]),
    "aws_ecs_cluster": observe("ecs", "describe_clusters", "clusters", clusters=["{ecs_cluster_name}"]),
    "aws_ecs_service": observe("ecs", "describe_services", "services", cluster="{ecs_cluster_name}", services=["{ecs_service_name}"]),
    "aws_ecs_task_definition": observe("ecs", "describe_task_definition", "taskDefinition", taskDefinition=_TASK_DEFINITION),
    "aws_eip": observe("ec2", "describe_nat_gateways", "NatGateways[].NatGatewayAddresses[].AllocationId", Filter=_vpc()),
    "aws_flow_log": observe("ec2", "describe_flow_logs", "FlowLogs", Filters=_vpc("resource-id")),
    "aws_guardduty_detector": observe("guardduty", "list_detectors", "DetectorIds"),
    "aws_iam_role": observe("iam", "get_role", "Role", RoleName="{backup_restore_role_name}"),
    "aws_iam_role_policy": observe("iam", "list_role_policies", "PolicyNames", RoleName=_CHAOS_ROLE),
    "aws_iam_role_policy_attachment": observe("iam", "list_attached_role_policies", "AttachedPolicies", RoleName="{backup_restore_role_name}"),
    "aws_internet_gateway": observe("ec2", "describe_internet_gateways", "InternetGateways", Filters=_vpc("attachment.vpc-id")),
    "aws_kms_alias": observe("kms", "list_aliases", "Aliases[?!starts_with(AliasName, 'alias/aws/')]"),
    "aws_kms_key": observe("kms", "list_keys", "Keys"),
    "aws_lambda_function": observe("lambda", "get_function", "Configuration", FunctionName="{chaos_lambda_name}"),
    "aws_fis_experiment_template": observe("fis", "list_experiment_templates", "experimentTemplates"),
    "aws_lb": observe("elbv2", "describe_load_balancers", "LoadBalancers", LoadBalancerArns=["{alb_arn}"]),
    "aws_lb_listener": observe("elbv2", "describe_listeners", "Listeners", LoadBalancerArn="{alb_arn}"),
    "aws_lb_target_group": observe("elbv2", "describe_target_groups", "TargetGroups", TargetGroupArns=["{target_group_arn}"]),
    "aws_nat_gateway": observe("ec2", "describe_nat_gateways", "NatGateways", Filter=_vpc()),
    "aws_route": observe("ec2", "describe_route_tables", "RouteTables[].Routes[?DestinationCidrBlock=='0.0.0.0/0'][]", **_ROUTE_TABLES),
    "aws_route_table": observe("ec2", "describe_route_tables", "RouteTables", Filters=_vpc() + _STACK_TAG),
    "aws_route_table_association": observe("ec2", "describe_route_tables", "RouteTables[].Associations[?!Main][]", **_ROUTE_TABLES),
    "aws_s3_account_public_access_block": observe("s3control", "get_public_access_block", "PublicAccessBlockConfiguration", AccountId="{account_id}"),
    "aws_s3_bucket": observe("s3", "list_buckets", "Buckets[?Name=='{app_bucket_name}']"),
    "aws_s3_bucket_policy": observe("s3", "get_bucket_policy", "Policy", Bucket="{app_bucket_name}"),
    "aws_s3_bucket_public_access_block": observe("s3", "get_public_access_block", "PublicAccessBlockConfiguration", Bucket="{app_bucket_name}"),
    "aws_s3_bucket_replication_configuration": observe("s3", "get_bucket_replication", "ReplicationConfiguration.Rules", Bucket="{app_bucket_name}"),
    "aws_s3_bucket_server_side_encryption_configuration": observe("s3", "get_bucket_encryption", "ServerSideEncryptionConfiguration.Rules", Bucket="{app_bucket_name}"),
    "aws_s3_bucket_versioning": observe("s3", "get_bucket_versioning", "Status", Bucket="{app_bucket_name}"),
    "aws_secretsmanager_secret": observe("secretsmanager", "describe_secret", "ARN", SecretId="{db_secret_arn}"),
    "aws_secretsmanager_secret_rotation": observe("secretsmanager", "describe_secret", "RotationEnabled", SecretId="{db_secret_arn}"),
    "aws_secretsmanager_secret_version": observe("secretsmanager", "list_secret_version_ids", "Versions", SecretId="{db_secret_arn}"),
    "aws_security_group": observe("ec2", "describe_security_groups", "SecurityGroups[?GroupName!='default']", **_SECURITY_GROUPS),
    # The stack from the Serverless Application Repository deploys the rotation function, which is
    # what the twin creates and what the secret's rotation names.
    "aws_serverlessapplicationrepository_cloudformation_stack": observe("lambda", "get_function", "Configuration", FunctionName=_ROTATION_FUNCTION),
    "aws_sns_topic": observe("sns", "get_topic_attributes", "Attributes", TopicArn="{alarm_topic_arn}"),
    "aws_sns_topic_subscription": observe("sns", "list_subscriptions_by_topic", "Subscriptions", TopicArn="{alarm_topic_arn}"),
    "aws_subnet": observe("ec2", "describe_subnets", "Subnets", Filters=_vpc()),
    "aws_vpc": observe("ec2", "describe_vpcs", "Vpcs", VpcIds=["{vpc_id}"]),
    "aws_vpc_security_group_egress_rule": observe("ec2", "describe_security_groups", "SecurityGroups[?GroupName!='default'].IpPermissionsEgress[]", **_SECURITY_GROUPS),
    "aws_vpc_security_group_ingress_rule": observe("ec2", "describe_security_groups", "SecurityGroups[?GroupName!='default'].IpPermissions[]", **_SECURITY_GROUPS),
    "aws_wafv2_web_acl": observe("wafv2", "list_web_acls", "WebACLs", US_EAST_1, Scope="CLOUDFRONT"),
    "aws_wafv2_web_acl_association": observe("wafv2", "get_web_acl_for_resource", "WebACL", ResourceArn="{alb_arn}"),
}

# Terraform resource types of the stack that the twin does not model, and why.
NOT_OBSERVABLE: dict[str, str] = {
    "aws_codestarconnections_connection": "a connection becomes available only after a handshake in the AWS console, so the twin's pipeline reads its source from S3 and models no connection",
    "aws_ecr_lifecycle_policy": "the twin sets no lifecycle policy on the repository, and no criterion reads one",
    "aws_kms_key_policy": "the twin keeps moto's default key policy, and no criterion reads key policies",
    "aws_route53_record": "not read by the suite, which reaches the application through the health_url output; the twin has no hosted zone",
    "aws_s3_bucket_lifecycle_configuration": "the twin sets no lifecycle rules on the artifact and trail buckets, and no criterion reads them",
    "aws_s3_bucket_ownership_controls": "the twin sets no ownership controls, and no criterion reads them",
    "aws_scheduler_schedule": "the twin creates no EventBridge Scheduler schedule for the chaos function, and no criterion reads schedules",
    "aws_sns_topic_policy": "the twin keeps moto's default topic policy, and no criterion reads topic policies",
}

# Resource kinds, as service:type from the ARN, that the tagging API lists on the twin.
TWIN_KINDS: dict[str, str] = {
    "backup:backup-vault": "aws_backup_vault",
    "cloudfront:distribution": "aws_cloudfront_distribution",
    "cloudwatch:alarm": "aws_cloudwatch_metric_alarm",
    "codedeploy:application": "aws_codedeploy_app",
    "codedeploy:deploymentgroup": "aws_codedeploy_deployment_group",
    "ec2:internet-gateway": "aws_internet_gateway",
    "ec2:natgateway": "aws_nat_gateway",
    "ec2:route-table": "aws_route_table",
    "ec2:security-group": "aws_security_group",
    "ec2:subnet": "aws_subnet",
    "ec2:vpc": "aws_vpc",
    "ecs:cluster": "aws_ecs_cluster",
    "ecs:service": "aws_ecs_service",
    "ecs:task-definition": "aws_ecs_task_definition",
    "elasticloadbalancing:loadbalancer": "aws_lb",
    "elasticloadbalancing:targetgroup": "aws_lb_target_group",
    "kms:key": "aws_kms_key",
    "lambda:function": "aws_lambda_function",
    "logs:log-group": "aws_cloudwatch_log_group",
    "rds:db": "aws_db_instance",
    "s3": "aws_s3_bucket",
    "secretsmanager:secret": "aws_secretsmanager_secret",
    "sns": "aws_sns_topic",
}

# Kinds the twin contains with no Terraform resource behind them, and why.
TWIN_ONLY_KINDS: dict[str, str] = {
    "acm:certificate": "Terraform takes the ALB and CloudFront certificate ARNs as variables, and the twin imports self-signed ones in their place",
    "rds:snapshot": "recovery points of the twin's recorded backup jobs, which AWS Backup creates at run time, not Terraform",
}

# Services whose ARNs have no resource type before the name: arn:aws:s3:::bucket, arn:aws:sns:region:account:topic.
_UNTYPED_ARN_SERVICES = frozenset({"s3", "sns"})


# --- Inputs ------------------------------------------------------------------------------------


def stack_modules(config: dict) -> list[str]:
    """Return the module paths the root module reaches through module calls, the root first.

    Modules that nothing calls, such as the drill fixtures under terraform/fixtures, are not part of the stack.
    """
    modules = config["modules"]
    reached = [tfparse.ROOT_MODULE]
    pending = [tfparse.ROOT_MODULE]
    while pending:
        module = modules[pending.pop()]
        for call in module.module_calls.values():
            if call.path is not None and call.path in modules and call.path not in reached:
                reached.append(call.path)
                pending.append(call.path)
    return reached


def stack_resource_types(config: dict) -> dict[str, list[str]]:
    """Return {resource type: [module paths declaring it]} over the stack's modules (data sources excluded)."""
    types: dict[str, list[str]] = {}
    for path in stack_modules(config):
        for resource in config["modules"][path].resources:
            declared_in = types.setdefault(resource.type, [])
            if path not in declared_in:
                declared_in.append(path)
    return types


def derived_values(outputs: Mapping[str, Any]) -> dict[str, str]:
    """Return the outputs as strings plus the values observations build from them."""
    values = {key: value for key, value in outputs.items() if isinstance(value, str)}
    role_arn = values.get("backup_restore_role_arn", "")
    if role_arn:
        values["backup_restore_role_name"] = role_arn.rsplit("/", 1)[-1]
        values["account_id"] = role_arn.split(":")[4]
    if values.get("ecs_cluster_name") and values.get("ecs_service_name"):
        values["ecs_scalable_resource_id"] = f"service/{values['ecs_cluster_name']}/{values['ecs_service_name']}"
    values["stack_project"] = STACK_TAGS["project"]
    return values


def arn_kind(arn: str) -> str:
    """Return an ARN's service:type, such as ec2:vpc or rds:db, or the service alone for S3 and SNS."""
    parts = arn.split(":", 5)
    service = parts[2]
    if service in _UNTYPED_ARN_SERVICES or len(parts) < 6:
        return service
    return f"{service}:{parts[5].split('/', 1)[0].split(':', 1)[0]}"


# --- Comparisons -------------------------------------------------------------------------------


def compare_outputs(declared: Iterable[str], produced: Iterable[str]) -> list[str]:
    """Return a problem for each output declared in outputs.tf but not produced by the twin, and the reverse."""
    declared, produced = set(declared), set(produced)
    problems = [f"output {name} is declared in terraform/outputs.tf but the twin does not produce it; "
                f"expected the twin's seeding stages to set ctx.outputs[{name!r}]"
                for name in sorted(declared - produced)]
    problems += [f"output {name} is produced by the twin but terraform/outputs.tf does not declare it; "
                 "expected both sides to hold the same outputs"
                 for name in sorted(produced - declared)]
    return problems


def compare_types(declared: Mapping[str, list[str]], observations: Mapping[str, Observation] = OBSERVATIONS,
                  not_observable: Mapping[str, str] = NOT_OBSERVABLE) -> list[str]:
    """Return a problem for each declared type with no table entry, and for each table entry with no declared type."""
    problems = []
    for type_name in sorted(set(declared) - set(observations) - set(not_observable)):
        problems.append(f"{type_name} (declared in {', '.join(declared[type_name])}) has no entry in "
                        "readiness.parity.OBSERVATIONS or NOT_OBSERVABLE; expected a read that shows it on the "
                        "twin, or a reason why the twin does not model it")
    for type_name in sorted(set(observations) & set(not_observable)):
        problems.append(f"{type_name} is both in OBSERVATIONS and in NOT_OBSERVABLE; expected exactly one of them")
    for type_name in sorted((set(observations) | set(not_observable)) - set(declared)):
        problems.append(f"{type_name} is in the parity table but the Terraform stack declares no {type_name}; "
                        "expected the table to follow terraform/ (remove the entry or declare the resource)")
    return problems


def observe_types(types: Iterable[str], clients: ClientFactory, regions: Mapping[str, str],
                  outputs: Mapping[str, Any], observations: Mapping[str, Observation] = OBSERVATIONS) -> list[str]:
    """Run the observation of each type that has one and return a problem for each that finds nothing."""
    values = derived_values(outputs)
    problems = []
    for type_name in sorted(types):
        observation = observations.get(type_name)
        if observation is None:
            continue
        try:
            found = count(observation.run(clients, regions, values))
        except KeyError as error:
            problems.append(f"{type_name} cannot be observed on the twin: {observation.describe()} needs "
                            f"output {error.args[0]}, which the twin does not produce")
            continue
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            problems.append(f"{type_name} is not on the twin: {observation.describe()} failed with {code}; "
                            "expected it to return one or more")
            continue
        if found == 0:
            problems.append(f"{type_name} is not on the twin: {observation.describe()} returned nothing; "
                            "expected one or more")
    return problems


def compare_kinds(kinds: Mapping[str, str], declared: Iterable[str], twin_kinds: Mapping[str, str] = TWIN_KINDS,
                  twin_only: Mapping[str, str] = TWIN_ONLY_KINDS) -> list[str]:
    """Return a problem for each resource kind on the twin that maps to no Terraform type the stack declares.

    kinds maps each kind found on the twin to one example ARN.
    """
    declared = set(declared)
    problems = []
    for kind, example in sorted(kinds.items()):
        if kind in twin_only:
            continue
        type_name = twin_kinds.get(kind)
        if type_name is None:
            problems.append(f"the twin holds {kind} resources (such as {example}) that map to no Terraform type; "
                            "expected an entry in readiness.parity.TWIN_KINDS or TWIN_ONLY_KINDS")
        elif type_name not in declared:
            problems.append(f"the twin holds {kind} resources (such as {example}) but the Terraform stack "
                            f"declares no {type_name}; expected both sides to hold them")
    return problems


def count(selected: Any) -> int:
    """Return how many resources a selected result contains: a list's length, else 1 for any true value."""
    if isinstance(selected, list):
        return len(selected)
    return 1 if selected else 0


def tagged_kinds(clients: ClientFactory, regions: Iterable[str], tag: tuple[str, str]) -> dict[str, str]:
    """Return {kind: example ARN} of the resources with the tag that the tagging API lists in the regions."""
    kinds: dict[str, str] = {}
    key, value = tag
    for region in regions:
        paginator = clients("resourcegroupstaggingapi", region).get_paginator("get_resources")
        for page in paginator.paginate(TagFilters=[{"Key": key, "Values": [value]}]):
            for mapping in page["ResourceTagMappingList"]:
                kinds.setdefault(arn_kind(mapping["ResourceARN"]), mapping["ResourceARN"])
    return kinds


def check_parity(config: dict, outputs: Mapping[str, Any], clients: ClientFactory,
                 regions: Mapping[str, str]) -> list[str]:
    """Return every difference between a parsed Terraform stack and a running twin; empty when they agree."""
    declared = stack_resource_types(config)
    problems = compare_outputs(config["outputs"], outputs)
    problems += compare_types(declared)
    problems += observe_types(declared, clients, regions, outputs)

    kinds = tagged_kinds(clients, sorted(set(regions.values())), ("project", STACK_TAGS["project"]))
    problems += compare_kinds(kinds, declared)
    log.info("parity: %d Terraform types, %d twin kinds, %d problems", len(declared), len(kinds), len(problems))
    return problems
