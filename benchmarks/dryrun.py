"""Benchmark the full `pytest -m dryrun` on the twin: wall time and AWS API calls, with and without xdist.

Run from the repository root: `python benchmarks/dryrun.py [--repeat N]`. Each run is a fresh
pytest process, so the time includes interpreter start, the twin's start and its seeding.
The target on a 2-core machine is under 20 s for each mode; the script prints medians and exits
non-zero when a median misses it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODES = {"-n 0": ["-p", "no:xdist"], "-n 2": ["-n", "2"]}
TARGET_S = 20.0


def run_once(extra: list[str]) -> tuple[float, int, str]:
    """Run the checklist once; return wall seconds, API calls and the verdict."""
    with tempfile.TemporaryDirectory(prefix="readiness-bench-") as reports:
        command = [sys.executable, "-m", "pytest", "-m", "dryrun", "-q", f"--reports-dir={reports}", *extra]
        environment = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started

        document_path = Path(reports) / "launch-readiness.json"
        if not document_path.is_file():
            raise SystemExit(f"the run wrote no verdict (exit {completed.returncode}):\n{completed.stdout[-2000:]}")
        document = json.loads(document_path.read_text(encoding="utf-8"))
    return elapsed, document["api_calls"]["total"], document["verdict"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (default 3)")
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")

    medians = {}
    print(f"{'mode':<6} {'median s':>9} {'min s':>7} {'max s':>7} {'API calls':>10}  verdict")
    for mode, extra in MODES.items():
        samples = [run_once(extra) for _ in range(options.repeat)]
        times = [sample[0] for sample in samples]
        medians[mode] = statistics.median(times)
        print(f"{mode:<6} {medians[mode]:>9.2f} {min(times):>7.2f} {max(times):>7.2f} {samples[-1][1]:>10}  {samples[-1][2]}")

    print(f"ratio -n 2 / -n 0: {medians['-n 2'] / medians['-n 0']:.2f}")
    missed = [mode for mode, median in medians.items() if median >= TARGET_S]
    if missed:
        print(f"median over the {TARGET_S:g} s target for: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
