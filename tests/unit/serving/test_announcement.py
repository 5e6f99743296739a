"""W/serving.json: written atomically, removed only by its own server, stale files ignored."""

from __future__ import annotations

import json
import os

from local_serving.admin import Tokens
from local_serving.cli import already_running
from local_serving.server import Announcement


def test_written_then_removed_by_its_own_server(tmp_path):
    announcement = Announcement(tmp_path, "http://127.0.0.1:1234", Tokens((), tmp_path / "t"))
    announcement.write()
    doc = json.loads((tmp_path / "serving.json").read_text())
    assert doc["url"] == "http://127.0.0.1:1234" and doc["pid"] == os.getpid()
    assert doc["token_file"] == str(tmp_path / "t") and doc["started_at"]
    announcement.remove()
    assert not (tmp_path / "serving.json").exists()


def test_another_servers_file_is_left_alone(tmp_path):
    mine = Announcement(tmp_path, "http://127.0.0.1:1", Tokens((), None))
    mine.write()
    theirs = {**json.loads((tmp_path / "serving.json").read_text()), "url": "http://127.0.0.1:2"}
    (tmp_path / "serving.json").write_text(json.dumps(theirs))
    mine.remove()
    assert json.loads((tmp_path / "serving.json").read_text())["url"] == "http://127.0.0.1:2"


def test_a_stale_or_broken_file_does_not_block_a_start(tmp_path):
    assert already_running(tmp_path) is None
    (tmp_path / "serving.json").write_text("{not json")
    assert already_running(tmp_path) is None
    stale = {"url": "http://127.0.0.1:9", "pid": 2**22 + 12345}
    (tmp_path / "serving.json").write_text(json.dumps(stale))
    assert already_running(tmp_path) is None
