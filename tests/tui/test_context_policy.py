"""The app's context policy in the palette: listed, the current one marked, chosen per core."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hive_tui import wire
from hive_tui.client.core_types import CoreInfo
from hive_tui.tui.context_policy import context_commands


def test_the_palette_lists_the_policies_and_choosing_one_applies_to_the_next_request():
    core: Any = SimpleNamespace(info=CoreInfo("n", "node", "in-process", "m", "llama", "majority"))
    said: list[str] = []
    commands = list(context_commands(core, said.append))
    assert [c.title for c in commands] == ["Context: error", "Context: truncate",
                                           "Context: compress (now)"]
    commands[1].callback()
    assert core.info.context == "truncate" and "truncate" in said[0]
    request = core.info.request([wire.ChatMessage("user", "hi")], "majority")
    assert request.context == "truncate"
