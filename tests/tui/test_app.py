"""The app driven by Pilot over a real embedded node of scripted workers."""

from __future__ import annotations

import asyncio
import statistics
import time

from textual import events
from textual.widgets import DataTable, TabbedContent

from hive_tui.tui import context_policy
from hive_tui.tui.chat import AnswerMessage, UserMessage
from hive_tui.tui.conversation_picker import ConversationPicker
from hive_tui.tui.themes import load_prefs
from hive_tui.tui.vote import VoteView, WorkerAnswer
from tests.tui.support import (
    ANSWERS,
    ask,
    scripted_app,
    wait_for,
    wait_ready,
    wait_vote,
)

LONG = " ".join(f"word{i}" for i in range(400))
# Long enough that generation outlasts any measurement on a loaded machine; Esc ends it.
VERY_LONG = " ".join(f"word{i}" for i in range(3000))


async def test_prompt_streams_then_the_vote_picks_a_winner(isolated_dirs):
    # Slow tokens leave a wide window to see the draft before the vote, even on a busy box.
    app = scripted_app(isolated_dirs, token_delay_s=0.5)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What is the capital of France?")
        answer = app.query_one(AnswerMessage)
        # Mid-vote: the chat shows a draft that grows, before any decision.
        await wait_for(pilot, lambda: app.turn is not None and app.turn.drafts, what="a draft")
        assert app.turn.decision is None
        assert "drafting" in str(answer.border_subtitle)
        await wait_vote(pilot)
        turn = app.conversation.turns[-1]
        assert len(turn.candidates) == 3 and turn.decision is not None
        assert turn.answer in ANSWERS
        assert "won" in str(answer.border_subtitle)
        assert answer.answer_source == turn.answer

        await pilot.press("f2")
        assert app.query_one(TabbedContent).active == "vote"
        table = app.query_one("#vote-table", DataTable)
        assert table.row_count == 3
        stars = [table.get_row_at(i)[0] for i in range(3)]
        assert stars.count("★") == 1
        winner_row = table.get_row_at(stars.index("★"))
        assert winner_row[1] == turn.winner.worker_id
        boxes = list(app.query(WorkerAnswer))
        assert [b.worker_id for b in boxes] == ["w0", "w1", "w2"]
        assert sum(b.has_class("-winner") for b in boxes) == 1


async def test_keys_reach_every_pane_and_switch_and_remember_the_theme(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        for key, pane in [("f2", "vote"), ("f3", "workers"), ("f4", "peers"),
                          ("f5", "hardware"), ("f1", "chat")]:
            await pilot.press(key)
            assert app.query_one(TabbedContent).active == pane
        assert app.focused is app.query_one("#prompt")
        assert app.theme == "hive-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "hive-light"
        await wait_for(pilot, lambda: load_prefs().theme == "hive-light", 5, "prefs saved")
        peers = app.query_one("#peers-table", DataTable)
        assert peers.row_count == 1 and peers.get_row_at(0)[1] == "testbox"
    again = scripted_app(isolated_dirs)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert again.theme == "hive-light"


async def test_strategy_switch_applies_to_the_next_turn(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        first = app.strategy  # the configured default
        await ask(pilot, "first")
        await wait_vote(pilot)
        assert app.conversation.turns[0].decision.strategy == first
        await pilot.press("f6")  # the next name in the picker
        await wait_for(pilot, lambda: app.strategy != first, 5, "the new strategy")
        chosen = app.strategy
        await ask(pilot, "second")
        await wait_vote(pilot)
        assert app.conversation.turns[1].decision.strategy == chosen
        assert app.conversation.turns[0].decision.strategy == first  # history kept
        # Past votes are one key away in the vote view.
        await pilot.press("f2", "left_square_bracket")
        assert app.query_one(VoteView).current is app.conversation.turns[0]
        title = app.query_one("#vote-title")
        await wait_for(pilot, lambda: str(title.content).startswith("Turn 1/2"), 5, "turn 1")


async def test_escape_stops_a_generation(isolated_dirs):
    app = scripted_app(isolated_dirs, answers=[LONG], token_delay_s=0.02, max_tokens=1000)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "talk for a long time")
        await wait_for(pilot, lambda: app.turn is not None and app.turn.drafts, what="a draft")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.turn is None, 10, "the stop")
        turn = app.conversation.turns[-1]
        assert turn.cancelled and turn.decision is None
        answer = app.query_one(AnswerMessage)
        assert "stopped" in str(answer.border_subtitle)
        # The chat keeps the partial draft it was streaming, marked as stopped.
        draft = turn.drafts[turn.leading_worker()]
        assert draft and LONG.startswith(draft.rstrip())
        await wait_for(pilot, lambda: answer.answer_source == draft, 5, "the draft")
        assert answer.query_one(".stop-note").display
        await wait_ready(pilot)  # every worker was told to stop and is free again


async def test_a_key_press_during_generation_is_handled_within_100_ms(isolated_dirs):
    # Three workers stream a token every 10 ms each (~30 s) while panes are switched by key.
    app = scripted_app(isolated_dirs, answers=[VERY_LONG], token_delay_s=0.01, max_tokens=4000)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        tabs = app.query_one(TabbedContent)

        async def press_latencies() -> list[float]:
            # Pilot.press also waits for the screen to go idle (hundreds of ms), so time the
            # key event itself: from posting it, as the terminal driver does, to its effect.
            latencies = []
            for key, pane in [("f3", "workers"), ("f2", "vote"), ("f1", "chat")] * 3:
                started = time.perf_counter()
                app.post_message(events.Key(key, None))
                while tabs.active != pane:
                    await asyncio.sleep(0.001)
                latencies.append(time.perf_counter() - started)
                await pilot.pause(0.02)
            return latencies

        idle = await press_latencies()
        await ask(pilot, "go on")
        await wait_for(pilot, lambda: app.turn is not None and len(app.turn.drafts) == 3,
                       what="every worker writing")
        busy = await press_latencies()
        assert app.turn is not None, "generation ended before the measurement"
        print(f"key press while idle: median {statistics.median(idle) * 1000:.1f} ms; "
              f"while 3 workers stream: median {statistics.median(busy) * 1000:.1f} ms, "
              f"max {max(busy) * 1000:.1f} ms; busy/idle "
              f"{statistics.median(busy) / statistics.median(idle):.2f}")
        assert statistics.median(busy) < 0.100
        await pilot.press("escape")


async def test_conversation_is_there_after_quitting_and_starting_again(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What is the capital of France?")
        await wait_vote(pilot)
        first = app.conversation
        answer = first.turns[0].answer
    assert list((isolated_dirs / "data" / "hive" / "conversations").glob("*.json"))

    again = scripted_app(isolated_dirs)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: again.conversation.id == first.id, 10, "reopening")
        await wait_ready(pilot)
        assert [str(m.content) for m in again.query(UserMessage)] == [
            "What is the capital of France?"]
        assert again.query_one(AnswerMessage).turn.answer == answer
        assert again.conversation.turns[0].decision == first.turns[0].decision
        # The next prompt carries the earlier exchange as context.
        messages = again.conversation.messages_for("And of Spain?")
        assert [m.role for m in messages] == ["user", "assistant", "user"]

        # A new chat, then ctrl+o brings the old one back.
        await pilot.press("ctrl+n")
        assert not again.query(UserMessage)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(again.screen, ConversationPicker), 5, "picker")
        await pilot.press("enter")
        await wait_for(pilot, lambda: again.conversation.id == first.id, 5, "reopened")




async def test_a_prompt_over_the_context_is_a_message_not_a_failed_vote(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        context_policy.choose(app.core, "error", app.notify)  # the app's default compresses
        await ask(pilot, "x" * 1_000_000)  # at least 3907 tokens: the context is 2048
        await pilot.pause(0.1)
        assert app.turn is None and app.conversation.turns == []
        (note,) = [n for n in app._notifications if n.severity == "error"]
        assert "at least" in note.message and "2048" in note.message


async def test_a_prompt_that_compression_cannot_fit_ends_its_turn_with_the_reason(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        assert app.core.info.context == "compress"
        await ask(pilot, "x" * 1_000_000)  # one word, no passages to keep: cannot be cut
        await wait_for(pilot, lambda: app.turn is None, 60, "the turn ended")
        (turn,) = app.conversation.turns
        assert turn.error and "context" in turn.error
