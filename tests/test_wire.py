import asyncio
import io

import msgspec
import pytest

from hive_tui import wire


def sample_frames() -> list[wire.WorkerFrame]:
    params = wire.SamplingParams(temperature=0.5, max_tokens=12, stop=["\n\n"], seed=7)
    return [
        wire.Load(model_path="/m.gguf", n_ctx=512, n_threads=1),
        wire.Generate("r1", [wire.ChatMessage("user", "hi")], params),
        wire.Generate("r2", [wire.ChatMessage("user", "hi")], params, logprobs=False),
        wire.Cancel("r1"),
        wire.Shutdown(),
        wire.Ready("llama", "m", 512, 1, 123, 0.5),
        wire.TokenChunk("r1", "Par"),
        wire.Done("r1", "Paris", "stop", 10, 2, 0.1, 0.2, -0.3),
        wire.WorkerError("boom", "r1", fatal=True),
    ]


@pytest.mark.parametrize("msg", sample_frames(), ids=lambda m: type(m).__name__)
def test_every_worker_frame_round_trips_through_the_one_decoder(msg):
    stream = io.BytesIO(wire.frame(msg))
    body = wire.read_frame_blocking(stream)
    assert wire.decode_worker_frame(body) == msg
    assert wire.read_frame_blocking(stream) is None  # clean end of stream


def test_core_events_round_trip():
    cand = wire.Candidate("w0", "Paris", mean_logprob=-0.2)
    decision = wire.Decision("similarity", 0, [1.0], [[0]], 1.0, agree_count=1, mean_similarity=1.0)
    event = wire.VoteDecided("r", [cand], decision, degraded=True, missing=["w1"])
    assert wire.core_event_decoder.decode(wire.encode(event)) == event
    assert wire.core_event_json_decoder.decode(msgspec.json.encode(event)) == event


def test_truncated_and_oversized_frames_are_errors_not_crashes():
    data = wire.frame(wire.TokenChunk("r", "hello"))
    with pytest.raises(wire.FrameError):
        wire.read_frame_blocking(io.BytesIO(data[:-2]))
    with pytest.raises(wire.FrameError):
        wire.read_frame_blocking(io.BytesIO(data[:2]))
    huge = (wire.MAX_FRAME_BYTES + 1).to_bytes(4, "big")
    with pytest.raises(wire.FrameError):
        wire.read_frame_blocking(io.BytesIO(huge))


def test_garbage_and_wrong_types_are_rejected():
    with pytest.raises(wire.FrameError):
        wire.decode_worker_frame(b"\xff\x00garbage")
    wrong = msgspec.msgpack.encode({"type": "token", "request_id": 5, "text": "x"})
    with pytest.raises(wire.FrameError):
        wire.decode_worker_frame(wrong)
    unknown_tag = msgspec.msgpack.encode({"type": "nope"})
    with pytest.raises(wire.FrameError):
        wire.decode_worker_frame(unknown_tag)


async def test_async_reader_reads_frames_and_reports_truncation():
    reader = asyncio.StreamReader()
    reader.feed_data(wire.frame(wire.Cancel("a")) + wire.frame(wire.Cancel("b"))[:5])
    reader.feed_eof()
    assert wire.decode_worker_frame(await wire.read_frame(reader)) == wire.Cancel("a")
    with pytest.raises(wire.FrameError):
        await wire.read_frame(reader)
