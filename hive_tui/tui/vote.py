"""The vote view: every worker's answer for one turn, then the groups, scores and the winner.

A federated vote shows every worker of every node (remote ones as ``w0@node-…``), each
node's local winner marked ◆, and a table of the nodes' local results with the global
decision (★). A tool turn adds what each worker proposed (a call, or text) and the tool vote.

Shows the turn in progress by default; ``[`` and ``]`` step through past turns of the
conversation. The strategy picker sets the strategy of the *next* turn (a decided vote is
history; the core decides it once).
"""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Markdown, Select, Static
from textual.widgets.markdown import MarkdownStream

from hive_tui import consensus
from hive_tui.client.tool_turn import proposal
from hive_tui.client.turn import Turn
from hive_tui.tui.uncancelled import uncancelled

LOCAL_COLUMNS = ("", "worker", "group", "score", "tokens", "latency", "finish")
HIVE_COLUMNS = ("", "node", "state", "local winner", "agree", "weight", "score")
# What the score column measures, per strategy (higher wins, 0..1), for the legend under the table.
SCORE_MEANING = {
    "similarity": "mean similarity to the other answers",
    "quality": "how well-formed the answer is",
    "fastest": "fastest latency / own latency",
    "majority": "share of workers giving the same text",
    "confidence": "agreement weighted by confidence",
}


def legend(turn: Turn) -> str:
    if turn.federated:
        return ("★ hive winner · agree: the node's local agreement · weight: its workers · "
                "score: the node's answer against the others")
    meaning = SCORE_MEANING.get(turn.strategy, "the strategy's rating")
    return f"★ winner · group: same answer · score 0-1: {meaning}"


class WorkerAnswer(VerticalScroll):
    """One worker's answer, streamed as Markdown like the chat's. The box shows the start of the
    answer (it does not follow the tail: that hid what was being read); scroll it to read on."""

    DEFAULT_CSS = """
    WorkerAnswer {
        /* Stacked (narrow): each box as tall as its text up to a bound, the stack scrolls; a
           federated vote easily has more workers than fit. Side by side (wide): 1fr each. */
        height: auto;
        max-height: 10;
        min-height: 3;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    WorkerAnswer.-winner { border: round $success; border-title-color: $success; }
    WorkerAnswer.-writing { border: round $primary 70%; }
    WorkerAnswer.-failed { border: round $error 70%; }
    WorkerAnswer Markdown { margin: 0; padding: 0; background: transparent; }
    WorkerAnswer Markdown > *:last-child { margin-bottom: 0; }
    """

    def __init__(self, worker_id: str) -> None:
        super().__init__()
        self.worker_id = worker_id
        self._written = ""
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Markdown("…")

    @property
    def source(self) -> str:
        return self._written

    async def _write(self, text: str, streaming: bool) -> None:
        """Appends while the worker writes (cheap at token rate); otherwise shows ``text`` whole."""
        markdown = self.query_one(Markdown)
        if streaming and self._written and text.startswith(self._written):
            if len(text) > len(self._written):
                self._stream = self._stream or Markdown.get_stream(markdown)
                await self._stream.write(text[len(self._written):])
                self._written = text
            return
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if text != self._written or not text:
            if not text.startswith(self._written) or not text:
                self.scroll_home(animate=False)  # another turn's answer: from its start
            await markdown.update(text or "…")
            self._written = text

    async def show(self, turn: Turn) -> None:
        state = turn.worker_state(self.worker_id)
        text = turn.drafts.get(self.worker_id, "")
        candidate = turn.candidate_of(self.worker_id)
        winner = turn.winner is not None and turn.winner.worker_id == self.worker_id
        local = not winner and self.worker_id in turn.local_winners()
        title = f"{'★ ' if winner else '◆ ' if local else ''}{self.worker_id} · {state}"
        if candidate is not None:
            title += f" · {candidate.completion_tokens} tok · {candidate.latency_s:.1f}s"
        self.border_title = title
        await self._write(text, streaming=state == "writing")
        self.set_class(winner, "-winner")
        self.set_class(state == "writing", "-writing")
        self.set_class(state in ("missing", "error", "cancelled"), "-failed")


def group_of(turn: Turn, index: int) -> int:
    if turn.decision is None:
        return 0
    for g, members in enumerate(turn.decision.groups, start=1):
        if index in members:
            return g
    return 0


class VoteView(Vertical):
    DEFAULT_CSS = """
    VoteView { height: 1fr; }
    VoteView #vote-head { height: 1; padding: 0 1; }
    VoteView #vote-title {
        width: 1fr; color: $text; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis;
    }
    VoteView #next-label { width: auto; color: $text-muted; margin-left: 2; }
    VoteView #strategy { width: 16; height: 1; border: none; }
    VoteView #strategy > SelectCurrent { border: none; height: 1; padding: 0 1; }
    VoteView #answers { height: 1fr; layout: vertical; overflow-y: auto; }
    VoteView #vote-table { height: auto; max-height: 9; }
    VoteView #vote-summary { height: auto; padding: 0 1; color: $text-muted; }
    VoteView #vote-summary.-decided { color: $success; }
    VoteView #vote-legend { height: auto; padding: 0 1; color: $text-muted; text-style: italic; }
    VoteView #vote-empty { color: $text-muted; padding: 1 2; }
    """

    # Short descriptions: the footer has 80 columns for these and the app's keys (Stop too).
    BINDINGS = [
        # One footer entry for the pair: "[ Older ] Newer" read like a bracketed word.
        Binding("left_square_bracket", "step(-1)", "Older/newer", key_display="[/]",
                tooltip="[ shows the older turn, ] the newer one"),
        Binding("right_square_bracket", "step(1)", "Newer turn", show=False),
        Binding("s", "cycle_strategy", "Strategy"),
    ]

    class StrategyChosen(Message):
        def __init__(self, strategy: str) -> None:
            super().__init__()
            self.strategy = strategy

    def __init__(self, strategy: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.turns: list[Turn] = []
        self.index = -1  # -1: follow the newest turn
        self._strategy = strategy
        self._shown_workers: tuple[str, ...] = ()
        self._table_key: tuple[object, ...] = ()
        # One update at a time: events and key presses both redraw, and a redraw that
        # remounts the answers must not interleave with one writing into them.
        self._showing = asyncio.Lock()

    def compose(self) -> ComposeResult:
        with Horizontal(id="vote-head"):
            yield Label("No vote yet", id="vote-title", markup=False)
            yield Label("next vote:", id="next-label")
            yield Select(
                [(name, name) for name in consensus.strategy_names()],
                value=self._strategy, allow_blank=False, id="strategy", compact=True,
            )
        yield Container(Static("Ask something in the chat (F1); the vote shows up here.",
                               id="vote-empty"), id="answers")
        table: DataTable[str] = DataTable(id="vote-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*LOCAL_COLUMNS)
        self._columns: tuple[str, ...] = LOCAL_COLUMNS
        yield table
        yield Static("", id="vote-summary")
        yield Static("", id="vote-legend")

    @property
    def current(self) -> Turn | None:
        if not self.turns:
            return None
        return self.turns[self.index] if self.index >= 0 else self.turns[-1]

    def set_strategy(self, strategy: str) -> None:
        self._strategy = strategy
        select = self.query_one("#strategy", Select)
        if select.value != strategy:
            select.value = strategy

    async def set_turns(self, turns: list[Turn]) -> None:
        self.turns = turns
        self.index = -1
        await self.show_current()

    async def turn_changed(self, turn: Turn) -> None:
        if self.current is turn:
            await self.show_current()

    def action_step(self, step: int) -> None:
        if not self.turns:
            return
        position = (len(self.turns) - 1 if self.index < 0 else self.index) + step
        position = max(0, min(len(self.turns) - 1, position))
        self.index = -1 if position == len(self.turns) - 1 else position
        self.run_worker(self.show_current(), group="vote-view", exclusive=True)

    def action_cycle_strategy(self) -> None:
        names = consensus.strategy_names()
        following = names[(names.index(self._strategy) + 1) % len(names)] if (
            self._strategy in names) else names[0]
        self.set_strategy(following)

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self._strategy:
            self._strategy = event.value
        self.post_message(self.StrategyChosen(str(event.value)))

    async def show_current(self) -> None:
        # Uncancelled: stepping runs it in an exclusive worker, and Esc cancels the vote's,
        # maybe mid-remount of the answers.
        await uncancelled(self._show_current(), self._showing)

    async def _show_current(self) -> None:
        turn = self.current
        answers = self.query_one("#answers", Container)
        if turn is None:
            return
        position = len(self.turns) if self.index < 0 else self.index + 1
        prompt = " ".join(turn.prompt.split())
        self.query_one("#vote-title", Label).update(
            f"Turn {position}/{len(self.turns)} · {turn.strategy} · {prompt}")
        workers = tuple(turn.worker_ids)
        if workers != self._shown_workers:
            await answers.remove_children()
            await answers.mount_all([WorkerAnswer(w) for w in workers])
            self._shown_workers = workers
        for answer in answers.query(WorkerAnswer):
            await answer.show(turn)
        self._fill_table(turn)
        summary = self.query_one("#vote-summary", Static)
        summary.update(self._summary(turn))
        summary.set_class(turn.decision is not None, "-decided")
        self.query_one("#vote-legend", Static).update(legend(turn))

    def _fill_table(self, turn: Turn) -> None:
        key = (turn.request_id, len(turn.candidates), turn.decision, len(turn.nodes))
        if key == self._table_key:
            return  # tokens arrive many times a second; the table changes per answer
        self._table_key = key
        table = self.query_one("#vote-table", DataTable)
        columns: tuple[str, ...] = HIVE_COLUMNS if turn.federated else LOCAL_COLUMNS
        if turn.tools_offered and not turn.federated:
            columns = (*columns, "proposes")
        table.clear(columns=columns != self._columns)
        if columns != self._columns:
            table.add_columns(*columns)
            self._columns = columns
        if turn.federated:
            self._fill_nodes(turn, table)
            return
        decision = turn.decision
        for i, c in enumerate(turn.candidates):
            won = decision is not None and decision.winner == i
            score = f"{decision.scores[i]:.2f}" if decision and i < len(decision.scores) else "…"
            cells = ["★" if won else "", c.worker_id, str(group_of(turn, i) or "-"), score,
                     str(c.completion_tokens), f"{c.latency_s:.2f}s", c.finish_reason]
            if turn.tools_offered:
                cells.append(proposal(c.text)[:60])
            table.add_row(*cells)

    @staticmethod
    def _fill_nodes(turn: Turn, table: DataTable[str]) -> None:
        winner = turn.winner.node_id if turn.winner is not None else None
        for n in turn.nodes:
            mark = "★" if n.node_id == winner else ""
            score = "-" if n.score is None else f"{n.score:.2f}"
            name = n.name + (" (this)" if n.is_self else "")
            state = n.state if n.state == "ok" else f"{n.state}: {n.error or ''}"[:40]
            table.add_row(mark, name, state, n.winner or "-", f"{n.agreement:.2f}",
                          str(n.weight), score)

    @staticmethod
    def _summary(turn: Turn) -> str:
        if turn.error:
            return f"Vote failed: {turn.error}"
        d = turn.decision
        if d is None:
            done = len(turn.candidates)
            return ("Stopped." if turn.cancelled
                    else f"Voting… {done}/{len(turn.worker_ids)} answers in")
        winner = turn.winner
        tool = f" · {turn.tool_note}" if turn.tool_note else ""
        if turn.federated:
            names = {n.node_id: n.name for n in turn.nodes}
            missing = [names.get(m, m) for m in turn.missing]
            gone = f" · no result from {', '.join(missing)}" if missing else ""
            where = names.get(winner.node_id, winner.node_id) if winner else "-"
            return (f"Hive winner {winner.worker_id if winner else '-'} (node {where}) · "
                    f"{len(turn.nodes) - len(missing)}/{len(turn.nodes)} nodes voted · global "
                    f"agreement {d.agreement:.2f}{gone}")
        lost = f" · missing: {', '.join(turn.missing)}" if turn.missing else ""
        agree = consensus.agreement_text(d, len(turn.candidates))
        return (f"Winner {winner.worker_id if winner else '-'} · {agree} · "
                f"{len(d.groups)} group(s){lost}{tool}")
