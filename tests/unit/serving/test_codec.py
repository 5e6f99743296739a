"""Large bodies and answers go through a helper process, with the same results as inline."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

from local_serving.http.codec import Codec
from local_serving.protocol.v2 import ProtocolError


def _body(rows: int, bad: bool = False) -> bytes:
    data = np.arange(rows * 3, dtype=np.float32).reshape(rows, 3).tolist()
    if bad:
        data[-1][-1] = None
    entry = {"name": "input", "datatype": "FP32", "shape": [rows, 3], "data": data}
    return json.dumps({"id": "big", "inputs": [entry]}).encode()


@pytest.fixture
def codec():
    codec = Codec(allow_non_finite=False, large_body_bytes=1024, large_answer_values=10)
    yield codec
    codec.close()


async def test_a_large_body_is_decoded_in_the_helper_process_like_inline(codec):
    body = _body(2000)
    remote = await codec.decode(body, None)
    assert codec._pool is not None
    inline = await Codec(allow_non_finite=False).decode(body, None)
    assert remote.request_id == inline.request_id == "big"
    np.testing.assert_array_equal(remote.inputs[0].array, inline.inputs[0].array)


async def test_a_large_bad_body_is_the_same_400(codec):
    with pytest.raises(ProtocolError, match="must be numbers") as caught:
        await codec.decode(_body(2000, bad=True), None)
    assert caught.value.status == 400


async def test_a_dead_helper_is_a_503_and_a_new_one_takes_over(codec):
    await codec.decode(_body(2000), None)
    assert codec._pool is not None
    for pid in list(codec._pool._processes):
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(ProtocolError, match="decoder restarted") as caught:
        await codec.decode(_body(2000), None)
    assert caught.value.status == 503
    again = await codec.decode(_body(2000), None)
    assert again.inputs[0].array.shape == (2000, 3)


async def test_small_bodies_stay_on_the_event_loop(codec):
    await codec.decode(_body(2), None)
    assert codec._pool is None


async def test_a_large_answer_is_encoded_in_the_helper_process_like_inline(codec):
    from local_serving.protocol.tensors import TensorSpec
    from local_serving.protocol.v2 import encode_response

    scores = np.linspace(0, 1, 500, dtype=np.float32).reshape(-1, 1)
    scores[3] = np.nan
    outputs = [(TensorSpec("score", "FP32", (-1, 1)), scores, False)]
    remote = await codec.encode("m", "1", "r", outputs)
    assert codec._pool is not None
    assert remote == encode_response("m", "1", "r", outputs)
