"""The catalog and the checks match one to one, and the catalog rejects malformed entries."""

import ast
import subprocess
import sys
import tomllib

import pytest

from support import REPO_ROOT, isolated_environment
from readiness.criteria import CatalogError, load_catalog, parse_catalog

EXPECTED_COUNT = 47


def criterion_markers() -> dict[str, list[str]]:
    """Map each criterion id to the check functions that carry its marker, read from the source."""
    found: dict[str, list[str]] = {}
    for path in sorted((REPO_ROOT / "checks").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "criterion"):
                    found.setdefault(decorator.args[0].value, []).append(f"{path.name}::{node.name}")
    return found


def test_catalog_has_47_unique_criteria():
    catalog = load_catalog()

    assert len(catalog) == EXPECTED_COUNT


def test_every_criterion_has_exactly_one_test():
    catalog = load_catalog()
    markers = criterion_markers()

    untested = sorted(set(catalog) - set(markers))
    unknown = sorted(set(markers) - set(catalog))
    doubled = {criterion_id: tests for criterion_id, tests in markers.items() if len(tests) > 1}
    assert not untested, f"criteria without a test: {untested}"
    assert not unknown, f"tests tied to criteria missing from the catalog: {unknown}"
    assert not doubled, f"criteria with more than one test: {doubled}"


def test_dryrun_collects_every_criterion():
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "dryrun", "checks", "--collect-only", "-q"],
        cwd=REPO_ROOT, env=isolated_environment(), capture_output=True, text=True, timeout=120, check=False,
    )

    collected = [line for line in completed.stdout.splitlines() if "::" in line]
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert len(collected) == EXPECTED_COUNT


def test_catalog_rejects_unknown_severity():
    document = tomllib.loads((REPO_ROOT / "checks" / "criteria.toml").read_text(encoding="utf-8"))
    document["criterion"][0]["severity"] = "critical"

    with pytest.raises(CatalogError, match="INF-01: severity 'critical'"):
        parse_catalog(document)


def test_catalog_rejects_duplicate_id():
    document = tomllib.loads((REPO_ROOT / "checks" / "criteria.toml").read_text(encoding="utf-8"))
    document["criterion"][1]["id"] = document["criterion"][0]["id"]

    with pytest.raises(CatalogError, match="appears twice"):
        parse_catalog(document)


def test_catalog_rejects_missing_remediation():
    document = tomllib.loads((REPO_ROOT / "checks" / "criteria.toml").read_text(encoding="utf-8"))
    del document["criterion"][2]["remediation"]

    with pytest.raises(CatalogError, match="missing or empty remediation"):
        parse_catalog(document)
