"""The peer side of ``Federation`` without a network: an unstarted node on the scripted backend
and a link that records what would go back to the peer (shared by the federation and
retrieval tests of a peer's request)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hive_tui import wire
from hive_tui.config import load_settings
from hive_tui.node import Node
from hive_tui.node_plan import make_plan


class RecordingLink:
    node_id = "node-peer"
    name = "peer"

    def __init__(self) -> None:
        self.sent: list[wire.PeerFrame] = []

    async def send(self, frame: wire.PeerFrame) -> bool:
        self.sent.append(frame)
        return True


def unstarted_node(tmp_path: Path, **overrides: Any) -> Node:
    """Two scripted workers, never started, in a hive with a secret (``overrides`` add settings)."""
    settings = load_settings(
        {"backend": "scripted", "model": "", "workers": 2, "secret": "S" * 29, **overrides},
        environ={},
        path=tmp_path / "none.toml",
    )
    return Node(settings, make_plan(settings), node_id="node-me")
