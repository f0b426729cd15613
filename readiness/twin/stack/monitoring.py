"""Reference stack, monitoring: alarm topic, alarms, dashboard, GuardDuty, CloudTrail, and a day of ALB metrics.

Reads ctx.ids, when present: alb_arn, target_group_arn, ecs_cluster_name, ecs_service_name (compute),
db_instance_identifier (data), kms_key_arn (keys). Puts in ctx.ids: alarm_topic_arn, alarm_names,
rollback_alarm_names (the alarms a deployment watches), chaos_stop_alarm_names (the stop conditions
of chaos experiments), dashboard_name, cloudtrail_name, cloudtrail_log_group_name. Sets outputs: alarm_topic_arn, dashboard_name, cloudtrail_name,
cloudtrail_log_group_name.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math

from readiness.twin.context import TwinContext
from readiness.twin.stack.tags import tags

log = logging.getLogger(__name__)

ALERT_EMAIL = "oncall@launch-readiness.example"
DASHBOARD_NAME = "app-operations"
TRAIL_NAME = "app-audit"
TRAIL_LOG_GROUP = "/aws/cloudtrail/app-audit"
TRAIL_LOG_RETENTION_DAYS = 365
ALB_NAMESPACE = "AWS/ApplicationELB"

# A day of ALB traffic in 5-minute periods, as CloudWatch stores the load balancer's metrics.
METRIC_PERIOD = dt.timedelta(minutes=5)
METRIC_PERIODS = 288
# put_metric_data accepts at most 1,000 metrics per request.
METRICS_PER_REQUEST = 500
FREE_STORAGE_ALARM_BYTES = 5 * 1024 ** 3
# The stop condition of the FIS latency experiment; a latency experiment needs one on TargetResponseTime.
CHAOS_LATENCY_ALARM = "app-chaos-latency-stop"


def seed(ctx: TwinContext) -> None:
    topic_arn = _alarm_topic(ctx)
    alarms = _alarms(ctx, topic_arn)
    _dashboard(ctx)
    for region in (ctx.region, ctx.backup_region):
        ctx.client("guardduty", region).create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES",
                                                        Tags=tags())
    _trail(ctx)
    if ctx.ids.get("alb_arn"):
        put_alb_metrics(ctx, alb_dimension(ctx.ids["alb_arn"]), normal_traffic())

    ctx.ids.update(alarm_topic_arn=topic_arn, alarm_names=[alarm["AlarmName"] for alarm in alarms],
                   rollback_alarm_names=[alarm["AlarmName"] for alarm in alarms if alarm.get("rollback")],
                   chaos_stop_alarm_names=[alarm["AlarmName"] for alarm in alarms if alarm.get("chaos_stop")],
                   dashboard_name=DASHBOARD_NAME, cloudtrail_name=TRAIL_NAME, cloudtrail_log_group_name=TRAIL_LOG_GROUP)
    ctx.outputs.update(alarm_topic_arn=topic_arn, dashboard_name=DASHBOARD_NAME, cloudtrail_name=TRAIL_NAME,
                       cloudtrail_log_group_name=TRAIL_LOG_GROUP)


def alb_dimension(alb_arn: str) -> str:
    """Return the LoadBalancer dimension value of an ALB ARN, such as app/app-alb/50dc6c495c0c9188."""
    return alb_arn.split(":loadbalancer/", 1)[1]


def _alarm_topic(ctx: TwinContext) -> str:
    sns = ctx.client("sns")
    attributes = {"KmsMasterKeyId": ctx.ids["kms_key_arn"]} if ctx.ids.get("kms_key_arn") else {}
    topic_arn = sns.create_topic(Name="app-alarms", Attributes=attributes, Tags=tags(key="Key", value="Value"))["TopicArn"]
    # moto confirms an email subscription at once, while AWS waits for the link in the confirmation message.
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=ALERT_EMAIL, ReturnSubscriptionArn=True)
    return topic_arn


def _alarms(ctx: TwinContext, topic_arn: str) -> list[dict]:
    """Create the alarms for the resources that exist so far and return their definitions."""
    definitions = []
    if ctx.ids.get("alb_arn"):
        load_balancer = [{"Name": "LoadBalancer", "Value": alb_dimension(ctx.ids["alb_arn"])}]
        definitions += [
            _alarm("app-alb-target-5xx", ALB_NAMESPACE, "HTTPCode_Target_5XX_Count", load_balancer, "Sum", 10,
                   "More than 10 target 5xx responses a minute", rollback=True, chaos_stop=True),
            _alarm("app-alb-response-time-p95", ALB_NAMESPACE, "TargetResponseTime", load_balancer, "p95", 0.5,
                   "p95 target response time above 500 ms", rollback=True),
            # A stop condition must fire within a minute, so it alarms on one breaching period, unlike
            # the paging alarm above, which waits for three of five.
            _alarm(CHAOS_LATENCY_ALARM, ALB_NAMESPACE, "TargetResponseTime", load_balancer, "p95", 1.0,
                   "Stops chaos experiments: p95 target response time above 1 s for a minute",
                   evaluation_periods=1, datapoints_to_alarm=1, chaos_stop=True),
        ]
        if ctx.ids.get("target_group_arn"):
            target_group = ctx.ids["target_group_arn"].split(":", 5)[5]
            definitions.append(_alarm("app-alb-unhealthy-hosts", ALB_NAMESPACE, "UnHealthyHostCount",
                                      [*load_balancer, {"Name": "TargetGroup", "Value": target_group}], "Maximum", 0,
                                      "A target of the application failed its health check"))

    if ctx.ids.get("ecs_cluster_name") and ctx.ids.get("ecs_service_name"):
        service = [{"Name": "ClusterName", "Value": ctx.ids["ecs_cluster_name"]},
                   {"Name": "ServiceName", "Value": ctx.ids["ecs_service_name"]}]
        definitions += [
            _alarm("app-ecs-cpu-high", "AWS/ECS", "CPUUtilization", service, "Average", 80, "Service CPU above 80 %"),
            _alarm("app-ecs-memory-high", "AWS/ECS", "MemoryUtilization", service, "Average", 80, "Service memory above 80 %"),
        ]

    if ctx.ids.get("db_instance_identifier"):
        database = [{"Name": "DBInstanceIdentifier", "Value": ctx.ids["db_instance_identifier"]}]
        definitions += [
            _alarm("app-rds-cpu-high", "AWS/RDS", "CPUUtilization", database, "Average", 80, "Database CPU above 80 %"),
            _alarm("app-rds-free-storage-low", "AWS/RDS", "FreeStorageSpace", database, "Minimum",
                   FREE_STORAGE_ALARM_BYTES, "Database free storage below 5 GiB", below=True),
        ]

    cloudwatch = ctx.client("cloudwatch")
    for definition in definitions:
        request = {key: value for key, value in definition.items() if key not in ("rollback", "chaos_stop")}
        cloudwatch.put_metric_alarm(**request, AlarmActions=[topic_arn], OKActions=[topic_arn],
                                    Tags=tags(key="Key", value="Value"))
    return definitions


def _alarm(name: str, namespace: str, metric: str, dimensions: list[dict], statistic: str, threshold: float,
           description: str, below: bool = False, rollback: bool = False, chaos_stop: bool = False,
           evaluation_periods: int = 5, datapoints_to_alarm: int = 3) -> dict:
    statistic_field = {"ExtendedStatistic": statistic} if statistic.startswith("p") else {"Statistic": statistic}
    return {
        "AlarmName": name, "AlarmDescription": description, "Namespace": namespace, "MetricName": metric,
        "Dimensions": dimensions, **statistic_field, "Period": 60, "EvaluationPeriods": evaluation_periods,
        "DatapointsToAlarm": datapoints_to_alarm, "Threshold": threshold, "TreatMissingData": "notBreaching",
        "ComparisonOperator": "LessThanThreshold" if below else "GreaterThanThreshold",
        "rollback": rollback, "chaos_stop": chaos_stop,
    }


def dashboard_body(ids: dict) -> dict:
    """Return the dashboard: traffic and errors of the ALB, the service's CPU and memory, the database's load."""
    widgets = []
    if ids.get("alb_arn"):
        widgets.append(_widget("Load balancer", [
            [ALB_NAMESPACE, "RequestCount", "LoadBalancer", alb_dimension(ids["alb_arn"]), {"stat": "Sum"}],
            [".", "HTTPCode_Target_5XX_Count", ".", ".", {"stat": "Sum"}],
            [".", "TargetResponseTime", ".", ".", {"stat": "p95"}],
        ]))
    if ids.get("ecs_cluster_name") and ids.get("ecs_service_name"):
        widgets.append(_widget("Service", [
            ["AWS/ECS", "CPUUtilization", "ClusterName", ids["ecs_cluster_name"], "ServiceName", ids["ecs_service_name"]],
            ["...", {"stat": "Maximum"}],
            [".", "MemoryUtilization", ".", ".", ".", "."],
        ]))
    if ids.get("db_instance_identifier"):
        widgets.append(_widget("Database", [
            ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", ids["db_instance_identifier"]],
            [".", "FreeStorageSpace", ".", "."],
            [".", "DatabaseConnections", ".", "."],
        ]))
    for index, widget in enumerate(widgets):
        widget.update(x=(index % 2) * 12, y=(index // 2) * 6)
    return {"widgets": widgets}


def _widget(title: str, metrics: list) -> dict:
    return {"type": "metric", "width": 12, "height": 6,
            "properties": {"title": title, "metrics": metrics, "period": 300, "stat": "Average", "view": "timeSeries"}}


def _dashboard(ctx: TwinContext) -> None:
    ctx.client("cloudwatch").put_dashboard(DashboardName=DASHBOARD_NAME, DashboardBody=json.dumps(dashboard_body(ctx.ids)))


def create_private_bucket(ctx: TwinContext, name: str, statements: list[dict] = ()) -> str:
    """Create a versioned bucket with KMS default encryption, no public access and TLS-only access, and return its name."""
    s3 = ctx.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": ctx.region})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(key="Key", value="Value")})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    encryption = {"SSEAlgorithm": "aws:kms"}
    if ctx.ids.get("kms_key_arn"):
        encryption["KMSMasterKeyID"] = ctx.ids["kms_key_arn"]
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": encryption, "BucketKeyEnabled": True}]})

    deny_plain_http = {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17",
                                                         "Statement": [deny_plain_http, *statements]}))
    return name


def _trail(ctx: TwinContext) -> None:
    """Create the multi-region trail: validated, KMS-encrypted, logging to S3 and CloudWatch Logs."""
    bucket = f"app-cloudtrail-{ctx.account_id}-{ctx.region}"
    trail_arn = ctx.arn("cloudtrail", f"trail/{TRAIL_NAME}")
    cloudtrail_writes = [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{ctx.account_id}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}}},
    ]
    create_private_bucket(ctx, bucket, cloudtrail_writes)

    logs = ctx.client("logs")
    logs.create_log_group(logGroupName=TRAIL_LOG_GROUP, tags=tags())
    logs.put_retention_policy(logGroupName=TRAIL_LOG_GROUP, retentionInDays=TRAIL_LOG_RETENTION_DAYS)
    log_group_arn = ctx.arn("logs", f"log-group:{TRAIL_LOG_GROUP}")

    iam = ctx.client("iam")
    role_arn = iam.create_role(
        RoleName="app-cloudtrail-logs", Tags=tags(key="Key", value="Value"),
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName="app-cloudtrail-logs", PolicyName="deliver-to-log-group", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                                "Resource": f"{log_group_arn}:log-stream:*"}]}))

    kms = {"KmsKeyId": ctx.ids["kms_key_arn"]} if ctx.ids.get("kms_key_arn") else {}
    if not kms:
        log.warning("monitoring stage: no kms_key_arn in ctx.ids, so the trail is not KMS-encrypted")
    cloudtrail = ctx.client("cloudtrail")
    cloudtrail.create_trail(
        Name=TRAIL_NAME, S3BucketName=bucket, IsMultiRegionTrail=True, IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True, CloudWatchLogsLogGroupArn=f"{log_group_arn}:*", CloudWatchLogsRoleArn=role_arn,
        TagsList=tags(key="Key", value="Value"), **kms,
    )
    cloudtrail.start_logging(Name=TRAIL_NAME)


def normal_traffic() -> list[dict]:
    """Return a day of 5-minute ALB periods, newest first: requests, 5xx counts and response times in seconds."""
    periods = []
    for index in range(METRIC_PERIODS):
        # A daily cycle between a night-time low and a daytime peak.
        load = (1 + math.sin(2 * math.pi * index / METRIC_PERIODS)) / 2
        requests = int(600 + 2400 * load)
        periods.append({
            "requests": requests,
            "target_5xx": requests // 1000,
            "elb_5xx": 1 if index % 48 == 0 else 0,
            "average": 0.08 + 0.04 * load,
            "maximum": 0.22 + 0.12 * load,
        })
    return periods


def put_alb_metrics(ctx: TwinContext, load_balancer: str, periods: list[dict],
                    end: dt.datetime | None = None) -> None:
    """Publish ALB metrics for consecutive 5-minute periods that end at `end` (default: now), newest first."""
    end = end or dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    dimensions = [{"Name": "LoadBalancer", "Value": load_balancer}]

    data = []
    for index, period in enumerate(periods):
        timestamp = end - METRIC_PERIOD * (index + 1)
        common = {"Dimensions": dimensions, "Timestamp": timestamp}
        data += [
            {"MetricName": "RequestCount", "Value": period["requests"], "Unit": "Count", **common},
            {"MetricName": "HTTPCode_Target_5XX_Count", "Value": period["target_5xx"], "Unit": "Count", **common},
            {"MetricName": "HTTPCode_ELB_5XX_Count", "Value": period["elb_5xx"], "Unit": "Count", **common},
        ]
        if period.get("maximum") is not None:
            data.append({"MetricName": "TargetResponseTime", "Unit": "Seconds", **common, "StatisticValues": {
                "SampleCount": period["requests"], "Sum": period["requests"] * period["average"],
                "Minimum": 0.005, "Maximum": period["maximum"]}})

    cloudwatch = ctx.client("cloudwatch")
    for start in range(0, len(data), METRICS_PER_REQUEST):
        cloudwatch.put_metric_data(Namespace=ALB_NAMESPACE, MetricData=data[start:start + METRICS_PER_REQUEST])
