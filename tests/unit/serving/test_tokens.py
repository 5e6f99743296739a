"""Admin tokens: file, environment, a created workspace file (0600), and who is calling."""

from __future__ import annotations

import stat

import pytest

from local_serving.admin.tokens import TokenError, resolve_tokens


def test_token_file_lines_name_their_tokens(tmp_path):
    path = tmp_path / "ops.tokens"
    path.write_text("# on-call\nalice:tok-a\n\nbare-token\n")
    tokens = resolve_tokens(path, None)
    assert tokens.who("Bearer tok-a") == "alice"
    assert tokens.who("Bearer bare-token") == "ops"
    assert tokens.who("Bearer tok-b") is None
    assert tokens.who("tok-a") is None
    assert tokens.who(None) is None


def test_environment_token_when_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIL_ADMIN_TOKEN", "from-env")
    tokens = resolve_tokens(None, tmp_path)
    assert tokens.who("Bearer from-env") == "env" and tokens.file is None
    assert not (tmp_path / "admin.token").exists()


def test_workspace_token_is_created_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("VIGIL_ADMIN_TOKEN", raising=False)
    first = resolve_tokens(None, tmp_path)
    path = tmp_path / "admin.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text().strip().partition(":")[2]
    assert len(secret) >= 32 and first.who(f"Bearer {secret}") == "workspace"
    assert resolve_tokens(None, tmp_path).names == first.names


def test_missing_or_empty_token_file_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(TokenError, match="cannot read token file"):
        resolve_tokens(tmp_path / "absent", None)
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n")
    with pytest.raises(TokenError, match="holds no token"):
        resolve_tokens(empty, None)
    monkeypatch.delenv("VIGIL_ADMIN_TOKEN", raising=False)
    with pytest.raises(TokenError, match="no admin token"):
        resolve_tokens(None, None)
