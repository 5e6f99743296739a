"""The action registry: bindings, `?` help and the command palette are all generated from it.

An action has a stable id (what `keymap.yaml` remaps), a description, default
keys, the scope it is bound in and the Textual action it runs. Every screen's
keys are rows here (drift, slices, latency, timeline, runbooks), so a user
can remap any of them by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding

SCOPES: tuple[str, ...] = (
    "app",
    "screen",
    "overview",
    "model",
    "drift",
    "where",
    "slices",
    "requests",
    "latency",
    "timeline",
    "correlation",
    "details",
    "runbooks",
    "form",
    "run",
    "runs",
    "audit",
    "postmortem",
    "confirm",
    "table",
    "input",
    "command",
    "help",
    "replay",
)
SCOPE_TITLES: Mapping[str, str] = {
    "app": "Everywhere",
    "screen": "Every view",
    "overview": "Overview",
    "model": "Model",
    "drift": "Drift",
    "where": "Where does it drift",
    "slices": "Slices",
    "requests": "Requests of a slice",
    "latency": "Latency",
    "timeline": "Timeline",
    "correlation": "Correlation",
    "details": "Event details",
    "runbooks": "Runbooks",
    "form": "Runbook parameters",
    "run": "Runbook plan and run",
    "runs": "Runs",
    "audit": "Audit log",
    "postmortem": "Postmortem",
    "confirm": "Confirmation",
    "table": "Tables",
    "input": "Command line and filter",
    "command": "Command line",
    "help": "Help",
    "replay": "Replay (vigil --at TIME, :at TIME; keys shown while replaying)",
}


@dataclass(frozen=True)
class Action:
    """One action: id, description, default keys, scope, handler, short footer label (if shown)."""

    id: str
    description: str
    keys: tuple[str, ...]
    scope: str
    handler: str
    footer: str = ""
    palette: bool = True
    priority: bool = False


def _view_key(view: str, key: str, footer: str) -> Action:
    """Open a view of the selected model with one key (from the model screen)."""
    return Action(
        f"model.{view}",
        f"Open the {view} view of this model",
        (key,),
        "model",
        f"open_view('{view}')",
        footer=footer,
    )


def _drift_window(window: str, key: str) -> Action:
    """Switch the drift screen to a fixed window."""
    return Action(
        f"drift.window.{window}",
        f"Drift over the last {window}",
        (key,),
        "drift",
        f"window('{window}')",
        footer="",
    )


def _replay_step(action_id: str, minutes: int, key: str, footer: str) -> Action:
    """Move the replayed instant (every window ends there) by `minutes`; read-only throughout."""
    when = f"{abs(minutes)} minutes" if abs(minutes) < 60 else f"{abs(minutes) // 60} hour"
    direction = "earlier" if minutes < 0 else "later"
    return Action(
        action_id,
        f"Replay: show every view {when} {direction}",
        (key,),
        "replay",
        f"replay_step({minutes})",
        footer=footer,
    )


def _quick(scope: str, action: str, key: str, title: str, footer: str) -> Action:
    """A runbook for the selected model: opens its plan (or form); nothing runs on this key."""
    return Action(
        f"{scope}.{action}",
        f"{title}: plan, confirm, then run the runbook",
        (key,),
        scope,
        f"quick('{action}')",
        footer=footer,
    )


def _quick_actions(scope: str) -> tuple[Action, ...]:
    """The quick actions of the model screen or the overview."""
    return (
        _quick(scope, "rollback", "R", "Roll the selected model back to the champion", "rollback"),
        _quick(scope, "weight", "W", "Set the selected model's canary weight", "weight"),
        _quick(scope, "promote", "P", "Promote the selected model's challenger", "promote"),
        _quick(scope, "retrain", "T", "Retrain the selected model on drift", ""),
    )


ACTIONS: tuple[Action, ...] = (
    Action("quit", "Quit Vigil", ("q",), "app", "quit"),
    Action("help", "Show keys and actions", ("?",), "app", "show_help", footer="help"),
    Action("palette", "Open the command palette", ("ctrl+p",), "app", "command_palette"),
    Action(
        "command",
        "Command line (:drift MODEL 6h COL=VALUE, :model NAME, :overview @CTX, :q)",
        (":",),
        "app",
        "command_line",
        footer="cmd",
    ),
    Action("refresh", "Refresh the visible view now", ("r",), "app", "refresh_view"),
    Action(
        "copy",
        "Copy the selected value to the clipboard (OSC 52: it reaches your laptop over SSH)",
        ("Y",),
        "app",
        "copy_selected",
    ),
    Action("history.back", "Back to the previous view", ("[",), "app", "go_back"),
    Action("history.forward", "Forward to the next view", ("]",), "app", "history_forward"),
    Action(
        "back",
        "Clear the filter, else go back to the previous view",
        ("escape",),
        "screen",
        "back",
        footer="back",
        palette=False,
    ),
    Action(
        "filter",
        "Filter the table (substring, /regex/, ! inverts)",
        ("/",),
        "screen",
        "filter",
        footer="filter",
    ),
    Action("pause", "Pause or resume this view's refresh", ("p",), "screen", "pause"),
    Action(
        "overview.open",
        "Open the selected model",
        ("enter",),
        "overview",
        "open_selected",
        footer="open",
        palette=False,
    ),
    Action(
        "overview.drift",
        "Open the drift view of the selected model",
        ("d",),
        "overview",
        "open_view('drift')",
        footer="drift",
    ),
    _view_key("drift", "d", "drift"),
    _view_key("slices", "s", "slices"),
    _view_key("latency", "l", "latency"),
    _view_key("timeline", "t", "timeline"),
    _view_key("correlation", "c", "corr"),
    _drift_window("1h", "1"),
    _drift_window("6h", "2"),
    _drift_window("24h", "3"),
    _drift_window("7d", "4"),
    Action(
        "drift.range",
        "Type a window or START..END range",
        ("w",),
        "drift",
        "ask('window')",
        footer="window",
    ),
    Action(
        "drift.mode",
        "Switch mode: quantile / evidently / buckets (a prometheus context)",
        ("m",),
        "drift",
        "cycle('mode')",
        footer="mode",
    ),
    Action(
        "drift.profile", "Switch profile: strict / classic", ("f",), "drift", "cycle('profile')"
    ),
    Action(
        "drift.reference",
        "Compare against: training reference / the previous window",
        ("b",),
        "drift",
        "cycle('reference')",
        footer="ref",
    ),
    Action(
        "drift.slice",
        "Drift inside a slice: type COL=VALUE predicates",
        ("e",),
        "drift",
        "ask('slice')",
        footer="slice",
    ),
    Action(
        "drift.where",
        "Where does it drift: segment × feature pairs by PSI",
        ("x",),
        "drift",
        "open_where",
        footer="where",
    ),
    Action(
        "drift.open",
        "Open the distribution of the selected feature",
        ("enter",),
        "drift",
        "open_selected",
        footer="bins",
        palette=False,
    ),
    Action(
        "where.open",
        "Drift inside the selected segment",
        ("enter",),
        "where",
        "open_segment",
        palette=False,
    ),
    Action(
        "slices.metric",
        "Rank by the next metric: accuracy, error rate, mean score, latency of a stage",
        ("m",),
        "slices",
        "cycle_metric",
        footer="metric",
    ),
    Action(
        "slices.baseline",
        "Compare against the previous window of the same length, or not",
        ("b",),
        "slices",
        "toggle_baseline",
        footer="baseline",
    ),
    Action("slices.window", "Type a window: 6h, 3d or START..END", ("w",), "slices", "ask_window"),
    Action(
        "slices.open",
        "Open the logged requests of the selected slice",
        ("enter",),
        "slices",
        "open_selected",
        palette=False,
    ),
    Action(
        "slices.drift",
        "Drift inside the selected slice",
        ("d",),
        "slices",
        "drift_in_slice",
        footer="drift in slice",
    ),
    Action(
        "requests.drift",
        "Drift inside this slice",
        ("d",),
        "requests",
        "drift_in_slice",
        footer="drift in slice",
    ),
    Action(
        "requests.features",
        "Online features of the selected request's entity (a context with a feature store)",
        ("f",),
        "requests",
        "online_features",
        footer="features",
    ),
    Action(
        "latency.whatif",
        "What if a stage were faster (Amdahl): type STAGE SPEEDUP",
        ("a",),
        "latency",
        "ask_what_if",
        footer="what-if",
    ),
    Action(
        "latency.window", "Type a window: 1h, 6h or START..END", ("w",), "latency", "ask_window"
    ),
    Action(
        "timeline.order",
        "Newest or oldest first",
        ("o",),
        "timeline",
        "toggle_order",
        footer="order",
    ),
    Action(
        "timeline.layer",
        "Show one layer: infrastructure, data, model, business, or all",
        ("l",),
        "timeline",
        "cycle_layer",
        footer="layer",
    ),
    Action(
        "timeline.kind",
        "Show one kind of event (deploy, alert, drop, ...), or all",
        ("K",),
        "timeline",
        "cycle_kind",
        footer="kind",
    ),
    Action(
        "timeline.open",
        "Details of the selected event",
        ("enter",),
        "timeline",
        "open_selected",
        palette=False,
    ),
    *_quick_actions("overview"),
    *_quick_actions("model"),
    Action(
        "timeline.note",
        "Put a note on this model's timeline (an audited annotate step)",
        ("n",),
        "timeline",
        "note",
        footer="note",
    ),
    Action(
        "runbooks.open",
        "Fill in the selected runbook's parameters, then plan it",
        ("enter",),
        "runbooks",
        "open_selected",
        footer="open",
        palette=False,
    ),
    Action(
        "form.cancel", "Leave the form (nothing runs)", ("escape",), "form", "cancel", footer="back"
    ),
    Action(
        "run.start",
        "Run the planned runbook (the gate asks the confirmation its risk sets)",
        ("enter",),
        "run",
        "start",
        footer="run",
    ),
    Action(
        "run.abort",
        "Abort the run: stop at the next checkpoint and run its on_failure steps",
        ("X",),
        "run",
        "abort",
        footer="abort",
    ),
    Action("run.back", "Back (not while a run goes)", ("escape",), "run", "back", footer="back"),
    Action(
        "runs.resume",
        "Resume the selected unfinished run (plan, gate, confirmation)",
        ("u",),
        "runs",
        "resume_run",
        footer="resume",
    ),
    Action(
        "runs.revert",
        "Revert the selected run: put back what it changed (plan, gate, confirmation)",
        ("v",),
        "runs",
        "revert_run",
        footer="revert",
    ),
    Action(
        "audit.filter",
        "Filter the audit log: model=, runbook=, user=, outcome= (empty clears)",
        ("f",),
        "audit",
        "ask_filter",
        footer="filter by",
    ),
    Action(
        "postmortem.write",
        "Write the postmortem's Markdown to a file",
        ("w",),
        "postmortem",
        "ask_write",
        footer="write",
    ),
    Action("confirm.yes", "Confirm (y/N questions only)", ("y",), "confirm", "confirm_yes"),
    Action("confirm.no", "Do not confirm", ("n", "escape"), "confirm", "confirm_no"),
    Action(
        "details.close",
        "Close the event's details",
        ("escape", "enter", "q"),
        "details",
        "close",
        palette=False,
    ),
    Action("row.page_down", "Next page", ("pagedown",), "table", "page_down", palette=False),
    Action("row.page_up", "Previous page", ("pageup",), "table", "page_up", palette=False),
    Action("row.down", "Next row", ("j", "down"), "table", "cursor_down", palette=False),
    Action("row.up", "Previous row", ("k", "up"), "table", "cursor_up", palette=False),
    Action("row.top", "First row", ("g", "ctrl+home"), "table", "scroll_top", palette=False),
    Action("row.bottom", "Last row", ("G", "ctrl+end"), "table", "scroll_bottom", palette=False),
    Action(
        "row.select",
        "Select the row under the cursor",
        ("enter",),
        "table",
        "select_cursor",
        palette=False,
    ),
    Action(
        "input.cancel",
        "Close the command line or filter",
        ("escape",),
        "input",
        "cancel",
        palette=False,
    ),
    Action(
        "input.complete",
        "Complete a view, model, context or window name",
        ("tab",),
        "command",
        "complete",
        palette=False,
        priority=True,
    ),
    Action("help.close", "Close help", ("escape", "q", "?"), "help", "close", palette=False),
    _replay_step("replay.back", -5, "comma", "-5m"),
    _replay_step("replay.forward", 5, "full_stop", "+5m"),
    _replay_step("replay.back_hour", -60, "less_than_sign", ""),
    _replay_step("replay.forward_hour", 60, "greater_than_sign", ""),
    Action(
        "replay.leave",
        "Leave the replay: every view live again (as :at now)",
        ("N",),
        "replay",
        "replay_leave",
        footer="live",
    ),
)

BY_ID: Mapping[str, Action] = {action.id: action for action in ACTIONS}


def in_scope(scope: str) -> tuple[Action, ...]:
    """The actions bound in one scope, in registry order."""
    return tuple(action for action in ACTIONS if action.scope == scope)


def bindings_for(scope: str) -> list[Binding]:
    """Textual bindings for a scope, each with the action id so a keymap can remap it."""
    return [
        Binding(
            ",".join(action.keys),
            action.handler,
            action.footer or action.description,
            show=bool(action.footer),
            tooltip=action.description,
            id=action.id,
            priority=action.priority,
        )
        for action in in_scope(scope)
    ]


def effective_keys(action: Action, keymap: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The keys an action answers to once the user's keymap is applied."""
    return keymap.get(action.id, action.keys)


def textual_keymap(keymap: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """The user's overrides in the form `App.set_keymap` takes (id → comma-separated keys)."""
    return {action_id: ",".join(keys) for action_id, keys in keymap.items()}


def keys_label(keys: Iterable[str]) -> str:
    """Several keys joined for the help screen: `j / down`."""
    return " / ".join(keys)
