"""The reference stack the twin seeds: one module a part of the stack, applied in order."""

from __future__ import annotations

import importlib
import logging

from readiness.twin.context import TwinContext

log = logging.getLogger(__name__)

# Order matters: later stages use ids earlier ones put in ctx.ids.
STAGES = (
    "network",
    "keys",
    "data",
    "compute",
    "edge",
    "monitoring",
    "backup",
    "delivery",
    "operations",
)


def seed(ctx: TwinContext) -> None:
    """Create the whole reference stack on the twin and fill ctx.outputs."""
    for stage in STAGES:
        log.debug("seeding twin stage %s", stage)
        importlib.import_module(f"{__name__}.{stage}").seed(ctx)
