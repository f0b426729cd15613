"""RDS settings moto 5.2.5 accepts and then loses: Performance Insights on DB instances."""

from __future__ import annotations

from moto.rds.models import DBInstance

# AWS keeps Performance Insights data 7 days unless the request sets another retention.
DEFAULT_RETENTION_DAYS = 7


def _apply_performance_insights(instance: DBInstance, settings: dict) -> None:
    # CreateDBInstance and ModifyDBInstance take EnablePerformanceInsights, but DescribeDBInstances
    # returns PerformanceInsightsEnabled, a name moto never sets.
    enabled = settings.get("enable_performance_insights")
    if enabled is None:
        return
    instance.performance_insights_enabled = bool(enabled)
    if enabled:
        instance.performance_insights_retention_period = (
            settings.get("performance_insights_retention_period") or DEFAULT_RETENTION_DAYS
        )
    else:
        instance.performance_insights_retention_period = None
        instance.performance_insights_kms_key_id = None


def install() -> None:
    """Make DB instances store Performance Insights on create and modify."""
    original_init = DBInstance.__init__
    original_update = DBInstance.update

    def __init__(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        self.performance_insights_enabled = False
        _apply_performance_insights(self, kwargs)

    def update(self, *args, **kwargs) -> None:
        original_update(self, *args, **kwargs)
        _apply_performance_insights(self, kwargs)

    DBInstance.__init__ = __init__
    DBInstance.update = update
