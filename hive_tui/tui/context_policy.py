"""The app's context policy in the command palette: "Context: compress" and its siblings.

What the app does with a conversation grown past the workers' context (README, "Long
conversations and long inputs"): compress it (the app's default), truncate it, or refuse the
turn. The choice applies from the next turn; the ``context`` setting chooses it at start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from textual.app import SystemCommand

from hive_tui.client.core import Core
from hive_tui.config import CONTEXT_POLICIES

HELP = {
    "compress": "over the context, the oldest turns are summarised by the swarm",
    "truncate": "over the context, the oldest turns are left out",
    "error": "over the context, the turn is refused",
}


def context_commands(core: Core, notify: Callable[[str], object]) -> Iterator[SystemCommand]:
    for name in CONTEXT_POLICIES:
        now = " (now)" if core.info.context == name else ""
        yield SystemCommand(f"Context: {name}{now}", HELP[name],
                            lambda name=name: choose(core, name, notify))


def choose(core: Core, policy: str, notify: Callable[[str], object]) -> None:
    core.info = dataclasses.replace(core.info, context=policy)
    notify(f"A conversation over the context: {policy} ({HELP[policy]}), from the next turn")
