"""Launch criteria for alarms, their notifications, the dashboard, and log retention."""

import pytest

from readiness.inventory.cloudwatch import alarm_metrics, dashboard_metrics, load_balancer_dimension
from readiness.inventory.sns import is_confirmed

pytestmark = pytest.mark.dryrun

ALB_NAMESPACE = "AWS/ApplicationELB"
ECS_NAMESPACES = {"AWS/ECS", "ECS/ContainerInsights"}
MIN_RETENTION_DAYS = 30
# Dimensions an alarm may leave out and still cover the resource: a cluster-level ECS alarm covers its services.
OPTIONAL_DIMENSIONS = {"ServiceName"}


def _required_alarms(outputs) -> list[tuple[str, str, set[str], dict[str, str]]]:
    """Return (label, namespace, metric names, dimensions) of each alarm MON-01 requires."""
    load_balancer = {"LoadBalancer": load_balancer_dimension(outputs["alb_arn"])}
    service = {"ClusterName": outputs["ecs_cluster_name"], "ServiceName": outputs["ecs_service_name"]}
    database = {"DBInstanceIdentifier": outputs["db_instance_identifier"]}
    return [
        ("ALB 5xx", ALB_NAMESPACE, {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"}, load_balancer),
        ("ALB response time", ALB_NAMESPACE, {"TargetResponseTime"}, load_balancer),
        ("ECS CPU", "AWS/ECS", {"CPUUtilization"}, service),
        ("ECS memory", "AWS/ECS", {"MemoryUtilization"}, service),
        ("RDS CPU", "AWS/RDS", {"CPUUtilization"}, database),
        ("RDS free storage", "AWS/RDS", {"FreeStorageSpace"}, database),
    ]


def _watches(alarm: dict, namespace: str, metric_names: set[str], dimensions: dict[str, str]) -> bool:
    """Tell whether an alarm watches one of the metrics for the given resource."""
    for alarm_namespace, metric, alarm_dimensions in alarm_metrics(alarm):
        if alarm_namespace != namespace or metric not in metric_names:
            continue
        if all(alarm_dimensions.get(name, value if name in OPTIONAL_DIMENSIONS else None) == value
               for name, value in dimensions.items()):
            return True
    return False


@pytest.mark.criterion("MON-01")
def test_critical_alarms_notify_topic(inventory, outputs):
    topic_arn = outputs["alarm_topic_arn"]
    alarms = inventory.cloudwatch.alarms

    offenders = []
    for label, namespace, metric_names, dimensions in _required_alarms(outputs):
        # Target-tracking policies add alarms on the same metrics without actions. Those do not count, but
        # they do no harm as long as another alarm on the metric notifies the topic.
        watching = [alarm for alarm in alarms if _watches(alarm, namespace, metric_names, dimensions)]
        notifying = [alarm for alarm in watching
                     if alarm.get("ActionsEnabled", True) and topic_arn in alarm.get("AlarmActions", [])]
        if notifying:
            continue
        observed = ", ".join(f"{alarm['AlarmName']} notifies {alarm.get('AlarmActions') or 'nothing'}"
                             for alarm in watching) or "no alarm"
        offenders.append(f"{label} ({'/'.join(sorted(metric_names))} of {dimensions}): {observed}")

    assert not offenders, (
        f"alarms missing or not notifying {topic_arn}: {'; '.join(offenders)}; "
        "expected an alarm on each of these metrics with the alarm topic in its alarm actions"
    )


@pytest.mark.criterion("MON-02")
def test_alarm_topic_has_confirmed_subscription(inventory, outputs):
    subscriptions = inventory.sns.alarm_topic_subscriptions
    confirmed = [subscription for subscription in subscriptions if is_confirmed(subscription)]

    observed = ", ".join(
        f"{subscription['Protocol']}:{subscription.get('Endpoint')} "
        f"{'confirmed' if is_confirmed(subscription) else 'pending confirmation'}"
        for subscription in subscriptions
    )
    assert confirmed, (
        f"SNS topic {outputs['alarm_topic_arn']} has no confirmed subscription "
        f"(subscriptions: {observed or 'none'}); expected at least one confirmed subscription"
    )


@pytest.mark.criterion("MON-03")
def test_no_alarm_firing(inventory, target):
    cloudwatch = inventory.cloudwatch
    # Target-tracking alarms count too: one firing means the service is at a scaling limit.
    firing = [alarm for alarm in [*cloudwatch.alarms, *cloudwatch.composite_alarms] if alarm.get("StateValue") == "ALARM"]

    observed = [f"{alarm['AlarmName']} ({alarm.get('StateReason') or 'no reason given'})" for alarm in firing]
    assert not firing, (
        f"alarms in ALARM state in {target.region}: {'; '.join(observed)}; "
        "expected no alarm in ALARM state"
    )


@pytest.mark.criterion("MON-04")
def test_dashboard_shows_stack(inventory, outputs):
    metrics = dashboard_metrics(inventory.cloudwatch.dashboard)
    load_balancer = load_balancer_dimension(outputs["alb_arn"])
    cluster, service = outputs["ecs_cluster_name"], outputs["ecs_service_name"]
    database = outputs["db_instance_identifier"]

    resource_shown = {
        f"ALB {load_balancer}": any(namespace == ALB_NAMESPACE and dimensions.get("LoadBalancer") == load_balancer
                                    for namespace, _, dimensions in metrics),
        f"ECS service {cluster}/{service}": any(
            namespace in ECS_NAMESPACES and dimensions.get("ClusterName") == cluster
            and dimensions.get("ServiceName") == service for namespace, _, dimensions in metrics),
        f"database {database}": any(namespace == "AWS/RDS" and dimensions.get("DBInstanceIdentifier") == database
                                    for namespace, _, dimensions in metrics),
    }
    missing = [name for name, found in resource_shown.items() if not found]

    graphed = sorted({f"{namespace}:{metric}" for namespace, metric, _ in metrics})
    assert not missing, (
        f"dashboard {outputs['dashboard_name']} shows no metric of {', '.join(missing)} "
        f"(it graphs {', '.join(graphed) or 'nothing'}); expected widgets for the ALB, the ECS service and the database"
    )


@pytest.mark.criterion("MON-05")
def test_log_groups_keep_thirty_days(inventory, outputs):
    names = [outputs[key] for key in ("app_log_group_name", "flow_log_group_name", "cloudtrail_log_group_name")]

    offenders = []
    for name in names:
        group = inventory.logs.log_group(name)
        if group is None:
            offenders.append(f"{name} not found")
        # A group without retentionInDays keeps its events forever.
        elif group.get("retentionInDays") is not None and group["retentionInDays"] < MIN_RETENTION_DAYS:
            offenders.append(f"{name} keeps {group['retentionInDays']} days")

    assert not offenders, (
        f"log groups with too short retention: {'; '.join(offenders)}; "
        f"expected at least {MIN_RETENTION_DAYS} days or no expiry"
    )
