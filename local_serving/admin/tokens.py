"""Admin bearer tokens: from --token-file, $VIGIL_ADMIN_TOKEN, or a created workspace file.

A token file holds one `name:token` a line. The name (letters, digits, `_.@-`) ends
at the first `:` and is required, so a token may itself contain `:` and is never
mistaken for a name; a token is visible ASCII without spaces. $VIGIL_ADMIN_TOKEN is
one whole token, named `env`. A token file readable or writable by group or others is
refused, as ssh refuses such a key. The name is who an audited change is attributed
to; a token is never logged.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

ENV = "VIGIL_ADMIN_TOKEN"
WORKSPACE_TOKEN = "admin.token"
NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")


class TokenError(Exception):
    """No usable admin token: the message says where one was looked for and what is wrong."""


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


def parse_token_lines(text: str, source: str) -> tuple[tuple[str, str], ...]:
    """`name:token` lines; blank lines and `#` comments are skipped; anything else is refused."""
    pairs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, token = line.partition(":")
        if not sep or not NAME.fullmatch(name):
            raise TokenError(
                f"{source} line {number}: expected `name:token` (a name of letters, digits "
                "or _.@- before the first ':'); a bare token is not accepted"
            )
        if not TOKEN.fullmatch(token):
            raise TokenError(
                f"{source} line {number}: the token of {name!r} must be visible ASCII "
                "without spaces"
            )
        pairs.append((name, token))
    return tuple(pairs)


def read_token_file(path: Path) -> tuple[tuple[str, str], ...]:
    """The tokens of a private file; unreadable, shared or empty is a TokenError."""
    try:
        with path.open("rb") as handle:
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            if mode & 0o077:
                raise TokenError(
                    f"token file {path} is open to group or others (mode {mode:04o}): "
                    f"run `chmod 600 {path}`"
                )
            data = handle.read()
    except OSError as error:
        raise TokenError(f"cannot read token file {path}: {error.strerror}") from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenError(f"token file {path} is not UTF-8 text") from None
    pairs = parse_token_lines(text, f"token file {path}")
    if not pairs:
        raise TokenError(f"token file {path} holds no token")
    return pairs


def resolve_tokens(token_file: Path | None, workspace: Path | None) -> Tokens:
    """The tokens to accept, by precedence: file, environment, workspace file (created)."""
    if token_file is not None:
        return Tokens(read_token_file(token_file), token_file)
    env = os.environ.get(ENV, "").strip()
    if env:
        if not TOKEN.fullmatch(env):
            raise TokenError(f"${ENV} must be one token of visible ASCII without spaces")
        return Tokens((("env", env),), None)
    if workspace is None:
        raise TokenError(f"no admin token: give --token-file or set ${ENV}")
    path = workspace / WORKSPACE_TOKEN
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"workspace:{secrets.token_urlsafe(32)}\n")
    return Tokens(read_token_file(path), path)
