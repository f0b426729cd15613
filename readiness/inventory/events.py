"""EventBridge rules on the primary region's default event bus, and their targets."""

from __future__ import annotations

import re

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset


@collector("events")
class Events(Collector):
    service = "events"

    @dataset
    def rules(self) -> list[dict]:
        """Rules of the default bus, the only bus AWS services send their events to."""
        return self.paginate("list_rules", "Rules")

    def targets(self, rule_name: str) -> list[dict]:
        return self.read(f"targets:{rule_name}",
                         lambda: self.paginate("list_targets_by_rule", "Targets", Rule=rule_name))


def pattern_accepts(pattern: dict, event: dict) -> bool:
    """Tell whether an event pattern matches an event, judging only the fields the event has.

    Fields the pattern names but the event lacks are taken as matching, so for a sample event that
    carries only the fields a check needs, True means "could match".
    """
    for key, expected in pattern.items():
        if key not in event:
            continue
        if isinstance(expected, dict):
            if not isinstance(event[key], dict) or not pattern_accepts(expected, event[key]):
                return False
        elif not any(_value_accepts(condition, event[key]) for condition in expected):
            return False
    return True


def _value_accepts(condition, value) -> bool:
    """Match one element of a pattern's value list: a literal or a content filter."""
    if not isinstance(condition, dict):
        return condition == value
    if not isinstance(value, str):
        return False

    if len(condition) != 1:
        return False
    operator, argument = next(iter(condition.items()))
    if operator == "prefix":
        return value.startswith(argument) if isinstance(argument, str) else False
    if operator == "suffix":
        return value.endswith(argument)
    if operator == "equals-ignore-case":
        return value.lower() == argument.lower()
    if operator == "wildcard":
        return wildcard_match(argument, value)
    if operator == "exists":
        return bool(argument)
    if operator == "anything-but":
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_value_accepts(item, value) for item in excluded)
    # NOTE: numeric, cidr and $or filters are read as not matching, so such a rule counts as no cover.
    return False


def wildcard_match(pattern: str, value: str) -> bool:
    """Match a value against a pattern whose only special character is *, as AWS uses in ARNs and filters."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), value, re.DOTALL) is not None
