"""The catalog of launch criteria, loaded from checks/criteria.toml and validated."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOG_PATH = Path(__file__).resolve().parent.parent / "checks" / "criteria.toml"

SEVERITIES = ("blocker", "major", "minor")
CATEGORIES = (
    "network", "data", "compute", "backup", "security", "monitoring",
    "performance", "application", "delivery", "documentation",
)
ID_PATTERN = re.compile(r"^(INF|SEC|MON|PERF|APP|CICD|DOC)-\d{2}$")
FIELDS = ("id", "title", "category", "severity", "rationale", "remediation", "references")


class CatalogError(ValueError):
    """The criteria catalog is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    category: str
    severity: str
    rationale: str
    remediation: str
    references: tuple[str, ...]

    @property
    def is_blocker(self) -> bool:
        return self.severity == "blocker"


def parse_catalog(document: dict) -> dict[str, Criterion]:
    """Validate a parsed catalog and return its criteria by id, in file order."""
    entries = document.get("criterion")
    if not isinstance(entries, list) or not entries:
        raise CatalogError("the catalog has no [[criterion]] tables")

    catalog: dict[str, Criterion] = {}
    for position, entry in enumerate(entries, start=1):
        label = entry.get("id", f"entry {position}")

        missing = [name for name in FIELDS if not entry.get(name)]
        if missing:
            raise CatalogError(f"criterion {label}: missing or empty {', '.join(missing)}")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise CatalogError(f"criterion {label}: unknown field {', '.join(unknown)}")
        if not ID_PATTERN.match(entry["id"]):
            raise CatalogError(f"criterion {label}: id does not look like INF-01")
        if entry["severity"] not in SEVERITIES:
            raise CatalogError(f"criterion {label}: severity {entry['severity']!r} is not one of {SEVERITIES}")
        if entry["category"] not in CATEGORIES:
            raise CatalogError(f"criterion {label}: category {entry['category']!r} is not one of {CATEGORIES}")
        if entry["id"] in catalog:
            raise CatalogError(f"criterion {label}: id appears twice")

        catalog[entry["id"]] = Criterion(**{**entry, "references": tuple(entry["references"])})
    return catalog


@lru_cache(maxsize=1)
def load_catalog(path: Path = CATALOG_PATH) -> dict[str, Criterion]:
    """Load and validate the catalog file once per process."""
    with open(path, "rb") as file:
        return parse_catalog(tomllib.load(file))
