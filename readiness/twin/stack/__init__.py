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
        try:
            module = importlib.import_module(f"{__name__}.{stage}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{stage}":
                raise
            log.debug("twin stage %s is not written yet", stage)
            continue
        module.seed(ctx)
