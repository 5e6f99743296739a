"""Snapshots of the overview and model screens on a deterministic backend and a fixed clock."""

from __future__ import annotations

from tests.tui.helpers import make_app, settle


def test_overview_snapshot(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=settle)


def test_model_snapshot(snap_compare) -> None:
    async def open_fraud(pilot) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_fraud)
