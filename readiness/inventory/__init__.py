"""Collectors, one per AWS service, read once per session and exposed as plain data."""

from __future__ import annotations

import importlib
import pkgutil

from readiness.inventory.base import Collector, Unreadable

_COLLECTORS: dict[str, type[Collector]] = {}


def collector(name: str):
    """Register a Collector class under the attribute name checks use (inventory.<name>)."""

    def register(cls: type[Collector]) -> type[Collector]:
        if name in _COLLECTORS and _COLLECTORS[name] is not cls:
            raise ValueError(f"collector {name!r} is registered twice")
        _COLLECTORS[name] = cls
        return cls

    return register


def _import_collectors() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")


class Inventory:
    """The session's view of the stack: inventory.ec2, inventory.rds, and so on."""

    def __init__(self, target, outputs) -> None:
        _import_collectors()
        self.target = target
        self.outputs = outputs
        self._instances: dict[str, Collector] = {}

    def __getattr__(self, name: str) -> Collector:
        if name.startswith("_") or name not in _COLLECTORS:
            raise AttributeError(f"no collector named {name!r}; known: {sorted(_COLLECTORS)}")
        if name not in self._instances:
            self._instances[name] = _COLLECTORS[name](self.target, self.outputs)
        return self._instances[name]

    def unreadable(self) -> list[Unreadable]:
        """Return every dataset that could not be read so far."""
        return [item for instance in self._instances.values() for item in instance.unreadable()]
