"""Large bodies are decoded in a helper process, with the same answers and errors as inline."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

from local_serving.http.decoding import Decoder
from local_serving.protocol.v2 import ProtocolError


def _body(rows: int, bad: bool = False) -> bytes:
    data = np.arange(rows * 3, dtype=np.float32).reshape(rows, 3).tolist()
    if bad:
        data[-1][-1] = None
    entry = {"name": "input", "datatype": "FP32", "shape": [rows, 3], "data": data}
    return json.dumps({"id": "big", "inputs": [entry]}).encode()


@pytest.fixture
def decoder():
    decoder = Decoder(allow_non_finite=False, large_body_bytes=1024)
    yield decoder
    decoder.close()


async def test_a_large_body_is_decoded_in_the_helper_process_like_inline(decoder):
    body = _body(2000)
    remote = await decoder.decode(body, None)
    assert decoder._pool is not None
    inline = await Decoder(allow_non_finite=False).decode(body, None)
    assert remote.request_id == inline.request_id == "big"
    np.testing.assert_array_equal(remote.inputs[0].array, inline.inputs[0].array)


async def test_a_large_bad_body_is_the_same_400(decoder):
    with pytest.raises(ProtocolError, match="must be numbers") as caught:
        await decoder.decode(_body(2000, bad=True), None)
    assert caught.value.status == 400


async def test_a_dead_helper_is_a_503_and_a_new_one_takes_over(decoder):
    await decoder.decode(_body(2000), None)
    assert decoder._pool is not None
    for pid in list(decoder._pool._processes):
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(ProtocolError, match="decoder restarted") as caught:
        await decoder.decode(_body(2000), None)
    assert caught.value.status == 503
    again = await decoder.decode(_body(2000), None)
    assert again.inputs[0].array.shape == (2000, 3)


async def test_small_bodies_stay_on_the_event_loop(decoder):
    await decoder.decode(_body(2), None)
    assert decoder._pool is None
