"""The `readiness twin` and `readiness profiles` commands: serve the twin, list its drift profiles."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

log = logging.getLogger(__name__)


def add_twin_commands(subcommands: argparse._SubParsersAction) -> None:
    serve = subcommands.add_parser(
        "twin",
        help="serve the twin on 127.0.0.1 until interrupted, and write its Terraform outputs",
        description="Start the embedded AWS endpoint with the reference stack, write its outputs as "
                    "`terraform output -json` would, and serve until Ctrl-C. Point the suite at it with "
                    "`pytest -m dryrun --endpoint-url=URL --tf-outputs=FILE --runbooks-dir=DIR`.",
    )
    serve.add_argument("--outputs", default="twin-outputs.json", metavar="FILE",
                       help="where to write the outputs (default: twin-outputs.json)")
    serve.add_argument("--profile", action="append", default=[], metavar="NAME",
                       help="drift profile to apply (repeatable); 'readiness profiles' lists them")
    serve.set_defaults(handler=run_twin)

    listing = subcommands.add_parser("profiles", help="list the twin's drift profiles and what each breaks",
                                     description="List every drift profile with the criteria or drills it makes fail.")
    listing.set_defaults(handler=run_profiles)


def run_profiles(arguments: argparse.Namespace) -> int:
    from readiness.twin.profiles import load_profiles

    print(f"{'profile':<34} {'outcome':<13} description; then the criteria and drill tests it makes fail")
    for name, drift in sorted(load_profiles().items()):
        broken = ", ".join(sorted(drift.breaks | drift.drills)) or "nothing"
        print(f"{name:<34} {drift.outcome:<13} {drift.description}")
        print(f"{'':<34} {'':<13} breaks: {broken}")
    return 0


def run_twin(arguments: argparse.Namespace) -> int:
    from readiness.cli import CommandError
    from readiness.twin.profiles import UnknownProfile
    from readiness.twin.server import Twin

    names = [name.strip() for value in arguments.profile for name in value.split(",") if name.strip()]
    twin = Twin()
    try:
        twin.start(names)
    except UnknownProfile as error:
        twin.stop()
        raise CommandError(str(error)) from None

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        twin.write_outputs(arguments.outputs)
        print(f"twin endpoint:  {twin.endpoint_url}")
        print(f"outputs file:   {arguments.outputs}")
        print(f"runbooks dir:   {twin.operations_dir}")
        print("run the checklist against it with:")
        print(f"  pytest -m dryrun --endpoint-url={twin.endpoint_url} --tf-outputs={arguments.outputs} "
              f"--runbooks-dir={twin.operations_dir}")
        print("Ctrl-C stops the twin.", flush=True)
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        twin.stop()
    return 0
