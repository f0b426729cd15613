"""Drift profiles that break the edge, monitoring and delivery criteria, one criterion each."""

from __future__ import annotations

import json

from readiness.twin.context import TwinContext
from readiness.twin.ext.codepipeline import set_latest_execution
from readiness.twin.profiles import profile
from readiness.twin.stack.edge import ASSET_PATH, CACHING_DISABLED, CLOUDFRONT_REGION
from readiness.twin.stack.monitoring import alb_dimension, dashboard_body, put_alb_metrics

# 6,000 requests in each of the last six 5-minute periods, each returning 5xx, add up to about 6 % of the day's requests.
SPIKE_PERIODS = 6
SPIKE_REQUESTS = 6000


@profile("guardduty-off-backup-region", breaks={"SEC-01"},
         description="the GuardDuty detector in the backup region is suspended", expect_in_message="DISABLED")
def guardduty_off_backup_region(ctx: TwinContext) -> None:
    guardduty = ctx.client("guardduty", ctx.backup_region)
    for detector_id in guardduty.list_detectors()["DetectorIds"]:
        guardduty.update_detector(DetectorId=detector_id, Enable=False)


@profile("trail-not-logging", breaks={"SEC-02"},
         description="logging is stopped on the multi-region trail", expect_in_message="is not logging")
def trail_not_logging(ctx: TwinContext) -> None:
    ctx.client("cloudtrail").stop_logging(Name=ctx.ids["cloudtrail_name"])


@profile("no-waf-on-alb", breaks={"SEC-03"},
         description="the regional web ACL is disassociated from the ALB", expect_in_message="has no web ACL")
def no_waf_on_alb(ctx: TwinContext) -> None:
    ctx.client("wafv2").disassociate_web_acl(ResourceArn=ctx.ids["alb_arn"])


@profile("missing-rds-storage-alarm", breaks={"MON-01"},
         description="the database's free storage alarm is deleted", expect_in_message="RDS free storage")
def missing_rds_storage_alarm(ctx: TwinContext) -> None:
    ctx.client("cloudwatch").delete_alarms(AlarmNames=["app-rds-free-storage-low"])


@profile("unconfirmed-subscription", breaks={"MON-02"},
         description="the alarm topic's only subscription is still pending confirmation",
         expect_in_message="pending confirmation")
def unconfirmed_subscription(ctx: TwinContext) -> None:
    # moto confirms every subscription at once and has no API that makes one pending, so the
    # profile sets the attribute in moto's SNS backend, which runs in this process.
    from moto.sns.models import sns_backends

    topic_arn = ctx.ids["alarm_topic_arn"]
    backend = sns_backends[ctx.account_id][topic_arn.split(":")[3]]
    for subscription in backend.subscriptions.values():
        if subscription.topic.arn == topic_arn:
            subscription.confirmed = False
            subscription.attributes["PendingConfirmation"] = "true"


@profile("alarm-firing", breaks={"MON-03"},
         description="the ALB's unhealthy-hosts alarm is in ALARM", expect_in_message="app-alb-unhealthy-hosts")
def alarm_firing(ctx: TwinContext) -> None:
    ctx.client("cloudwatch").set_alarm_state(
        AlarmName="app-alb-unhealthy-hosts", StateValue="ALARM",
        StateReason="Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (0.0)",
    )


@profile("dashboard-missing-db", breaks={"MON-04"},
         description="the dashboard is replaced by one without the database widget", expect_in_message="database")
def dashboard_missing_db(ctx: TwinContext) -> None:
    body = dashboard_body({**ctx.ids, "db_instance_identifier": None})
    ctx.client("cloudwatch").put_dashboard(DashboardName=ctx.ids["dashboard_name"], DashboardBody=json.dumps(body))


@profile("short-log-retention", breaks={"MON-05"},
         description="the CloudTrail log group keeps events for 7 days", expect_in_message="keeps 7 days")
def short_log_retention(ctx: TwinContext) -> None:
    ctx.client("logs").put_retention_policy(logGroupName=ctx.ids["cloudtrail_log_group_name"], retentionInDays=7)


@profile("cloudfront-allows-http", breaks={"PERF-01"},
         description="the distribution's default behavior serves plain HTTP (allow-all)", expect_in_message="allow-all")
def cloudfront_allows_http(ctx: TwinContext) -> None:
    _update_distribution(ctx, lambda config: config["DefaultCacheBehavior"].update(ViewerProtocolPolicy="allow-all"))


@profile("caching-disabled", breaks={"PERF-02"},
         description="the static-asset behavior uses the managed CachingDisabled cache policy",
         expect_in_message="CachingDisabled")
def caching_disabled(ctx: TwinContext) -> None:
    def disable(config: dict) -> None:
        for behavior in config["CacheBehaviors"]["Items"]:
            if behavior["PathPattern"] == ASSET_PATH:
                behavior["CachePolicyId"] = CACHING_DISABLED

    _update_distribution(ctx, disable)


@profile("alb-5xx-spike", breaks={"PERF-04"},
         description="the ALB returned 5xx for every request of the last 30 minutes, about 6 % of the day's requests",
         expect_in_message="5xx rate")
def alb_5xx_spike(ctx: TwinContext) -> None:
    spike = [{"requests": SPIKE_REQUESTS, "target_5xx": SPIKE_REQUESTS, "elb_5xx": 0}] * SPIKE_PERIODS
    put_alb_metrics(ctx, alb_dimension(ctx.ids["alb_arn"]), spike)


@profile("pipeline-failed", breaks={"CICD-01"},
         description="the pipeline's latest execution failed in its Deploy stage", expect_in_message="Failed")
def pipeline_failed(ctx: TwinContext) -> None:
    set_latest_execution(ctx.behaviour, ctx.ids["pipeline_name"], "Failed", failed_stage="Deploy")


@profile("codedeploy-no-rollback", breaks={"CICD-02"},
         description="automatic rollback is turned off on the CodeDeploy deployment group",
         expect_in_message="automatic rollback is enabled=False")
def codedeploy_no_rollback(ctx: TwinContext) -> None:
    ctx.client("codedeploy").update_deployment_group(
        applicationName=ctx.ids["codedeploy_app_name"], currentDeploymentGroupName=ctx.ids["codedeploy_group_name"],
        autoRollbackConfiguration={"enabled": False, "events": []},
    )


def _update_distribution(ctx: TwinContext, change) -> None:
    """Apply change(config) to the distribution's current configuration and save it."""
    cloudfront = ctx.client("cloudfront", CLOUDFRONT_REGION)
    distribution_id = ctx.ids["cloudfront_distribution_id"]
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = current["DistributionConfig"]
    change(config)
    cloudfront.update_distribution(Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config)
