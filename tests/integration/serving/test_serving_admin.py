"""The admin API: token, status, traffic, rollback, load, unload, shadow; audited and stored."""

from __future__ import annotations

import json

import pytest

from backends.embedded import EmbeddedBackend

pytestmark = pytest.mark.integration


def test_admin_needs_the_token(server):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        answer = server.http.get("/admin/models/fraud", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "admin token" in answer.json()["error"]


def test_status_lists_versions_with_state_and_weights(server):
    doc = server.http.get("/admin/models/fraud", headers=server.admin).json()
    assert doc["weights"] == {"1": 100, "2": 0}
    states = {v["version"]: v["state"] for v in doc["versions"]}
    assert states == {"1": "ready", "2": "ready"}
    listing = server.http.get("/admin/models", headers=server.admin).json()
    assert sorted(m["model"] for m in listing["models"]) == ["churn", "fraud"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"weights": {"1": 60, "2": 30}}, "sum to 100"),
        ({"weights": {"1": 50.5, "2": 49.5}}, "integer"),
        ({"weights": {"1": 50, "7": 50}}, "unknown version '7'"),
        ({"weights": []}, "non-empty object"),
        ({}, "non-empty object"),
    ],
)
def test_bad_splits_are_a_400_and_change_nothing(server, body, message):
    answer = server.http.put("/admin/models/fraud/traffic", json=body, headers=server.admin)
    assert answer.status_code == 400 and message in answer.json()["error"]
    doc = server.http.get("/admin/models/fraud", headers=server.admin).json()
    assert doc["weights"] == {"1": 100, "2": 0}


def test_traffic_rollback_and_unload_refusal(server):
    url, admin = "/admin/models/fraud", server.admin
    answer = server.http.put(url + "/traffic", json={"weights": {"1": 80, "2": 20}}, headers=admin)
    assert answer.status_code == 200 and answer.json()["weights"] == {"1": 80, "2": 20}
    refused = server.http.post(url + "/versions/2/unload", headers=admin)
    assert refused.status_code == 409 and "20% of traffic" in refused.json()["error"]
    rolled = server.http.post(url + "/rollback", json={"to": "1"}, headers=admin)
    assert rolled.json()["weights"] == {"1": 100, "2": 0}
    bad = server.http.post(url + "/rollback", json={"to": "9"}, headers=admin)
    assert bad.status_code == 400 and "unknown version '9'" in bad.json()["error"]
    stored = EmbeddedBackend(server.workspace).stored_traffic("fraud")
    assert stored == {"1": 100, "2": 0}


def test_unload_then_load_again(server):
    url, admin = "/admin/models/fraud", server.admin
    gone = server.http.post(url + "/versions/2/unload", headers=admin).json()
    assert {v["version"]: v["state"] for v in gone["versions"]}["2"] == "unloaded"
    miss = server.http.post("/v2/models/fraud/versions/2/infer", json={"inputs": []})
    assert miss.status_code in (400, 404)
    back = server.http.post(url + "/versions/2/load", headers=admin, timeout=60).json()
    assert {v["version"]: v["state"] for v in back["versions"]}["2"] == "ready"
    missing = server.http.post(url + "/versions/42/load", headers=admin)
    assert missing.status_code == 404 and "no version '42'" in missing.json()["error"]
    assert server.http.post("/admin/models/ghost/versions/1/load", headers=admin).status_code == 404


def test_every_change_is_audited_with_the_token_name_not_the_token(server):
    refused = {"weights": {"1": 60, "2": 30}}
    server.http.put("/admin/models/fraud/traffic", json=refused, headers=server.admin)
    server.http.post("/admin/models/fraud/rollback", json={"to": "1"}, headers=server.admin)
    lines = (server.workspace / "serving-admin.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert entries[-1]["actor"] == "tester" and entries[-1]["action"] == "rollback"
    assert entries[-1]["detail"]["to"] == "1" and entries[-1]["outcome"] == "ok"
    assert any(e["outcome"].startswith("refused") for e in entries)
    assert server.token not in "\n".join(lines)
    assert server.token not in (server.workspace / "server.log").read_text()


def test_shadow_mirrors_without_changing_answers(server):
    url, admin = "/admin/models/fraud", server.admin
    on = server.http.put(url + "/shadow", json={"version": "2", "percent": 100}, headers=admin)
    assert on.json()["shadow"] == {"version": "2", "percent": 100}
    body = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}
    for _ in range(20):
        assert server.http.post("/v2/models/fraud/infer", json=body).json()["model_version"] == "1"
    metrics = server.http.get("/metrics").text
    prefix = 'vigil_shadow_requests_total{model="fraud",version="2"}'
    line = next(row for row in metrics.splitlines() if row.startswith(prefix))
    assert float(line.split()[-1]) >= 1
    off = server.http.put(url + "/shadow", json={"version": None}, headers=admin)
    assert off.json()["shadow"] is None
    bad = server.http.put(url + "/shadow", json={"version": "2", "percent": 150}, headers=admin)
    assert bad.status_code == 400


def test_a_change_against_a_stale_generation_is_a_409_and_changes_nothing(server):
    url, admin = "/admin/models/fraud", server.admin
    seen = server.http.get(url, headers=admin).json()["generation"]
    first = {"weights": {"1": 90, "2": 10}, "if_generation": seen}
    applied = server.http.put(url + "/traffic", json=first, headers=admin)
    assert applied.status_code == 200 and applied.json()["generation"] > seen
    for path, body in (("/traffic", {"weights": {"1": 0, "2": 100}}), ("/rollback", {"to": "2"})):
        stale = server.http.request(
            "PUT" if path == "/traffic" else "POST",
            url + path,
            json={**body, "if_generation": seen},
            headers=admin,
        )
        assert stale.status_code == 409 and f"since generation {seen}" in stale.json()["error"]
        assert stale.json()["generation"] == applied.json()["generation"]
        assert stale.json()["weights"] == {"1": 90, "2": 10}
    now = server.http.get(url, headers=admin).json()
    assert now["weights"] == {"1": 90, "2": 10}
    assert now["generation"] == applied.json()["generation"]
    assert EmbeddedBackend(server.workspace).stored_traffic("fraud") == {"1": 90, "2": 10}
    current = {"to": "1", "if_generation": now["generation"]}
    assert server.http.post(url + "/rollback", json=current, headers=admin).status_code == 200


@pytest.mark.parametrize("value", ["3", 1.5, True, -1, [1]])
def test_a_malformed_if_generation_is_a_400(server, value):
    body = {"weights": {"1": 100, "2": 0}, "if_generation": value}
    answer = server.http.put("/admin/models/fraud/traffic", json=body, headers=server.admin)
    assert answer.status_code == 400 and "'if_generation'" in answer.json()["error"]


def test_the_audit_head_is_stored_in_the_admin_log_record(server):
    head = "41:" + "ab" * 32
    headers = {**server.admin, "Vigil-Audit-Head": head}
    answer = server.http.post("/admin/models/fraud/rollback", json={"to": "1"}, headers=headers)
    assert answer.status_code == 200
    last = (server.workspace / "serving-admin.jsonl").read_text().splitlines()[-1]
    entry = json.loads(last)
    assert entry["action"] == "rollback" and entry["audit_head"] == head


@pytest.mark.parametrize(
    "head", ["41", "41:" + "AB" * 32, "41:" + "ab" * 31, "x:" + "ab" * 32, "41:" + "ab" * 33, ""]
)
def test_a_malformed_audit_head_is_a_400_and_changes_nothing(server, head):
    log = server.workspace / "serving-admin.jsonl"
    before = log.read_text() if log.exists() else ""
    headers = {**server.admin, "Vigil-Audit-Head": head}
    answer = server.http.post("/admin/models/fraud/rollback", json={"to": "2"}, headers=headers)
    assert answer.status_code == 400 and "Vigil-Audit-Head" in answer.json()["error"]
    assert (log.read_text() if log.exists() else "") == before
    doc = server.http.get("/admin/models/fraud", headers=server.admin).json()
    assert doc["weights"]["2"] == 0
