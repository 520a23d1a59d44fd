"""``hive bench overhead``: what the swarm machinery costs over raw llama-cpp-python.

Same model, prompt, token budget, thread count and greedy decoding, measured in one run:

* raw: ``Llama.create_chat_completion`` in this process;
* hive: one worker behind ``hive --node``'s HTTP API (child process, frames, vote, HTTP).

tokens/s is completion tokens over wall time of the whole call, prompt included, for both,
and both evaluate the prompt from an empty cache.
Runs alternate (raw, hive, raw, hive...) so that a busy neighbour slows both alike; the
median of each is compared.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from hive_tui.config import load_settings

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_types import ChatCompletionRequestMessage

PROMPT = "Write a detailed story about a lighthouse keeper who finds a message in a bottle."


@dataclass(frozen=True)
class OverheadReport:
    raw_tps: list[float]
    hive_tps: list[float]
    tokens: int

    @property
    def ratio(self) -> float:
        return statistics.median(self.hive_tps) / statistics.median(self.raw_tps)

    def table(self) -> str:
        raw, hive = statistics.median(self.raw_tps), statistics.median(self.hive_tps)
        return "\n".join(
            [
                f"{'path':<34}{'tokens/s (median)':>18}{'runs':>6}",
                f"{'raw llama-cpp-python':<34}{raw:>18.1f}{len(self.raw_tps):>6}",
                f"{'hive API, 1 worker':<34}{hive:>18.1f}{len(self.hive_tps):>6}",
                f"ratio hive/raw: {self.ratio:.3f}   ({self.tokens} tokens per run)",
            ]
        )


def _raw_run(llm: Llama, max_tokens: int) -> tuple[float, int]:
    # hive evaluates every prompt from an empty cache (so seeds reproduce); without a reset
    # llama-cpp-python would reuse the previous run's prompt and skip that work.
    llm.reset()
    started = time.perf_counter()
    messages: list[ChatCompletionRequestMessage] = [{"role": "user", "content": PROMPT}]
    out = llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=max_tokens)
    assert isinstance(out, dict)  # not a stream
    elapsed = time.perf_counter() - started
    n = out["usage"]["completion_tokens"]
    return n / elapsed, n


async def _hive_run(client: httpx.AsyncClient, url: str, max_tokens: int) -> tuple[float, int]:
    body = {
        "messages": [{"role": "user", "content": PROMPT}],
        "temperature": 0.0,
        "max_tokens": max_tokens,
        "seed": 1,
    }
    started = time.perf_counter()
    r = await client.post(f"{url}/v1/chat/completions", json=body)
    elapsed = time.perf_counter() - started
    r.raise_for_status()
    n = r.json()["usage"]["completion_tokens"]
    return n / elapsed, n


async def measure(model: str | None, threads: int, max_tokens: int, runs: int) -> OverheadReport:
    import llama_cpp
    import uvicorn

    from hive_tui.api.app import create_app
    from hive_tui.node import Node
    from hive_tui.node_plan import make_plan

    settings = load_settings({"workers": 1, "threads": threads, "model": model, "port": 0})
    plan = make_plan(settings)
    llm = llama_cpp.Llama(
        model_path=plan.model_path,
        n_ctx=plan.n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        flash_attn=True,  # the kernel hive's workers use, so the ratio is hive's own overhead
        verbose=False,
    )
    node = Node(settings, plan, node_id="bench")
    await node.start()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(node), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    raw, hive, tokens = [], [], 0
    try:
        async with httpx.AsyncClient(timeout=600) as client:
            _raw_run(llm, 8)  # warm both paths once
            await _hive_run(client, url, 8)
            for _ in range(runs):
                tps, tokens = _raw_run(llm, max_tokens)
                raw.append(tps)
                tps, hive_tokens = await _hive_run(client, url, max_tokens)
                hive.append(tps)
                if hive_tokens != tokens:
                    print(f"note: raw made {tokens} tokens, hive {hive_tokens}")
    finally:
        server.should_exit = True
        await serving
        await node.stop()
    return OverheadReport(raw, hive, tokens)


def run(model: str | None, threads: int, max_tokens: int, runs: int) -> int:
    report = asyncio.run(measure(model, threads, max_tokens, runs))
    print(report.table())
    return 0
