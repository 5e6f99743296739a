"""Run the server: build its parts, bind, announce it in W/serving.json, drain on exit.

`serve` blocks (the CLI); `BackgroundServer` runs one in a thread (tests, benchmarks).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from local_serving.admin import Tokens, resolve_tokens
from local_serving.admin.audit import AdminAudit
from local_serving.http import ServerState, build_app
from local_serving.http.codec import Codec
from local_serving.metrics.serving import STAGES, ServingMetrics
from local_serving.models import ModelManager
from local_serving.recorder import Recorder

if TYPE_CHECKING:
    import uvicorn

    from local_serving.options import ServeOptions
    from local_serving.source import Workspace

log = logging.getLogger("local_serving")
SERVING_FILE = "serving.json"
SWITCH_INTERVAL_S = 0.0005


def runtime_versions() -> dict[str, str]:
    """Installed runtime versions, read from package metadata (nothing imported)."""
    found = {}
    for package in ("onnxruntime", "torch", "starlette", "uvicorn"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    return found


def build_state(workspace: Workspace, options: ServeOptions, tokens: Tokens) -> ServerState:
    """Load and warm up every start-up version; nothing is served until this returns."""
    versions = runtime_versions()
    metrics = ServingMetrics(versions)
    manager = ModelManager(
        workspace,
        metrics,
        all_versions=options.all_versions,
        drain_timeout_s=options.drain_timeout_s,
        feature_histograms=options.feature_histograms,
    )
    manager.load_all()
    recorder = Recorder(workspace, metrics, STAGES, flush_interval_s=options.flush_interval_s)
    return ServerState(
        options=options,
        manager=manager,
        metrics=metrics,
        recorder=recorder,
        tokens=tokens,
        audit=AdminAudit(workspace.path),
        runtime_versions=versions,
        codec=Codec(options.allow_non_finite),
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket; OSError (port in use, bad host) goes to the caller."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL of a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class Announcement:
    """W/serving.json: written once the server starts, removed on a clean shutdown."""

    def __init__(self, workspace: Path | None, url: str, tokens: Tokens) -> None:
        """Remember what to write."""
        self.path = workspace / SERVING_FILE if workspace is not None else None
        self.document = {
            "url": url,
            "pid": os.getpid(),
            "token_file": str(tokens.file) if tokens.file else None,
            "started_at": datetime.now(UTC).isoformat(),
        }

    def write(self) -> None:
        """Write atomically (temp file, then rename)."""
        if self.path is None:
            return
        temp = self.path.with_suffix(".json.tmp")
        try:
            temp.write_text(json.dumps(self.document, indent=2) + "\n")
            temp.replace(self.path)
        except OSError as error:
            log.error("cannot record the server in %s: %s", self.path, error.strerror)
            return
        log.info("serving on %s (recorded in %s)", self.document["url"], self.path)

    def remove(self) -> None:
        """Remove the file if it is still ours."""
        if self.path is None:
            return
        try:
            current = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return
        if current.get("pid") == os.getpid() and current.get("url") == self.document["url"]:
            self.path.unlink(missing_ok=True)


def _server(
    state: ServerState, options: ServeOptions, announcement: Announcement
) -> uvicorn.Server:
    """A one-worker uvicorn server around the app."""
    import uvicorn

    from local_serving.http.connections import protocol_with

    app = build_app(state, on_start=announcement.write, on_stop=announcement.remove)
    config = uvicorn.Config(
        app,
        http=protocol_with(options.idle_timeout_s),
        workers=1,
        log_level=options.log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(options.graceful_timeout_s),
        timeout_keep_alive=max(1, round(options.idle_timeout_s)),
    )
    return uvicorn.Server(config)


def serve(workspace: Workspace, options: ServeOptions, tokens: Tokens | None = None) -> int:
    """Serve until SIGINT/SIGTERM, then drain in-flight requests; returns the exit code."""
    tokens = tokens or resolve_tokens(options.token_file, workspace.path)
    if options.host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("binding %s: the server is reachable from other hosts", options.host)
    sock = bind(options.host, options.port)
    state = build_state(workspace, options, tokens)
    announcement = Announcement(workspace.path, url_of(sock), tokens)
    server = _server(state, options, announcement)
    # The log writer thread must not hold the GIL for the default 5 ms while a request waits.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    server.run(sockets=[sock])
    return 0


class BackgroundServer:
    """A server in a thread of this process, on a free port unless told otherwise."""

    def __init__(self, workspace: Workspace, options: ServeOptions, tokens: Tokens) -> None:
        """Build everything (loading models) but do not start yet."""
        self.sock = bind(options.host, options.port)
        self.url = url_of(self.sock)
        self.state = build_state(workspace, options, tokens)
        self._announcement = Announcement(workspace.path, self.url, tokens)
        self._server = _server(self.state, options, self._announcement)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self, timeout_s: float = 30.0) -> str:
        """Start and wait until it accepts requests; returns its URL."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("local_serving did not start")
            time.sleep(0.01)
        return self.url

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask for a graceful shutdown and wait for it."""
        self._server.should_exit = True
        self._thread.join(timeout_s)
        self.sock.close()
