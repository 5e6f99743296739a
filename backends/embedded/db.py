"""The workspace database: one SQLAlchemy engine on W/vigil.db in WAL mode, safe across threads.

Each thread gets its own pooled connection; writes run in `BEGIN IMMEDIATE`
transactions so two processes appending (the server and the console) serialise
instead of failing half-way. SQLite errors become `BackendError` with a reason.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from backends.contracts import BackendError
from backends.embedded.tables import METADATA

BUSY_TIMEOUT_S = 30.0


def to_us(at: datetime) -> int:
    """A datetime as integer microseconds since the epoch; naive means UTC."""
    if not isinstance(at, datetime):
        raise ValueError(f"expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    """Integer microseconds since the epoch as a tz-aware UTC datetime (exact)."""
    seconds, micros = divmod(int(value), 1_000_000)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micros)


def now_us() -> int:
    """The current time in microseconds UTC."""
    return to_us(datetime.now(tz=UTC))


def dumps(value: Any) -> str:
    """Canonical JSON for a stored mapping or list (sorted keys, compact)."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError) as error:
        raise BackendError(f"value is not JSON-serialisable: {error}") from error


def loads(text: str | None) -> Any:
    """Parse stored JSON; None reads as an empty mapping."""
    return json.loads(text) if text else {}


class Database:
    """The engine of one workspace database, with read and write transactions."""

    def __init__(self, path: Path) -> None:
        """Open (and create if needed) the database at `path`."""
        self.path = path
        self._schema_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                f"sqlite:///{path}",
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            )
            event.listen(self.engine, "connect", _on_connect)
            event.listen(self.engine, "begin", _on_begin)
            with self._schema_lock, self.engine.connect() as raw:
                conn = raw.execution_options(immediate=True)
                with conn.begin():
                    METADATA.create_all(conn)
        except (OSError, SQLAlchemyError) as error:
            raise BackendError(
                f"cannot open workspace database {path}: {_reason(error)}"
            ) from error

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a deferred (read) transaction."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except SQLAlchemyError as error:
            raise BackendError(f"workspace database {self.path}: {_reason(error)}") from error

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a `BEGIN IMMEDIATE` transaction, committed on success."""
        try:
            with self.engine.connect() as raw:
                conn = raw.execution_options(immediate=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as error:
            raise BackendError(f"workspace database {self.path}: {_reason(error)}") from error

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Let SQLAlchemy emit BEGIN itself, and switch the file to WAL."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for writes (takes the write lock up front), BEGIN for reads."""
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _reason(error: BaseException) -> str:
    """The driver's message without SQL text or parameters."""
    original = getattr(error, "orig", None)
    return str(original or error).splitlines()[0]
