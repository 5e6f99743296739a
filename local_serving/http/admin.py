"""The admin API (bearer token): traffic, rollback, load, unload, shadow, labels."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from local_serving.http.body import read_body
from local_serving.http.errors import internal_error
from local_serving.http.state import ServerState, error_response, json_response
from local_serving.models import AdminError
from local_serving.protocol.v2 import ProtocolError

log = logging.getLogger("local_serving.admin")
ADMIN_BODY_LIMIT = 4 * 1024 * 1024
AUDIT_HEAD_HEADER = "vigil-audit-head"
AUDIT_HEAD = re.compile(r"[0-9]{1,19}:[0-9a-f]{64}")


@dataclass(frozen=True)
class Caller:
    """Who made an admin request (the token's name) and the client's audit-log head, if sent."""

    actor: str
    audit_head: str | None = None


Handler = Callable[[ServerState, Request, Caller], Awaitable[Response]]


def _state(request: Request) -> ServerState:
    """The shared server state."""
    state: ServerState = request.app.state.serving
    return state


def authorized(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: 401 without a valid token, 400 for a malformed audit head; 4xx errors."""

    async def endpoint(request: Request) -> Response:
        """Check the token, then run the handler."""
        state = _state(request)
        actor = state.tokens.who(request.headers.get("authorization"))
        if actor is None:
            response = error_response(401, "missing or invalid admin token (Authorization: Bearer)")
            response.headers["www-authenticate"] = "Bearer"
            return response
        audit_head = request.headers.get(AUDIT_HEAD_HEADER)
        if audit_head is not None and not AUDIT_HEAD.fullmatch(audit_head):
            return error_response(
                400, "Vigil-Audit-Head must be <sequence>:<64 lowercase hex digits>"
            )
        if state.options.read_only and request.method != "GET":
            return error_response(403, "the server runs read-only (--read-only): no admin changes")
        try:
            return await handler(state, request, Caller(actor, audit_head))
        except AdminError as error:
            return error_response(error.status, error.message, error.fields)
        except ProtocolError as error:
            return error_response(error.status, error.message)
        except Exception:
            return internal_error(f"admin {request.method} {request.url.path}")

    return endpoint


async def _json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 naming the problem."""
    body = await read_body(request, ADMIN_BODY_LIMIT)
    try:
        doc = json.loads(body)
    except RecursionError:
        raise ProtocolError(400, "request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(400, f"request body is not valid JSON: {error}") from error
    if not isinstance(doc, dict):
        raise ProtocolError(400, "request body must be a JSON object")
    return doc


def _status(state: ServerState, model: str) -> dict[str, object]:
    """One model's admin view."""
    served = state.manager.served(model)
    return served.describe(state.manager.known_versions(served))


async def list_models(state: ServerState, request: Request, caller: Caller) -> Response:
    """GET /admin/models."""
    return json_response({"models": [_status(state, name) for name in state.manager.models]})


async def get_model(state: ServerState, request: Request, caller: Caller) -> Response:
    """GET /admin/models/{m}."""
    return json_response(_status(state, request.path_params["model"]))


async def _audited(
    state: ServerState,
    caller: Caller,
    action: str,
    model: str,
    detail: dict[str, Any],
    change: Awaitable[Any],
) -> None:
    """Run a change and audit it, success or refusal, with the caller's audit head."""
    try:
        await change
    except AdminError as error:
        outcome = f"refused: {error.message}"
        await asyncio.to_thread(
            state.audit.record, caller.actor, action, model, detail, outcome, caller.audit_head
        )
        raise
    await asyncio.to_thread(
        state.audit.record, caller.actor, action, model, detail, "ok", caller.audit_head
    )


def _if_generation(doc: dict[str, Any]) -> int | None:
    """The optional compare-and-set generation of a change body, or a 400."""
    value = doc.get("if_generation")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError(400, f"'if_generation' must be a non-negative integer, got {value!r}")
    return value


async def _persist(state: ServerState, model: str, actor: str) -> dict[str, object]:
    """Store the current split so a restart keeps it; the status, with a warning if it failed."""
    weights = dict(state.manager.served(model).table.weights)
    try:
        await asyncio.to_thread(state.manager.workspace.store_traffic, model, weights, actor)
    except Exception as error:
        log.error("model %s: split applied but not stored in the workspace: %s", model, error)
        return {**_status(state, model), "warning": f"applied but not stored: {error}"}
    return _status(state, model)


async def set_traffic(state: ServerState, request: Request, caller: Caller) -> Response:
    """PUT /admin/models/{m}/traffic {"weights": {...}, "if_generation"?: int}."""
    model = request.path_params["model"]
    state.manager.served(model)
    doc = await _json_body(request)
    expected = _if_generation(doc)
    before = dict(state.manager.served(model).table.weights)
    detail = {"before": before, "weights": doc.get("weights"), "if_generation": expected}
    change = state.manager.set_weights(model, doc.get("weights"), expected)
    await _audited(state, caller, "set_weights", model, detail, change)
    return json_response(await _persist(state, model, caller.actor))


async def rollback(state: ServerState, request: Request, caller: Caller) -> Response:
    """POST /admin/models/{m}/rollback {"to": "<version>", "if_generation"?: int}: 100 % to it."""
    model = request.path_params["model"]
    state.manager.served(model)
    doc = await _json_body(request)
    target = doc.get("to")
    if not isinstance(target, str) or not target:
        raise ProtocolError(400, "'to' must name a version")
    expected = _if_generation(doc)
    before = dict(state.manager.served(model).table.weights)
    detail = {"before": before, "to": target, "if_generation": expected}
    change = state.manager.set_weights(model, {target: 100}, expected)
    await _audited(state, caller, "rollback", model, detail, change)
    return json_response(await _persist(state, model, caller.actor))


async def load_version(state: ServerState, request: Request, caller: Caller) -> Response:
    """POST /admin/models/{m}/versions/{v}/load."""
    model, version = request.path_params["model"], request.path_params["version"]
    change = state.manager.load(model, version)
    await _audited(state, caller, "load", model, {"version": version}, change)
    return json_response(_status(state, model))


async def unload_version(state: ServerState, request: Request, caller: Caller) -> Response:
    """POST /admin/models/{m}/versions/{v}/unload (refused while it has weight)."""
    model, version = request.path_params["model"], request.path_params["version"]
    change = state.manager.unload(model, version)
    await _audited(state, caller, "unload", model, {"version": version}, change)
    return json_response(_status(state, model))


async def set_shadow(state: ServerState, request: Request, caller: Caller) -> Response:
    """PUT /admin/models/{m}/shadow {"version": v | null, "percent": 0..100}."""
    model = request.path_params["model"]
    state.manager.served(model)
    doc = await _json_body(request)
    version, percent = doc.get("version"), doc.get("percent", 100)
    if version is not None and not isinstance(version, str):
        raise ProtocolError(400, "'version' must be a string or null")
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        raise ProtocolError(400, "'percent' must be an integer in [0, 100]")
    change = state.manager.set_shadow(model, version, percent)
    detail = {"version": version, "percent": percent}
    await _audited(state, caller, "shadow", model, detail, change)
    return json_response(_status(state, model))


def _numeric_label(value: object) -> bool:
    """A label the inference log can store: a finite number (booleans count as 0 and 1)."""
    if isinstance(value, int):
        return abs(value) < 2**53
    return isinstance(value, float) and math.isfinite(value)


async def add_labels(state: ServerState, request: Request, caller: Caller) -> Response:
    """POST /admin/models/{m}/labels {"labels": [{"request_id", "label"}]}: late ground truth."""
    import pandas as pd

    model = request.path_params["model"]
    state.manager.served(model)
    doc = await _json_body(request)
    labels = doc.get("labels")
    if not isinstance(labels, list) or not all(
        isinstance(row, dict) and isinstance(row.get("request_id"), str) and "label" in row
        for row in labels
    ):
        raise ProtocolError(400, '\'labels\' must be a list of {"request_id": str, "label": value}')
    for row in labels:
        if not _numeric_label(row["label"]):
            raise ProtocolError(
                400,
                f"label of {row['request_id'][:64]!r} must be a finite number "
                f"(a class or a value), got {str(row['label'])[:40]!r}",
            )
    frame = pd.DataFrame(
        {"request_id": [r["request_id"] for r in labels], "label": [r["label"] for r in labels]}
    )
    await asyncio.to_thread(state.recorder.flush)
    matched = await asyncio.to_thread(state.manager.workspace.add_labels, model, frame)
    return json_response({"received": len(labels), "matched": matched})
