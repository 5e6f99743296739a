"""A runbook on screen: the plan (a dry run), the gate's confirmation, then the run as it goes.

The plan is `Runner.plan` against the live system, the run is `Runner.run`
(or `resume` / `revert`) in a thread worker, exactly as `vigil runbook`
does: the same gate, confirmation by risk (a modal here), audit and state
files. The worker only posts messages; the engine's progress lines stream
into the log as they happen. The abort key asks the engine to stop at its
next checkpoint (mid-wait too) and run the on_failure steps; closing the
console interrupts the run, which stays `interrupted` and resumable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static

from console.tui.actions import bindings_for
from console.tui.settings import Settings
from console.tui.widgets.breadcrumbs import Breadcrumbs, runbook_crumbs
from console.tui.widgets.confirm import ModalConfirmer

if TYPE_CHECKING:
    from console.services.runbook_session import RunReport
    from runbooks.engine import Environment, PlanLine, RunControl
    from runbooks.spec import Runbook

VERBS = ("run", "resume", "revert")


def plan_text(lines: list[PlanLine], error: str = "") -> str:
    """The plan as `vigil runbook plan` prints it: `*` marks a step that changes the live system."""
    if error:
        return f"cannot plan: {error}"
    if not lines:
        return "no step"
    shown = [
        f"{'*' if line.mutating else ' '}{index:>2}. [{line.step}] {line.text}"
        for index, line in enumerate(lines, 1)
    ]
    return "\n".join(["plan (* changes the live system):", *shown])


class PlanReady(Message):
    """The dry run ended: its lines, or why it could not be made."""

    def __init__(self, lines: list[PlanLine], error: str = "") -> None:
        """Carry the plan (or the error) to the screen."""
        super().__init__()
        self.lines = lines
        self.error = error


class RunLine(Message):
    """One progress line of the engine, as it happens."""

    def __init__(self, text: str) -> None:
        """Carry the line."""
        super().__init__()
        self.text = text


class RunEnded(Message):
    """The run ended (or was refused): the engine's result, read back with the live state."""

    def __init__(self, report: RunReport) -> None:
        """Carry the report."""
        super().__init__()
        self.report = report


class RunScreen(Screen[None]):
    """Plan → confirm → run → what changed live, for one runbook (or one run to resume/revert)."""

    SCOPE = "run"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["run.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("run")]
    AUTO_FOCUS = "#run-body"

    def __init__(
        self,
        settings: Settings,
        runbook: Runbook,
        given: Mapping[str, Any],
        *,
        verb: str = "run",
        run_id: str = "",
    ) -> None:
        """A run of `runbook` with the parameters `given` (or `verb` resume/revert of `run_id`)."""
        super().__init__()
        assert verb in VERBS, verb
        self.settings = settings
        self.runbook = runbook
        self.given = dict(given)
        self.verb = verb
        self.run_id = run_id
        self.phase = "planning"
        self.lines: list[PlanLine] = []
        self.report: RunReport | None = None
        self.control: RunControl | None = None
        self.confirmer: ModalConfirmer | None = None

    @property
    def context(self) -> Any:
        """The resolved context the screen acts in."""
        return self.settings.source

    def compose(self) -> ComposeResult:
        """Head, plan table, the run's log and its summary, then the footer."""
        target = self.run_id or " ".join(f"{k}={v}" for k, v in self.given.items())
        context, name = self.settings.context_name, self.runbook.name
        yield Breadcrumbs(runbook_crumbs(context, name, self.given))
        if self.settings.replaying:
            from console.tui.replay.banner import ReplayBanner

            yield ReplayBanner(self.settings)
        with VerticalScroll(id="run-body"):
            yield Static(self._head(target), id="run-head", markup=False)
            yield Static("", id="run-note", markup=False)
            planning = f"planning (a dry run against {self._against()})…"
            yield Static(planning, id="plan", markup=False)
            log = RichLog(id="run-log", max_lines=2000, wrap=True, markup=False)
            log.can_focus = False
            yield log
            yield Static("", id="run-summary", markup=False)
        yield Footer(show_command_palette=False, compact=True)

    def _head(self, target: str) -> str:
        """What, where, the risk and the confirmation it asks for."""
        from runbooks.engine.gate import CONFIRMATION

        what = f"{self.verb} {self.runbook.name}" + (f" {target}" if target else "")
        risk = self.runbook.risk
        where = self.settings.context_name
        return f"{what} · context {where} · risk {risk}, confirmation {CONFIRMATION[risk]}"

    def _against(self) -> str:
        """What the dry run reads: the live system, or the recorded one at the replayed instant."""
        if self.settings.replay_at is None:
            return "the live system"
        from console.services.clock import iso_minute

        return f"the system as recorded at {iso_minute(self.settings.replay_at)}"

    def on_mount(self) -> None:
        """Start the dry run."""
        self.query_one("#run-log", RichLog).display = False
        self._note()
        self.run_worker(self._plan, thread=True, group="plan", exit_on_error=False)

    def _note(self) -> None:
        """The line under the head: read-only, or what the keys do now."""
        note = self.query_one("#run-note", Static)
        mutating = any(s.mutating for s in self.runbook.all_steps()) or self.verb == "revert"
        if self.context.read_only and mutating:
            why = str(getattr(self.context, "read_only_reason", "")) or "read-only context"
            note.update(
                f"{why}: this plan is a dry run; {self.verb} would be refused by "
                "the gate (nothing changes)"
            )
        elif self.phase == "planned":
            note.update(f"dry run: nothing changed yet · Enter to {self.verb} · Escape back")
        elif self.phase == "running":
            note.update("running · X aborts (the on_failure steps run)")
        else:
            note.update("")

    # --- the workers ----------------------------------------------------------

    def _environment(self, *, quiet: bool) -> Environment:
        """The engine's Environment, built the way the CLI builds it (only the human differs)."""
        from console.services.runbook_env import runbook_environment
        from runbooks.engine import RunControl
        from runbooks.engine.environment import NoHuman

        if quiet:
            return runbook_environment(
                self.context, confirmer=NoHuman(), out=lambda line: None, clock=self.settings.clock
            )
        self.control = control = RunControl()
        self.confirmer = ModalConfirmer(self.app, lambda: bool(control.requested))
        return runbook_environment(
            self.context,
            confirmer=self.confirmer,
            out=self._post_line,
            sleep=control.sleep,
            checkpoint=control.checkpoint,
            clock=self.settings.clock,
        )

    def _post_line(self, line: str) -> None:
        """The engine's progress sink (called on the run's thread)."""
        self.post_message(RunLine(line))

    def _plan(self) -> None:
        """Worker: the dry run (a resume or revert shows the persisted steps instead)."""
        from backends.contracts import BackendError, NotFoundError
        from runbooks.engine import PlanLine, Runner
        from runbooks.engine.environment import ParameterError
        from runbooks.engine.state import load

        env = self._environment(quiet=True)
        try:
            if self.verb != "run":
                state = load(env.state_dir, self.run_id)
                steps = state.steps + state.failure_steps
                lines = [
                    PlanLine(r.name, r.type, f"{r.status}: {r.message}".rstrip(": "), False)
                    for r in steps
                ]
                if self.verb == "revert":
                    snap = ", ".join(sorted(state.snapshot.get("weights", {}))) or "nothing"
                    text = f"put back the weights and aliases of {snap} from before the run"
                    lines.append(PlanLine("revert", "set_weights", text, True))
                self.post_message(PlanReady(lines))
                return
            self.post_message(PlanReady(Runner(env).plan(self.runbook, self.given)))
        except (ParameterError, NotFoundError, BackendError, OSError, ValueError) as error:
            self.post_message(PlanReady([], str(error)))

    def _run(self) -> None:
        """Worker: the run through the engine; its end is read back with the live state."""
        from backends.contracts import BackendError, NotFoundError
        from console.services.runbook_session import RunReport, report
        from runbooks.engine import RunbookRefused, Runner
        from runbooks.engine.environment import ParameterError

        env = self._environment(quiet=False)
        runner = Runner(env)
        try:
            if self.verb == "run":
                result = runner.run(self.runbook, self.given)
            elif self.verb == "resume":
                result = runner.resume(self.run_id)
            else:
                result = runner.revert(self.run_id)
        except KeyboardInterrupt:
            self.post_message(RunEnded(RunReport("", "interrupted", "the console closed")))
            return
        except (ParameterError, NotFoundError, RunbookRefused) as error:
            self.post_message(RunEnded(RunReport(self.run_id, "refused", str(error))))
            return
        except BackendError as error:
            self.post_message(RunEnded(RunReport(self.run_id, "failed", f"backend: {error}")))
            return
        self.post_message(RunEnded(report(env, result.run_id, result.status, result.reason)))

    # --- messages: the one place widgets change -------------------------------

    def on_plan_ready(self, message: PlanReady) -> None:
        """Show the plan; a step that cannot be planned keeps the run from starting."""
        self.lines = message.lines
        self.query_one("#plan", Static).update(plan_text(message.lines, message.error))
        unplanned = [line.step for line in message.lines if not line.planned]
        if message.error or unplanned:
            self.phase = "plan-failed"
            what = message.error or f"cannot plan step(s) {', '.join(unplanned)}"
            self.query_one("#run-note", Static).update(f"✗ {what}; nothing changed")
        else:
            self.phase = "planned"
            self._note()
        self.refresh_bindings()

    def on_run_line(self, message: RunLine) -> None:
        """Append one engine line to the log."""
        self.query_one("#run-log", RichLog).write(message.text)

    def on_run_ended(self, message: RunEnded) -> None:
        """Say how it ended, what changed live and where live differs from what the run set."""
        self.phase = "ended"
        self.report = report = message.report
        lines = [
            f"{report.status}: {report.reason}"
            + (f" (run {report.run_id})" if report.run_id else "")
        ]
        if report.live:
            lines += ["live now:", *(f"  {line}" for line in report.live)]
        if report.differs:
            lines += ["live differs from the desired state:", *(f"  ! {d}" for d in report.differs)]
        elif report.live:
            lines.append("live matches what the run set")
        log = self.query_one("#run-log", RichLog)
        log.display = bool(log.lines)  # a refusal before any step leaves no empty box
        summary = self.query_one("#run-summary", Static)
        summary.update("\n".join(lines))
        summary.set_class(report.status not in ("succeeded", "finished", "reverted"), "bad")
        self._note()
        self.query_one("#run-note", Static).update("ended · Escape back")
        self.refresh_bindings()
        self.query_one("#run-body", VerticalScroll).scroll_end(animate=False)

    # --- keys -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Start only once planned, abort only while running, leave only when not running."""
        if action == "start":
            return self.phase == "planned"
        if action == "abort":
            return self.phase == "running"
        if action == "back":
            return self.phase != "running"
        return True

    def action_start(self) -> None:
        """Hand the run to the engine in a worker (the gate asks for the confirmation)."""
        if self.phase != "planned":
            return
        self.phase = "running"
        self.query_one("#run-log", RichLog).display = True
        self._note()
        self.refresh_bindings()
        self.run_worker(self._run, thread=True, group="run", exit_on_error=False)

    def action_abort(self) -> None:
        """Ask the engine to stop at its next checkpoint and run the on_failure steps."""
        if self.phase == "running" and self.control is not None:
            user = "the console's abort key"
            self.control.abort(user)
            self.query_one("#run-log", RichLog).write(f"abort requested ({user})")

    def action_back(self) -> None:
        """Leave the screen (never while a run is in progress: abort it first)."""
        if self.phase == "running":
            self.notify("a run is in progress: X aborts it", title=self.runbook.name)
            return
        self.app.pop_screen()

    def interrupt(self, reason: str) -> None:
        """The console is closing: a run in progress stops as `interrupted` (resumable)."""
        if self.phase == "running" and self.control is not None:
            self.control.interrupt(reason)

    def on_unmount(self) -> None:
        """Leaving for good (the app quits): interrupt a run still going."""
        self.interrupt("the console closed")

    def on_worker_state_changed(self, event: Any) -> None:
        """A worker that raised unexpectedly: say so instead of hanging in its phase."""
        from textual.worker import WorkerState

        if event.state != WorkerState.ERROR:
            return
        from console.services.reading import describe_error
        from console.services.runbook_session import RunReport

        why = describe_error(event.worker.error)
        if event.worker.group == "plan":
            self.post_message(PlanReady([], why))
        elif event.worker.group == "run":
            self.post_message(RunEnded(RunReport(self.run_id, "failed", why)))
