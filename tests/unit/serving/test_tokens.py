"""Admin tokens: file, environment, a created workspace file (0600), and who is calling."""

from __future__ import annotations

import stat

import pytest

from local_serving.admin.tokens import TokenError, resolve_tokens


def _private(path, text):
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_token_file_lines_name_their_tokens(tmp_path):
    path = _private(tmp_path / "ops.tokens", "# on-call\nalice:tok-a\n\nbob:tok:with:colons\n")
    tokens = resolve_tokens(path, None)
    assert tokens.who("Bearer tok-a") == "alice"
    assert tokens.who("Bearer tok:with:colons") == "bob"
    assert tokens.who("Bearer with:colons") is None
    assert tokens.who("Bearer tok-b") is None
    assert tokens.who("tok-a") is None
    assert tokens.who(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alice:ok\nbare-token\n", "line 2: expected `name:token`"),
        ("a b:tok\n", "line 1: expected `name:token`"),
        ("alice:tok en\n", "visible ASCII without spaces"),
        ("alice:\n", "visible ASCII"),
        ("alice:tök\n", "visible ASCII"),
    ],
)
def test_a_line_that_is_not_name_colon_token_is_refused(tmp_path, text, message):
    path = _private(tmp_path / "ops.tokens", text)
    with pytest.raises(TokenError, match=message):
        resolve_tokens(path, None)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660])
def test_a_token_file_open_to_group_or_others_is_refused(tmp_path, mode):
    path = _private(tmp_path / "ops.tokens", "alice:tok-a\n")
    path.chmod(mode)
    with pytest.raises(TokenError, match=f"open to group or others \\(mode {mode:04o}\\)"):
        resolve_tokens(path, None)
    path.chmod(0o400)
    assert resolve_tokens(path, None).who("Bearer tok-a") == "alice"


def test_a_shared_workspace_token_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.delenv("VIGIL_ADMIN_TOKEN", raising=False)
    resolve_tokens(None, tmp_path)
    (tmp_path / "admin.token").chmod(0o644)
    with pytest.raises(TokenError, match="chmod 600"):
        resolve_tokens(None, tmp_path)


def test_environment_token_when_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIL_ADMIN_TOKEN", "from:env")
    tokens = resolve_tokens(None, tmp_path)
    assert tokens.who("Bearer from:env") == "env" and tokens.file is None
    assert tokens.who("Bearer env") is None
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
    empty = _private(tmp_path / "empty", "# nothing\n")
    with pytest.raises(TokenError, match="holds no token"):
        resolve_tokens(empty, None)
    monkeypatch.delenv("VIGIL_ADMIN_TOKEN", raising=False)
    with pytest.raises(TokenError, match="no admin token"):
        resolve_tokens(None, None)
