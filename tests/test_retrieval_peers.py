"""A peer's request names a knowledge base: this node reads it only when it is shared.

The peer side of ``Federation`` on an unstarted node with a recording link (tests/peer_side.py,
as in test_federation_serve.py); every knowledge base opened for reading is recorded."""

from __future__ import annotations

import numpy as np
import pytest

from hive_tui import wire
from hive_tui.federation.service import Federation
from hive_tui.retrieval import library, retrieve
from hive_tui.retrieval.chunking import Chunk
from hive_tui.swarm.swarm import SwarmRequest, VoteResult
from tests.peer_side import RecordingLink, unstarted_node

pytestmark = pytest.mark.pure


@pytest.fixture
def federation(tmp_path, monkeypatch):
    data = tmp_path / "data"
    for name, shared in (("private", "0"), ("open", "1")):
        store = library.open_kb(data, name, create=True)
        store.set_meta("shared", shared)
        fact = Chunk(f"/notes/{name}.md", 1, 3, f"The mayor is Ondrea Vasket ({name}).")
        store.put_file(fact.path, "hash", [fact], np.ones((1, 4), dtype=np.float32))
        store.close()
    node = unstarted_node(tmp_path, data_dir=str(data))
    node.swarm.run = FakeSwarmRun()  # type: ignore[method-assign]
    return Federation(node, "127.0.0.1", 1)


class FakeSwarmRun:
    """The local vote, answering with the prompt it was given (so a test sees the passages)."""

    def __init__(self) -> None:
        self.requests: list[SwarmRequest] = []

    async def __call__(self, request: SwarmRequest) -> VoteResult:
        self.requests.append(request)
        prompt = request.messages[-1].content
        winner = wire.Candidate("w0", prompt, node_id="node-me")
        decision = wire.Decision("similarity", 0, [1.0], [[0]], 1.0, 1)
        return VoteResult(request.request_id, request.seed or 0, [winner], decision, False, [], 1)


@pytest.fixture
def opened(monkeypatch):
    """Names of the knowledge bases opened for retrieval."""
    names: list[str] = []
    real = retrieve.open_kb

    def recording(data_dir, name, create=False):
        names.append(name)
        return real(data_dir, name, create=create)

    monkeypatch.setattr(retrieve, "open_kb", recording)
    return names


def generate(kb: str) -> wire.PeerGenerate:
    messages = [wire.ChatMessage("user", "Who is the mayor?")]
    return wire.PeerGenerate("req-1", messages, wire.SamplingParams(), "similarity", 1, kb=kb)


async def test_a_peer_request_never_reads_a_private_knowledge_base(federation, opened):
    link = RecordingLink()
    await federation._serve(link, generate("private"))
    (error,) = link.sent
    assert isinstance(error, wire.PeerError) and "not shared" in error.message
    assert opened == []


async def test_a_peer_request_reads_a_shared_knowledge_base(federation, opened):
    link = RecordingLink()
    await federation._serve(link, generate("open"))
    assert opened == ["open"]
    result = link.sent[-1]
    assert isinstance(result, wire.PeerLocalResult)
    assert "Ondrea Vasket (open)" in result.candidates[0].text  # the passage was in the prompt
    assert "[open.md:1-3]" in result.candidates[0].text


async def test_the_nodes_own_request_reads_its_private_knowledge_base(federation, opened):
    node = federation.node
    request = node.request([wire.ChatMessage("user", "Who is the mayor?")], kb="private")
    assert request.kb == "private" and not request.from_peer
    result = await node.answer(request)
    assert opened == ["private"]
    assert [(p.kb, p.path, p.start_line, p.end_line) for p in result.passages] == [
        ("private", "/notes/private.md", 1, 3)
    ]
    (grounded,) = node.swarm.run.requests
    assert grounded.kb is None and "Ondrea Vasket (private)" in grounded.messages[-1].content
