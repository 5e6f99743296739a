"""The console offers an action only where the serving backend can do it, on the real servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.backends.contexts import install_context
from tests.integration.backends.servers import Server

pytestmark = pytest.mark.integration


def _states(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serving: dict) -> dict:
    """The quick actions' states of a context whose serving role is `serving`."""
    from console.config import config_home, load_config
    from console.services.runbook_session import action_states

    install_context(tmp_path, monkeypatch, "caps", {"serving": serving})
    context = load_config(config_home() / "config.yaml")["contexts"]["caps"]
    return action_states(context)


def test_torchserve_offers_rollback_but_no_weights(
    torchserve_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = _states(
        tmp_path, monkeypatch, {"type": "torchserve", "management_url": torchserve_server.url}
    )
    assert states["rollback"].offered
    assert states["promote"].offered, "promote = load, then make it the default version"
    assert not states["weight"].offered
    assert states["weight"].disabled == "the serving backend cannot (needs SupportsTrafficSplit)"


def test_a_foreign_v2_server_offers_no_change(
    mlserver_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIL_ADMIN_TOKEN", "a-token-mlserver-does-not-know")
    states = _states(tmp_path, monkeypatch, {"type": "kserve_v2", "url": mlserver_server.url})
    for action in ("rollback", "weight", "promote"):
        assert not states[action].offered, action
