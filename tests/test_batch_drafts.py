"""Prompt-lookup drafting in the batched engine, with the real embedded model at 1 thread:
greedy slots give the text they give without drafting, token for token, in fewer decode
steps where the answer copies the prompt; sampled slots stay reproducible by seed; the cells
a drafting slot leaves are exactly its tokens, so the prefix cache stays right."""

from __future__ import annotations

import pytest

from hive_tui import wire
from hive_tui.bench.speculative import PROMPTS
from hive_tui.embedded_model import embedded_model_path
from tests.batch_host import Host

pytestmark = pytest.mark.model

EDIT = PROMPTS["edit code"]


def request(slot: int, text: str, rid: str = "r", **params) -> wire.Generate:
    params.setdefault("max_tokens", 48)
    params.setdefault("temperature", 0.0)
    return wire.Generate(rid, [wire.ChatMessage("user", text)],
                         wire.SamplingParams(**params), slot=slot)


def engine(speculative: str, prompt_cache: bool = False):
    from hive_tui.backends.batched_engine import BatchedLlamaEngine

    e = BatchedLlamaEngine()
    e.load(wire.Load(str(embedded_model_path()), n_ctx=1024, n_threads=1, slots=3,
                     speculative=speculative, draft_max=8, prompt_cache=prompt_cache))
    return e


@pytest.fixture(scope="module")
def plain():
    return engine("off")


@pytest.fixture(scope="module")
def drafting():
    return engine("lookup")


def run(e, requests) -> Host:
    host = Host(record_failures=True)
    e.run_batch(requests, host)
    assert not host.failures
    return host


def test_greedy_slots_give_the_same_text_in_fewer_steps(plain, drafting):
    batch = [request(0, EDIT, max_tokens=64), request(1, "Name three colours."),
             request(2, EDIT, max_tokens=64)]
    before = plain.decode_steps
    want = run(plain, batch)
    plain_steps = plain.decode_steps - before
    before = drafting.decode_steps
    got = run(drafting, batch)
    drafted_steps = drafting.decode_steps - before
    for req in batch:
        a, b = want.results[req.slot], got.results[req.slot]
        assert (b.text, b.completion_tokens, b.finish_reason) == (
            a.text, a.completion_tokens, a.finish_reason)
        assert got.streamed[req.slot] == b.text
        # One log-probability per token, the same numbers as without drafting.
        assert len(b.token_logprobs) == b.completion_tokens
        assert b.token_logprobs == pytest.approx(a.token_logprobs, abs=1e-3)
    assert "def parse_orders" in got.results[0].text  # the answer copies the code: drafts hold
    assert drafted_steps < plain_steps


def test_sampled_slots_with_drafts_are_reproducible_by_seed(drafting):
    # (No min-p: at the node's 0.3 two seeds copy this code alike; the test needs two samples.)
    batch = [request(0, EDIT, temperature=0.7, seed=11, min_p=0.0),
             request(1, EDIT, temperature=0.7, seed=12, min_p=0.0)]
    first, second = run(drafting, batch), run(drafting, batch)
    for slot in (0, 1):
        assert first.results[slot].text == second.results[slot].text
        assert first.results[slot].completion_tokens == len(
            first.results[slot].token_logprobs)
    assert first.results[0].text != first.results[1].text  # two seeds, two samples


def test_a_drafting_slot_leaves_its_cells_right_for_the_prefix_cache(plain):
    cached = engine("lookup", prompt_cache=True)
    first = request(0, EDIT, max_tokens=40)
    run(cached, [first])
    # The next turn starts with the whole first exchange: its cells are reused.
    answer = run(plain, [first]).results[0].text
    follow = wire.Generate("r2", [wire.ChatMessage("user", EDIT),
                                  wire.ChatMessage("assistant", answer),
                                  wire.ChatMessage("user", "Now rename it back.")],
                           wire.SamplingParams(max_tokens=24, temperature=0.0), slot=0)
    warm = run(cached, [follow]).results[0]
    assert warm.cached_tokens > len(EDIT) // 8  # the first turn's prompt came from the cache
    assert warm.text == run(plain, [follow]).results[0].text


def test_the_batched_engine_says_a_draft_model_needs_one_sequence_workers():
    from hive_tui.backends.batched_engine import BatchedLlamaEngine

    with pytest.raises(ValueError, match="one-sequence workers"):
        BatchedLlamaEngine().load(wire.Load(str(embedded_model_path()), slots=2,
                                            speculative="draft", draft_model="small.gguf"))
