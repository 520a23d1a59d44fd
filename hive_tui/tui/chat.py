"""The chat pane: the conversation (prompts, and the swarm's answers as Markdown) and the prompt.

While a vote runs, the answer box streams the draft of the first worker to speak. When the
vote picks that worker's answer the box simply shows it; when it picks another, the draft stays
(labelled as a draft, dimmed) and the winner appears below it, labelled with who won and how
many agree, so nothing being read disappears. A vote stopped (Esc) before its decision keeps
that draft, marked "(stopped)".

The log stays pinned to the newest answer unless the user scrolls up, also across pane
switches (a hidden log cannot scroll, so the pin is remembered and applied when it is shown).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
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


def replaced_draft(turn: Turn) -> str | None:
    """The draft the chat streamed, when the vote chose another answer (kept and labelled)."""
    if not turn.finished or stopped_early(turn) or not turn.answer:
        return None
    lead = turn.leading_worker()
    draft = turn.drafts.get(lead, "") if lead is not None else ""
    if not draft.strip() or draft.strip() == turn.answer.strip():
        return None
    return draft


def winner_note(turn: Turn) -> str:
    """Above a winner that replaced the draft: "w2 won, 3 of 5 agree"."""
    winner = turn.winner
    if winner is None or turn.decision is None:
        return "the vote's answer"
    if turn.federated:
        return f"▼ {winner.worker_id} won (hive of {len(turn.nodes)} nodes)"
    agree = consensus.agreement_text(turn.decision, len(turn.candidates))
    return f"▼ {winner.worker_id} won, {agree}"


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
    AnswerMessage .draft-note, AnswerMessage .winner-note { color: $text-muted; }
    AnswerMessage .winner-note { color: $success; text-style: bold; margin-top: 1; }
    AnswerMessage .-hidden { display: none; }
    AnswerMessage Markdown.-draft { opacity: 60%; }
    ChatPane.-no-drafts AnswerMessage .draft-note,
    ChatPane.-no-drafts AnswerMessage Markdown.-draft { display: none; }
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
        yield Static("", classes="draft-note -hidden", markup=False)
        yield Markdown(shown_text(self.turn), classes="body")
        yield Static("", classes="winner-note -hidden", markup=False)
        yield Markdown("", classes="final -hidden")
        yield Static("(stopped)", classes="stop-note -hidden")

    @property
    def answer_source(self) -> str:
        """The text the box shows as the answer (the winner's, below a kept draft)."""
        final = self.query_one(".final", Markdown)
        return final.source if not final.has_class("-hidden") else self.query_one(
            ".body", Markdown).source

    async def _show_answer(self) -> None:
        turn = self.turn
        body = self.query_one(".body", Markdown)
        final = self.query_one(".final", Markdown)
        draft = replaced_draft(turn)
        kept = draft is not None
        lead = turn.leading_worker() or "a worker"
        self.query_one(".draft-note", Static).update(
            f"{lead}'s draft, streamed while the swarm voted (not chosen):")
        self.query_one(".winner-note", Static).update(winner_note(turn))
        for part in (self.query_one(".draft-note"), self.query_one(".winner-note"), final):
            part.set_class(not kept, "-hidden")
        body.set_class(kept, "-draft")
        await body.update(draft if draft is not None else shown_text(turn))
        await final.update(turn.answer if kept else "")

    def _show_tools(self) -> None:
        log = self.query_one(".tool-log", Static)
        log.update("\n".join(tool_line(e) for e in self.turn.tools))
        log.set_class(not self.turn.tools, "-hidden")

    def _show_outcome(self) -> None:
        turn = self.turn
        self.set_class(turn.winner is not None, "-winner")
        self.set_class(turn.error is not None, "-failed")
        self.query_one(".stop-note", Static).set_class(not stopped_early(turn), "-hidden")

    async def on_mount(self) -> None:
        self._show_tools()
        self.border_subtitle = caption(self.turn)
        self._show_outcome()
        if self.turn.finished:
            await self._show_answer()

    async def refresh_turn(self) -> None:
        turn = self.turn
        self.border_subtitle = caption(turn)
        self._show_tools()
        markdown = self.query_one(".body", Markdown)
        if turn.finished:
            if self._stream is not None:
                await self._stream.stop()
                self._stream = None
            await self._show_answer()
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


class ChatLog(VerticalScroll):
    """The conversation's scroll; ``pinned`` while its view is at the end (the newest answer)."""

    pinned = True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.display and self.size.height:  # a hidden log's numbers say nothing
            self.pinned = new_value >= self.max_scroll_y - 1

    def follow(self) -> None:
        """Back to the newest answer if the user had not scrolled away from it."""
        if self.pinned:
            self.scroll_end(animate=False)


class ChatPane(Vertical):
    DEFAULT_CSS = """
    ChatPane { height: 1fr; }
    ChatPane #chat-log { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ChatPane #welcome { color: $text-muted; margin: 1 2; }
    """
    # priority: the prompt (a TextArea) has focus and binds page keys itself; its box is a few
    # lines, the chat is what needs paging. Home/End stay with the prompt's line.
    BINDINGS = [
        Binding("pageup", "scroll_chat('up')", "Scroll up", show=False, priority=True),
        Binding("pagedown", "scroll_chat('down')", "Scroll down", show=False, priority=True),
        Binding("ctrl+home", "scroll_chat('home')", "Chat start", show=False, priority=True),
        Binding("ctrl+end", "scroll_chat('end')", "Chat end", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield ChatLog(Static(WELCOME, id="welcome"), id="chat-log")
        yield PromptInput(id="prompt")

    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def log_view(self) -> ChatLog:
        return self.query_one(ChatLog)

    def action_scroll_chat(self, where: str) -> None:
        log = self.log_view
        match where:
            case "up":
                log.scroll_page_up(animate=False)
            case "down":
                log.scroll_page_down(animate=False)
            case "home":
                log.scroll_home(animate=False)
            case _:
                log.scroll_end(animate=False)

    def follow(self) -> None:
        self.log_view.follow()

    def answers(self) -> list[AnswerMessage]:
        return list(self.query(AnswerMessage))

    async def show_turns(self, turns: list[Turn]) -> None:
        log = self.log_view
        await log.remove_children()
        widgets: list[Static | AnswerMessage] = []
        for turn in turns:
            widgets += [UserMessage(turn.prompt), AnswerMessage(turn)]
        if not widgets:
            widgets = [Static(WELCOME, id="welcome")]
        await log.mount_all(widgets)
        log.pinned = True
        log.scroll_end(animate=False)
        self.prompt.set_history([t.prompt for t in turns])

    async def begin_turn(self, turn: Turn) -> None:
        log = self.log_view
        for welcome in log.query("#welcome"):
            await welcome.remove()
        await log.mount_all([UserMessage(turn.prompt), AnswerMessage(turn)])
        log.pinned = True  # asking is a request to see the answer
        log.scroll_end(animate=False)

    async def drop_turn(self, turn: Turn) -> None:
        """Removes a turn (and its prompt) from the log: regenerate and edit replace it."""
        for answer in self.query(AnswerMessage):
            if answer.turn is turn:
                before = self.log_view.children[self.log_view.children.index(answer) - 1]
                if isinstance(before, UserMessage):
                    await before.remove()
                await answer.remove()

    async def refresh_turn(self, turn: Turn) -> None:
        for answer in self.query(AnswerMessage):
            if answer.turn is turn:
                await answer.refresh_turn()
                self.log_view.follow()
                return
