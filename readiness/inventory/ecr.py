"""ECR: the application's repository, any repository an image comes from, and the registry's scanning rules."""

from __future__ import annotations

import botocore.exceptions

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("ecr")
class Ecr(Collector):
    service = "ecr"

    @dataset
    def repository(self) -> dict:
        """The repository named by the ecr_repository_name output; {} if it does not exist."""
        return self.repository_named(self.outputs.require("ecr_repository_name")) or {}

    @dataset
    def registry_scanning(self) -> dict:
        """The registry's scanning configuration: scan type (BASIC or ENHANCED) and rules."""
        return self.call("get_registry_scanning_configuration").get("scanningConfiguration", {})

    def repository_named(self, name: str, region: str | None = None, registry_id: str | None = None) -> dict | None:
        """Return a repository as DescribeRepositories returns it, or None if it does not exist."""
        key = f"repository:{registry_id or 'own'}:{region or self.target.region}:{name}"
        return self.read(key, lambda: self._describe(name, region, registry_id))

    def _describe(self, name: str, region: str | None, registry_id: str | None) -> dict | None:
        params = {"repositoryNames": [name]}
        if registry_id:
            params["registryId"] = registry_id
        try:
            repositories = self.call("describe_repositories", region=region, **params)["repositories"]
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
                return None
            raise
        return repositories[0] if repositories else None
