"""Many users at once: a worker serves several votes as sequences of its process's one batch.

The plan sizes how many (memory and the engine's slot bound); votes running together overlap
instead of queueing; and a seeded vote gives the same candidates whatever else runs.
"""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from hive_tui import wire
from hive_tui.config import load_settings
from hive_tui.embedded_model import embedded_model_path
from hive_tui.hardware.plan import (
    CONCURRENT_VOTES,
    CPU_CONCURRENT_VOTES,
    concurrent_votes,
    plan_hardware,
    slots_fit,
)
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from hive_tui.swarm.request import resolve_request
from hive_tui.swarm.swarm import SwarmRequest
from tests.conftest import scripted_settings
from tests.test_plan import EMPTY, cpu, nvidia, report


def ask(text: str, **kw: object) -> SwarmRequest:
    return resolve_request([wire.ChatMessage("user", text)], **kw)  # type: ignore[arg-type]


# --- the plan ------------------------------------------------------------------------------

GPU = plan_hardware(report(cpu(), nvidia(16)), EMPTY)
CPU = plan_hardware(report(cpu(2, 2)), EMPTY)  # the embedded model on 1 GiB


def test_no_batching_backend_serves_one_vote_per_worker():
    assert concurrent_votes(None, GPU, GPU.workers, 1, batching=False, most_slots=16) == (1, None)


def test_a_cpu_plan_serves_several_votes_where_the_memory_holds_them():
    # Since a step's rows come in sequence order, a CPU gains from sharing steps too
    # (docs/performance.md, `hive bench load`); the embedded model on 1 GiB has no room.
    assert concurrent_votes(None, CPU, CPU.workers, 1, batching=True, most_slots=16) == (1, None)
    roomy = msgspec.structs.replace(
        CPU, budget=msgspec.structs.replace(CPU.budget, usable_bytes=1 << 40))
    votes, why = concurrent_votes(None, roomy, roomy.workers, 1, batching=True, most_slots=16)
    assert votes == CPU_CONCURRENT_VOTES and why and "on the CPU" in why
    assert concurrent_votes(None, roomy, 5, 3, batching=True, most_slots=16)[0] == 5


def test_a_gpu_plan_fills_its_memory_with_workers_first():
    # The planner already spends the GPU's memory on workers: no room for more sequences.
    assert GPU.n_gpu_layers != 0
    assert concurrent_votes(None, GPU, GPU.workers, 1, batching=True, most_slots=16) == (1, None)


def test_a_roomy_gpu_plan_serves_several_votes_within_the_engine_slot_bound():
    roomy = msgspec.structs.replace(
        GPU, budget=msgspec.structs.replace(GPU.budget, usable_bytes=1 << 50))
    votes, why = concurrent_votes(None, roomy, roomy.workers, 1, batching=True, most_slots=16)
    assert votes == CONCURRENT_VOTES and why and "at once" in why
    assert concurrent_votes(None, roomy, 16, 8, batching=True, most_slots=16)[0] == 2
    assert concurrent_votes(None, roomy, 16, 16, batching=True, most_slots=16)[0] == 1


def test_memory_caps_the_votes_per_worker():
    # A budget that holds the plan's workers and their contexts, and barely more.
    per_sequence = GPU.per_worker_bytes - (GPU.model.file_size_bytes if GPU.model else 0)
    room = GPU.workers * GPU.per_worker_bytes + GPU.workers * per_sequence  # one more vote
    tight = msgspec.structs.replace(
        GPU, budget=msgspec.structs.replace(GPU.budget, usable_bytes=room))
    votes, _ = concurrent_votes(None, tight, tight.workers, 1, batching=True, most_slots=16)
    assert votes == 2
    assert slots_fit(tight, tight.workers * 2) and not slots_fit(tight, tight.workers * 3)


def test_without_a_hardware_plan_one_vote_per_worker_unless_asked():
    assert concurrent_votes(None, None, 2, 1, batching=True, most_slots=16) == (1, None)
    assert concurrent_votes(3, None, 2, 1, batching=True, most_slots=16)[0] == 3
    assert concurrent_votes(9, None, 2, 8, batching=True, most_slots=16)[0] == 2


def test_a_requested_count_is_used_and_sizes_the_processes(tmp_path):
    settings = scripted_settings(tmp_path, 2)
    settings = load_settings(
        {"backend": "scripted", "model": settings.model, "workers": 2, "threads": 1,
         "concurrent_votes": 3}, environ={})
    plan = make_plan(settings)
    assert plan.concurrency == 3
    assert any("3 votes at once (requested)" in r for r in plan.reasons)


# --- votes overlap -------------------------------------------------------------------------

def _node(tmp_path, concurrent: int) -> Node:
    script = scripted_settings(tmp_path, 2, answers=["a b c d e f g h i j k l m n o p q r s t"],
                               token_delay_s=0.1)
    settings = load_settings(
        {"backend": "scripted", "model": script.model, "workers": 2, "threads": 1,
         "concurrent_votes": concurrent}, environ={})
    return Node(settings, make_plan(settings), node_id="test-node")


async def _finish_order(node: Node) -> list[str]:
    """A long vote, then a short one sent while the long one runs: which finished first."""
    order: list[str] = []

    async def run(name: str, request: SwarmRequest) -> None:
        await node.swarm.run(request)
        order.append(name)

    await node.start()
    try:
        long = asyncio.create_task(run("long", ask("long", seed=1, max_tokens=20)))
        while not all(w.state == "generating" for w in node.workers):
            await asyncio.sleep(0.01)
        short = asyncio.create_task(run("short", ask("short", seed=2, max_tokens=2)))
        await asyncio.gather(long, short)
    finally:
        await node.stop()
    return order


@pytest.mark.process
async def test_a_second_vote_runs_beside_the_first_instead_of_queueing(tmp_path):
    # 2 tokens against the 18 or so the long vote still has to make: the short vote ends first
    # only when it did not wait for the long one.
    assert await _finish_order(_node(tmp_path, 2)) == ["short", "long"]


@pytest.mark.process
async def test_one_vote_per_worker_queues_the_second(tmp_path):
    assert await _finish_order(_node(tmp_path, 1)) == ["long", "short"]


# --- seeds hold whatever else runs ---------------------------------------------------------

@pytest.mark.model
async def test_a_seeded_vote_gives_the_same_candidates_alone_and_beside_others():
    settings = load_settings(
        {"model": str(embedded_model_path()), "workers": 2, "threads": 1, "concurrent_votes": 3,
         "n_ctx": 512}, environ={})
    node = Node(settings, make_plan(settings), node_id="test-node")
    # Every candidate whole (no early exit): the seeds are what is compared, not where a
    # settled vote happened to stop the others.
    question = ask("Name a colour of the sky.", seed=7, max_tokens=24, temperature=0.8,
                   early_exit=False)
    await node.start()
    try:
        alone = await node.swarm.run(question)
        others = [ask(f"Count to {n}.", seed=n, max_tokens=24, temperature=0.8, early_exit=False)
                  for n in (3, 4)]
        together = await asyncio.gather(
            node.swarm.run(question), *(node.swarm.run(o) for o in others))
    finally:
        await node.stop()
    texts = {c.worker_id: c.text for c in alone.candidates}
    assert texts and all(texts.values())
    assert {c.worker_id: c.text for c in together[0].candidates} == texts
