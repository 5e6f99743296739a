"""Server options, and the flags shared by `vigil serve` and `python -m local_serving`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class ServeOptions:
    """Everything that shapes one server run."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token_file: Path | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    sample_rate: float = 0.1
    flush_interval_s: float = 5.0
    executor: str = "inline"
    all_versions: bool = False
    drain_timeout_s: float = 10.0
    graceful_timeout_s: float = 30.0
    feature_histograms: int = 8
    log_level: str = "info"
    read_only: bool = False
    allow_non_finite: bool = False
    idle_timeout_s: float = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's flags (the workspace comes from the caller's own --workspace)."""
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port, 0 for any free one ({DEFAULT_PORT})"
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="admin bearer tokens, one `name:token` (or bare token) a line; "
        "else $VIGIL_ADMIN_TOKEN; else WORKSPACE/admin.token, created with mode 0600",
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=DEFAULT_MAX_BODY, help="refuse larger requests (413)"
    )
    parser.add_argument(
        "--sample-rate", type=float, default=0.1, help="share of requests logged (0..1, 0.1)"
    )
    parser.add_argument(
        "--flush-interval", type=float, default=5.0, help="seconds between inference-log writes"
    )
    parser.add_argument(
        "--executor",
        choices=("inline", "thread"),
        default="inline",
        help="run inference on the event loop (small models, lowest latency) or in threads",
    )
    parser.add_argument(
        "--all-versions", action="store_true", help="load every registered version at start"
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=10.0, help="seconds an admin change waits for drains"
    )
    parser.add_argument(
        "--graceful-timeout", type=float, default=30.0, help="seconds to drain on shutdown"
    )
    parser.add_argument(
        "--feature-histograms", type=int, default=8, help="features per model with a histogram"
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    parser.add_argument(
        "--allow-non-finite",
        action="store_true",
        help="accept NaN, Infinity and null input values (refused with 400 by default)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=30.0,
        help="seconds a connection may wait on the client (no request, or one half sent)",
    )


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    """Validate the flags into options; a bad value raises ValueError naming it."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in [0, 65535], got {args.port}")
    if not 0.0 <= args.sample_rate <= 1.0:
        raise ValueError(f"--sample-rate must be in [0, 1], got {args.sample_rate}")
    if args.max_body_bytes <= 0:
        raise ValueError(f"--max-body-bytes must be positive, got {args.max_body_bytes}")
    for flag in ("flush_interval", "drain_timeout", "graceful_timeout", "idle_timeout"):
        if getattr(args, flag) <= 0:
            raise ValueError(f"--{flag.replace('_', '-')} must be positive")
    if args.feature_histograms < 0:
        raise ValueError("--feature-histograms must be >= 0")
    return ServeOptions(
        host=args.host,
        port=args.port,
        token_file=args.token_file,
        max_body_bytes=args.max_body_bytes,
        sample_rate=args.sample_rate,
        flush_interval_s=args.flush_interval,
        executor=args.executor,
        all_versions=args.all_versions,
        drain_timeout_s=args.drain_timeout,
        graceful_timeout_s=args.graceful_timeout,
        feature_histograms=args.feature_histograms,
        log_level=args.log_level,
        read_only=bool(getattr(args, "read_only", False)),
        allow_non_finite=args.allow_non_finite,
        idle_timeout_s=args.idle_timeout,
    )
