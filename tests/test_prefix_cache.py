"""The batched engine's prefix cache: a conversation's next turn evaluates only its new tokens,
and answers the same as a cold engine (real embedded model, 1 thread); the bookkeeping alone."""

from __future__ import annotations

import httpx
import pytest

from hive_tui import wire
from hive_tui.backends.prefix_cache import PrefixCache, common_prefix
from hive_tui.embedded_model import embedded_model_path
from tests.batch_host import Host


class Cells:
    """What the engine would drop: (sequence, from position) per call."""

    def __init__(self) -> None:
        self.dropped: list[tuple[int, int]] = []

    def drop(self, seq: int, keep: int) -> None:
        self.dropped.append((seq, keep))


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2, 3]) == 2


def test_a_prompt_goes_to_the_sequence_holding_its_longest_prefix():
    cells = Cells()
    cache = PrefixCache(cells.drop)
    cache.keep(0, [7, 8, 9])
    cache.keep(1, [1, 2, 3, 4, 5, 6])
    free = [0, 1, 2]
    seq, reused = cache.take_for([1, 2, 3, 4, 10, 11], free)
    assert (seq, reused) == (1, 4)
    assert free == [0, 2]
    assert cells.dropped == [(1, 4)]  # the cells past the shared prefix go


def test_the_last_prompt_token_is_always_evaluated_again():
    cells = Cells()
    cache = PrefixCache(cells.drop)
    cache.keep(0, [1, 2, 3])
    seq, reused = cache.take_for([1, 2, 3], [0])
    assert (seq, reused) == (0, 2)
    assert cells.dropped == [(0, 2)]


def test_a_copied_into_slot_takes_the_least_useful_cache_emptied():
    cells = Cells()
    cache = PrefixCache(cells.drop)
    cache.keep(0, [1, 2, 3])
    cache.keep(1, [5, 6])
    free = [0, 1]
    assert cache.take_empty([1, 2, 3, 4], free) == 1
    assert cells.dropped == [(1, 0)]
    # Forgotten cells (the engine cleared its memory) are never dropped again.
    cache.forget()
    assert cache.take_for([1, 2, 3, 4], [0]) == (0, 0)
    assert cells.dropped == [(1, 0)]


SYSTEM = ("You are a careful assistant. Answer briefly. " * 12).strip()


def conversation(turns: int) -> list[wire.ChatMessage]:
    messages = [wire.ChatMessage("system", SYSTEM), wire.ChatMessage("user", "Name a colour.")]
    if turns > 1:
        messages += [wire.ChatMessage("assistant", "Blue."),
                     wire.ChatMessage("user", "Name a fruit that has that colour.")]
    return messages


def request(messages: list[wire.ChatMessage], rid: str, slot: int = 0) -> wire.Generate:
    return wire.Generate(rid, messages, wire.SamplingParams(max_tokens=16, temperature=0.0),
                         slot=slot)


def engine(prompt_cache: bool = True):
    from hive_tui.backends.batched_engine import BatchedLlamaEngine

    e = BatchedLlamaEngine()
    e.load(wire.Load(str(embedded_model_path()), n_ctx=1024, n_threads=1, slots=2,
                     prompt_cache=prompt_cache))
    return e


def run(e, *requests: wire.Generate) -> dict[int, wire.Done]:
    host = Host()
    e.run_batch(list(requests), host)
    return host.results


@pytest.mark.model
def test_a_next_turn_evaluates_only_its_new_tokens():
    warm = engine()
    first = run(warm, request(conversation(1), "t1"))[0]
    assert first.cached_tokens == 0
    second = run(warm, request(conversation(2), "t2"))[0]
    prompt_1 = len(warm.prompt_tokens(conversation(1)))
    # The system prompt and the first question are in the cells already.
    assert prompt_1 - 1 <= second.cached_tokens < second.prompt_tokens
    assert second.text.strip()
    # A vote: both slots share one evaluation of the prompt, found whole in the cache (but
    # its last token), and so sample from the same logits: greedy, the same answer.
    both = run(warm, request(conversation(2), "v0", 0), request(conversation(2), "v1", 1))
    assert all(d.cached_tokens == second.prompt_tokens - 1 for d in both.values())
    assert both[0].text == both[1].text


@pytest.mark.model
def test_without_the_cache_an_answer_never_depends_on_the_last_request():
    # Reused cells were computed in another batch shape, which can tip a near tie the other
    # way (measured in hive bench prefix); the setting off gives a cold run's answer always.
    strict, cold = engine(prompt_cache=False), engine(prompt_cache=False)
    run(strict, request(conversation(1), "t1"))
    second = run(strict, request(conversation(2), "t2"))[0]
    fresh = run(cold, request(conversation(2), "c2"))[0]
    assert second.cached_tokens == fresh.cached_tokens == 0
    assert second.text == fresh.text


@pytest.mark.model
def test_a_conversation_through_the_api_reports_its_cached_prompt(node_process):
    import openai

    node = node_process("--workers", "2", "--threads", "1", "--n-ctx", "1024")
    node.wait_ready(2)
    client = openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused")
    history = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Name a colour."}]
    first = client.chat.completions.create(model="hive", messages=history, max_tokens=12, seed=1)
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    history += [{"role": "assistant", "content": first.choices[0].message.content},
                {"role": "user", "content": "Name a fruit that has that colour."}]
    second = client.chat.completions.create(model="hive", messages=history, max_tokens=12, seed=2)
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert first.usage.prompt_tokens - 1 <= cached < second.usage.prompt_tokens
    cache = node.health()["prompt_cache"]
    # Both workers found the first prompt; the winner's worker its own answer after it too.
    assert 2 * (first.usage.prompt_tokens - 1) <= cache["cached_tokens"] <= 2 * cached
    assert cache["prompt_tokens"] == 2 * (first.usage.prompt_tokens + second.usage.prompt_tokens)
    assert 0 < cache["hit_rate"] < 1
    from prometheus_client.parser import text_string_to_metric_families

    metrics = {s.name: s.value for f in text_string_to_metric_families(
        httpx.get(f"{node.url}/metrics", timeout=10).text) for s in f.samples}
    assert metrics["hive_prompt_tokens_cached_total"] == cache["cached_tokens"]
    assert metrics["hive_prompt_tokens_total"] == cache["prompt_tokens"]
