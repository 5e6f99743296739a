"""`vigil runbook`: list, show, plan, run, resume and revert runbooks through the policy gate."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.cli.common import UsageError, emit_json, open_context

if TYPE_CHECKING:
    from console.config import Context
    from runbooks.engine import Environment
    from runbooks.spec import Runbook

ACTIONS = ("list", "show", "plan", "run", "resume", "revert", "runs")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `vigil runbook`."""
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("target", nargs="?", help="runbook name (or file), or run id")
    parser.add_argument("--file", metavar="PATH", help="a runbook file instead of a bundled name")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a runbook parameter (repeatable)",
    )
    parser.add_argument("--yes", action="store_true", help="confirm without a prompt")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    """Dispatch one runbook action; refusals and aborts exit 1, bad input exits 2."""
    if args.action == "list":
        return _list(args)
    if args.action == "show":
        return _show(args, _runbook(args))
    if args.action in ("resume", "revert") and not args.target:
        raise UsageError(f"runbook {args.action} needs a run id (see `vigil runbook runs`)")
    context = open_context(args)
    env = environment(context, assume_yes=args.yes, quiet_stdout=args.json)
    if args.action == "runs":
        return _runs(args, env)
    return _act(args, env)


def _act(args: argparse.Namespace, env: Environment) -> int:
    """plan / run / resume / revert, with every engine error mapped to an exit code."""
    from backends.contracts import BackendError, NotFoundError
    from runbooks.engine import RunbookRefused, Runner
    from runbooks.engine.environment import ParameterError
    from runbooks.spec import RunbookError

    runner = Runner(env)
    try:
        if args.action == "plan":
            runbook = _runbook(args)
            return _plan(args, runner, runbook)
        with _interrupt_on_hangup():
            if args.action == "run":
                result = runner.run(_runbook(args), _params(args.param))
            elif args.action == "resume":
                result = runner.resume(args.target)
            else:
                result = runner.revert(args.target)
    except (RunbookError, ParameterError, NotFoundError) as error:
        raise UsageError(str(error)) from error
    except RunbookRefused as error:
        print(f"refused: {error}", file=sys.stderr)
        if args.json:
            emit_json({"status": "refused", "reason": str(error), "exit_code": 1})
        return 1
    except BackendError as error:
        print(f"vigil runbook: backend error: {error}", file=sys.stderr)
        return 1
    if args.json:
        emit_json(_run_document(env, result))
    elif result.exit_code:
        print(f"run {result.run_id} {result.status}: {result.reason}", file=sys.stderr)
    elif result.stored_only:
        print(f"run {result.run_id} {result.status}: {result.reason}")
    else:
        print(f"run {result.run_id} {result.status}")
    return result.exit_code


def _run_document(env: Environment, result: Any) -> dict[str, Any]:
    """A run's outcome with its persisted steps, for --json."""
    from runbooks.engine.state import load

    document: dict[str, Any] = {
        "run_id": result.run_id,
        "status": result.status,
        "reason": result.reason,
        "exit_code": result.exit_code,
        "stored_only": result.stored_only,
    }
    try:
        state = load(env.state_dir, result.run_id)
    except (OSError, ValueError, TypeError):
        return document
    document["steps"] = state.steps
    document["failure_steps"] = state.failure_steps
    document["divergence"] = state.divergence
    return document


@contextmanager
def _interrupt_on_hangup() -> Iterator[None]:
    """A lost SSH session (SIGHUP) or a SIGTERM stops the run like Ctrl-C: its state says so."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signals = [getattr(signal, n) for n in ("SIGHUP", "SIGTERM") if hasattr(signal, n)]
    previous = {sig: signal.signal(sig, interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def environment(context: Context, *, assume_yes: bool, quiet_stdout: bool = False) -> Environment:
    """The engine's Environment for a resolved context, asking on the terminal.

    The console builds its Environment with the same function
    (`console.services.runbook_env`). With `quiet_stdout` (--json) the engine's
    progress goes to stderr, so stdout carries exactly one JSON document.
    """
    from console.services.runbook_env import runbook_environment

    stream = sys.stderr if quiet_stdout else sys.stdout
    return runbook_environment(
        context,
        confirmer=TerminalConfirmer(),
        assume_yes=assume_yes,
        out=lambda line: print(line, file=stream, flush=True),
    )


def state_dir(context: Context) -> Path:
    """Where runs are persisted (the same folder for the CLI and the console)."""
    from console.services.runbook_env import state_dir as runs_folder

    return runs_folder(context)


class TerminalConfirmer:
    """Asks on the terminal: y/N with default No, or typing the model name."""

    def interactive(self) -> bool:
        """A human can answer only when stdin is a terminal."""
        return sys.stdin.isatty()

    def confirm(self, prompt: str, *, require: str | None = None) -> bool:
        """Prompt on stderr (stdout may carry JSON); anything but the expected answer is No."""
        sys.stderr.write(prompt + " ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip()
        if require is not None:
            return answer == require
        return answer.lower() in ("y", "yes")


def _params(pairs: list[str]) -> dict[str, str]:
    """`-p key=value` pairs as a mapping; a malformed pair is a usage error."""
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-p expects KEY=VALUE, not {pair!r}")
        params[key.strip()] = value
    return params


def _runbook(args: argparse.Namespace) -> Runbook:
    """The runbook named (bundled), or the file given with --file or as a path."""
    from runbooks.library import names, path_of
    from runbooks.spec import RunbookError, load_runbook

    target = args.file or args.target
    if not target:
        raise UsageError(f"runbook {args.action} needs a runbook name or --file PATH")
    path = (
        Path(target) if args.file or "/" in target or target.endswith((".yaml", ".yml")) else None
    )
    if path is None:
        path = path_of(target) or _user_runbook(args, target)
        if path is None:
            import difflib

            close = difflib.get_close_matches(target, names(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"no bundled runbook {target!r}{hint}; known: {', '.join(names())}")
    elif not path.is_file():
        raise UsageError(f"{path}: no such runbook file")
    try:
        return load_runbook(path)
    except RunbookError as error:
        raise UsageError(str(error)) from error


def _user_runbook(args: argparse.Namespace, name: str) -> Path | None:
    """A user's or the context's runbook by name (the same lookup as the console's)."""
    from console.services.runbook_catalog import find

    entry = find(_context_or_none(args), name)
    return entry.path if entry is not None else None


def _context_or_none(args: argparse.Namespace) -> Context | None:
    """The context the options name, or None without one (the user's runbooks still count)."""
    from backends.discovery import BackendUnavailable
    from console.config import ConfigError, resolve_context

    try:
        return resolve_context(args)
    except (ConfigError, BackendUnavailable):
        return None


def _list(args: argparse.Namespace) -> int:
    """Every runbook the console lists too (bundled, the user's, the context's), with its source.

    The rows come from `console.services.runbook_catalog.catalog`, the runbooks
    screen's function; a file that does not load is listed with its error.
    """
    from console.services.runbook_catalog import catalog

    rows = []
    for entry in catalog(_context_or_none(args)):
        book = entry.runbook
        row: dict[str, Any] = {
            "name": entry.name,
            "source": entry.origin,
            "path": str(entry.path),
            "risk": book.risk if book is not None else None,
            "description": book.description if book is not None else "",
            "error": entry.error,
        }
        rows.append(row)
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        text = row["description"] if not row["error"] else f"not loaded: {row['error']}"
        where = "" if row["source"] == "bundled" or row["error"] else f"  ({row['path']})"
        print(f"{row['name']:<18} {row['risk'] or 'error':<7} {row['source']:<8} {text}{where}")
    return 0


def _show(args: argparse.Namespace, book: Runbook) -> int:
    """A runbook's description, documentation, parameters and steps."""
    from runbooks.engine.gate import CONFIRMATION

    if args.json:
        emit_json(
            {
                "name": book.name,
                "description": book.description,
                "risk": book.risk,
                "nonprod_only": book.nonprod_only,
                "doc": book.doc,
                "parameters": list(book.parameters.values()),
                "steps": [{"name": s.name, "type": s.type, **s.fields} for s in book.steps],
                "on_failure": [{"name": s.name, "type": s.type} for s in book.on_failure],
            }
        )
        return 0
    print(f"{book.name}: {book.description}")
    print(f"risk: {book.risk} (confirmation: {CONFIRMATION[book.risk]})")
    if book.nonprod_only:
        print("runs only on non-production contexts")
    if book.doc:
        print("\n" + book.doc.rstrip() + "\n")
    print("parameters:")
    for param in book.parameters.values():
        need = "required" if param.required else f"default {param.default!r}"
        print(f"  {param.name:<18} {param.type:<9} {need:<22} {param.description}")
    print("steps:")
    for step in book.steps:
        mark = "changes the live system" if step.mutating else ""
        print(f"  {step.name:<22} {step.type:<12} {mark}".rstrip())
    failure = ", ".join(s.name for s in book.on_failure) or (
        "put back a split this run changed, unless someone changed it since"
    )
    print(f"on failure: {failure}")
    return 0


def _plan(args: argparse.Namespace, runner: Any, book: Runbook) -> int:
    """The dry run: each step and what it would change; exit 1 when a step cannot be planned."""
    lines = runner.plan(book, _params(args.param))
    unplanned = [line.step for line in lines if not line.planned]
    code = 1 if unplanned else 0
    if args.json:
        emit_json(
            {
                "runbook": book.name,
                "context": runner.env.context,
                "steps": lines,
                "planned": not unplanned,
                "exit_code": code,
            }
        )
        return code
    print(f"plan of {book.name} on {runner.env.context} (dry run: nothing changes)")
    for index, line in enumerate(lines, 1):
        mark = "*" if line.mutating else " "
        print(f" {mark}{index:>2}. [{line.step}] {line.text}")
    if runner.env.read_only and any(line.mutating for line in lines):
        print("note: this context is read-only; `run` would be refused")
    if unplanned:
        print(
            f"vigil runbook plan: cannot plan {len(unplanned)} step(s): {', '.join(unplanned)}",
            file=sys.stderr,
        )
    return code


def _runs(args: argparse.Namespace, env: Environment) -> int:
    """Persisted runs, oldest first."""
    from runbooks.engine.state import list_runs

    runs = list_runs(env.state_dir)
    rows = [
        {
            "run_id": r.run_id,
            "runbook": r.runbook,
            "status": r.status,
            "created_at": r.created_at,
            "user": r.user,
            "params": r.params,
            "reason": r.reason,
            "steps": [{"name": s.name, "status": s.status, "message": s.message} for s in r.steps],
        }
        for r in runs
    ]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        print(f"{row['run_id']:<44} {row['status']:<12} {row['reason']}")
    if not rows:
        print(f"no runs in {env.state_dir}")
    return 0
