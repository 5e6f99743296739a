"""Listing and compacting the Parquet partitions of the inference log and the label files.

A server flushes its sampled requests every second, so small files pile up;
once a day holds COMPACT_AT small files they are merged into one. A merge
writes a manifest (`replaces-<id>.json`: the merged file and the files it
replaces) before the merged file, then deletes the replaced files and the
manifest. Readers skip files a manifest replaces once its merged file exists,
so they never see a row twice or lose one, and a reader that finds a file
gone retries its whole read.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from backends.contracts import BackendError
from backends.embedded.files import Vanished, read_parquet, write_parquet_atomic

if TYPE_CHECKING:
    import pyarrow as pa

PART = re.compile(r"^part-(\d+)-(\d+)-[0-9a-f]+\.parquet$")
LABELS = re.compile(r"^labels-(\d+)-[0-9a-f]+\.parquet$")
MANIFEST = re.compile(r"^replaces-[0-9a-f]+\.json$")
DAY_US = 86_400 * 1_000_000
COMPACT_AT = 32
SMALL_BYTES = 4 << 20
RETRIES = 3

P = ParamSpec("P")
R = TypeVar("R")


def retry_vanished(method: Callable[P, R]) -> Callable[P, R]:
    """Re-run a read whose files were compacted away under it."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for _ in range(RETRIES - 1):
            with contextlib.suppress(Vanished):
                return method(*args, **kwargs)
        return method(*args, **kwargs)

    return wrapper


def listdir(directory: Path) -> list[Path]:
    """Files of a directory, or none when it does not exist."""
    try:
        return list(directory.iterdir())
    except FileNotFoundError:
        return []
    except OSError as error:
        raise BackendError(f"cannot list {directory}: {error}") from error


def _live(directory: Path) -> list[Path]:
    """The directory's files minus those a completed merge replaced."""
    files = listdir(directory)
    names = {path.name for path in files}
    replaced: set[str] = set()
    for path in files:
        if MANIFEST.match(path.name):
            manifest = _read_manifest(path)
            if manifest is not None and manifest["merged"] in names:
                replaced.update(manifest["replaced"])
    return [path for path in files if path.name not in replaced]


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """A merge manifest, or None when it vanished or is unreadable."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("replaced"), list):
        return None
    return manifest


def log_parts(directory: Path) -> list[tuple[Path, int, int]]:
    """(path, ts_min_us, ts_max_us) of each live log file, oldest first."""
    found = [
        (path, int(match.group(1)), int(match.group(2)))
        for path in _live(directory)
        if (match := PART.match(path.name))
    ]
    return sorted(found, key=lambda item: (item[1], item[2], item[0].name))


def label_files(directory: Path) -> list[tuple[int, Path]]:
    """(written_at_us, path) of each live label file, oldest first."""
    found = [
        (int(match.group(1)), path)
        for path in _live(directory)
        if (match := LABELS.match(path.name))
    ]
    return sorted(found, key=lambda item: (item[0], item[1].name))


@contextlib.contextmanager
def _merge_lock(directory: Path) -> Iterator[bool]:
    """Hold the directory's merge lock if no other process does; yields whether it is held."""
    handle = os.open(directory / ".merge.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(handle)


def _finish_merges(directory: Path) -> None:
    """Complete or drop the manifests an interrupted merge left behind."""
    names = {path.name for path in listdir(directory)}
    for path in listdir(directory):
        if not MANIFEST.match(path.name):
            continue
        manifest = _read_manifest(path)
        if manifest is not None and manifest.get("merged") in names:
            for name in manifest["replaced"]:
                (directory / str(name)).unlink(missing_ok=True)
        path.unlink(missing_ok=True)


def _merge(directory: Path, victims: list[Path], merged_name: str, table: pa.Table) -> None:
    """Replace `victims` by one file holding `table`, safely for concurrent readers."""
    manifest = directory / f"replaces-{uuid.uuid4().hex[:12]}.json"
    document = {"merged": merged_name, "replaced": [path.name for path in victims]}
    temporary = manifest.with_name(f".{manifest.name}.tmp")
    temporary.write_text(json.dumps(document), encoding="utf-8")
    os.replace(temporary, manifest)
    write_parquet_atomic(table, directory / merged_name)
    for path in victims:
        path.unlink(missing_ok=True)
    manifest.unlink(missing_ok=True)


def compact_log(directory: Path, days: set[int]) -> int:
    """Merge the small files of each UTC day in `days` once there are COMPACT_AT; returns merges."""
    import pyarrow as pa

    merges = 0
    with _merge_lock(directory) as held:
        if not held:
            return 0
        _finish_merges(directory)
        for day in sorted(days):
            victims = [
                (path, first, last)
                for path, first, last in log_parts(directory)
                if first // DAY_US == day and path.stat().st_size < SMALL_BYTES
            ]
            if len(victims) < COMPACT_AT:
                continue
            tables = [read_parquet(path) for path, _, _ in victims]
            table = pa.concat_tables(tables, promote_options="default").sort_by("ts")
            first = min(item[1] for item in victims)
            last = max(item[2] for item in victims)
            name = f"part-{first}-{last}-{uuid.uuid4().hex[:12]}.parquet"
            _merge(directory, [path for path, _, _ in victims], name, table)
            merges += 1
    return merges


def compact_labels(directory: Path) -> bool:
    """Merge the label files (latest label per request wins) once there are COMPACT_AT."""
    import pyarrow as pa

    with _merge_lock(directory) as held:
        if not held:
            return False
        _finish_merges(directory)
        files = label_files(directory)
        if len(files) < COMPACT_AT:
            return False
        frames = [read_parquet(path).to_pandas() for _, path in files]
        import pandas as pd

        merged = pd.concat(frames, ignore_index=True).drop_duplicates("request_id", keep="last")
        table = pa.Table.from_pandas(merged, preserve_index=False)
        name = f"labels-{files[-1][0]}-{uuid.uuid4().hex[:12]}.parquet"
        _merge(directory, [path for _, path in files], name, table)
    return True
