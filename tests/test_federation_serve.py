"""A peer's request is checked like an API request and admitted through the node's queue.

The peer side of ``Federation`` on an unstarted node with a recording link: every refusal
here is decided before any worker would run."""

from __future__ import annotations

import pytest

from hive_tui import wire
from hive_tui.federation.service import BUSY, Federation
from tests.peer_side import RecordingLink, unstarted_node

pytestmark = pytest.mark.pure


class FullQueue:
    def __init__(self) -> None:
        self.entered = 0

    def try_enter(self) -> bool:
        self.entered += 1
        return False

    def leave(self) -> None:  # never reached: nothing entered
        raise AssertionError("left without entering")


@pytest.fixture
def federation(tmp_path):
    return Federation(unstarted_node(tmp_path), "127.0.0.1", 1)


def generate(params: wire.SamplingParams | None = None, **kw) -> wire.PeerGenerate:
    params = params or wire.SamplingParams()
    messages = [wire.ChatMessage("user", "hi")]
    return wire.PeerGenerate("req-1", messages, params, "similarity", 1, **kw)


@pytest.mark.parametrize(
    ("frame", "param"),
    [
        (generate(deadline_s=float("nan")), "deadline_s"),
        (generate(deadline_s=-1.0), "deadline_s"),
        (generate(wire.SamplingParams(temperature=float("nan"))), "temperature"),
        (generate(wire.SamplingParams(max_tokens=-5)), "max_tokens"),
        (generate(workers=10**9), "workers"),
        (generate(wire.SamplingParams(top_p=float("inf"))), "top_p"),
    ],
)
async def test_a_peer_request_out_of_range_is_refused_with_an_error(federation, frame, param):
    link = RecordingLink()
    await federation._serve(link, frame)
    (error,) = link.sent
    assert isinstance(error, wire.PeerError) and error.request_id == "req-1"
    assert param in error.message
    assert federation._serving == {}


async def test_a_peer_request_past_max_queue_is_refused_as_busy(federation):
    queue = FullQueue()
    federation.node.admission = queue
    link = RecordingLink()
    await federation._serve(link, generate())
    assert queue.entered == 1
    assert link.sent == [wire.PeerError(BUSY, "req-1")]
