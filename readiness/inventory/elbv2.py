"""ELBv2: the application load balancer, its listeners and their rules, the target group and its targets' health."""

from __future__ import annotations

import botocore.exceptions

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("elbv2")
class Elbv2(Collector):
    service = "elasticloadbalancing"

    def client(self, region: str | None = None):
        return self.target.client("elbv2", region)

    @dataset
    def load_balancer(self) -> dict:
        """The ALB named by the alb_arn output, as DescribeLoadBalancers returns it."""
        balancers = self.paginate("describe_load_balancers", "LoadBalancers", LoadBalancerArns=[self.outputs.require("alb_arn")])
        return balancers[0] if balancers else {}

    @dataset
    def listeners(self) -> list[dict]:
        return self.paginate("describe_listeners", "Listeners", LoadBalancerArn=self.outputs.require("alb_arn"))

    def rules(self, listener_arn: str) -> list[dict]:
        """Return a listener's rules, the default rule included, read once per session."""
        return self.read(f"rules:{listener_arn}", lambda: self.paginate("describe_rules", "Rules", ListenerArn=listener_arn))

    def ssl_policy(self, name: str) -> dict | None:
        """Return an SSL policy with its protocols and ciphers, or None if ELB does not know the name."""

        def load():
            try:
                policies = self.client().describe_ssl_policies(Names=[name]).get("SslPolicies", [])
            except botocore.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") == "SSLPolicyNotFound":
                    return None
                raise
            return policies[0] if policies else None

        return self.read(f"ssl_policy:{name}", load)

    @dataset
    def target_group(self) -> dict:
        """The target group named by the target_group_arn output, as DescribeTargetGroups returns it."""
        groups = self.paginate("describe_target_groups", "TargetGroups", TargetGroupArns=[self.outputs.require("target_group_arn")])
        return groups[0] if groups else {}

    @dataset
    def target_health(self) -> list[dict]:
        """Every registered target of the target group with its health state."""
        return self.call("describe_target_health", TargetGroupArn=self.outputs.require("target_group_arn"))["TargetHealthDescriptions"]
