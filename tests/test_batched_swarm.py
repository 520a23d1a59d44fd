"""Several workers as slots of one engine process (scripted engine): the swarm sees no
difference, and a process that dies takes all its slots' candidates with it."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal

from hive_tui import wire
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from hive_tui.swarm.layout import layout_for
from hive_tui.swarm.request import resolve_request
from hive_tui.swarm.swarm import SwarmRequest
from tests.conftest import scripted_settings

ANSWERS = ["Paris.", "It is Paris.", "Paris, France.", "London."]


def two_by_two(tmp_path, **script) -> Node:
    settings = scripted_settings(tmp_path, 4, **script)
    plan = dataclasses.replace(make_plan(settings), layout=layout_for(4, 2, gpu=False))
    return Node(settings, plan, node_id="test-node")


def ask(text: str, **kw) -> SwarmRequest:
    return resolve_request([wire.ChatMessage("user", text)], **kw)


async def test_slots_are_workers_with_their_own_answers(tmp_path):
    node = two_by_two(tmp_path, answers=ANSWERS)
    await node.start()
    try:
        pids = [w.pid for w in node.workers]
        result = await node.swarm.run(ask("capital?", seed=1))
        statuses = node.swarm.statuses()
    finally:
        await node.stop()
    assert pids[0] == pids[1] != pids[2] == pids[3]  # 2 processes x 2 slots
    assert {c.worker_id: c.text for c in result.candidates} == dict(
        zip(["w0", "w1", "w2", "w3"], ANSWERS, strict=True))
    assert "Paris" in result.winner.text and not result.degraded
    assert all(s.tokens_total > 0 for s in statuses)


async def test_a_dead_engine_process_drops_all_its_slots_and_is_restarted(tmp_path):
    node = two_by_two(tmp_path, answers=["one two three four five six seven eight"],
                      token_delay_s=0.15)
    await node.start()
    try:
        victim_pid = node.workers[0].pid
        with node.bus.subscribe() as sub:
            run = asyncio.create_task(node.swarm.run(ask("count", seed=3)))
            await asyncio.sleep(0.4)
            os.kill(victim_pid, signal.SIGKILL)
            result = await run
            assert result.degraded and result.missing == ["w0", "w1"]
            assert [c.worker_id for c in result.candidates] == ["w2", "w3"]
            assert await node.workers[1].wait_ready(30)
            events = []
            while (e := sub.get_nowait()) is not None:
                events.append(e)
        crashed = {e.worker_id for e in events if isinstance(e, wire.WorkerCrashed)}
        restarted = {e.worker_id for e in events if isinstance(e, wire.WorkerRestarted)}
        assert crashed >= {"w0", "w1"} and restarted == {"w0", "w1"}
        assert node.workers[0].pid == node.workers[1].pid != victim_pid
        assert [w.restarts for w in node.workers] == [1, 1, 0, 0]
        again = await node.swarm.run(ask("count", seed=3))
        assert len(again.candidates) == 4 and not again.degraded
    finally:
        await node.stop()


async def test_fastest_cancels_the_other_slot_of_the_same_process(tmp_path):
    node = two_by_two(tmp_path, answers=["Quick.", "slow " * 100, "slow " * 100, "slow " * 100],
                      token_delay_s=0.05)
    await node.start()
    try:
        result = await node.swarm.run(ask("go", strategy="fastest"))
        # The slots are free again at once: a second vote is not stuck behind 100 words.
        again = await asyncio.wait_for(node.swarm.run(ask("go", strategy="fastest")), 3.0)
    finally:
        await node.stop()
    assert result.winner.text == "Quick." and again.winner.text == "Quick."
    slow = next(c for c in result.candidates if c.worker_id == "w1")
    assert slow.finish_reason == "cancelled"
