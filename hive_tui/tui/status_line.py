"""One line at the bottom: node, strategy, workers and peers at a glance."""

from __future__ import annotations

from dataclasses import dataclass

from textual.reactive import reactive
from textual.widgets import Static

from hive_tui import wire
from hive_tui.client.core_types import PeerRecord

LINKED = ("ok", "degraded", "unavailable")  # peer states of a connected node


def linked_peers(peers: list[PeerRecord], own_node: str) -> int:
    """The other nodes linked to ours. The core's list starts with its own node (``is_self``
    in process; with --connect, the node connected to, which the status line names)."""
    return sum(1 for p in peers if not p.is_self and p.node_id != own_node and p.state in LINKED)


def peers_text(n: int) -> str:
    return "no peers" if n == 0 else "1 peer" if n == 1 else f"{n} peers"


def short(tool: str) -> str:
    """read_file -> read, execute_bash -> bash: the status line has 80 columns."""
    return tool.removesuffix("_file").removeprefix("execute_")


@dataclass(frozen=True)
class StatusFacts:
    """What the status line shows; the app sets it, the line redraws itself (``watch_facts``)."""

    node: str
    address: str
    strategy: str
    statuses: tuple[wire.WorkerStatus, ...]
    peers: int  # other nodes linked to this one
    busy: bool
    tools: tuple[str, ...] = ()


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    StatusLine.-busy { color: $warning; }
    """

    facts: reactive[StatusFacts | None] = reactive(None, init=False)

    def watch_facts(self, facts: StatusFacts | None) -> None:
        if facts is None:
            return
        statuses = facts.statuses
        ready = wire.workers_ready(statuses)
        generating = sum(1 for s in statuses if s.state == "generating")
        activity = f" · {generating} generating" if generating else ""
        where = "" if facts.address == "in-process" else f" @ {facts.address}"
        tools = facts.tools
        tooling = f" · tools {','.join(short(t) for t in tools)}" if tools else ""
        self.update(
            f"◆ {facts.node}{where} · {facts.strategy} · workers {ready}/{len(statuses)}"
            f"{activity} · {peers_text(facts.peers)}{tooling}"
        )
        self.set_class(facts.busy, "-busy")
