"""Fixtures of the suite's own tests: a twin shared by a test process, and checklist runs against it.

Helpers live in support.py, not here: pytest imports every conftest.py as the module 'conftest', so
a conftest.py in a subfolder would shadow this one for `from conftest import ...`.
"""

from __future__ import annotations

import pytest

from support import run_checklist


@pytest.fixture(scope="session")
def twin():
    """A twin on loopback shared by the tests of one process; tests reseed it with profiles."""
    from readiness.twin.server import Twin

    with Twin() as running:
        running.start()
        yield running


@pytest.fixture
def checklist_on(tmp_path, twin):
    """Run the checks against the shared twin reseeded with the given drift profiles."""

    def run(*profiles: str, extra: tuple[str, ...] = ()) -> ChecklistRun:
        twin.reseed(list(profiles))
        outputs_file = tmp_path / "outputs.json"
        twin.write_outputs(str(outputs_file))
        # Path options use the --name=value form: pytest picks its root folder from free arguments
        # before the plugin's options are known, so a separate value outside the repo would count.
        arguments = ["checks", f"--endpoint-url={twin.endpoint_url}", f"--tf-outputs={outputs_file}"]
        if twin.operations_dir:
            arguments.append(f"--runbooks-dir={twin.operations_dir}")
        return run_checklist(tmp_path / "reports", *arguments, *extra)

    return run
