"""Twin extension: AWS managed IAM policies exist in every account, as in AWS.

moto 5.2.5 loads them only when MOTO_IAM_LOAD_MANAGED_POLICIES is set, so attaching
AmazonECSTaskExecutionRolePolicy or AdministratorAccess fails otherwise. Loading the bundled
documents (about 1,600 policies) adds roughly 0.1 s to each IAM backend's creation.
"""

from __future__ import annotations

import json
from unittest import mock

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, IAMBackend

_documents: dict | None = None


def _aws_policies(self: IAMBackend) -> list[AWSManagedPolicy]:
    global _documents
    if _documents is None:
        _documents = json.loads(aws_managed_policies_data)
    return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data) for name, data in _documents.items()]


def install() -> None:
    """Make every new IAM backend hold the AWS managed policies."""
    mock.patch.object(IAMBackend, "_init_aws_policies", _aws_policies).start()
