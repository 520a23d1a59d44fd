"""The chat pane: the conversation (prompts, and the swarm's answers as Markdown) and the prompt.

While a vote runs, the answer box streams the draft of the first worker to speak; when the
vote is decided it is replaced by the winner, captioned with who won and how. A vote stopped
(Esc) before its decision keeps that draft, marked "(stopped)".
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from hive_tui import consensus
from hive_tui.client.turn import ToolEntry, Turn
from hive_tui.tui.prompt_input import PromptInput

TOOL_OUTPUT_LINES = 4

WELCOME = (
    "Ask the swarm anything. Every worker answers; the vote picks one.\n"
    "Enter sends · ctrl+j new line · ↑ history · esc stops · F2 shows the vote"
)


def tool_line(entry: ToolEntry) -> str:
    """One tool call in the chat: what ran (or not), who asked, and the start of its output."""
    if not entry.approved:
        outcome = "declined" if "declined" in entry.output else "not run"
    else:
        outcome = "ran" if entry.ok else "failed"
    who = f" · proposed by {', '.join(entry.proposers)}" if entry.proposers else ""
    lines = entry.output.splitlines()
    shown = "\n".join(f"  {line}" for line in lines[:TOOL_OUTPUT_LINES])
    if len(lines) > TOOL_OUTPUT_LINES:
        shown += f"\n  … {len(lines) - TOOL_OUTPUT_LINES} more line(s)"
    return f"⚙ {entry.name} {entry.detail} · {outcome}{who}\n{shown}".rstrip()


def stopped_early(turn: Turn) -> bool:
    return turn.cancelled and turn.decision is None


def shown_text(turn: Turn) -> str:
    """The answer; for a vote stopped before its decision, the draft the chat was streaming."""
    if stopped_early(turn) and not turn.answer and (lead := turn.leading_worker()) is not None:
        return turn.drafts.get(lead, "")
    return turn.answer


def caption(turn: Turn) -> str:
    if turn.error:
        return f"failed: {turn.error}"
    if stopped_early(turn):
        lead = turn.leading_worker()
        return f"stopped · {lead}'s draft" if lead and turn.drafts.get(lead) else "stopped"
    if (winner := turn.winner) is not None and turn.decision is not None:
        d = turn.decision
        extra = " · degraded" if turn.degraded else ""
        if turn.federated:
            return (f"{winner.worker_id} won · hive of {len(turn.nodes)} nodes · "
                    f"agreement {d.agreement:.2f}{extra}")
        agree = consensus.agreement_text(d, len(turn.candidates))
        return f"{winner.worker_id} won · {d.strategy} · {agree}{extra}"
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
    AnswerMessage .tool-log { color: $text-muted; background: $boost; padding: 0 1; }
    AnswerMessage .tool-log.-hidden { display: none; }
    AnswerMessage .stop-note { color: $text-muted; text-style: italic; }
    AnswerMessage .stop-note.-hidden { display: none; }
    """

    def __init__(self, turn: Turn) -> None:
        super().__init__()
        self.turn = turn
        self._stream: MarkdownStream | None = None
        self._streamed_worker: str | None = None
        self._written = 0
        self._streamed_request = turn.request_id

    def compose(self) -> ComposeResult:
        yield Static("", classes="tool-log -hidden", markup=False)
        yield Markdown(shown_text(self.turn))
        yield Static("(stopped)", classes="stop-note -hidden")

    def _show_tools(self) -> None:
        log = self.query_one(".tool-log", Static)
        log.update("\n".join(tool_line(e) for e in self.turn.tools))
        log.set_class(not self.turn.tools, "-hidden")

    def _show_outcome(self) -> None:
        turn = self.turn
        self.set_class(turn.winner is not None, "-winner")
        self.set_class(turn.error is not None, "-failed")
        self.query_one(".stop-note", Static).set_class(not stopped_early(turn), "-hidden")

    def on_mount(self) -> None:
        self._show_tools()
        self.border_subtitle = caption(self.turn)
        self._show_outcome()

    async def refresh_turn(self) -> None:
        turn = self.turn
        self.border_subtitle = caption(turn)
        self._show_tools()
        markdown = self.query_one(Markdown)
        if turn.finished:
            if self._stream is not None:
                await self._stream.stop()
                self._stream = None
            await markdown.update(shown_text(turn))
            self._show_outcome()
            return
        if turn.request_id != self._streamed_request:  # a tool turn's next vote: start over
            if self._stream is not None:
                await self._stream.stop()
                self._stream = None
            await markdown.update("")
            self._streamed_request, self._written = turn.request_id, 0
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
