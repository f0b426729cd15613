"""Named drift profiles: each breaks the reference stack so that named criteria must fail."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from readiness.twin.context import TwinContext


@dataclass(frozen=True)
class Profile:
    name: str
    breaks: frozenset[str]
    description: str
    apply: Callable[[TwinContext], None]
    # What the criterion's failure message must mention (a resource name, a setting).
    expect_in_message: str = ""
    # The outcome the broken criteria must have: "failed", or "unverifiable" for denial profiles.
    outcome: str = "failed"
    # Drills or experiments (test function names) the profile must make fail; the criteria stay as they are.
    drills: frozenset[str] = frozenset()
    # Profiles that leave a deployment in a final state run after those that start new deployments,
    # which would otherwise replace it.
    apply_last: bool = False


PROFILES: dict[str, Profile] = {}


def profile(name: str, breaks: set[str] | str, description: str, expect_in_message: str = "", outcome: str = "failed",
            drills: set[str] = frozenset(), apply_last: bool = False):
    """Register a drift profile function under a name."""
    broken = frozenset({breaks} if isinstance(breaks, str) else breaks)

    def register(apply: Callable[[TwinContext], None]) -> Callable[[TwinContext], None]:
        if name in PROFILES:
            raise ValueError(f"drift profile {name!r} is registered twice")
        PROFILES[name] = Profile(name, broken, description, apply, expect_in_message, outcome, frozenset(drills),
                                 apply_last)
        return apply

    return register


def load_profiles() -> dict[str, Profile]:
    """Import every profile module once and return the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return PROFILES


class UnknownProfile(ValueError):
    """A drift profile name that is not registered."""


def resolve_profiles(names: list[str]) -> list[Profile]:
    """Return the Profile objects for names, raising UnknownProfile with the known names."""
    registry = load_profiles()
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise UnknownProfile(
            f"unknown twin profile {', '.join(unknown)}; known profiles: {', '.join(sorted(registry))}"
        )
    return sorted((registry[name] for name in names), key=lambda drift: drift.apply_last)
