"""CloudWatch Logs: log groups by name, with their retention."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector


@collector("logs")
class Logs(Collector):
    service = "logs"

    def log_group(self, name: str) -> dict | None:
        """Return the log group with exactly this name in the primary region, or None if there is none."""

        def load():
            groups = self.paginate("describe_log_groups", "logGroups", logGroupNamePrefix=name)
            return next((group for group in groups if group["logGroupName"] == name), None)

        return self.read(f"log_group:{name}", load)
