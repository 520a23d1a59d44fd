"""The workers pane: one card per worker with its state, speed, memory and a tokens/s sparkline."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Sparkline, Static

from hive_tui import wire

HISTORY = 60  # samples of the live tokens/s per worker (one a second)


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "-"


def describe(s: wire.WorkerStatus) -> str:
    """Two short lines, so an 80-column card shows every figure."""
    return (f"{s.model or '…'} · {s.backend} · {s.node_id}\n"
            f"{s.tokens_per_s:.1f} tok/s · ttft {s.ttft_s:.2f}s · {s.tokens_total} tok · "
            f"{mib(s.rss_bytes)}" + (f" · restarts {s.restarts}" if s.restarts else ""))


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
    WorkerCard Sparkline { height: 1; }
    """

    STATES = ("loading", "idle", "generating", "crashed", "restarting", "stopped")

    def __init__(self, status: wire.WorkerStatus) -> None:
        super().__init__()
        self.status = status
        self.rates: deque[float] = deque([0.0] * HISTORY, maxlen=HISTORY)

    def compose(self) -> ComposeResult:
        yield Static("", classes="facts", markup=False)
        yield Sparkline(list(self.rates), summary_function=max)
        yield Static("", classes="error", markup=False)

    def on_mount(self) -> None:
        self.show(self.status)

    def show(self, status: wire.WorkerStatus) -> None:
        self.status = status
        self.border_title = f"{status.worker_id} · {status.state}"
        self.border_subtitle = f"pid {status.pid}" if status.pid else ""
        for state in self.STATES:
            self.set_class(status.state == state, f"-{state}")
        # Not composed yet (on_mount shows ``status`` then) or removed already: no children.
        for facts in self.query(".facts").results(Static):
            facts.update(describe(status))
        for error in self.query(".error").results(Static):
            error.update(status.last_error or "")
            error.display = bool(status.last_error) and status.state != "idle"

    def push_rate(self, tokens_per_s: float) -> None:
        self.rates.append(tokens_per_s)
        # A card mounted a moment ago may not be composed yet: its sparkline starts from
        # ``rates`` when it is, so nothing is lost by skipping it now.
        for sparkline in self.query(Sparkline):
            sparkline.data = list(self.rates)


class WorkersPane(VerticalScroll):
    DEFAULT_CSS = """
    WorkersPane { height: 1fr; padding: 0 1; }
    WorkersPane #workers-empty { color: $text-muted; padding: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Workers are starting…", id="workers-empty")

    def _cards(self) -> dict[str, WorkerCard]:
        return {card.status.worker_id: card for card in self.query(WorkerCard)}

    async def show_statuses(self, statuses: list[wire.WorkerStatus]) -> None:
        cards = self._cards()
        new = [WorkerCard(s) for s in statuses if s.worker_id not in cards]
        for s in statuses:
            if s.worker_id in cards:
                cards[s.worker_id].show(s)
        if new:
            for empty in self.query("#workers-empty"):
                await empty.remove()
            await self.mount_all(new)

    def push_rates(self, rates: dict[str, float]) -> None:
        for worker_id, card in self._cards().items():
            card.push_rate(rates.get(worker_id, 0.0))
