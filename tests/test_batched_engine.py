"""The batched llama.cpp engine with the real embedded model, 1 thread: K slots in one context
give each sequence the answer it gets alone, and slots never disturb each other."""

from __future__ import annotations

import pytest

from hive_tui import wire
from hive_tui.backends.process import WorkerProcess
from hive_tui.embedded_model import embedded_model_path
from tests.batch_host import Host

pytestmark = pytest.mark.model

QUESTIONS = [
    "What is the capital of France? Answer in one word.",
    "Name three colours.",
    "What is 2 + 2?",
]


def request(slot: int, question: str = QUESTIONS[0], rid: str = "r", **params) -> wire.Generate:
    params.setdefault("max_tokens", 12)
    params.setdefault("temperature", 0.0)
    return wire.Generate(rid, [wire.ChatMessage("user", question)],
                         wire.SamplingParams(**params), slot=slot)


@pytest.fixture(scope="module")
def engine():
    from hive_tui.backends.batched_engine import BatchedLlamaEngine

    e = BatchedLlamaEngine()
    ready = e.load(wire.Load(str(embedded_model_path()), n_ctx=512, n_threads=1, slots=4))
    assert ready.slots == 4
    return e


def run(engine, requests, **host_kw) -> Host:
    host = Host(record_failures=True, **host_kw)
    engine.run_batch(requests, host)
    assert not host.failures
    return host


def alone(engine, req: wire.Generate) -> wire.Done:
    return run(engine, [req]).results[req.slot]


def test_greedy_slots_match_each_sequence_alone(engine):
    batch = [request(0, QUESTIONS[0]), request(1, QUESTIONS[1], max_tokens=16),
             request(2, QUESTIONS[0])]
    host = run(engine, batch)
    for req in batch:
        solo = alone(engine, req)
        got = host.results[req.slot]
        assert got.text == solo.text and got.completion_tokens == solo.completion_tokens
        assert host.streamed.get(req.slot, "") == got.text
        assert got.mean_logprob is not None and got.mean_logprob < 0
        assert got.mean_logprob == pytest.approx(solo.mean_logprob, abs=1e-4)
    assert "Paris" in host.results[0].text and host.results[0].text == host.results[2].text


def test_a_request_that_joins_a_running_batch_shares_the_prompt_and_matches_alone(engine):
    late = request(2, QUESTIONS[0])  # same prompt as slot 0: its cache cells are copied
    host = run(engine, [request(0, QUESTIONS[0]), request(1, QUESTIONS[1])], late=[late])
    assert host.results[2].text == alone(engine, late).text == host.results[0].text


def test_sampled_slots_are_reproducible_by_seed(engine):
    batch = [request(i, QUESTIONS[1], temperature=1.0, seed=100 + i) for i in range(3)]
    first = run(engine, batch)
    second = run(engine, batch)
    texts = [first.results[i].text for i in range(3)]
    assert texts == [second.results[i].text for i in range(3)]
    assert len(set(texts)) > 1  # each slot draws with its own seed


def test_cancelling_one_slot_leaves_the_others_intact(engine):
    batch = [request(i, QUESTIONS[1], max_tokens=16) for i in range(3)]
    whole = run(engine, batch)
    host = run(engine, batch, cancel_after={1: 3})
    assert host.results[1].finish_reason == "cancelled"
    assert host.results[1].completion_tokens < whole.results[1].completion_tokens
    for slot in (0, 2):
        assert host.results[slot].text == whole.results[slot].text
        assert host.results[slot].finish_reason == whole.results[slot].finish_reason


def test_stop_strings_and_token_budgets_are_per_slot(engine):
    batch = [request(0, max_tokens=2), request(1, stop=["ris"]), request(2)]
    host = run(engine, batch)
    assert host.results[0].completion_tokens == 2 and host.results[0].finish_reason == "length"
    assert host.results[1].text.endswith("Pa") and host.results[1].finish_reason == "stop"
    assert "ris" not in host.streamed[1]
    assert "Paris" in host.results[2].text and host.results[2].finish_reason == "stop"


async def test_child_process_serves_slots_with_their_own_cancel():
    proc = WorkerProcess("llama-batched", 0)
    ready = await proc.start(wire.Load(str(embedded_model_path()), n_ctx=512, n_threads=1,
                                       slots=3))
    try:
        assert ready.slots == 3
        streams = [proc.generate(request(i, QUESTIONS[1], rid="v", max_tokens=20))
                   for i in range(3)]
        texts: dict[int, str] = {0: "", 1: "", 2: ""}
        dones: dict[int, wire.Done] = {}

        async def consume(i: int) -> None:
            async for frame in streams[i]:
                match frame:
                    case wire.TokenChunk(text=text):
                        texts[i] += text
                        if i == 1 and len(texts[1]) > 3:
                            proc.cancel("v", 1)
                    case wire.Done() as done:
                        dones[i] = done

        import asyncio

        await asyncio.gather(*(consume(i) for i in range(3)))
    finally:
        await proc.stop()
    assert dones[1].finish_reason == "cancelled"
    assert dones[0].text == dones[2].text == texts[0] and dones[0].finish_reason != "cancelled"


def test_a_sampled_slot_matches_the_one_sequence_worker_with_the_same_seed(engine):
    """Same sampler chain, seed and attention kernels as LlamaEngine: a vote's candidates do
    not depend on whether its workers are slots or processes."""
    from hive_tui.backends.llama_engine import LlamaEngine

    single = LlamaEngine()
    single.load(wire.Load(str(embedded_model_path()), n_ctx=512, n_threads=1))
    # (The last one with min-p, which both engines put after top-p, before the temperature.)
    batch = [request(i, QUESTIONS[i % 2], temperature=0.7, seed=7 + i, min_p=0.1 * (i == 2))
             for i in range(3)]
    host = run(engine, batch)
    for req in batch:
        assert host.results[req.slot].text == single.generate(req, lambda _: None,
                                                              lambda: False).text
