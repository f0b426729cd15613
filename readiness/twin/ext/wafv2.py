"""Twin extension: WAFv2 ListResourcesForWebACL, and one web ACL per resource as AWS enforces."""

from __future__ import annotations

import json
import re

from moto.wafv2 import models as wafv2_models
from moto.wafv2.exceptions import WAFNonexistentItemException
from moto.wafv2.responses import WAFV2Response

# ListResourcesForWebACL returns ALB ARNs when the request names no ResourceType.
DEFAULT_RESOURCE_TYPE = "APPLICATION_LOAD_BALANCER"

# The resource ARN pattern of each ResourceType of the API.
RESOURCE_TYPE_PATTERNS = {
    "APPLICATION_LOAD_BALANCER": re.compile(r"^arn:[\w-]+:elasticloadbalancing:[^:]*:\d*:loadbalancer/app/"),
    "API_GATEWAY": re.compile(r"^arn:[\w-]+:apigateway:[^:]*::/restapis/"),
    "APPSYNC": re.compile(r"^arn:[\w-]+:appsync:"),
    "COGNITO_USER_POOL": re.compile(r"^arn:[\w-]+:cognito-idp:"),
    "APP_RUNNER_SERVICE": re.compile(r"^arn:[\w-]+:apprunner:"),
    "VERIFIED_ACCESS_INSTANCE": re.compile(r"^arn:[\w-]+:ec2:[^:]*:\d*:verified-access-instance/"),
    "AMPLIFY": re.compile(r"^arn:[\w-]+:amplify:"),
}


def resource_type_of(resource_arn: str) -> str | None:
    """Return the WAFv2 ResourceType an ARN belongs to, or None if WAF cannot protect it."""
    for resource_type, pattern in RESOURCE_TYPE_PATTERNS.items():
        if pattern.match(resource_arn):
            return resource_type
    return None


def list_resources_for_web_acl(self: WAFV2Response):
    """Return the ARNs of the resources of one type that a regional web ACL is associated with."""
    body = json.loads(self.body)
    web_acl = self.wafv2_backend.wacls.get(body["WebACLArn"])
    if web_acl is None:
        raise WAFNonexistentItemException()

    resource_type = body.get("ResourceType") or DEFAULT_RESOURCE_TYPE
    arns = [arn for arn in web_acl.associated_resources if resource_type_of(arn) == resource_type]
    return 200, {"Content-Type": "application/json"}, json.dumps({"ResourceArns": arns})


def install() -> None:
    """Add ListResourcesForWebACL and make an association replace the resource's previous one."""
    WAFV2Response.list_resources_for_web_acl = list_resources_for_web_acl

    original_associate = wafv2_models.WAFV2Backend.associate_web_acl

    def associate_web_acl(self, web_acl_arn: str, resource_arn: str) -> None:
        if web_acl_arn not in self.wacls:
            raise WAFNonexistentItemException()

        # AWS allows one web ACL per resource and replaces the old association. moto 5.2.5 keeps
        # both, and lists the resource twice when it is associated again.
        for web_acl in self.wacls.values():
            while resource_arn in web_acl.associated_resources:
                web_acl.associated_resources.remove(resource_arn)
        original_associate(self, web_acl_arn, resource_arn)

    wafv2_models.WAFV2Backend.associate_web_acl = associate_web_acl
