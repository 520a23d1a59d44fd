"""``hive bench load``: many users at once. C concurrent clients against one node, in one run.

A node is started in this process behind its real HTTP API (the plan's choices, except what
the flags set). The same R seeded requests are sent by 1 client (one after another: the
baseline) and by C = 2, 4, 8, 16 clients at once, streaming, so the time to the first content
chunk is seen as a client sees it. Printed per C: wall time, aggregate tokens/s, vote latency
p50/p95, time to first token p50, the speed-up over one after another, and whether every
request's answer was the same text as in the baseline (seeds give the same candidates
whatever else runs).

With ``--compare-off`` a second node with one vote per worker (``concurrent_votes`` 1, the
behaviour before continuous batching) runs the same requests first, for the before/after.
"""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from hive_tui.config import load_settings

QUESTIONS = [
    "Name three uses of a paperclip.",
    "Why is the sky blue? Answer in two sentences.",
    "Write a haiku about rain.",
    "What is the capital of Italy, and what is it known for?",
    "Give two tips for learning to cook.",
    "Explain what a prime number is.",
    "Describe a cat in one sentence.",
    "What should I pack for a day at the beach?",
]
CLIENTS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class Outcome:
    latency_s: float
    ttft_s: float
    tokens: int
    text: str


@dataclass(frozen=True)
class Round:
    clients: int
    wall_s: float
    outcomes: list[Outcome]

    @property
    def tokens(self) -> int:
        return sum(o.tokens for o in self.outcomes)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _ask(client: httpx.AsyncClient, url: str, i: int, max_tokens: int) -> Outcome:
    body = {
        "messages": [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}],
        "max_tokens": max_tokens,
        "seed": 1000 + i,
        "stream": True,
    }
    started = time.perf_counter()
    first = 0.0
    parts: list[str] = []
    tokens = 0
    async with client.stream("POST", f"{url}/v1/chat/completions", json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk: dict[str, Any] = json.loads(line[6:])
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece and not first:
                    first = time.perf_counter() - started
                parts.append(piece)
            hive = chunk.get("hive") or {}
            tokens = max(tokens, sum(c.get("tokens", 0) for c in hive.get("candidates", [])))
    return Outcome(time.perf_counter() - started, first, tokens, "".join(parts))


async def _round(url: str, clients: int, requests: int, max_tokens: int) -> Round:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    outcomes: dict[int, Outcome] = {}

    async def client_loop(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            outcomes[i] = await _ask(client, url, i, max_tokens)

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=900) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    return Round(clients, time.perf_counter() - started, [outcomes[i] for i in range(requests)])


async def _node_rounds(
    overrides: dict[str, Any], clients: tuple[int, ...], requests: int, max_tokens: int
) -> tuple[list[Round], str]:
    import uvicorn

    from hive_tui.api.app import create_app
    from hive_tui.node import Node
    from hive_tui.node_plan import make_plan

    settings = load_settings({"port": 0, "early_exit": False, **overrides})
    plan = make_plan(settings)
    node = Node(settings, plan, node_id="bench-load")
    await node.start()
    server = uvicorn.Server(
        uvicorn.Config(create_app(node), host="127.0.0.1", port=0, log_level="warning",
                       lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    described = (f"{plan.workers} workers, {len(plan.processes())} process(es), "
                 f"{plan.concurrency} vote(s) per worker at once")
    try:
        await _round(url, 1, 1, 8)  # warm up
        rounds = [await _round(url, c, max(requests, c), max_tokens) for c in clients]
    finally:
        server.should_exit = True
        await serving
        await node.stop()
    return rounds, described


def _table(title: str, rounds: list[Round]) -> str:
    base = rounds[0]
    rows = [title, f"{'clients':>8}{'wall s':>9}{'tok/s':>8}{'p50 s':>8}{'p95 s':>8}"
                   f"{'ttft p50':>10}{'speed-up':>10}{'same text':>11}"]
    for r in rounds:
        lat = [o.latency_s for o in r.outcomes]
        same = sum(o.text == b.text for o, b in zip(r.outcomes, base.outcomes, strict=False))
        speedup = (base.wall_s / len(base.outcomes)) / (r.wall_s / len(r.outcomes))
        rows.append(
            f"{r.clients:>8}{r.wall_s:>9.1f}{r.tokens / r.wall_s:>8.1f}{_pct(lat, 0.5):>8.2f}"
            f"{_pct(lat, 0.95):>8.2f}{statistics.median(o.ttft_s for o in r.outcomes):>10.2f}"
            f"{speedup:>9.2f}x{same:>6}/{min(len(r.outcomes), len(base.outcomes))}"
        )
    return "\n".join(rows)


def run(workers: int | None, concurrent: int | None, requests: int, max_tokens: int,
        compare_off: bool, clients: tuple[int, ...] = CLIENTS, model: str | None = None,
        ceiling: bool = True, layout: dict[str, int] | None = None) -> int:
    import llama_cpp

    from hive_tui.bench.split import cpu_name
    from hive_tui.embedded_model import embedded_model_path

    print(f"CPU: {cpu_name()} ({platform.machine()})  llama-cpp-python {llama_cpp.__version__}"
          f"  model: {model or 'embedded'}")
    if ceiling:
        from hive_tui.bench.batch_ceiling import batch_ceiling

        speeds = batch_ceiling(model or str(embedded_model_path()))
        one = speeds[1]
        print("raw decode ceiling (llama.cpp alone, 1 thread, B sequences per step): "
              + ", ".join(f"B={b} {tps / one:.2f}x" for b, tps in speeds.items())
              + f" of {one:.1f} tok/s")
    base: dict[str, Any] = {"workers": workers} if workers else {}
    base.update(layout or {})
    if model:
        base["model"] = model
    if compare_off:
        rounds, described = asyncio.run(
            _node_rounds({**base, "concurrent_votes": 1}, clients, requests, max_tokens))
        print(_table(f"before: {described}", rounds))
    extra = {"concurrent_votes": concurrent} if concurrent else {}
    rounds, described = asyncio.run(_node_rounds({**base, **extra}, clients, requests, max_tokens))
    print(_table(f"continuous batching: {described}", rounds))
    return 0
