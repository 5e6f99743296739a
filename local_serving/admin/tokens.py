"""Admin bearer tokens: from --token-file, $VIGIL_ADMIN_TOKEN, or a created workspace file.

A token file holds one token a line, `name:token` or a bare token (named after the
file). The name is who an audited change is attributed to; a token is never logged.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ENV = "VIGIL_ADMIN_TOKEN"
WORKSPACE_TOKEN = "admin.token"


class TokenError(Exception):
    """No usable admin token: the message says where one was looked for."""


@dataclass(frozen=True)
class Tokens:
    """Accepted tokens by name, and the file a client can read one from."""

    names: tuple[tuple[str, str], ...]
    file: Path | None

    def who(self, authorization: str | None) -> str | None:
        """The token name for an `Authorization: Bearer ...` header, or None."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        offered = authorization[7:].strip().encode()
        found = None
        for name, token in self.names:
            if hmac.compare_digest(offered, token.encode()):
                found = name
        return found


def parse_token_lines(text: str, default_name: str) -> tuple[tuple[str, str], ...]:
    """`name:token` or bare-token lines; blank lines and `#` comments are skipped."""
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, token = line.partition(":")
        pairs.append((name.strip(), token.strip()) if sep else (default_name, line))
    return tuple((name, token) for name, token in pairs if token)


def read_token_file(path: Path) -> tuple[tuple[str, str], ...]:
    """The tokens of a file; an unreadable or empty file is a TokenError."""
    try:
        text = path.read_text()
    except OSError as error:
        raise TokenError(f"cannot read token file {path}: {error.strerror}") from error
    pairs = parse_token_lines(text, path.stem)
    if not pairs:
        raise TokenError(f"token file {path} holds no token")
    return pairs


def resolve_tokens(token_file: Path | None, workspace: Path | None) -> Tokens:
    """The tokens to accept, by precedence: file, environment, workspace file (created)."""
    if token_file is not None:
        return Tokens(read_token_file(token_file), token_file)
    env = os.environ.get(ENV, "").strip()
    if env:
        return Tokens(parse_token_lines(env, "env"), None)
    if workspace is None:
        raise TokenError(f"no admin token: give --token-file or set ${ENV}")
    path = workspace / WORKSPACE_TOKEN
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"workspace:{secrets.token_urlsafe(32)}\n")
    return Tokens(read_token_file(path), path)
