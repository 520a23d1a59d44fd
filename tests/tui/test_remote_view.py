"""``hive --connect`` shows the same vote as the embedded app: the same scripted workers
answer the same prompt, once in process and once on a ``hive --node`` the app connects to,
and the vote pane (groups, scores, agreement, winner) reads the same in both."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Static

from hive_tui.backends.scripted_engine import write_script
from hive_tui.client.remote_core import RemoteCore
from hive_tui.tui.app import HiveApp
from tests.tui.support import ANSWERS, RECORDED_HARDWARE, ask, scripted_app, wait_ready, wait_vote

PROMPT = "What is the capital of France?"
LATENCY = 5  # the latency column differs from run to run; every other cell must match


async def vote_view(app: HiveApp) -> tuple[list[list[str]], str]:
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, PROMPT)
        await wait_vote(pilot)
        await pilot.press("f2")  # the vote pane
        await pilot.pause(0.2)
        table = app.query_one("#vote-table", DataTable)
        rows = [
            [str(cell) for i, cell in enumerate(table.get_row_at(r)) if i != LATENCY]
            for r in range(table.row_count)
        ]
        summary = str(app.query_one("#vote-summary", Static).content)
    return rows, summary


async def test_connect_shows_the_same_vote_as_the_embedded_app(isolated_dirs, node_process):
    embedded = await vote_view(scripted_app(isolated_dirs, answers=ANSWERS))

    script = write_script(str(isolated_dirs / "remote.json"), answers=ANSWERS)
    node = node_process("--backend", "scripted", "--model", script, "--workers", "3")
    await asyncio.to_thread(node.wait_ready, 3)
    core = await RemoteCore.connect(node.url)
    remote = await vote_view(
        HiveApp(core, hardware_source=lambda: RECORDED_HARDWARE, hardware_refresh_s=0)
    )

    rows, summary = embedded
    assert len(rows) == 3 and any(row[0] == "★" for row in rows)
    assert {row[2] for row in rows} != {"-"}  # the groups are shown, not invented
    assert "group(s)" in summary and "agree" in summary
    assert remote == embedded


async def test_with_connect_the_tools_screen_disables_every_tool_and_says_why(
        isolated_dirs, node_process):
    from hive_tui.client.tool_turn import REMOTE
    from hive_tui.tui.tool_screens import ToolsScreen

    script = write_script(str(isolated_dirs / "remote.json"), answers=ANSWERS)
    node = node_process("--backend", "scripted", "--model", script, "--workers", "1")
    await asyncio.to_thread(node.wait_ready, 1)
    app = HiveApp(await RemoteCore.connect(node.url), hardware_source=lambda: RECORDED_HARDWARE,
                  hardware_refresh_s=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ToolsScreen)
        assert REMOTE in str(app.screen.query_one("#sandbox", Static).content)
        await pilot.press("1", "2", "3")  # the keys that turn tools on do nothing here
        assert not app.tools.enabled
        await pilot.press("escape")
        app.toggle_tool("read_file")  # nor does the command palette's entry
        assert not app.tools.enabled
