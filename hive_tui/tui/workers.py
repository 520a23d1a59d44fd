"""The workers pane: one card per worker with its state, speed and a tokens/s sparkline, and
the memory of each process once: slots that share a process are shown inside its box.

While an answer streams, a card's numbers come from the token events (``LiveNumbers``),
redrawn twice a second; once it is done, from the worker's status.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Sparkline, Static

from hive_tui import wire
from hive_tui.client.live_numbers import LiveNumbers, Numbers
from hive_tui.tui.uncancelled import uncancelled

HISTORY = 60  # samples of the live tokens/s per worker (one a tick, a second)
LIVE_REFRESH_S = 0.5


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "-"


def describe(s: wire.WorkerStatus, numbers: Numbers | None = None,
             memory: bool = True) -> str:
    """Two short lines, so an 80-column card shows every figure. The speed is one answer's
    (the one streaming, or the last); the token count is everything the worker generated."""
    n = numbers or Numbers(s.tokens_per_s, s.tokens_total, live=False)
    answer = "this answer" if n.live else "last answer"
    first = f"{s.model or '…'} · {s.backend} · {s.node_id}"
    if memory:
        first += f" · {mib(s.rss_bytes)}"
    return (f"{first}\n{n.tokens_per_s:.1f} tok/s {answer} · ttft {s.ttft_s:.2f}s · "
            f"{n.tokens_total} tok in all" + (f" · restarts {s.restarts}" if s.restarts else ""))


def scale(rates: Sequence[float]) -> str:
    """The sparkline's scale: its lowest bar is the lowest sample, its highest the highest."""
    low, high = (min(rates), max(rates)) if rates else (0.0, 0.0)
    return f"▁{low:.0f} █{high:.0f} tok/s"


def process_key(s: wire.WorkerStatus) -> str:
    """Slots of one process share its pid; a worker without one yet stands alone."""
    return f"pid {s.pid}" if s.pid else s.worker_id


class WorkerCard(Vertical):
    DEFAULT_CSS = """
    WorkerCard {
        height: auto;
        border: round $panel-lighten-2;
        border-title-style: bold;
        padding: 0 1;
    }
    WorkerCard.-generating { border: round $primary; }
    WorkerCard.-idle { border: round $success 60%; }
    WorkerCard.-crashed, WorkerCard.-restarting { border: round $error; }
    WorkerCard .facts { height: auto; color: $text; }
    WorkerCard .error { height: auto; color: $error; }
    WorkerCard Horizontal { height: 1; }
    WorkerCard Sparkline { height: 1; width: 1fr; }
    WorkerCard .scale { width: auto; color: $text-muted; padding: 0 0 0 1; }
    """

    STATES = ("loading", "idle", "generating", "crashed", "restarting", "stopped")

    def __init__(self, status: wire.WorkerStatus, rates: deque[float] | None = None,
                 *, memory: bool = True) -> None:
        super().__init__()
        self.status = status
        self.memory = memory  # False in a process box, which shows the memory once
        self.rates: deque[float] = rates if rates is not None else deque(
            [0.0] * HISTORY, maxlen=HISTORY)
        self.numbers: Numbers | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="facts", markup=False)
        with Horizontal():
            yield Sparkline(list(self.rates), summary_function=max)
            yield Static(scale(self.rates), classes="scale", markup=False)
        yield Static("", classes="error", markup=False)

    def on_mount(self) -> None:
        self.show(self.status, self.numbers)

    def show(self, status: wire.WorkerStatus, numbers: Numbers | None = None) -> None:
        self.status, self.numbers = status, numbers
        self.border_title = f"{status.worker_id} · {status.state}"
        self.border_subtitle = f"pid {status.pid}" if status.pid and self.memory else ""
        for state in self.STATES:
            self.set_class(status.state == state, f"-{state}")
        # Not composed yet (on_mount shows ``status`` then) or removed already: no children.
        for facts in self.query(".facts").results(Static):
            facts.update(describe(status, numbers, self.memory))
        for error in self.query(".error").results(Static):
            error.update(status.last_error or "")
            error.display = bool(status.last_error) and status.state != "idle"

    def push_rate(self, tokens_per_s: float) -> None:
        self.rates.append(tokens_per_s)
        # A card mounted a moment ago may not be composed yet: its sparkline starts from
        # ``rates`` when it is, so nothing is lost by skipping it now.
        for sparkline in self.query(Sparkline):
            sparkline.data = list(self.rates)
        for label in self.query(".scale").results(Static):
            label.update(scale(self.rates))


class ProcessBox(Vertical):
    """One process serving several slots: its memory once, its slots' cards inside."""

    DEFAULT_CSS = """
    ProcessBox { height: auto; border: round $secondary 60%; padding: 0 1; }
    """

    def __init__(self, key: str, statuses: list[wire.WorkerStatus],
                 cards: list[WorkerCard]) -> None:
        super().__init__(*cards)
        self.key = key
        self.show(statuses)

    def show(self, statuses: list[wire.WorkerStatus]) -> None:
        first = statuses[0]
        self.border_title = f"process {first.pid} · {len(statuses)} slots"
        self.border_subtitle = f"{mib(first.rss_bytes)} for all its slots"


class WorkersPane(VerticalScroll):
    DEFAULT_CSS = """
    WorkersPane { height: 1fr; padding: 0 1; }
    WorkersPane #workers-empty { color: $text-muted; padding: 1; }
    """

    def __init__(self, live: LiveNumbers | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.live = live or LiveNumbers()
        self.statuses: list[wire.WorkerStatus] = []
        self._layout: list[tuple[str, tuple[str, ...]]] = []
        self._rates: dict[str, deque[float]] = {}  # kept across regrouping
        # One update at a time: a second one arriving while the first remounts the cards
        # would look them up before they exist.
        self._updating = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static("Workers are starting…", id="workers-empty")

    def on_mount(self) -> None:
        self.set_interval(LIVE_REFRESH_S, self._show_live)

    def _cards(self) -> dict[str, WorkerCard]:
        return {card.status.worker_id: card for card in self.query(WorkerCard)}

    def _rates_of(self, worker_id: str) -> deque[float]:
        return self._rates.setdefault(worker_id, deque([0.0] * HISTORY, maxlen=HISTORY))

    async def show_statuses(self, statuses: list[wire.WorkerStatus]) -> None:
        # Uncancelled: the app's poll, an exclusive worker, is cancelled by the next one,
        # maybe mid-remount.
        await uncancelled(self._show_statuses(statuses), self._updating)

    async def _show_statuses(self, statuses: list[wire.WorkerStatus]) -> None:
        known = {s.worker_id: s for s in self.statuses}
        known.update((s.worker_id, s) for s in statuses)
        self.statuses = list(known.values())
        for s in statuses:
            self.live.status(s)
        groups: dict[str, list[wire.WorkerStatus]] = {}
        for s in self.statuses:
            groups.setdefault(process_key(s), []).append(s)
        layout = [(key, tuple(s.worker_id for s in group)) for key, group in groups.items()]
        cards = self._cards()
        # A new grouping, or cards not (yet) in the DOM (a remount still settling): rebuild.
        if layout != self._layout or any(s.worker_id not in cards for s in self.statuses):
            self._layout = layout
            await self.remove_children()
            await self.mount_all(self._build(list(groups.items())))
            return
        for s in self.statuses:
            cards[s.worker_id].show(s, self.live.numbers(s))
        for box in self.query(ProcessBox):
            box.show(groups[box.key])

    def _build(self, groups: list[tuple[str, list[wire.WorkerStatus]]]
               ) -> list[WorkerCard | ProcessBox]:
        built: list[WorkerCard | ProcessBox] = []
        for key, group in groups:
            if len(group) == 1:
                built.append(WorkerCard(group[0], self._rates_of(group[0].worker_id)))
                continue
            cards = [WorkerCard(s, self._rates_of(s.worker_id), memory=False) for s in group]
            built.append(ProcessBox(key, group, cards))
        return built

    def _show_live(self) -> None:
        """Redraw the cards of the workers that are generating, from the tokens seen so far."""
        cards = self._cards()
        for s in self.statuses:
            if s.state == "generating" and s.worker_id in cards:
                cards[s.worker_id].show(s, self.live.numbers(s))

    def push_rates(self, rates: dict[str, float]) -> None:
        for worker_id, card in self._cards().items():
            card.push_rate(rates.get(worker_id, 0.0))
