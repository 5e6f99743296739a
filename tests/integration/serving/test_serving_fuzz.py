"""A bounded random fuzzer against a live server: no 5xx, no hang, no crash, ever.

Seeded and bounded (requests and seconds), so it runs in CI: random methods, paths,
headers and bodies (mutations of valid inference and admin requests), some with the
admin token, on a server of its own (its admin changes touch only its workspace copy).
"""

from __future__ import annotations

import json
import random
import shutil
import time

import httpx
import pytest

from .helpers import start_server, stop_server

pytestmark = pytest.mark.integration
SEED = 20261201
MAX_REQUESTS = 600
MAX_SECONDS = 45.0
VALID = {
    "id": "fuzz",
    "parameters": {"routing_key": "user-1"},
    "inputs": [{"name": "input", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}],
    "outputs": [{"name": "score", "parameters": {"binary_data": False}}],
}
ROUTES = [
    ("POST", "/v2/models/fraud/infer"),
    ("POST", "/v2/models/fraud/infer"),
    ("POST", "/v2/models/fraud/infer"),
    ("POST", "/v2/models/fraud/versions/1/infer"),
    ("POST", "/v2/models/fraud/versions/2/infer"),
    ("POST", "/v2/models/churn/infer"),
    ("POST", "/v2/models/ghost/infer"),
    ("GET", "/v2/models/fraud"),
    ("GET", "/v2/models/fraud/ready"),
    ("GET", "/v2/models/fraud/versions/9"),
    ("GET", "/v2"),
    ("GET", "/v2/health/live"),
    ("GET", "/v2/health/ready"),
    ("POST", "/v2/repository/index"),
    ("GET", "/metrics"),
    ("GET", "/admin/models"),
    ("GET", "/admin/models/fraud"),
    ("PUT", "/admin/models/fraud/traffic"),
    ("PUT", "/admin/models/fraud/traffic"),
    ("POST", "/admin/models/fraud/rollback"),
    ("PUT", "/admin/models/fraud/shadow"),
    ("POST", "/admin/models/fraud/labels"),
    ("POST", "/admin/models/fraud/versions/2/load"),
    ("POST", "/admin/models/fraud/versions/2/unload"),
    ("PUT", "/admin/models/ghost/traffic"),
]
ADMIN_BODIES = [
    {"weights": {"1": 50, "2": 50}},
    {"weights": {"1": 100, "2": 0}, "if_generation": 1},
    {"to": "1"},
    {"version": "2", "percent": 10},
    {"version": None},
    {"labels": [{"request_id": "fuzz", "label": 1}]},
]
ODD_VALUES = [
    None, True, 0, -1, 2**64, 10**400, 1e308, -0.0, "", "x" * 300, "²", [], {}, [[[[]]]],
    {"a": {"b": {"c": []}}}, "NaN", [None], [1, "a"], "\u0000",
]  # fmt: skip
ODD_HEADERS = {
    "content-type": ["application/json", "text/plain", "application/octet-stream", "", "x/y;;"],
    "inference-header-content-length": ["0", "5", "-1", "99999999999999", "²", "1e3", "+12"],
    "x-routing-key": ["", "k" * 1000, "user-7"],
    "x-request-id": ["", "id\u00e9", "r" * 500],
    "vigil-audit-head": ["1:" + "a" * 64, "x", "1:" + "A" * 64],
    "vigil-client-timing": ["network=1", "network=-1", "nope", "feature_fetch=1e9"],
    "origin": ["https://example.org"],
}


def _mutate(rng: random.Random, doc: object, depth: int = 0) -> object:
    """A copy of a JSON value with one random part replaced, dropped or duplicated."""
    if depth > 4 or rng.random() < 0.25:
        return rng.choice(ODD_VALUES) if rng.random() < 0.7 else doc
    if isinstance(doc, dict) and doc:
        out = dict(doc)
        key = rng.choice(list(out))
        roll = rng.random()
        if roll < 0.2:
            del out[key]
        elif roll < 0.3:
            out[rng.choice(["extra", "parameters", "data", "shape"])] = rng.choice(ODD_VALUES)
        else:
            out[key] = _mutate(rng, out[key], depth + 1)
        return out
    if isinstance(doc, list) and doc:
        out = list(doc)
        index = rng.randrange(len(out))
        roll = rng.random()
        if roll < 0.2:
            out.append(out[index])
        elif roll < 0.3:
            del out[index]
        else:
            out[index] = _mutate(rng, out[index], depth + 1)
        return out
    return rng.choice(ODD_VALUES)


def _body(rng: random.Random, path: str) -> bytes:
    """A random body: a mutated valid request, its bytes cut or flipped, or raw noise."""
    base: object = VALID if "/infer" in path else rng.choice(ADMIN_BODIES)
    roll = rng.random()
    if roll < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    text = json.dumps(_mutate(rng, base) if roll < 0.8 else base).encode()
    if roll > 0.9 and text:
        at = rng.randrange(len(text))
        return text[:at] + bytes([rng.randrange(256)]) + text[at + 1 :]
    if 0.8 <= roll <= 0.9:
        return text[: rng.randrange(len(text) + 1)]
    return text


def _headers(rng: random.Random, token: str) -> dict[str, bytes]:
    """Random odd headers, and the admin token half of the time."""
    headers = {"content-type": b"application/json"}
    for name, values in ODD_HEADERS.items():
        if rng.random() < 0.15:
            headers[name] = rng.choice(values).encode()
    if rng.random() < 0.5:
        headers["authorization"] = f"Bearer {token}".encode()
    elif rng.random() < 0.2:
        headers["authorization"] = rng.choice(
            [b"Bearer", b"Bearer x", b"Basic abc", b"Bearer \xff"]
        )
    return headers


@pytest.fixture(scope="module")
def target(workspace, tmp_path_factory):
    """A server on a copy of the workspace, so its random admin changes stay there."""
    copy = tmp_path_factory.mktemp("fuzz") / "workspace"
    shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns("serving.json", "*.log"))
    running = start_server(copy, "--all-versions", "--drain-timeout", "1")
    yield running
    stop_server(running)


def test_random_requests_never_get_a_5xx_hang_or_crash(target):
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + MAX_SECONDS
    with httpx.Client(base_url=target.url, timeout=15) as client:
        for number in range(MAX_REQUESTS):
            if time.monotonic() > deadline:
                break
            method, path = rng.choice(ROUTES)
            if rng.random() < 0.05:
                method = rng.choice(["POST", "PUT", "GET", "DELETE", "PATCH"])
            body = _body(rng, path) if method in ("POST", "PUT", "PATCH") else b""
            try:
                answer = client.request(
                    method, path, content=body, headers=_headers(rng, target.token)
                )
            except httpx.TimeoutException:
                pytest.fail(f"request {number} ({method} {path}) hung: {body[:200]!r}")
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            assert answer.status_code < 500, (number, method, path, body[:300], answer.text[:300])
            if answer.headers.get("content-type", "").startswith("application/json"):
                json.loads(answer.content)  # never a bare NaN, never a half-written body
    assert sum(statuses.values()) >= 100, statuses
    assert any(400 <= code < 500 for code in statuses) and 200 in statuses, statuses
    assert target.process.poll() is None
    assert httpx.get(target.url + "/v2/health/live", timeout=5).status_code == 200
