"""The peers pane: every node of the hive: this one, linked peers, and peers being dialed."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from hive_tui.tui.core import PeerRecord

# The long columns last: on a narrow terminal it is the address that scrolls off, not the state.
COLUMNS = ("", "name", "state", "workers", "ping", "seen", "model", "address")


def ago(seconds: float) -> str:
    if seconds < 2:
        return "now"
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    return f"{seconds / 60:.0f}m ago"


def row(peer: PeerRecord, now: float) -> tuple[str, ...]:
    latency = "local" if peer.latency_ms is None else f"{peer.latency_ms:.0f} ms"
    seen = ago(now - peer.last_seen) if peer.last_seen else "never"
    return ("●" if peer.is_self else "", peer.name, peer.state,
            f"{peer.workers_ready}/{peer.workers}", latency, seen, peer.model, peer.address)


class PeersPane(Vertical):
    DEFAULT_CSS = """
    PeersPane { height: 1fr; padding: 0 1; }
    PeersPane DataTable { height: auto; max-height: 1fr; }
    PeersPane #peers-note { color: $text-muted; padding: 1 0; }
    """

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(id="peers-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="peers-note")

    def show_peers(self, peers: list[PeerRecord], now: float | None = None) -> None:
        now = time.time() if now is None else now
        table = self.query_one(DataTable)
        # Columns too: their widths then fit what is shown now, not the widest value ever.
        table.clear(columns=True)
        table.add_columns(*COLUMNS)
        for peer in peers:
            table.add_row(*row(peer, now), key=peer.node_id)
        others = sum(1 for p in peers if not p.is_self)
        self.query_one("#peers-note", Static).update(
            f"{len(peers)} node(s) in the hive. " + (
                "No other node yet. Machines on this LAN with the same hive secret join by "
                "mDNS, or name this one with --peer HOST:PORT (pairing code: hive peers "
                "--pairing-code)."
                if not others else ""))
