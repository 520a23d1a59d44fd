"""A node that holds: load, disconnects, SIGTERM and worker kills, on real `hive --node` processes.

Scripted workers give exact control of how long an answer takes; every socket is on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import httpx
import psutil
import pytest

from hive_tui.backends.scripted_engine import write_script

CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def node_pid(node) -> int:
    return node.proc.pid


async def stream_one(client: httpx.AsyncClient) -> tuple[int, float, str]:
    """(status, seconds, body) of one streamed chat request; raises on any transport error."""
    started = time.monotonic()
    async with client.stream("POST", "/v1/chat/completions", json={**CHAT, "stream": True}) as r:
        body = (await r.aread()).decode()
        return r.status_code, time.monotonic() - started, body


async def test_64_streaming_clients_complete_and_memory_stays_flat(node_process, tmp_path) -> None:
    script = write_script(
        str(tmp_path / "load.json"),
        answers=["Paris is the capital of France."],
        token_delay_s=0.002,
    )
    node = node_process(
        "--backend", "scripted", "--model", script, "--workers", "3", "--max-queue", "64"
    )
    node.wait_ready(3)
    proc = psutil.Process(node_pid(node))
    rss: list[int] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=node.url, timeout=120, limits=limits) as client:
        for _ in range(5):
            results = await asyncio.gather(*(stream_one(client) for _ in range(64)))
            assert [s for s, _, _ in results] == [200] * 64
            assert all(b.rstrip().endswith("data: [DONE]") for _, _, b in results)
            rss.append(proc.memory_info().rss)
        # Past the bound: 64 admitted, the rest answered 503 at once, nobody reset.
        results = await asyncio.gather(*(stream_one(client) for _ in range(96)))
    ok = [t for s, t, b in results if s == 200 and b.rstrip().endswith("[DONE]")]
    busy = [t for s, t, _ in results if s == 503]
    print(
        f"node RSS per round (MiB): {[round(r / 2**20, 1) for r in rss]}; "
        f"past the bound: {len(ok)} ok, {len(busy)} x 503 in <= {max(busy):.3f} s, "
        f"slowest ok {max(ok):.3f} s"
    )
    assert len(ok) + len(busy) == 96 and len(ok) >= 64 and busy, (len(ok), len(busy))
    assert max(busy) < max(ok) / 2
    # Memory: after warm-up, five more rounds may not grow the node by more than 25 MiB.
    assert rss[-1] - rss[0] < 25 * 2**20, [r // 2**20 for r in rss]
    assert node.health()["requests_admitted"] == 0


async def _all_workers(node, state: str, timeout_s: float) -> float:
    """Seconds until every worker reports ``state`` (raises past the timeout)."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as c:
        while time.monotonic() - started < timeout_s:
            h = (await c.get("/health")).json()
            if all(w["state"] == state for w in h["workers"]):
                return time.monotonic() - started
            await asyncio.sleep(0.02)
    raise TimeoutError(f"workers not all {state}: {[w['state'] for w in h['workers']]}")


@pytest.fixture
def long_node(node_process, tmp_path):
    # 1000 words at 10 ms: a 10-second answer, so only a cancel can end it early.
    script = write_script(str(tmp_path / "long.json"), answers=["word " * 1000], token_delay_s=0.01)
    node = node_process("--backend", "scripted", "--model", script, "--workers", "3")
    node.wait_ready(3)
    return node


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/api/chat"])  # OpenAI's, Ollama's
async def test_a_disconnect_stops_every_worker_within_a_second(long_node, stream, path) -> None:
    client = httpx.AsyncClient(base_url=long_node.url, timeout=30)
    request = asyncio.create_task(
        client.post(path, json={**CHAT, "model": "hive", "stream": stream})
    )
    await _all_workers(long_node, "generating", 10)
    request.cancel()  # the client hangs up mid-answer
    await client.aclose()
    assert await _all_workers(long_node, "idle", 5) <= 1.0


async def test_many_disconnects_leave_no_tasks_or_fds(long_node) -> None:
    proc = psutil.Process(node_pid(long_node))

    async def hang_up(stream: bool, path: str = "/v1/chat/completions") -> None:
        async with httpx.AsyncClient(base_url=long_node.url, timeout=30) as c:
            task = asyncio.create_task(c.post(path, json={**CHAT, "model": "h", "stream": stream}))
            await asyncio.sleep(0.15)
            task.cancel()

    await hang_up(True)  # warm-up: first-request allocations are not leaks
    await _all_workers(long_node, "idle", 5)
    before_fds, before_tasks = proc.num_fds(), long_node.health()["asyncio_tasks"]
    for i in range(30):
        await hang_up(i % 2 == 0, "/api/chat" if i % 4 >= 2 else "/v1/chat/completions")
    await _all_workers(long_node, "idle", 5)
    # A socket may still be closing for a moment; a leak stays. Give it 3 s to settle.
    deadline = time.monotonic() + 3.0
    while True:
        h, fds = long_node.health(), proc.num_fds()
        settled = h["asyncio_tasks"] <= before_tasks and fds <= before_fds
        if settled or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert h["requests_admitted"] == 0
    assert h["asyncio_tasks"] <= before_tasks, (h["asyncio_tasks"], before_tasks)
    assert fds <= before_fds, (fds, before_fds)
    assert all(w["restarts"] == 0 for w in h["workers"])


def test_sigterm_answers_in_flight_requests_with_an_error_and_exits_0(long_node) -> None:
    """Past the 5 s grace, requests still running are ended by the node: a JSON 503 for a
    plain request, an error event for a stream; no 500, no traceback, no orphan worker."""
    proc = psutil.Process(node_pid(long_node))
    children = proc.children(recursive=True)
    worker_pids = {w["pid"] for w in long_node.health()["workers"]}
    assert worker_pids <= {c.pid for c in children} and len(worker_pids) == 3
    # The whole answer (1000 words at 10 ms, max_tokens past them) outlasts the grace period.
    body = {**CHAT, "max_tokens": 2000}

    async def in_flight() -> tuple[httpx.Response, tuple[int, str]]:
        async def streamed(c: httpx.AsyncClient) -> tuple[int, str]:
            async with c.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
                return r.status_code, (await r.aread()).decode()

        async with httpx.AsyncClient(base_url=long_node.url, timeout=30) as c:
            plain = asyncio.create_task(c.post("/v1/chat/completions", json=body))
            stream = asyncio.create_task(streamed(c))
            await _all_workers(long_node, "generating", 10)
            started = time.monotonic()
            long_node.proc.send_signal(signal.SIGTERM)
            outcome = await plain, await stream
            assert time.monotonic() - started < 15  # ended, never left hanging
            return outcome

    plain, (stream_status, stream_body) = asyncio.run(in_flight())
    assert plain.status_code == 503, plain.text
    assert plain.headers["content-type"] == "application/json"
    assert plain.json() == {
        "error": {
            "message": "the node is shutting down",
            "type": "service_unavailable",
            "param": None,
            "code": None,
        }
    }
    # The stream ends with the error event the API sends for any failed vote, then closes.
    assert stream_status == 200
    last = stream_body.rstrip().rsplit("\n", 1)[-1]
    assert last.startswith("data: ") and "[DONE]" not in stream_body
    error = json.loads(last.removeprefix("data: "))["error"]
    assert error["message"] == "the node is shutting down"

    started = time.monotonic()
    code = long_node.proc.wait(20)
    assert code == 0
    assert time.monotonic() - started < 15
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert alive == [], [p.pid for p in alive]  # no orphans
    output = long_node.output()
    assert "Traceback" not in output and "Exception in ASGI" not in output, output
    assert "timeout graceful shutdown exceeded" not in output, output


def test_sigterm_ends_event_streams_cleanly(long_node) -> None:
    """``hive --connect``'s event stream never ends on its own: shutdown ends it, no traceback."""

    async def watch() -> str:
        async with (
            httpx.AsyncClient(base_url=long_node.url, timeout=30) as c,
            c.stream("GET", "/v1/hive/events") as r,
        ):
            lines = r.aiter_lines()
            assert (await anext(lines)).startswith(": hive events")
            long_node.proc.send_signal(signal.SIGTERM)
            return "\n".join([line async for line in lines])

    asyncio.run(watch())
    assert long_node.proc.wait(20) == 0
    output = long_node.output()
    assert "Traceback" not in output and "timeout graceful shutdown exceeded" not in output, output


async def test_a_killed_worker_degrades_the_vote_and_comes_back(node_process, tmp_path) -> None:
    script = write_script(
        str(tmp_path / "k.json"), answers=["a b c d e f g h i j " * 10], token_delay_s=0.01
    )
    node = node_process("--backend", "scripted", "--model", script, "--workers", "3")
    node.wait_ready(3)
    victim = node.health()["workers"][0]
    async with httpx.AsyncClient(base_url=node.url, timeout=30) as c:
        task = asyncio.create_task(stream_one(c))
        await _all_workers(node, "generating", 10)
        os.kill(victim["pid"], signal.SIGKILL)
        status, _, body = await task
    assert status == 200 and body.rstrip().endswith("[DONE]")
    assert '"degraded":true' in body and victim["worker_id"] in body
    node.wait_ready(3, timeout_s=30)
    again = next(w for w in node.health()["workers"] if w["worker_id"] == victim["worker_id"])
    assert again["restarts"] == 1 and again["pid"] != victim["pid"]
