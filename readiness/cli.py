"""The `readiness` command: one subcommand per tool around the suite, starting with `readiness report`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from readiness.review import ReviewError, build_review
from readiness.twin_commands import add_twin_commands

log = logging.getLogger(__name__)

USAGE_ERROR = 2


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like the subcommands' errors."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


class CommandError(Exception):
    """A subcommand failed in a way the user can fix; main() prints the message as one line."""


def add_report_command(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "report",
        help="render the launch review: one offline HTML file with the verdict on its first screen",
        description="Render a run's Allure results and verdict as one self-contained HTML file with Allure 3, "
                    "and add the run to the history file so the report shows the trend across runs.",
    )
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), metavar="DIR",
                        help="folder that `pytest -m dryrun --reports-dir` wrote; the defaults below are inside it "
                             "(default: reports)")
    parser.add_argument("--results", type=Path, default=None, metavar="DIR",
                        help="Allure results folder (default: allure-results in --reports-dir)")
    parser.add_argument("--verdict-file", type=Path, default=None, metavar="FILE",
                        help="the run's verdict, as the suite writes it (default: launch-readiness.json in --reports-dir)")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="HTML file to write (default: launch-review.html in --reports-dir)")
    parser.add_argument("--history", type=Path, default=None, metavar="FILE",
                        help="Allure history file, one JSON line per run; kept between runs "
                             "(default: history.jsonl in --reports-dir)")
    parser.set_defaults(handler=run_report)


def run_report(arguments: argparse.Namespace) -> int:
    reports_dir = arguments.reports_dir
    try:
        review = build_review(
            results_dir=arguments.results or reports_dir / "allure-results",
            verdict_file=arguments.verdict_file or reports_dir / "launch-readiness.json",
            output=arguments.output or reports_dir / "launch-review.html",
            history=arguments.history or reports_dir / "history.jsonl",
        )
    except ReviewError as error:
        raise CommandError(str(error)) from None

    log.info("launch review: %s (%g %%) written to %s in %.1f s", review.verdict, review.pass_pct,
             review.path, review.seconds)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="readiness", description="Launch readiness tools around the pytest suite.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_report_command(subcommands)
    add_twin_commands(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if arguments.verbose else logging.INFO, format="%(message)s",
                        stream=sys.stderr)

    try:
        return arguments.handler(arguments)
    except CommandError as error:
        log.error("readiness %s: error: %s", arguments.command, error)
        return USAGE_ERROR
