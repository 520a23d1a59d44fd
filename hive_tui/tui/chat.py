"""The chat pane: the conversation (prompts, and the swarm's answers as Markdown) and the prompt.

While a vote runs, the answer box streams the draft of the first worker to speak; when the
vote is decided it is replaced by the winner, captioned with who won and how.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from hive_tui.tui.prompt_input import PromptInput
from hive_tui.tui.turn import Turn

WELCOME = (
    "Ask the swarm anything. Every worker answers; the vote picks one.\n"
    "Enter sends · ctrl+j new line · ↑ history · esc stops · F2 shows the vote"
)


def caption(turn: Turn) -> str:
    if turn.error:
        return f"failed: {turn.error}"
    if turn.cancelled and turn.decision is None:
        return "stopped"
    if (winner := turn.winner) is not None and turn.decision is not None:
        d = turn.decision
        extra = " · degraded" if turn.degraded else ""
        return (f"{winner.worker_id} won · {d.strategy} · agreement {d.agreement:.2f} · "
                f"{len(turn.candidates)} candidates{extra}")
    if (lead := turn.leading_worker()) is not None:
        return f"{lead} drafting… ({len(turn.worker_ids)} workers)"
    return f"asking {len(turn.worker_ids) or 'the'} workers…"


class UserMessage(Static):
    def __init__(self, text: str) -> None:
        super().__init__(text, markup=False)

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 0 6;
        padding: 0 1;
        background: $primary 15%;
        border-left: thick $primary;
        color: $foreground;
    }
    """


class AnswerMessage(Vertical):
    DEFAULT_CSS = """
    AnswerMessage {
        height: auto;
        margin: 1 4 0 0;
        border: round $secondary 60%;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    AnswerMessage.-winner { border: round $success; }
    AnswerMessage.-failed { border: round $error; }
    AnswerMessage Markdown { margin: 0; padding: 0; background: transparent; }
    AnswerMessage Markdown > *:last-child { margin-bottom: 0; }
    """

    def __init__(self, turn: Turn) -> None:
        super().__init__()
        self.turn = turn
        self._stream: MarkdownStream | None = None
        self._streamed_worker: str | None = None
        self._written = 0

    def compose(self) -> ComposeResult:
        yield Markdown(self.turn.answer)

    def on_mount(self) -> None:
        self.border_subtitle = caption(self.turn)
        self.set_class(self.turn.winner is not None, "-winner")
        self.set_class(self.turn.error is not None, "-failed")

    async def refresh_turn(self) -> None:
        turn = self.turn
        self.border_subtitle = caption(turn)
        markdown = self.query_one(Markdown)
        if turn.finished:
            if self._stream is not None:
                await self._stream.stop()
                self._stream = None
            await markdown.update(turn.answer)
            self.set_class(turn.winner is not None, "-winner")
            self.set_class(turn.error is not None, "-failed")
            return
        lead = turn.leading_worker()
        if lead is None:
            return
        if self._stream is None:
            self._stream = Markdown.get_stream(markdown)
            self._streamed_worker = lead
        draft = turn.drafts.get(lead, "")
        if len(draft) > self._written:
            await self._stream.write(draft[self._written:])
            self._written = len(draft)


class ChatPane(Vertical):
    DEFAULT_CSS = """
    ChatPane { height: 1fr; }
    ChatPane #chat-log { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ChatPane #welcome { color: $text-muted; margin: 1 2; }
    """

    def compose(self) -> ComposeResult:
        yield VerticalScroll(Static(WELCOME, id="welcome"), id="chat-log")
        yield PromptInput(id="prompt")

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    async def show_turns(self, turns: list[Turn]) -> None:
        log = self.query_one("#chat-log", VerticalScroll)
        await log.remove_children()
        widgets: list[Static | AnswerMessage] = []
        for turn in turns:
            widgets += [UserMessage(turn.prompt), AnswerMessage(turn)]
        if not widgets:
            widgets = [Static(WELCOME, id="welcome")]
        await log.mount_all(widgets)
        log.scroll_end(animate=False)
        self.prompt.set_history([t.prompt for t in turns])

    async def begin_turn(self, turn: Turn) -> None:
        log = self.query_one("#chat-log", VerticalScroll)
        for welcome in log.query("#welcome"):
            await welcome.remove()
        await log.mount_all([UserMessage(turn.prompt), AnswerMessage(turn)])
        log.scroll_end(animate=False)

    async def refresh_turn(self, turn: Turn) -> None:
        for answer in self.query(AnswerMessage):
            if answer.turn is turn:
                log = self.query_one("#chat-log", VerticalScroll)
                at_end = log.scroll_y >= log.max_scroll_y - 1
                await answer.refresh_turn()
                if at_end:
                    log.scroll_end(animate=False)
                return
