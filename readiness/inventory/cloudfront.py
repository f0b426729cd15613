"""CloudFront: the application's distribution and the cache policies its behaviors use."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset

# CloudFront is a global service whose API endpoint lives in us-east-1.
CLOUDFRONT_REGION = "us-east-1"


@collector("cloudfront")
class CloudFront(Collector):
    service = "cloudfront"

    def client(self, region: str | None = None):
        return self.target.client(self.service, CLOUDFRONT_REGION)

    @dataset
    def distribution(self) -> dict:
        """The distribution named by the cloudfront_distribution_id output, with its DistributionConfig."""
        return self.call("get_distribution", Id=self.outputs.require("cloudfront_distribution_id"))["Distribution"]

    def cache_policy(self, policy_id: str) -> dict:
        """Return a cache policy's CachePolicyConfig, read once per session."""
        return self.read(f"cache_policy:{policy_id}",
                         lambda: self.call("get_cache_policy", Id=policy_id)["CachePolicy"]["CachePolicyConfig"])
