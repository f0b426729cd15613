"""Drift profiles that deny or throttle the runner's read actions, so the criteria that need them are unverifiable."""

from readiness.twin.context import TwinContext
from readiness.twin.profiles import profile


@profile("deny-describe-subnets", breaks={"INF-01", "INF-02", "INF-06"}, outcome="unverifiable",
         description="the runner's policy lacks ec2:DescribeSubnets",
         expect_in_message="ec2:DescribeSubnets")
def deny_describe_subnets(ctx: TwinContext) -> None:
    ctx.behaviour.denied_actions.add("ec2:DescribeSubnets")


@profile("deny-describe-db-instances", breaks={"APP-04", "INF-04", "INF-05", "INF-06", "INF-12", "PERF-05", "SEC-06", "SEC-09"}, outcome="unverifiable",
         description="the runner's policy lacks rds:DescribeDBInstances",
         expect_in_message="rds:DescribeDBInstances")
def deny_describe_db_instances(ctx: TwinContext) -> None:
    ctx.behaviour.denied_actions.add("rds:DescribeDBInstances")


@profile("throttle-describe-flow-logs", breaks={"INF-03"}, outcome="unverifiable",
         description="every ec2:DescribeFlowLogs request is throttled, past the runner's retries",
         expect_in_message="ec2:DescribeFlowLogs")
def throttle_describe_flow_logs(ctx: TwinContext) -> None:
    ctx.behaviour.throttled_actions.add("ec2:DescribeFlowLogs")
