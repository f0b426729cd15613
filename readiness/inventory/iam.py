"""IAM roles: their inline and attached policies with the policy documents, read per role."""

from __future__ import annotations

import botocore.exceptions

from readiness.inventory import collector
from readiness.inventory.base import Collector


def role_name(role_arn: str) -> str:
    """Return the role name of a role ARN; a role's path sits between "role/" and the name."""
    return role_arn.rsplit("/", 1)[-1]


@collector("iam")
class Iam(Collector):
    service = "iam"

    def role_policies(self, role_arn: str) -> dict | None:
        """Return a role's policies, or None if the role does not exist.

        The result is {"inline": {name: document}, "attached": {policy ARN: document}}, each
        attached document being the policy's default version.
        """
        return self.read(f"role_policies:{role_arn}", lambda: self._load_role_policies(role_name(role_arn)))

    def _load_role_policies(self, name: str) -> dict | None:
        try:
            inline_names = self.paginate("list_role_policies", "PolicyNames", RoleName=name)
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return None
            raise

        inline = {policy: self.call("get_role_policy", RoleName=name, PolicyName=policy)["PolicyDocument"]
                  for policy in inline_names}
        attached = {}
        for policy in self.paginate("list_attached_role_policies", "AttachedPolicies", RoleName=name):
            arn = policy["PolicyArn"]
            version = self.call("get_policy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
            attached[arn] = self.call("get_policy_version", PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        return {"inline": inline, "attached": attached}
