"""The app's parts without a screen: turns, saved conversations, themes, the remote core."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import msgspec
import pytest

from hive_tui import wire
from hive_tui.backends.scripted_engine import write_script
from hive_tui.client.conversations import Conversation, ConversationStore
from hive_tui.client.remote_core import RemoteCore
from hive_tui.client.turn import Turn
from hive_tui.swarm.request import resolve_request
from hive_tui.tui import themes
from tests.tui.support import ANSWERS

REPO = Path(__file__).resolve().parents[2]


def decided_turn() -> Turn:
    turn = Turn(request_id="r1", prompt="Capital of France?", strategy="similarity")
    cands = [wire.Candidate("w0", "Paris."), wire.Candidate("w1", "Paris"),
             wire.Candidate("w2", "London")]
    events = [
        wire.RequestStarted("r1", [wire.ChatMessage("user", "Capital of France?")], "similarity",
                            ["w0", "w1", "w2"]),
        wire.TokenEvent("r1", "w1", "Par"), wire.TokenEvent("r1", "w1", "is"),
        wire.TokenEvent("other", "w0", "ignored"),
        *(wire.CandidateDone("r1", c) for c in cands),
        wire.VoteDecided("r1", cands, wire.Decision("similarity", 1, [0.5, 0.6, 0.1],
                                                    [[0, 1], [2]], 0.67), False),
    ]
    applied = [turn.apply(e) for e in events]
    assert applied.count(False) == 1  # only the other request's token
    return turn


def test_turn_follows_its_request_to_the_winner():
    turn = decided_turn()
    assert turn.leading_worker() == "w1"
    assert turn.finished and turn.answer == "Paris" and turn.winner.worker_id == "w1"
    assert [turn.worker_state(w) for w in ("w0", "w1", "w2")] == ["done"] * 3


def test_conversations_round_trip_and_give_context(tmp_path):
    store = ConversationStore(tmp_path)
    assert store.latest() is None
    conversation = Conversation.new()
    store.save(conversation)
    assert list(tmp_path.glob("*.json")) == []  # nothing said, nothing saved
    conversation.add(decided_turn())
    store.save(conversation)
    (tmp_path / "broken.json").write_text("{not json")
    loaded = store.latest()
    assert loaded == conversation and loaded.title == "Capital of France?"
    assert loaded.turns[0].decision == conversation.turns[0].decision
    roles = [(m.role, m.content) for m in loaded.messages_for("And Spain?")]
    assert roles == [("user", "Capital of France?"), ("assistant", "Paris"),
                     ("user", "And Spain?")]


def test_packaged_themes_load_and_the_repo_themes_folder_is_the_same():
    names = {t.name: t for t in themes.load_themes([themes.PACKAGED_THEMES])}
    assert set(names) == {"hive-dark", "hive-light"}
    assert names["hive-dark"].dark and not names["hive-light"].dark
    assert (REPO / "themes").resolve() == themes.PACKAGED_THEMES.resolve()
    with pytest.raises(themes.ThemeError):
        themes.theme_from_toml('name = "x"\nprimry = "#fff"\n')


def test_user_themes_and_the_remembered_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert themes.load_prefs().theme == themes.DEFAULT_THEME
    themes.save_prefs(themes.Prefs(theme="hive-light"))
    assert themes.load_prefs().theme == "hive-light"
    folder = themes.user_theme_dir()
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text('name = "mine"\nprimary = "#00ff00"\n')
    (folder / "bad.toml").write_text("= nope")
    assert {t.name for t in themes.load_themes()} == {"hive-dark", "hive-light", "mine"}


async def test_events_stream_and_remote_core_follow_a_vote(node_process, tmp_path):
    script = write_script(str(tmp_path / "s.json"), answers=ANSWERS, token_delay_s=0.01)
    node = node_process("--backend", "scripted", "--model", script, "--workers", "3")
    await asyncio.to_thread(node.wait_ready, 3)

    # The raw route: a snapshot of every worker first, as JSON wire structs.
    async with httpx.AsyncClient(timeout=10) as client, client.stream(
            "GET", f"{node.url}/v1/hive/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        first: list[wire.CoreEvent] = []
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                first.append(wire.core_event_json_decoder.decode(line[6:]))
                if len(first) == 3:
                    break
    assert {type(e) for e in first} == {wire.WorkerStateChanged}

    core = await RemoteCore.connect(node.url)
    await core.start()
    source = core.subscribe()
    try:
        assert core.info.model == "scripted" and core.info.address == node.url
        await asyncio.sleep(0.3)  # let the stream connect before the vote starts
        request = resolve_request([wire.ChatMessage("user", "Capital of France?")],
                                  strategy="majority")
        await core.run(request)
        seen: list[wire.CoreEvent] = []
        while not any(isinstance(e, wire.VoteDecided) for e in seen):
            seen.append(await asyncio.wait_for(source.get(), 10))
        turn = Turn(request_id=request.request_id, prompt="Capital of France?", strategy="")
        assert sum(turn.apply(e) for e in seen) >= 5  # they carry our request id
        assert len(turn.candidates) == 3 and turn.decision.strategy == "majority"
        assert turn.answer in ANSWERS
        statuses = await core.statuses()
        assert [s.worker_id for s in statuses] == ["w0", "w1", "w2"]
        peers = await core.peers()
        assert peers[0].workers_ready == 3 and peers[0].latency_ms is not None
    finally:
        source.close()
        await core.stop()


def test_wire_structs_survive_json_for_remote_clients():
    event = wire.VoteDecided("r", [wire.Candidate("w0", "x")],
                             wire.Decision("similarity", 0, [1.0], [[0]], 1.0), False)
    assert wire.core_event_json_decoder.decode(msgspec.json.encode(event)) == event


def test_cards_and_meters_take_updates_before_compose_and_after_removal():
    """A rate tick or a status can reach a card that is not composed yet or was just
    removed (NoMatches on its Sparkline once failed the app under load): it is kept, not
    raised."""
    from hive_tui.tui.hardware import Meter
    from hive_tui.tui.workers import WorkerCard

    status = wire.WorkerStatus("w0", "local", "m", "llama", "idle")
    card = WorkerCard(status)  # never mounted: no children
    card.show(wire.WorkerStatus("w0", "local", "m", "llama", "crashed", last_error="boom"))
    card.push_rate(12.5)
    assert card.status.state == "crashed" and list(card.rates)[-1] == 12.5
    meter = Meter("cpu")
    meter.show("CPU 40%", 40.0)
    assert list(meter.history) == [40.0]
