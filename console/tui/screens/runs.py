"""The runs view (`:runs`): past and interrupted runbook runs, with resume and revert.

The runs are the state files `vigil runbook runs` lists (the same folder,
`console.services.runbook_env.state_dir`), newest first. `u` resumes an
unfinished run, `v` reverts one that changed something: each opens the run
screen, where the gate asks the confirmation the runbook's risk sets, as
`vigil runbook resume|revert` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from console.tui.actions import bindings_for
from console.tui.screens.base import DataScreen
from console.tui.settings import Settings
from console.tui.views import ViewArgs
from console.tui.widgets.table import VigilTable

if TYPE_CHECKING:
    from runbooks.engine.state import RunState

COLUMNS = ("STARTED (UTC)", "RUNBOOK", "STATUS", "MODEL", "BY", "RUN ID")
RESUMABLE = ("running", "interrupted", "paused")


class RunsLoaded(Message):
    """The persisted runs were read."""

    def __init__(self, runs: list[RunState], error: str = "") -> None:
        """Carry the runs, newest first."""
        super().__init__()
        self.runs = runs
        self.error = error


def can_resume(run: RunState) -> bool:
    """An unfinished run resumes (the engine refuses one whose process still runs)."""
    return run.status in RESUMABLE


def can_revert(run: RunState) -> bool:
    """A run that got past the gate has a snapshot to go back to."""
    return run.status != "refused" and bool(run.snapshot)


def run_details(run: RunState) -> str:
    """A run's parameters, its steps and failure steps, and why it ended."""
    params = " ".join(f"{k}={v}" for k, v in run.params.items())
    lines = [f"{run.run_id} · {run.status}: {run.reason}", f"parameters: {params or '-'}"]
    for record in run.steps + run.failure_steps:
        took = f" {record.duration_s:.2f} s" if record.duration_s is not None else ""
        lines.append(f"  [{record.name}] {record.status}{took} {record.message}".rstrip())
    lines.extend(f"  ! {line}" for line in run.divergence)
    return "\n".join(lines)


class RunsScreen(DataScreen):
    """Persisted runs, newest first; `u` resume, `v` revert (through the gate)."""

    SCOPE = "runs"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["run.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [*bindings_for("runs")]
    AUTO_FOCUS = "#runs"

    def __init__(self, settings: Settings, args: ViewArgs) -> None:
        """The runs of the context (of one model with `args.model`)."""
        crumbs = ("vigil", settings.context_name, "runs")
        super().__init__(settings, crumbs + ((args.model,) if args.model else ()), args)
        self.runs: list[RunState] = []
        self.error = ""

    def compose_body(self) -> Iterable[Widget]:
        """The table of runs and the selected run's steps."""
        table = VigilTable(id="runs", cursor_type="row", empty_text="reading runs…")
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="run-detail", markup=False)

    def load(self) -> RunsLoaded:
        """Read the state files (in a worker thread)."""
        from console.services.runbook_env import state_dir
        from console.services.runbook_session import is_context
        from runbooks.engine.state import list_runs

        if not is_context(self.settings.source):
            return RunsLoaded([], "runs need a configured context")
        context: Any = self.settings.source
        runs = list(reversed(list_runs(state_dir(context))))
        if self.view_args.model:
            runs = [r for r in runs if r.params.get("model") == self.view_args.model]
        at = self.settings.replay_at
        if at is not None:  # a replay lists the runs started by the instant
            runs = [r for r in runs if started_by(r.created_at, at)]
        return RunsLoaded(runs)

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        """Keep the runs and redraw."""
        self.runs, self.error = message.runs, message.error
        self.loaded_at = self.settings.clock()
        self.render_view()

    def render_view(self) -> None:
        """The one place the table and the detail change."""
        rows = [
            (
                run.run_id,
                (
                    run.created_at[:19].replace("T", " "),
                    run.runbook,
                    run.status,
                    str(run.params.get("model", "-")),
                    f"{run.user}@{run.host}",
                    run.run_id,
                ),
            )
            for run in self.runs
        ]
        empty = f"✗ {self.error}" if self.error else "no run yet"
        self.query_one("#runs", VigilTable).show_rows(rows, empty)
        self.render_filter()
        self.render_detail()
        self.render_status()
        self.refresh_bindings()

    def selected(self) -> RunState | None:
        """The run under the cursor."""
        key = self.query_one("#runs", VigilTable).selected_key()
        return next((run for run in self.runs if run.run_id == key), None)

    def render_detail(self) -> None:
        """The selected run's steps."""
        run = self.selected()
        self.query_one("#run-detail", Static).update(run_details(run) if run else "")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor with the detail, and offer only what the run allows."""
        self.render_detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resume only an unfinished run, revert only one that changed something."""
        run = self.selected() if self.is_mounted else None
        if action == "resume_run":
            return run is not None and can_resume(run)
        if action == "revert_run":
            return run is not None and can_revert(run)
        return super().check_action(action, parameters)

    def action_resume_run(self) -> None:
        """Open the run screen to resume the selected run."""
        self._open("resume")

    def action_revert_run(self) -> None:
        """Open the run screen to revert the selected run."""
        self._open("revert")

    def _open(self, verb: str) -> None:
        """The run screen for `verb` on the selected run (the gate asks there)."""
        from console.tui.screens.run import RunScreen
        from runbooks.spec import RunbookError, load_runbook_text

        run = self.selected()
        if run is None:
            return
        try:
            book = load_runbook_text(run.text, run.source)
        except RunbookError as error:
            self.notify(f"the run's runbook no longer loads: {error}", severity="error")
            return
        self.app.push_screen(
            RunScreen(self.settings, book, run.params, verb=verb, run_id=run.run_id)
        )

    def on_screen_resume(self) -> None:
        """Back from a run screen: read the runs again (DataScreen's own handler runs too)."""
        if self.loaded_at is not None:
            self.refresh_data()

    def status_text(self, now: datetime) -> str:
        """How many runs, and how many are unfinished."""
        if self.loaded_at is None:
            return "reading runs…"
        open_runs = sum(can_resume(run) for run in self.runs)
        return f"{len(self.runs)} run(s)" + (f" · {open_runs} unfinished" if open_runs else "")


def started_by(created_at: str, at: datetime) -> bool:
    """Whether a run was created by the instant (one without a readable time is kept)."""
    try:
        return datetime.fromisoformat(created_at) <= at
    except (TypeError, ValueError):
        return True
