"""The swarm over real worker processes running the scripted engine (timing and faults)."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from hive_tui import wire
from hive_tui.swarm.request import resolve_request
from hive_tui.swarm.swarm import SwarmError, SwarmRequest, derive_seed

pytestmark = pytest.mark.process  # the tests start worker processes

PARIS = ["The capital of France is Paris.", "Paris.", "It is Paris, the capital.", "London."]


def ask(text: str, **kw) -> SwarmRequest:
    return resolve_request([wire.ChatMessage("user", text)], **kw)


def drain(sub) -> list:
    events = []
    while (e := sub.get_nowait()) is not None:
        events.append(e)
    return events


async def test_three_workers_answer_and_the_vote_names_a_winner(make_scripted_node):
    node = make_scripted_node(3, answers=PARIS)
    await node.start()
    try:
        with node.bus.subscribe() as sub:
            result = await node.swarm.run(ask("capital of France?", seed=1))
            events = drain(sub)
    finally:
        await node.stop()
    assert [c.worker_id for c in result.candidates] == ["w0", "w1", "w2"]
    assert "Paris" in result.winner.text
    assert 0.0 <= result.decision.agreement <= 1.0
    assert not result.degraded and result.missing == []
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("RequestStarted") < kinds.index("TokenEvent") < kinds.index("VoteDecided")
    assert kinds.count("CandidateDone") == 3 and kinds.count("WorkerStarted") == 3
    streamed = "".join(
        e.text for e in events if isinstance(e, wire.TokenEvent) and e.worker_id == "w1"
    )
    assert streamed == "Paris."


async def test_seed_derivation_is_stable_and_distinct_per_slot(make_scripted_node):
    seeds = [derive_seed(42, i) for i in range(8)]
    assert len(set(seeds)) == 8 and seeds == [derive_seed(42, i) for i in range(8)]
    node = make_scripted_node(2)
    await node.start()
    try:
        with node.bus.subscribe() as sub:
            result = await node.swarm.run(ask("hi", seed=42))
            started = [e for e in drain(sub) if isinstance(e, wire.WorkerStarted)]
    finally:
        await node.stop()
    assert result.seed == 42
    assert sorted(e.seed for e in started) == sorted(seeds[:2])


async def test_a_worker_killed_mid_answer_is_dropped_flagged_and_restarted(make_scripted_node):
    node = make_scripted_node(
        3, answers=["one two three four five six seven eight"] * 3, token_delay_s=0.15
    )
    await node.start()
    try:
        victim = node.workers[1]
        old_pid = victim.pid
        with node.bus.subscribe() as sub:
            run = asyncio.create_task(node.swarm.run(ask("count", seed=3)))
            await asyncio.sleep(0.4)
            os.kill(old_pid, signal.SIGKILL)
            result = await run
            assert result.degraded and result.missing == ["w1"]
            assert [c.worker_id for c in result.candidates] == ["w0", "w2"]
            assert await victim.wait_ready(30)
            events = drain(sub)
        assert victim.pid != old_pid and victim.restarts == 1
        assert any(isinstance(e, wire.WorkerCrashed) and e.worker_id == "w1" for e in events)
        assert any(isinstance(e, wire.WorkerRestarted) and e.worker_id == "w1" for e in events)
        again = await node.swarm.run(ask("count", seed=3))
        assert len(again.candidates) == 3 and not again.degraded
    finally:
        await node.stop()


async def test_when_every_worker_dies_the_request_fails_clearly_and_fast(make_scripted_node):
    node = make_scripted_node(2, answers=["a b c d e f"], crash_after_tokens=2)
    await node.start()
    try:
        started = time.monotonic()
        with pytest.raises(SwarmError, match="every worker failed"):
            await node.swarm.run(ask("x"))
        assert time.monotonic() - started < 10
    finally:
        await node.stop()


async def test_cancelling_a_vote_cancels_generation_in_every_worker(make_scripted_node):
    node = make_scripted_node(2, answers=["word " * 200], token_delay_s=0.05)
    await node.start()
    try:
        with node.bus.subscribe() as sub:
            run = asyncio.create_task(node.swarm.run(ask("long")))
            await asyncio.sleep(0.5)
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run
            # The workers must be free again at once, not after 200 more words.
            started = time.monotonic()
            result = await node.swarm.run(ask("again", workers=2))
            assert time.monotonic() - started < 20
            assert len(result.candidates) == 2
            tokens_after_cancel = [e for e in drain(sub) if isinstance(e, wire.TokenEvent)]
        assert len(tokens_after_cancel) < 2 * 200 * 2
    finally:
        await node.stop()


async def test_fastest_takes_the_first_valid_answer_and_cancels_the_rest(make_scripted_node):
    node = make_scripted_node(2, answers=["Quick.", "slow " * 100], token_delay_s=0.05)
    await node.start()
    try:
        started = time.monotonic()
        result = await node.swarm.run(ask("go", strategy="fastest"))
        elapsed = time.monotonic() - started
    finally:
        await node.stop()
    assert result.winner.text == "Quick."
    assert elapsed < 3.0  # 100 slow words would take 5 s
    slow = next(c for c in result.candidates if c.worker_id == "w1")
    assert slow.finish_reason == "cancelled"


async def test_workers_option_limits_the_vote(make_scripted_node):
    node = make_scripted_node(3)
    await node.start()
    try:
        result = await node.swarm.run(ask("hi", workers=1))
    finally:
        await node.stop()
    assert len(result.candidates) == 1 and result.decision.agreement == 1.0


async def test_a_backend_that_is_not_installed_stays_down_with_the_reason():
    from hive_tui.bus import EventBus
    from hive_tui.swarm.worker import Worker, WorkerSpec

    bus = EventBus()
    worker = Worker(WorkerSpec("w0", 0, "no-such-backend", wire.Load(model_path="")), bus)
    with bus.subscribe() as sub:
        await worker.start()
        await asyncio.sleep(1.0)  # a restart loop would have tried again by now
        events = drain(sub)
    await worker.stop()
    assert worker.restarts == 0 and not worker.is_ready
    assert "unknown backend" in (worker.last_error or "")
    crashed = [e for e in events if isinstance(e, wire.WorkerCrashed)]
    assert len(crashed) == 1


def test_the_scripted_backend_names_a_file_that_is_not_a_script():
    from hive_tui.backends.scripted_engine import ScriptedEngine
    from hive_tui.embedded_model import embedded_model_path

    with pytest.raises(ValueError, match="reads a JSON script as its --model"):
        ScriptedEngine().load(wire.Load(model_path=str(embedded_model_path())))


async def test_early_exit_stops_the_workers_once_a_majority_has_answered(make_scripted_node):
    ramble = " and more" * 100
    answers = ["Paris.", "Paris.", "Paris.", "Paris." + ramble, "London" + ramble]
    node = make_scripted_node(5, answers=answers, token_delay_s=0.02)
    await node.start()
    try:
        full = await node.swarm.run(ask("What is the capital of France?", early_exit=False))
        early = await node.swarm.run(ask("What is the capital of France?", early_exit=True))
    finally:
        await node.stop()
    assert [c.finish_reason for c in full.candidates] == ["stop"] * 5
    assert "Paris" in full.winner.text and "Paris" in early.winner.text
    by_worker = {c.worker_id: c for c in early.candidates}
    # w3 said "Paris." before rambling on: it keeps that answer; w4 never answered.
    assert (by_worker["w3"].finish_reason, by_worker["w3"].text) == ("answered", "Paris.")
    assert by_worker["w4"].finish_reason == "cancelled"
    assert by_worker["w4"].completion_tokens < full.candidates[4].completion_tokens
    spent = sum(c.completion_tokens for c in early.candidates)
    assert spent < sum(c.completion_tokens for c in full.candidates) / 2
    assert early.decision.agree_count >= 3 and not early.degraded


async def test_early_exit_lets_one_worker_of_the_majority_finish_its_answer(make_scripted_node):
    # Every worker goes on after its first sentence: the vote is settled while all still talk.
    more = " ".join(f"fact{i}" for i in range(120))
    answers = ["Paris. " + more, "Paris. " + more, "Paris. " + more, "London " + more,
               "London " + more]
    node = make_scripted_node(5, answers=answers, token_delay_s=0.02)
    await node.start()
    try:
        early = await node.swarm.run(ask("What is the capital of France?", early_exit=True))
    finally:
        await node.stop()
    by_worker = {c.worker_id: c for c in early.candidates}
    # The first of the majority went on to the end; the user reads its whole answer.
    assert (by_worker["w0"].finish_reason, by_worker["w0"].text) == ("stop", answers[0])
    assert early.winner.text == answers[0]
    assert [by_worker[w].finish_reason for w in ("w1", "w2")] == ["answered", "answered"]
    assert by_worker["w1"].text == "Paris."
    assert {by_worker[w].finish_reason for w in ("w3", "w4")} == {"cancelled"}
    # The others stopped once the Londons had had their grace: under half of a full vote.
    spent = sum(c.completion_tokens for c in early.candidates)
    assert spent < len(answers) * by_worker["w0"].completion_tokens / 2


def test_min_p_comes_from_the_settings_unless_the_request_says_and_is_checked():
    from hive_tui.swarm.request import InvalidRequest, RequestDefaults

    hello = [wire.ChatMessage("user", "hi")]
    assert resolve_request(hello).params.min_p == wire.DEFAULT_MIN_P
    node_default = RequestDefaults(min_p=0.05)
    assert resolve_request(hello, node_default).params.min_p == 0.05
    assert resolve_request(hello, node_default, min_p=0.2).params.min_p == 0.2
    with pytest.raises(InvalidRequest) as caught:
        resolve_request(hello, min_p=float("nan"))
    assert caught.value.param == "min_p"
