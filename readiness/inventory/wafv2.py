"""WAFv2: the web ACL associated with a regional resource, and web ACLs looked up by ARN."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector


@collector("wafv2")
class Wafv2(Collector):
    service = "wafv2"

    def web_acl_for_resource(self, resource_arn: str) -> dict | None:
        """Return the web ACL associated with a regional resource such as an ALB, or None."""

        def load():
            region = resource_arn.split(":")[3]
            return self.call("get_web_acl_for_resource", region=region, ResourceArn=resource_arn).get("WebACL")

        return self.read(f"web_acl_for:{resource_arn}", load)

    def web_acl(self, web_acl_arn: str) -> dict:
        """Return a web ACL by ARN; CLOUDFRONT-scope ARNs (global/webacl/...) are read in us-east-1, as AWS requires."""

        def load():
            region = web_acl_arn.split(":")[3]
            scope_path, _, name, web_acl_id = web_acl_arn.split(":", 5)[5].split("/")
            scope = "CLOUDFRONT" if scope_path == "global" else "REGIONAL"
            return self.call("get_web_acl", region=region, Name=name, Id=web_acl_id, Scope=scope)["WebACL"]

        return self.read(f"web_acl:{web_acl_arn}", load)
