"""Offline rows from Feast's offline server (`feast serve_offline`): a view's source, or a join.

The offline server speaks Arrow Flight. One `do_exchange` stream carries the
command (as Feast's own remote offline store sends it) and any entity rows,
and answers with the result, so no state is kept on the server between
calls: `pull_all_from_table_or_query` for the rows of one view's batch
source, `get_historical_features` for a point-in-time join of several views
on given entity rows.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from backends.contracts import BackendError, NotFoundError
from backends.feast.registry import FeatureViewState

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

PULL_ALL = "pull_all_from_table_or_query"
HISTORICAL = "get_historical_features"
ENTITY_TIME = "event_timestamp"  # the entity rows' time column Feast's join expects


def pull_rows(
    url: str,
    view: FeatureViewState,
    features: list[str],
    start: datetime,
    end: datetime,
    *,
    token: str,
    timeout_s: float,
) -> pd.DataFrame:
    """Every row of the view's batch source in [start, end]: join keys, timestamp, features."""
    import pyarrow as pa

    command = {
        "data_source_name": view.source_name,
        "join_key_columns": list(view.join_keys),
        "feature_name_columns": features,
        "timestamp_field": view.timestamp_field,
        "created_timestamp_column": view.created_timestamp_column,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }
    empty = pa.table({"key": ["mock_key"]})  # what Feast's client uploads for a read
    return _exchange(url, PULL_ALL, command, empty, token=token, timeout_s=timeout_s)


def point_in_time(
    url: str,
    entity_rows: pd.DataFrame,
    refs: list[str],
    project: str,
    *,
    token: str,
    timeout_s: float,
) -> pd.DataFrame:
    """Each entity row (join keys, `event_timestamp`) with `refs` as of its time (Feast's join)."""
    import pyarrow as pa

    views = list(dict.fromkeys(ref.partition(":")[0] for ref in refs))
    command = {
        "feature_view_names": views,
        "name_aliases": [None] * len(views),
        "feature_refs": refs,
        "project": project,
        "full_feature_names": False,
    }
    rows = pa.Table.from_pandas(entity_rows, preserve_index=False)
    return _exchange(url, HISTORICAL, command, rows, token=token, timeout_s=timeout_s)


def _exchange(
    url: str,
    api: str,
    parameters: Mapping[str, object],
    upload: pa.Table,
    *,
    token: str,
    timeout_s: float,
) -> pd.DataFrame:
    """One `do_exchange`: the command and `upload` out, the answer's rows back."""
    import pyarrow as pa
    import pyarrow.flight as flight

    command = {"command_id": str(uuid.uuid4()), "api": api, **parameters}
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    options = flight.FlightCallOptions(timeout=timeout_s, headers=headers)
    try:
        client = flight.FlightClient(url)
        try:
            descriptor = flight.FlightDescriptor.for_command(json.dumps(command))
            writer, reader = client.do_exchange(descriptor, options)
            writer.begin(upload.schema)
            writer.write_table(upload)
            writer.done_writing()
            table = reader.read_all()
        finally:
            client.close()
    except flight.FlightTimedOutError as error:
        raise BackendError(f"feast offline {url}: no answer within {timeout_s:g} s") from error
    except flight.FlightUnavailableError as error:
        raise BackendError(f"feast offline {url}: cannot reach") from error
    except (flight.FlightError, pa.ArrowException) as error:
        message = _server_message(str(error))
        if "NotFound" in str(error):
            raise NotFoundError(f"feast offline {url}: {message}") from error
        raise BackendError(f"feast offline {url}: {message}") from error
    return table.to_pandas()


def _server_message(text: str) -> str:
    """The server's own message out of a Flight error (its gRPC debug context left off)."""
    found = re.search(r'"message": "((?:[^"\\]|\\.)*)"', text)
    return found.group(1) if found else text.split(". gRPC client debug context")[0][:300]
