"""The peers pane: every node of the hive: this one, linked peers, and peers being dialed."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from hive_tui.client.core_types import PeerRecord

# The address is what a user types into --peer, so it is shown whole, as are the state and
# the short node id (two machines may share a hostname). On a narrow terminal the model and
# the name are cut (…) first, then whole columns give way, least useful first (``fit``).
COLUMNS = ("", "name", "id", "state", "workers", "ping", "seen", "address", "model")
SHRINKABLE = (8, 1)  # column indexes that ``fit`` truncates, in this order: model, name
DROPPED = (5, 4, 8, 6)  # then the columns it leaves out, in this order: ping, workers, model, seen
MIN_WIDTH = 8  # a shrunk column keeps at least this many cells
CELL_PADDING = 2  # DataTable's cell_padding (1) on both sides of every column


def ago(seconds: float) -> str:
    if seconds < 2:
        return "now"
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    return f"{seconds / 60:.0f}m ago"


def row(peer: PeerRecord, now: float) -> tuple[str, ...]:
    latency = "local" if peer.latency_ms is None else f"{peer.latency_ms:.0f} ms"
    if peer.lost_at is not None:
        latency, seen = "-", f"lost {ago(now - peer.lost_at)}"
    else:
        seen = ago(now - peer.last_seen) if peer.last_seen else "never"
    return ("●" if peer.is_self else "", peer.name, peer.short_id, peer.state,
            f"{peer.workers_ready}/{peer.workers}", latency, seen, peer.address, peer.model)


def truncate(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    while text and cell_len(text) > width - 1:
        text = text[:-1]
    return text + "…"


def fit(rows: Sequence[tuple[str, ...]], width: int
        ) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The columns and rows that fit in ``width`` cells: the model, then the name, cut (…);
    if that is not enough, the columns of ``DROPPED`` left out one by one."""
    columns = zip(COLUMNS, *rows, strict=True)
    widths = [max(cell_len(cell) for cell in column) for column in columns]
    kept = list(range(len(COLUMNS)))

    def excess() -> int:
        return sum(widths[i] + CELL_PADDING for i in kept) - width

    for index in SHRINKABLE:
        floor = max(MIN_WIDTH, cell_len(COLUMNS[index]))
        widths[index] -= min(max(0, excess()), max(0, widths[index] - floor))
    for index in DROPPED:
        if excess() <= 0:
            break
        kept.remove(index)
    return (tuple(COLUMNS[i] for i in kept),
            [tuple(truncate(r[i], widths[i]) if i in SHRINKABLE else r[i] for i in kept)
             for r in rows])


class PeersPane(Vertical):
    DEFAULT_CSS = """
    PeersPane { height: 1fr; padding: 0 1; }
    PeersPane DataTable { height: auto; max-height: 1fr; }
    PeersPane #peers-note { color: $text-muted; padding: 1 0; }
    """

    # Bound to the app's ``peers`` (``data_bind``): every poll redraws, "seen" times move on.
    peers: reactive[list[PeerRecord]] = reactive(list, always_update=True, init=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._peers: list[PeerRecord] = []

    def watch_peers(self, peers: list[PeerRecord]) -> None:
        self.show_peers(peers)

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(id="peers-table", cursor_type="row",
                                                 zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="peers-note")

    def show_peers(self, peers: list[PeerRecord], now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._peers = list(peers)
        table = self.query_one(DataTable)
        # A hidden pane (another tab shown) has no size yet: it spans the app's width.
        width = self.content_size.width or self.app.size.width - 2
        columns, rows = fit([row(peer, now) for peer in peers], width)
        # Columns too: their widths then fit what is shown now, not the widest value ever.
        table.clear(columns=True)
        table.add_columns(*columns)
        for peer, cells in zip(peers, rows, strict=True):
            # A lost node stays, greyed, until it comes back.
            shown = [Text(c, style="dim") for c in cells] if peer.lost_at is not None else cells
            table.add_row(*shown, key=peer.node_id)
        others = sum(1 for p in peers if not p.is_self)
        self.query_one("#peers-note", Static).update(
            f"{len(peers)} node(s) in the hive. " + (
                "No other node yet. Machines on this LAN with the same hive secret join by "
                "mDNS, or name this one with --peer HOST:PORT (pairing code: hive peers "
                "--pairing-code)."
                if not others else ""))

    def on_resize(self, event: events.Resize) -> None:
        if self._peers:
            self.show_peers(self._peers)
