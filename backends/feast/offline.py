"""Rows of a feature view's batch source from Feast's offline server (`feast serve_offline`).

The offline server speaks Arrow Flight. One `do_exchange` stream carries the
command (`pull_all_from_table_or_query`, as Feast's own remote offline store
sends it) and answers with the rows, so no state is kept on the server
between calls.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from backends.contracts import BackendError, NotFoundError
from backends.feast.registry import FeatureViewState

if TYPE_CHECKING:
    import pandas as pd

PULL_ALL = "pull_all_from_table_or_query"


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
    import pyarrow.flight as flight

    command = {
        "command_id": str(uuid.uuid4()),
        "api": PULL_ALL,
        "data_source_name": view.source_name,
        "join_key_columns": list(view.join_keys),
        "feature_name_columns": features,
        "timestamp_field": view.timestamp_field,
        "created_timestamp_column": view.created_timestamp_column,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    options = flight.FlightCallOptions(timeout=timeout_s, headers=headers)
    empty = pa.table({"key": ["mock_key"]})  # what Feast's client uploads for a read
    try:
        client = flight.FlightClient(url)
        try:
            descriptor = flight.FlightDescriptor.for_command(json.dumps(command))
            writer, reader = client.do_exchange(descriptor, options)
            writer.begin(empty.schema)
            writer.write_table(empty)
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
