"""``hive bench prefix``: a conversation's next turn with and without the prompt cache, one run.

A node is started in this process twice, with ``prompt_cache`` off (every prompt evaluated
from its first token: the cold start) and on. Each of R long conversations (about
``--history`` tokens of earlier turns, then a new question) is asked of both: the cold node
gets the final turn alone; the cached node first answers the turn before it, as a chat would,
then the final turn, which finds the history in its workers' cells. Printed: time to first
token of the final turn (mean over the workers, then over conversations) cold and cached,
their ratio, the share of prompt tokens found in the cache, and how many of the final
answers came out as a different text (same seeds: reused cells were computed in another
batch shape, which can tip a near tie).
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hive_tui import wire
from hive_tui.bench.speculative import build_info
from hive_tui.config import load_settings

if TYPE_CHECKING:
    from hive_tui.node import Node

TOPICS = ["rivers", "bread", "bicycles", "volcanoes", "libraries", "tea", "bridges", "owls"]
SENTENCES = [
    "It has a long history that many people find interesting.",
    "There are several kinds, and each one is used in a different way.",
    "Some of the details depend on the region and on the season.",
    "People often disagree about which version is the best one.",
    "A simple example makes the idea much easier to remember.",
    "The main point is that small changes can add up over time.",
]
SYSTEM = "You are a helpful assistant. Answer briefly and plainly."


@dataclass(frozen=True)
class Turn:
    ttft_s: float
    prompt_tokens: int
    cached_tokens: int
    texts: tuple[str, ...]


def conversation(index: int, history_tokens: int) -> list[wire.ChatMessage]:
    """A system prompt, earlier turns of about ``history_tokens`` tokens, a new question."""
    messages = [wire.ChatMessage("system", SYSTEM)]
    words, turn = 0, 0
    while words * 4 // 3 < history_tokens:  # about 4 tokens to 3 words in English prose
        topic = TOPICS[(index + turn) % len(TOPICS)]
        answer = " ".join(SENTENCES[(index + turn + k) % len(SENTENCES)] for k in range(5))
        messages += [wire.ChatMessage("user", f"Tell me something about {topic}."),
                     wire.ChatMessage("assistant", f"About {topic}: {answer}")]
        words += 6 + len(answer.split()) + 2
        turn += 1
    question = f"In one word, what did we talk about first? ({index})"
    messages.append(wire.ChatMessage("user", question))
    return messages


async def _ask(node: Node, messages: list[wire.ChatMessage], seed: int, max_tokens: int) -> Turn:
    result = await node.answer(node.request(messages, seed=seed, max_tokens=max_tokens))
    answers = [c for c in result.candidates if c.finish_reason in ("stop", "length")]
    return Turn(
        ttft_s=statistics.mean(c.ttft_s for c in answers),
        prompt_tokens=sum(c.prompt_tokens for c in answers),
        cached_tokens=sum(c.cached_tokens for c in answers),
        texts=tuple(c.text for c in answers),
    )


async def _turns(cache: bool, workers: int, n_ctx: int, runs: int, history: int,
                 max_tokens: int) -> tuple[list[Turn], str]:
    from hive_tui.node import Node
    from hive_tui.node_plan import make_plan

    settings = load_settings({"workers": workers, "n_ctx": n_ctx, "threads": 1,
                              "prompt_cache": cache, "federation": False}, environ={})
    plan = make_plan(settings)
    node = Node(settings, plan)
    await node.start()
    try:
        turns = []
        for i in range(runs):
            messages = conversation(i, history)
            if cache:  # the turn before, as the chat asked it: its cells stay in the workers
                await _ask(node, messages[:-3] + messages[-1:], seed=500 + i, max_tokens=8)
            turns.append(await _ask(node, messages, seed=1000 + i, max_tokens=max_tokens))
        return turns, f"{plan.model_name}, {plan.workers} workers, n_ctx {plan.n_ctx}"
    finally:
        await node.stop()


def run(workers: int, n_ctx: int, runs: int, history: int, max_tokens: int) -> int:
    print(build_info(), flush=True)
    cold, described = asyncio.run(_turns(False, workers, n_ctx, runs, history, max_tokens))
    warm, _ = asyncio.run(_turns(True, workers, n_ctx, runs, history, max_tokens))
    prompt = statistics.mean(t.prompt_tokens / max(1, len(t.texts)) for t in cold)
    cold_s = statistics.mean(t.ttft_s for t in cold)
    warm_s = statistics.mean(t.ttft_s for t in warm)
    read = sum(t.prompt_tokens for t in warm)
    cached = sum(t.cached_tokens for t in warm)
    differ = sum(a != b for c, w in zip(cold, warm, strict=True)
                 for a, b in zip(c.texts, w.texts, strict=False))
    answers = sum(len(t.texts) for t in cold)
    print(f"{described}; {runs} conversations of about {prompt:.0f} prompt tokens")
    print(f"time to first token, final turn: cold {cold_s:.2f} s, cached {warm_s:.2f} s "
          f"({warm_s / cold_s:.2f}x of cold)")
    print(f"prompt tokens found in the cache on the final turn: {cached} of {read} "
          f"({cached / max(1, read):.0%})")
    print(f"final answers whose text differs from the cold run's: {differ} of {answers}")
    return 0
