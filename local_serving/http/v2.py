"""KServe V2 endpoints: server and model metadata, health, and inference."""

from __future__ import annotations

import asyncio
import random
from time import perf_counter
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from local_serving import __version__
from local_serving.http.body import read_body
from local_serving.http.client_timing import HEADER, client_timing
from local_serving.http.errors import internal_error
from local_serving.http.postprocess import predictions_of, scores_of
from local_serving.http.sender import check_sender
from local_serving.http.state import ServerState, error_response, json_response
from local_serving.protocol.v2 import (
    InferRequest,
    ProtocolError,
    bind_inputs,
    select_outputs,
)
from local_serving.recorder import Sample

if TYPE_CHECKING:
    import numpy as np

    from local_serving.metrics.prom import HistogramChild
    from local_serving.models import LoadedVersion, ServedModel

EXTENSIONS = ["binary_tensor_data", "model_repository", "traffic_split", "admin"]
LARGE_BATCH_ROWS = 256


def _state(request: Request) -> ServerState:
    """The shared server state."""
    state: ServerState = request.app.state.serving
    return state


async def server_metadata(request: Request) -> Response:
    """GET /v2."""
    state = _state(request)
    return json_response(
        {
            "name": "local_serving",
            "version": __version__,
            "extensions": EXTENSIONS,
            "runtimes": state.runtime_versions,
        }
    )


async def live(request: Request) -> Response:
    """GET /v2/health/live: the process answers."""
    return json_response({"live": True})


async def ready(request: Request) -> Response:
    """GET /v2/health/ready: every model has a ready version with traffic."""
    models = _state(request).manager.models
    waiting = sorted(name for name, served in models.items() if not served.ready)
    if waiting:
        return json_response({"ready": False, "error": f"not ready: {', '.join(waiting)}"}, 400)
    return json_response({"ready": True})


def _lookup(state: ServerState, request: Request) -> tuple[ServedModel, LoadedVersion]:
    """The model and version a metadata or readiness path names (the top-weighted if none)."""
    name = request.path_params["model"]
    served = state.manager.models.get(name)
    if served is None:
        raise ProtocolError(404, f"unknown model {name!r}")
    version = request.path_params.get("version")
    if version is None:
        weights = served.table.weights
        version = max(served.table.versions, key=lambda v: weights[v], default=None)
        if version is None:
            raise ProtocolError(400, f"model {name!r} has no version with traffic")
    loaded = served.versions.get(version)
    if loaded is None:
        raise ProtocolError(404, f"model {name!r} has no loaded version {version!r}")
    return served, loaded


async def repository_index(request: Request) -> Response:
    """POST /v2/repository/index (Triton's extension): every loaded version and its state."""
    models = _state(request).manager.models
    return json_response(
        [
            {
                "name": name,
                "version": version,
                "state": loaded.state.upper(),
                "reason": loaded.error,
            }
            for name, served in models.items()
            for version, loaded in served.versions.items()
        ]
    )


async def model_metadata(request: Request) -> Response:
    """GET /v2/models/{m}[/versions/{v}]: name, versions, platform, inputs, outputs."""
    try:
        served, loaded = _lookup(_state(request), request)
    except ProtocolError as error:
        return error_response(error.status, error.message)
    runner = loaded.runner
    if runner is None:
        return error_response(400, f"version {loaded.entry.version!r} is {loaded.state}")
    return json_response(
        {
            "name": served.name,
            "versions": served.ready_versions(),
            "platform": runner.platform,
            "inputs": [spec.as_metadata() for spec in runner.inputs],
            "outputs": [spec.as_metadata() for spec in runner.outputs],
            "parameters": {"runtime_version": runner.runtime_version, "task": served.entry.task},
        }
    )


async def model_ready(request: Request) -> Response:
    """GET /v2/models/{m}[/versions/{v}]/ready."""
    try:
        served, loaded = _lookup(_state(request), request)
    except ProtocolError as error:
        return error_response(error.status, error.message)
    is_ready = loaded.state == "ready" and ("version" in request.path_params or served.ready)
    return json_response({"name": served.name, "ready": is_ready}, 200 if is_ready else 400)


async def infer(request: Request) -> Response:
    """POST /v2/models/{m}[/versions/{v}]/infer: route, run, observe, record."""
    state = _state(request)
    name = request.path_params["model"]
    served = state.manager.models.get(name)
    if served is None:
        state.metrics.rejected.counter("(unknown)", "404").inc()
        return error_response(404, f"unknown model {name!r}")
    try:
        header_length = check_sender(request.headers)
        body = await read_body(request, state.options.max_body_bytes)
        started = perf_counter()
        decoded = await state.codec.decode(body, header_length)
        client = client_timing(request.headers.get(HEADER))
        generation, loaded = _route(served, decoded, request)
    except ProtocolError as error:
        return _refuse(state, name, error)
    served.enter(generation, loaded)
    try:
        return await _run(state, served, loaded, decoded, request, started, client)
    finally:
        served.leave(generation, loaded)


def _refuse(state: ServerState, model: str, error: ProtocolError) -> Response:
    """Answer a client error on a known model, counted on /metrics and in the rollups."""
    state.metrics.rejected.counter(model, str(error.status)).inc()
    state.recorder.reject(model, error.status)
    return error_response(error.status, error.message)


def _route(
    served: ServedModel, decoded: InferRequest, request: Request
) -> tuple[int, LoadedVersion]:
    """The version for this request: the one in the path, or the table's pick."""
    table = served.table
    version = request.path_params.get("version")
    if version is None:
        if not table.versions:
            raise ProtocolError(503, f"model {served.name!r} has no version with traffic")
        if len(table.versions) == 1:
            version = table.versions[0]
        else:
            key = decoded.parameters.get("routing_key") or request.headers.get("x-routing-key")
            version = table.pick(str(key) if key else None)
    loaded = served.versions.get(version)
    if loaded is None or loaded.state != "ready":
        raise ProtocolError(404, f"model {served.name!r} has no loaded version {version!r}")
    return table.generation, loaded


async def _run(
    state: ServerState,
    served: ServedModel,
    loaded: LoadedVersion,
    decoded: InferRequest,
    request: Request,
    started: float,
    client: tuple[tuple[str, float], ...] = (),
) -> Response:
    """Bind, infer, post-process and serialize one request, timing each stage."""
    runner, metrics = loaded.runner, loaded.metrics
    assert runner is not None and metrics is not None
    version = loaded.entry.version
    try:
        feeds = bind_inputs(decoded, runner.inputs)
        parsed = perf_counter()
        if state.options.executor == "thread" or first_rows(feeds) > LARGE_BATCH_ROWS:
            outputs = await asyncio.to_thread(runner.run, feeds)
        else:
            outputs = runner.run(feeds)
        inferred = perf_counter()
        scores = scores_of(outputs[0])
        first = feeds[runner.inputs[0].name]
        _observe(metrics.features, metrics.score, first, scores)
        chosen = select_outputs(decoded, runner.outputs, outputs)
        processed = perf_counter()
        request_id = decoded.request_id or request.headers.get("x-request-id") or state.request_id()
        body, header_length = await state.codec.encode(served.name, version, request_id, chosen)
        done = perf_counter()
    except ProtocolError as error:
        return _refuse(state, served.name, error)
    except Exception:
        metrics.errors.value += 1
        state.recorder.submit(served.name, version, (), True, None)
        return internal_error(f"inference on {served.name!r} version {version!r}")
    seconds = (parsed - started, inferred - parsed, processed - inferred, done - processed)
    metrics.observe_stages(seconds)
    sample = None
    if random.random() < state.options.sample_rate:
        predictions = predictions_of(outputs[0], scores, served.entry.task)
        layout = served.entry.layout(loaded.entry)
        sample = Sample(request_id, layout, first, scores, predictions, state.options.sample_rate)
    state.recorder.submit(served.name, version, seconds, False, sample, client)
    if served.shadow is not None:
        _mirror(state, served, feeds, request_id)
    if header_length is None:
        return Response(body, media_type="application/json", headers={"x-model-version": version})
    headers = {"inference-header-content-length": str(header_length), "x-model-version": version}
    return Response(body, media_type="application/octet-stream", headers=headers)


def first_rows(feeds: dict[str, np.ndarray]) -> int:
    """The batch size: rows of the largest input (runtimes release the GIL on big batches)."""
    return max((array.shape[0] if array.ndim else 1) for array in feeds.values())


def _observe(
    features: tuple[HistogramChild, ...],
    score: HistogramChild,
    first: np.ndarray,
    scores: np.ndarray,
) -> None:
    """Feature histograms (the first input's leading columns) and the score histogram.

    A large batch is counted with numpy, so it does not hold the event loop in Python.
    """
    if scores.size > LARGE_BATCH_ROWS:
        score.observe_array(scores)
    else:
        score.observe_many(scores.tolist())
    if features and first.ndim == 2 and first.shape[1] >= len(features):
        if first.shape[0] > LARGE_BATCH_ROWS:
            for index, histogram in enumerate(features):
                histogram.observe_array(first[:, index])
            return
        columns = first[:, : len(features)].T.tolist()
        for histogram, column in zip(features, columns, strict=False):
            histogram.observe_many(column)


def _mirror(
    state: ServerState, served: ServedModel, feeds: dict[str, Any], request_id: str
) -> None:
    """Mirror a share of requests to the shadow version; its answer is recorded, not returned."""
    assert served.shadow is not None
    version, percent = served.shadow
    loaded = served.versions.get(version)
    if loaded is None or loaded.runner is None or random.random() * 100 >= percent:
        return
    runner, metrics = loaded.runner, loaded.metrics
    assert metrics is not None

    async def shadow() -> None:
        """Run the shadow version and record what it would have answered."""
        start = perf_counter()
        try:
            outputs = await asyncio.to_thread(runner.run, feeds)
        except Exception:
            metrics.errors.value += 1
            return
        seconds = perf_counter() - start
        scores = scores_of(outputs[0])
        metrics.score.observe_many(scores.tolist())
        state.metrics.shadow.counter(served.name, version).inc()
        first = feeds[runner.inputs[0].name]
        predictions = predictions_of(outputs[0], scores, served.entry.task)
        layout = served.entry.layout(loaded.entry)
        shadow_id = f"{request_id}#shadow"
        sample = Sample(shadow_id, layout, first, scores, predictions, percent / 100.0)
        state.recorder.submit(served.name, version, (0.0, seconds, 0.0, 0.0), False, sample)

    task = asyncio.get_running_loop().create_task(shadow())
    state.background.add(task)
    task.add_done_callback(state.background.discard)
