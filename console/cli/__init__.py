"""The `vigil` command line: a lazy registry of subcommands, one module each.

Only this module and `console.cli.common` are imported for `vigil --help`; a
subcommand's module (and its heavy imports) loads only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from console import __version__
from console.cli.common import UsageError, add_global_options, apply_replay_option


@dataclass(frozen=True)
class Command:
    """A subcommand: the module that implements it and its one-line help."""

    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "tui": Command("console.cli.tui", "Open the console (the default when no command is given)."),
    "demo": Command("console.cli.demo", "Build the demo, serve it live, open the console on it."),
    "models": Command("console.cli.models", "List models with versions, aliases and traffic."),
    "drift": Command("console.cli.drift", "PSI and friends per feature, from a model or files."),
    "slices": Command("console.cli.slices", "Metric per slice and the worst slices found."),
    "latency": Command("console.cli.latency", "Per-stage latency against its budget."),
    "log": Command("console.cli.log", "Export a model's logged requests to Parquet or CSV."),
    "timeline": Command("console.cli.timeline", "One ordered incident timeline across layers."),
    "postmortem": Command("console.cli.postmortem", "A Markdown postmortem from the timeline."),
    "retrain-check": Command("console.cli.retrain_check", "Evaluate retraining triggers."),
    "serve": Command("console.cli.serve", "Run local_serving on a workspace."),
    "runbook": Command("console.cli.runbook", "List, plan, run, resume and revert runbooks."),
    "audit": Command("console.cli.audit", "Read and verify the audit log."),
    "backends": Command("console.cli.backends", "List installed backends without importing them."),
}


def _top_parser() -> argparse.ArgumentParser:
    """Build the top-level parser: global options and the command list."""
    lines = [f"  {name:<14} {command.help}" for name, command in COMMANDS.items()]
    parser = argparse.ArgumentParser(
        prog="vigil",
        description="Vigil: a terminal operations console for on-call ML engineers.",
        epilog="commands:\n"
        + "\n".join(lines)
        + "\n\nRun `vigil COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vigil {__version__}")
    add_global_options(parser, top_level=True)
    parser.add_argument("command", nargs="?", default="tui", metavar="COMMAND")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run one subcommand and return its exit code."""
    top = _top_parser()
    top_args = top.parse_args(argv)
    command = COMMANDS.get(top_args.command)
    if command is None:
        top.print_usage(sys.stderr)
        close = [name for name in COMMANDS if name.startswith(top_args.command[:2])]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        print(f"vigil: unknown command {top_args.command!r}{hint}", file=sys.stderr)
        return 2
    module = importlib.import_module(command.module)
    parser = argparse.ArgumentParser(prog=f"vigil {top_args.command}", description=command.help)
    add_global_options(parser, top_level=False)
    module.add_arguments(parser)
    args = parser.parse_args(top_args.rest, namespace=top_args)
    try:
        apply_replay_option(args)
        return int(module.run(args))
    except UsageError as error:
        print(f"vigil {top_args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """After `vigil ... | head` closed the pipe, point stdout at /dev/null so exit is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
