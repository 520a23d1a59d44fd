"""A model split across lenders with llama.cpp's RPC backend, through the sealed tunnel
(docs/federation.md, "Lending memory"): the real embedded model, ggml RPC servers in lenders'
child processes, everything on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import openai
import pytest

from hive_tui import wire
from hive_tui.backends.ggml_rpc import rpc_available
from hive_tui.backends.process import WorkerProcess
from hive_tui.backends.scripted_engine import write_script
from hive_tui.embedded_model import embedded_model_path
from hive_tui.federation.identity import derive_key
from hive_tui.federation.lender import Lender
from hive_tui.federation.rpc_tunnel import TunnelEntrance

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not rpc_available(), reason="llama-cpp-python built without GGML_RPC"),
]

SECRET = "SPLIT-TESTS-SECRET-0000"
SEA = [wire.ChatMessage(role="user", content="Write two sentences about the sea.")]


async def greedy(load: wire.Load) -> wire.Done:
    # The batched engine: what the node runs a split model in (GPU layers take it).
    proc = WorkerProcess("llama-batched", 0)
    await proc.start(load)
    try:
        params = wire.SamplingParams(temperature=0.0, max_tokens=48)
        async for frame in proc.generate(wire.Generate("g", SEA, params)):
            if isinstance(frame, wire.Done):
                return frame
        raise AssertionError("no Done frame")
    finally:
        await proc.stop()


async def test_greedy_output_split_over_two_lenders_equals_the_model_run_here():
    key = derive_key(SECRET)
    lenders = [Lender(key, f"lender{i}", "127.0.0.1") for i in range(2)]
    entrances: list[TunnelEntrance] = []
    try:
        for lender in lenders:
            await lender.start()
            entrance = TunnelEntrance(key, "borrower", "127.0.0.1", lender.port)
            await entrance.start()
            entrances.append(entrance)
        local = wire.Load(model_path=str(embedded_model_path()), n_ctx=512, n_threads=1)
        alone = await greedy(local)
        split = await greedy(
            wire.Load(
                model_path=local.model_path, n_ctx=512, n_threads=1,
                n_gpu_layers=20, tensor_split=[0.5, 0.5],
                rpc_servers=[e.endpoint for e in entrances],
            )
        )
        assert split.text == alone.text and split.completion_tokens == alone.completion_tokens
        assert alone.completion_tokens > 10
        assert all(lender.exit is not None and lender.exit.refused == 0 for lender in lenders)
    finally:
        for entrance in entrances:
            await entrance.close()
        for lender in lenders:
            await lender.stop()


@pytest.fixture(scope="module")
def split_hive(tmp_path_factory):
    """Two lenders (scripted workers of their own, lending a ggml RPC server each) and a
    borrower running the embedded model in two processes, the first split over both."""
    from tests.conftest import NodeProcess, free_port

    folder = tmp_path_factory.mktemp("split")
    # The lenders' own workers answer something else: "Paris" can only come from the borrower.
    script = write_script(str(folder / "script.json"), answers=["I only lend memory."])
    nodes: list[NodeProcess] = []

    def start(name: str, *args: str) -> NodeProcess:
        env = {"HIVE_SECRET": SECRET, "HIVE_NODE_NAME": name}
        node = NodeProcess(["--data-dir", str(folder / name), *args], env)
        nodes.append(node)
        return node

    try:
        lender_args = ["--backend", "scripted", "--model", script, "--workers", "1", "--lend",
                       "--split", "off"]
        # Fixed API ports: a lender restarted later is found at the address the borrower dials.
        lenders = [start(name, *lender_args, "--port", str(free_port()))
                   for name in ("lender1", "lender2")]
        peers = [a for n in lenders for a in ("--peer", n.url.removeprefix("http://"))]
        borrower = start("borrower", "--workers", "2", "--slots", "1", "--threads", "1",
                         "--split", "lender1,lender2", *peers)
        yield borrower, lenders, lambda node: start(node, *lender_args, "--port",
                                                    lenders[0].url.rsplit(":", 1)[1])
    finally:
        for node in nodes:
            node.stop()


def wait_for(check, timeout_s: float = 180.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError("condition not met")


def split_ready(node) -> dict | None:
    health = node.health()
    split = health.get("split") or {}
    ready = split.get("state") == "split" and health["workers_ready"] == 2
    return health if ready else None


def test_two_lenders_and_a_borrower_answer_with_the_model_split_across_all_three(split_hive):
    borrower, lenders, _ = split_hive
    health = wait_for(lambda: split_ready(borrower))
    parts = {p["device"]: p["layers"] for p in health["split"]["parts"]}
    assert set(parts) == {"local", "lender1", "lender2"} and sum(parts.values()) == 30
    assert all(n > 0 for n in parts.values())
    client = openai.OpenAI(base_url=f"{borrower.url}/v1", api_key="unused")
    reply = client.chat.completions.create(
        model="hive",
        messages=[
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        max_tokens=24, temperature=0.0,
    )
    assert "Paris" in (reply.choices[0].message.content or "")
    hive = reply.model_extra["hive"]  # type: ignore[index]
    mine = next(n for n in hive["nodes"] if n["node_id"] == health["node_id"])
    own = {c["worker_id"]: c["text"] for c in mine["candidates"]}
    assert set(own) == {"w0", "w1"} and "Paris" in own["w0"]  # the split worker's answer
    for lender in lenders:  # each lender's RPC server serves the borrower now
        lending = lender.health()["lending"]
        assert lending["borrower"] == health["node_id"] and lending["refused"] == 0


def test_a_lender_killed_mid_answer_gives_a_degraded_vote_within_the_deadline(split_hive):
    borrower, lenders, _ = split_hive
    before = wait_for(lambda: split_ready(borrower))
    split_pid = before["workers"][0]["pid"]
    result: dict = {}

    def ask() -> None:
        body = {
            "messages": [{"role": "user", "content": "Write a long poem about the sea."}],
            "max_tokens": 300, "temperature": 0.7, "seed": 5,
        }
        started = time.monotonic()
        result["r"] = httpx.post(f"{borrower.url}/v1/chat/completions", json=body, timeout=120)
        result["s"] = time.monotonic() - started

    asking = threading.Thread(target=ask)
    asking.start()
    wait_for(lambda: borrower.health()["workers"][0]["state"] == "generating", 60)
    time.sleep(0.3)
    lenders[0].proc.send_signal(signal.SIGKILL)  # its RPC child ends with it (stdin closes)
    asking.join(120)
    response = result["r"]
    assert response.status_code == 200
    hive = response.json()["hive"]
    assert hive["degraded"] is True
    # The split worker is gone, the borrower's other one answered.
    mine = next(n for n in hive["nodes"] if n["node_id"] == before["node_id"])
    assert {c["worker_id"] for c in mine["candidates"]} == {"w1"}
    assert result["s"] < 60  # the vote deadline: a dead lender never hangs the answer
    health = borrower.health()
    assert health["split"]["state"] == "waiting"
    w0 = health["workers"][0]
    assert w0["pid"] != split_pid and w0["state"] != "idle"  # no lender: it cannot load
    assert os.environ.get("HIVE_SECRET") is None  # the secret never leaked into this process


def test_the_split_worker_comes_back_when_its_lender_does(split_hive):
    # Runs after the lender was killed: the split waits, its process fails to load.
    borrower, _, restart = split_hive
    assert borrower.health()["split"]["state"] == "waiting"
    restart("lender1")  # same name, id and API port; a new tunnel port
    health = wait_for(lambda: split_ready(borrower), 120)
    assert [p["layers"] for p in health["split"]["parts"]] == [10, 10, 10]
    reply = httpx.post(f"{borrower.url}/v1/chat/completions", timeout=120, json={
        "messages": [{"role": "system", "content": "Answer in one word."},
                     {"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 24, "temperature": 0.0,
    }).json()
    mine = next(n for n in reply["hive"]["nodes"] if n["node_id"] == health["node_id"])
    own = {c["worker_id"]: c["text"] for c in mine["candidates"]}
    assert "Paris" in own["w0"]  # split again, over the lender that came back
