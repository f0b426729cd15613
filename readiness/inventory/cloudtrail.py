"""CloudTrail: the trails that apply to the primary region, shadow and organization trails included, and their status."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("cloudtrail")
class CloudTrail(Collector):
    service = "cloudtrail"

    @dataset
    def trails(self) -> list[dict]:
        """Trails logging the primary region, including multi-region trails created in other regions."""
        return self.call("describe_trails", includeShadowTrails=True)["trailList"]

    def status(self, trail: dict) -> dict:
        """Return GetTrailStatus for a trail, asked in the trail's home region as shadow trails require."""
        arn = trail["TrailARN"]
        return self.read(f"status:{arn}",
                         lambda: self.call("get_trail_status", region=trail.get("HomeRegion"), Name=arn))
