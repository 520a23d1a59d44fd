"""One line at the bottom: node, strategy, workers and peers at a glance."""

from __future__ import annotations

from textual.widgets import Static

from hive_tui import wire


def short(tool: str) -> str:
    """read_file -> read, execute_bash -> bash: the status line has 80 columns."""
    return tool.removesuffix("_file").removeprefix("execute_")


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

    def show(
        self,
        *,
        node: str,
        address: str,
        strategy: str,
        statuses: list[wire.WorkerStatus],
        peers: int,
        busy: bool,
        tools: list[str] | None = None,
    ) -> None:
        ready = sum(1 for s in statuses if s.state in ("idle", "generating"))
        generating = sum(1 for s in statuses if s.state == "generating")
        activity = f" · {generating} generating" if generating else ""
        where = "" if address == "in-process" else f" @ {address}"
        self.update(
            f"◆ {node}{where} · {strategy} · workers {ready}/{len(statuses)}{activity}"
            f" · peers {peers}" + (f" · tools {','.join(short(t) for t in tools)}" if tools else "")
        )
        self.set_class(busy, "-busy")
