"""The monitor panes: workers' numbers while answers stream, processes' memory once, peers
kept when they stop, GPUs from recorded output."""

from __future__ import annotations

import asyncio
import re

from rich.text import Text
from textual.widgets import DataTable

from hive_tui import wire
from hive_tui.client.core import LocalCore
from hive_tui.client.live_numbers import LiveNumbers
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from hive_tui.tui.app import HiveApp
from hive_tui.tui.peers import COLUMNS
from hive_tui.tui.workers import ProcessBox, WorkerCard, WorkersPane
from tests.tui.support import RECORDED_HARDWARE, scripted_app, wait_for, wait_ready
from tests.tui.test_tools_and_hive_app import node_settings

# Slow, long answers: generation outlasts the pane's redraws even on a loaded machine.
LONG = " ".join(f"word{i}" for i in range(2000))


def card_numbers(card: WorkerCard) -> tuple[str, int] | None:
    """(which answer the speed is of, the running token total) as the card shows them."""
    text = str(card.query_one(".facts").render())
    found = re.search(r"tok/s (this|last) answer .* (\d+) tok in all", text)
    return (found[1], int(found[2])) if found else None


async def test_worker_numbers_grow_while_the_answer_streams(isolated_dirs):
    app = scripted_app(isolated_dirs, answers=[LONG], token_delay_s=0.05, max_tokens=2000)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f3")
        app.query_one("#prompt").text = "Count."
        await pilot.press("f1")
        await pilot.press("enter")
        await pilot.press("f3")
        card = app.query_one(WorkerCard)

        def live_total() -> int:
            numbers = card_numbers(card)
            return numbers[1] if numbers and numbers[0] == "this" else -1

        # Before the answer ends (it is 2000 tokens long), the card counts its tokens...
        await wait_for(pilot, lambda: app.turn is not None and live_total() > 0,
                       what="a live token count")
        first = live_total()
        await wait_for(pilot, lambda: app.turn is not None and live_total() > first,
                       what="the count to grow")
        assert card.status.state == "generating"
        # ...and the status still holds the numbers from before the answer.
        assert card.status.tokens_total == 0
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.turn is None, what="the stop")
        # Stopped: the card reads the worker's status again (the last answer's numbers).
        await wait_for(pilot, lambda: (card_numbers(card) or ("",))[0] == "last",
                       what="the status numbers")


def test_live_numbers_follow_tokens_then_hand_back_to_the_status():
    live = LiveNumbers()
    generating = wire.WorkerStatus("w0", "n", "m", "llama", "generating", tokens_total=100,
                                   tokens_per_s=20.0)
    for i in range(11):
        live.token("w0", now=10.0 + i * 0.1)  # 10 tokens/s after the first
    numbers = live.numbers(generating, now=11.0)
    assert numbers.live and numbers.tokens_total == 111
    assert abs(numbers.tokens_per_s - 10.0) < 1e-6
    assert live.take_rates(2.0) == {"w0": 5.5}
    idle = wire.WorkerStatus("w0", "n", "m", "llama", "idle", tokens_total=111,
                             tokens_per_s=10.0)
    live.status(idle)
    after = live.numbers(idle)
    assert not after.live and (after.tokens_total, after.tokens_per_s) == (111, 10.0)


async def test_slots_of_one_process_show_its_memory_once():
    from textual.app import App, ComposeResult

    class WorkersApp(App[None]):
        def compose(self) -> ComposeResult:
            yield WorkersPane()

    shared = dict(node_id="n", model="m", backend="llama", state="idle", pid=4242,
                  rss_bytes=700 * 2**20)
    statuses = [wire.WorkerStatus("w0", **shared), wire.WorkerStatus("w1", **shared),
                wire.WorkerStatus("w2", "n", "m", "llama", "idle", pid=4343,
                                  rss_bytes=300 * 2**20)]
    app = WorkersApp()
    async with app.run_test(size=(80, 30)) as pilot:
        pane = app.query_one(WorkersPane)
        await pane.show_statuses(statuses)
        await pilot.pause()
        (box,) = app.query(ProcessBox)
        assert "700 MiB" in str(box.border_subtitle) and "2 slots" in str(box.border_title)
        inside = [c.status.worker_id for c in box.query(WorkerCard)]
        assert inside == ["w0", "w1"]
        shown = [str(c.query_one(".facts").render()) for c in app.query(WorkerCard)]
        # Each process's memory appears once on the pane: 700 MiB on the box, 300 on w2.
        assert sum("700 MiB" in s for s in shown) == 0
        assert sum("300 MiB" in s for s in shown) == 1


async def test_an_update_whose_caller_is_cancelled_mid_remount_leaves_no_card_stuck():
    # The app's poll is an exclusive worker: each poll cancels the one before, which may be
    # remounting the cards (as pids arrive while workers start). That used to cancel the
    # message pumps of the cards being mounted: they stayed in the DOM and never processed a
    # message again, so Pilot's key presses and the app's exit waited forever.
    from textual.app import App, ComposeResult

    class WorkersApp(App[None]):
        def compose(self) -> ComposeResult:
            yield WorkersPane()

    def statuses(pids: list[int | None]) -> list[wire.WorkerStatus]:
        return [wire.WorkerStatus(f"w{i}", "n", "m", "llama", "idle", pid=pid)
                for i, pid in enumerate(pids)]

    layouts = [[None, None, None], [100, 101, 102], [100, 100, 100], [100, 101, 101]]
    app = WorkersApp()
    async with app.run_test(size=(80, 30)) as pilot:
        pane = app.query_one(WorkersPane)
        for round_ in range(40):
            update = asyncio.create_task(pane.show_statuses(statuses(layouts[round_ % 4])))
            for _ in range(round_ % 7):  # cancelled at a different step of the remount
                await asyncio.sleep(0)
            update.cancel()
        await pane.show_statuses(statuses(layouts[1]))
        await pilot.pause()  # waits (30 s at most) for every widget to process its messages
        cards = list(app.query(WorkerCard))
        assert sorted(c.status.worker_id for c in cards) == ["w0", "w1", "w2"]
        assert all(c.is_running and c.status.pid for c in cards)


async def test_a_peer_that_stops_stays_on_the_peers_pane_as_lost(isolated_dirs):
    mine = node_settings(isolated_dirs, "front", ["Paris."], [])
    app = HiveApp(LocalCore(Node(mine, make_plan(mine), node_id="node-front"), serve=True),
                  hardware_source=lambda: RECORDED_HARDWARE, hardware_refresh_s=0)
    other: LocalCore | None = None
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await wait_ready(pilot, 2)
            state = await app.core.serving()
            assert state is not None and state.url
            port = state.url.rsplit(":", 1)[1]
            # Same hostname-like name as this node: only the short id tells them apart.
            theirs = node_settings(isolated_dirs, "front", ["Paris."], [f"127.0.0.1:{port}"])
            other = LocalCore(Node(theirs, make_plan(theirs), node_id="node-b7e2c9d1"),
                              serve=True)
            await other.start()
            await wait_for(pilot, lambda: any(p.node_id == "node-b7e2c9d1" and p.state == "ok"
                                              for p in app.peers), 60, "the peer")
            await pilot.press("f4")
            table = app.query_one("#peers-table", DataTable)
            ids = [str(table.get_row_at(i)[COLUMNS.index("id")]) for i in range(2)]
            assert ids == ["front", "b7e2c9"]
            await other.stop()
            other = None

            def lost_row() -> list[str | Text] | None:
                rows = [table.get_row_at(i) for i in range(table.row_count)]
                return next((r for r in rows if str(r[2]) == "b7e2c9"), None)

            await wait_for(pilot, lambda: (r := lost_row()) is not None
                           and "lost" in str(r[COLUMNS.index("seen")]), 60, "the lost peer")
            cells = lost_row()
            assert cells is not None and str(cells[COLUMNS.index("state")]) == "lost"
            assert all(isinstance(c, Text) and c.style == "dim" for c in cells)  # greyed
            assert table.row_count == 2  # kept, and not twice
        finally:
            if other is not None:
                await other.stop()
