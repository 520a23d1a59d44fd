"""The chat's own features, driven by Pilot: the pinned scroll across pane switches, the draft
kept under a different winner, copy, regenerate, edit, saved conversations (search, rename,
delete), the keys help, the footer's quit key and the vote's plain wording."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Input, OptionList, Static

from hive_tui import consensus, wire
from hive_tui.client.conversations import ConversationStore
from hive_tui.client.turn import Turn
from hive_tui.tui.chat import AnswerMessage, ChatLog, UserMessage
from hive_tui.tui.chat_actions import last_code_block
from hive_tui.tui.conversation_picker import ConversationPicker
from hive_tui.tui.keys import APP_KEYS, KeysScreen
from tests.tui.support import ask, scripted_app, wait_for, wait_ready, wait_vote

LONG = "\n\n".join(f"Paragraph {i}: " + " ".join(f"w{i}x{j}" for j in range(30))
                   for i in range(20))
CODE = "Here:\n\n```python\nprint('first')\n```\n\nand\n\n```python\nprint('last')\n```\n"


async def test_the_chat_follows_the_answer_across_a_pane_switch_and_pages_from_the_prompt(
        isolated_dirs):
    app = scripted_app(isolated_dirs, answers=[LONG], token_delay_s=0.002, max_tokens=2000)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "Tell me a long story")
        await pilot.press("f2")  # watch the vote, come back when it is done
        await wait_vote(pilot)
        await pilot.press("f1")
        await pilot.pause(0.3)
        log = app.query_one(ChatLog)
        assert log.max_scroll_y > 0
        assert log.scroll_y >= log.max_scroll_y - 1, "not scrolled to the finished answer"
        assert app.focused is app.query_one("#prompt")
        await pilot.press("pageup")  # from the prompt
        await pilot.pause(0.1)
        assert log.scroll_y < log.max_scroll_y - 1 and not log.pinned
        await pilot.press("ctrl+home")
        await pilot.pause(0.1)
        assert log.scroll_y == 0
        await pilot.press("f2", "f1")  # scrolled up: the view stays where the user put it
        await pilot.pause(0.2)
        assert log.scroll_y == 0
        await pilot.press("ctrl+end")
        await pilot.pause(0.1)
        assert log.pinned and log.scroll_y >= log.max_scroll_y - 1


def voted_turn(lead_text: str) -> Turn:
    """A finished vote whose first drafting worker (w0) lost to w1."""
    turn = Turn(request_id="r1", prompt="Capital of France?", strategy="similarity")
    cands = [wire.Candidate("w0", lead_text), wire.Candidate("w1", "Paris."),
             wire.Candidate("w2", "Paris")]
    events = [
        wire.RequestStarted("r1", [wire.ChatMessage("user", "Capital of France?")],
                            "similarity", ["w0", "w1", "w2"]),
        wire.TokenEvent("r1", "w0", lead_text),
        *(wire.CandidateDone("r1", c) for c in cands),
        wire.VoteDecided("r1", cands, wire.Decision("similarity", 1, [0.1, 0.8, 0.7],
                                                    [[1, 2], [0]], 0.67, 2, 0.6), False),
    ]
    for event in events:
        turn.apply(event)
    return turn


class OneAnswer(App[None]):
    def __init__(self, turn: Turn) -> None:
        super().__init__()
        self.turn = turn

    def compose(self) -> ComposeResult:
        yield AnswerMessage(self.turn)


async def test_a_draft_the_vote_did_not_choose_stays_labelled_above_the_winner():
    turn = voted_turn("It is **London**, I think.")
    app = OneAnswer(turn)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        box = app.query_one(AnswerMessage)
        assert box.query_one(".body").source == "It is **London**, I think."
        assert box.query_one(".body").has_class("-draft")
        note = str(box.query_one(".draft-note", Static).render())
        assert "w0's draft" in note and "not chosen" in note
        assert str(box.query_one(".winner-note", Static).render()) == "▼ w1 won, 2 of 3 agree, " \
            "likely right (mean similarity 0.60)"
        assert box.answer_source == "Paris."
        assert box.query_one(".final").display and box.query_one(".draft-note").display


async def test_a_draft_that_won_is_shown_once():
    turn = voted_turn("Paris.")
    turn.decision = wire.Decision("similarity", 0, [0.8, 0.8, 0.7], [[0, 1, 2]], 1.0, 3, 0.9)
    async with OneAnswer(turn).run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        box = pilot.app.query_one(AnswerMessage)
        assert box.answer_source == "Paris."
        assert not box.query_one(".final").display and not box.query_one(".draft-note").display


async def test_copy_regenerate_and_edit_the_last_answer(isolated_dirs):
    app = scripted_app(isolated_dirs, answers=[CODE])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "Print something")
        await wait_vote(pilot)
        await pilot.press("f7")
        assert app.clipboard == app.conversation.turns[-1].answer
        assert app.clipboard.startswith("Here:") and "print('first')" in app.clipboard
        await pilot.press("f8")
        assert app.clipboard == "print('last')"
        first = app.conversation.turns[-1]
        await pilot.press("ctrl+r")  # regenerate: the same prompt, in place of the last turn
        await wait_vote(pilot)
        assert len(app.conversation.turns) == 1 and app.conversation.turns[0] is not first
        assert app.conversation.turns[0].prompt == "Print something"
        assert len(app.query(UserMessage)) == 1 and len(app.query(AnswerMessage)) == 1
        await pilot.press("ctrl+e")  # edit the last prompt, send it again
        prompt = app.query_one("#prompt")
        assert prompt.text == "Print something"
        prompt.text = "Print something else"
        await pilot.press("enter")
        await wait_vote(pilot)
        assert [t.prompt for t in app.conversation.turns] == ["Print something else"]
        assert [str(m.render()) for m in app.query(UserMessage)] == ["Print something else"]


def test_the_last_code_block_is_found():
    assert last_code_block(CODE) == "print('last')"
    assert last_code_block("no code") is None


async def test_saved_conversations_are_searched_renamed_and_deleted(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        for prompt in ("What is the capital of France?", "Name a colour"):
            await pilot.press("ctrl+n")
            await ask(pilot, prompt)
            await wait_vote(pilot)
        store = ConversationStore()
        await wait_for(pilot, lambda: len(store.list()) == 2, 10, "two saved conversations")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConversationPicker), 5, "picker")
        picker = app.screen
        options = picker.query_one(OptionList)
        assert options.option_count == 2
        await pilot.press(*"colour")  # search
        await pilot.pause(0.1)
        assert options.option_count == 1
        assert "Name a colour" in str(options.get_option_at_index(0).prompt)
        await pilot.press("f2")  # rename the found one
        assert picker.query_one(Input).value == "Name a colour"
        picker.query_one(Input).value = "Colours"
        await pilot.press("enter")
        await pilot.pause(0.1)
        titles = sorted(c.title for c in store.list())
        assert titles == ["Colours", "What is the capital of France?"]
        await pilot.press("ctrl+d")  # armed
        assert len(store.list()) == 2
        await pilot.press("ctrl+d")  # deleted
        await pilot.pause(0.1)
        assert [c.title for c in store.list()] == ["What is the capital of France?"]
        assert options.option_count == 1
        await pilot.press("escape")


async def test_footer_shows_quit_and_keys_help_lists_the_apps_keys_first(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.pause(0.1)
        quit_key = [k for k in app.query_one(Footer).query("FooterKey") if k.action == "quit"]
        assert quit_key and "Quit" in str(quit_key[0].render())
        assert 0 < quit_key[0].region.right <= 80  # on screen at 80 columns
        await pilot.press("f10")
        assert isinstance(app.screen, KeysScreen)
        text = "\n".join(str(s.render()) for s in app.screen.query(Static))
        assert text.index("ctrl+q") < text.index("undo") and text.index("F7") < text.index("paste")
        await pilot.press("escape")
        assert not isinstance(app.screen, KeysScreen)
        assert app.pairing_code is None  # nothing secret was shown


async def test_notices_do_not_cover_the_prompt_or_the_status_line(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_ready(pilot)
        app.notify("Serving the API on http://127.0.0.1:8420 " * 3, timeout=30)
        await wait_for(pilot, lambda: app.screen.query("Toast"), 5, "a notice")
        await pilot.pause(0.3)
        toasts = [t.region for t in app.screen.query("Toast")]
        for covered in (app.query_one("#prompt").region, app.query_one("#status").region):
            assert all(not toast.overlaps(covered) for toast in toasts)


async def test_the_vote_says_in_plain_words_when_no_two_answers_agree(isolated_dirs):
    answers = ["Paris is the capital.", "Bananas are yellow fruit.", "Seven hundred and two."]
    app = scripted_app(isolated_dirs, answers=answers)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        app.set_strategy("similarity")
        await ask(pilot, "Anything")
        await wait_vote(pilot)
        await pilot.press("f2")
        await pilot.pause(0.2)
        summary = str(app.query_one("#vote-summary", Static).render())
        assert "no two answers agree" in summary and "1 of 3" not in summary
        assert "score 0-1" in str(app.query_one("#vote-legend", Static).render())


def test_fastest_and_no_agreement_wording():
    fastest = wire.Decision("fastest", 0, [1.0, 0.5], [[0], [1]], 0.1, 1, 0.1)
    assert consensus.agreement_text(fastest, 2) == "first finished of 2"
    alone = wire.Decision("similarity", 0, [0.2, 0.1], [[0], [1]], 0.1, 1, 0.12)
    assert consensus.agreement_text(alone, 2).startswith("no two answers agree")


def test_the_readme_lists_the_apps_keys():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for key, _ in APP_KEYS:
        assert f"| {key} |" in readme
