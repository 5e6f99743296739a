"""The admin API: bearer tokens, traffic and version changes, and their audit trail."""

from __future__ import annotations

from local_serving.admin.tokens import TokenError, Tokens, resolve_tokens

__all__ = ["TokenError", "Tokens", "resolve_tokens"]
