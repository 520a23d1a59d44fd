"""End to end with the real embedded model (SmolLM2-135M), one thread per worker."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import openai
import pytest

from hive_tui import wire
from hive_tui.backends.process import WorkerProcess
from hive_tui.embedded_model import embedded_model_path

pytestmark = pytest.mark.model

FRANCE = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
SEED = 1236


def load_spec() -> wire.Load:
    return wire.Load(model_path=str(embedded_model_path()), n_ctx=1024, n_threads=1)


async def generate(proc: WorkerProcess, rid: str, **params) -> tuple[str, wire.Done]:
    request = wire.Generate(
        rid, [wire.ChatMessage(**m) for m in FRANCE], wire.SamplingParams(**params)
    )
    streamed, done = [], None
    async for frame in proc.generate(request):
        if isinstance(frame, wire.TokenChunk):
            streamed.append(frame.text)
        elif isinstance(frame, wire.Done):
            done = frame
    assert done is not None
    return "".join(streamed), done


async def test_llama_worker_process_streams_reproducibly_with_logprobs():
    proc = WorkerProcess("llama", 0)
    ready = await proc.start(load_spec())
    try:
        assert ready.backend == "llama" and ready.pid == proc.pid
        streamed, greedy = await generate(proc, "g", temperature=0.0, max_tokens=16)
        assert streamed == greedy.text and "Paris" in greedy.text
        assert greedy.finish_reason == "stop" and greedy.completion_tokens > 0
        assert greedy.mean_logprob is not None and greedy.mean_logprob < 0
        a = (await generate(proc, "a", temperature=1.0, max_tokens=24, seed=11))[1]
        _ = await generate(proc, "x", temperature=1.0, max_tokens=24, seed=99)
        b = (await generate(proc, "b", temperature=1.0, max_tokens=24, seed=11))[1]
        assert a.text == b.text  # same seed, same answer, whatever ran in between
        capped = (await generate(proc, "c", temperature=0.0, max_tokens=2))[1]
        assert capped.completion_tokens == 2 and capped.finish_reason == "length"
        stopped = (await generate(proc, "s", temperature=0.0, max_tokens=16, stop=["ris"]))[1]
        assert stopped.text.endswith("Pa") and stopped.finish_reason == "stop"
    finally:
        await proc.stop()
    assert not proc.alive


def test_node_answers_paris_through_the_openai_client(node_process):
    node = node_process("--workers", "3", "--threads", "1")
    node.wait_ready(3)
    client = openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused", max_retries=0, timeout=120)
    # A 135M model at temperature 0.7 names Paris in about 9 votes of 10, and which seeds
    # miss depends on the llama.cpp build (seed 1234 misses with the AVX2 build, 1245 with the
    # AMX one). SEED's vote names Paris with both builds that install.sh makes.
    r = client.chat.completions.create(model="hive", messages=FRANCE, seed=SEED, max_tokens=32)
    vote = r.model_extra["hive"]
    assert "paris" in r.choices[0].message.content.lower()
    assert len(vote["candidates"]) == 3 and 0.0 <= vote["agreement"] <= 1.0
    # The same seed reproduces the whole vote, streamed or not. (With early exit, on by
    # default, where a stopped worker's text ends depends on when the vote settled: README.)
    whole = {"hive": {"early_exit": False}}
    ask = {"model": "hive", "messages": FRANCE, "seed": SEED, "max_tokens": 32}
    r = client.chat.completions.create(**ask, extra_body=whole)
    vote = r.model_extra["hive"]
    chunks = list(client.chat.completions.create(**ask, extra_body=whole, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final_vote = chunks[-1].model_extra["hive"]
    assert streamed == next(c["text"] for c in final_vote["candidates"] if c["winner"])
    assert streamed == r.choices[0].message.content
    assert [c["text"] for c in final_vote["candidates"]] == [c["text"] for c in vote["candidates"]]


def test_kill_9_of_a_worker_mid_answer_degrades_then_recovers(node_process):
    # A process per worker (--slots 1), so one kill takes one candidate; slots that share a
    # process go down together (tests/test_batched_swarm.py).
    node = node_process("--workers", "3", "--threads", "1", "--slots", "1")
    health = node.wait_ready(3)
    victim = health["workers"][1]
    result: dict = {}

    def request() -> None:
        body = {
            "messages": [{"role": "user", "content": "Write a long poem about the sea."}],
            "max_tokens": 400,
            "temperature": 0.7,
            "seed": 3,
        }
        result["r"] = httpx.post(f"{node.url}/v1/chat/completions", json=body, timeout=120)

    t = threading.Thread(target=request)
    t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = {w["worker_id"]: w["state"] for w in node.health()["workers"]}
        if states[victim["worker_id"]] == "generating":
            break
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(victim["pid"], signal.SIGKILL)
    t.join(120)
    r = result["r"]
    assert r.status_code == 200
    vote = r.json()["hive"]
    assert vote["degraded"] is True and len(vote["candidates"]) == 2
    assert vote["missing"] == [victim["worker_id"]]
    # Back without anyone asking (the supervisor restarts it); the deadline only bounds a hang:
    # on a loaded 2-core box the rest of the vote alone took over 30 s.
    back = node.wait_ready(3, timeout_s=180)
    revived = next(w for w in back["workers"] if w["worker_id"] == victim["worker_id"])
    assert revived["pid"] != victim["pid"] and revived["restarts"] == 1


def test_a_prompt_the_bound_lets_through_gets_the_models_exact_count(node_process):
    # 600 short messages: a lower bound of about 1200 tokens, really about 3000 in SmolLM2's
    # chat template, over a context of 2048: the workers count it and the node says 400.
    node = node_process("--workers", "2", "--threads", "1", "--n-ctx", "2048")
    node.wait_ready(2)
    messages = [{"role": "user", "content": "hi"}] * 600
    r = httpx.post(f"{node.url}/v1/chat/completions", json={"messages": messages}, timeout=120)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "context_length_exceeded"
    assert error["prompt_tokens"] > error["max_context"] == 2048
    assert "at least" not in error["message"]  # the model's own count
