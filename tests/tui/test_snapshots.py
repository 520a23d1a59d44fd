"""Pictures of every pane at 80x24 and 120x40 (pytest-textual-snapshot).

The app runs over a real embedded node of scripted workers; ``SteadyCore`` pins the readings
that change from run to run (pids, memory, speeds, latencies) and the hardware pane reads a
recorded sample, so the pictures compare. Update them with ``pytest --snapshot-update`` after
a deliberate change, and look at the new SVGs before committing them.
"""

from __future__ import annotations

import pytest

from hive_tui.tui.chat import ChatLog
from tests.tui.support import (
    SteadyCore,
    ask,
    scripted_app,
    wait_for,
    wait_ready,
    wait_vote,
)

PANE_KEYS = {"chat": "f1", "vote": "f2", "workers": "f3", "peers": "f4", "hardware": "f5"}
SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", list(PANE_KEYS))
def test_pane_after_one_vote(pane, size, snap_compare, isolated_dirs):
    # w0 speaks first, always: the chat streams the first speaker's draft, and a draft the vote
    # did not choose is kept under the winner, so a race here would change the picture.
    app = scripted_app(isolated_dirs, core_class=SteadyCore, start_delay_s=[0.0, 1.0, 1.0])
    app.tick_s = 3600  # no live tokens/s samples: they depend on timing

    async def run_before(pilot) -> None:
        pilot.app.query_one("#prompt").cursor_blink = False  # a blink is not a regression
        await wait_ready(pilot)
        await ask(pilot, "What is the capital of France?")
        await wait_vote(pilot)
        await pilot.press(PANE_KEYS[pane])
        await pilot.pause(0.3)
        # On a loaded machine the answer's markdown may still be laying out: wait until the
        # chat shows its end (where it is pinned) and nothing is scheduled, not a fixed time.
        if pane == "chat":
            log = pilot.app.query_one(ChatLog)
            await wait_for(pilot, lambda: log.scroll_y >= log.max_scroll_y, 30, "the chat's end")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
