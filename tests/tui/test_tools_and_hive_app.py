"""The app's built-in tools and its federated votes, driven by Pilot over scripted workers.

Tools: turned on one by one in the tools screen, a voted write_file is confirmed (y) or
declined (n) in a modal that shows the exact call. Federation: the app's embedded node serves
the API on 127.0.0.1 and a second in-process node dials it (manual peer, shared secret); a
request from that peer never reaches the app's tools, and the app's own question is answered
by both nodes, shown per node in the vote view.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from hive_tui import wire
from hive_tui.backends.scripted_engine import write_script
from hive_tui.client.core import LocalCore
from hive_tui.client.tool_turn import ToolSettings
from hive_tui.config import load_settings
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from hive_tui.swarm.request import resolve_request
from hive_tui.tui.app import HiveApp
from hive_tui.tui.chat import AnswerMessage
from hive_tui.tui.tool_screens import ConfirmToolCall, ToolsScreen
from hive_tui.tui.vote import WorkerAnswer
from tests.tui.support import RECORDED_HARDWARE, ask, scripted_app, wait_for, wait_ready, wait_vote

WRITE = ('<tool_call>{"name": "write_file", "arguments": '
         '{"path": "notes/todo.txt", "content": "buy milk\\nfix bike"}}</tool_call>')
SECRET = "TESTS-HIVE0-SECRE-T0000-00002"


async def confirm_shown(pilot) -> ConfirmToolCall:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmToolCall), 30, "the modal")
    return pilot.app.screen


async def test_a_voted_write_is_confirmed_or_declined_in_a_modal(isolated_dirs):
    work = isolated_dirs / "work"
    work.mkdir()
    app = scripted_app(isolated_dirs, answers=[WRITE, WRITE, "I would rather not."],
                       after_tool_answers=["Saved your list."])
    app.tools = ToolSettings(work)
    target = work / "notes" / "todo.txt"
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: isinstance(app.screen, ToolsScreen), 10, "tools screen")
        await pilot.press("2")  # write_file, and nothing else
        assert app.tools.enabled == {"write_file"}
        assert "[x] write_file" in str(app.screen.query_one("#tool-list", Static).content)
        await pilot.press("escape")

        await ask(pilot, "Save my todo list")
        modal = await confirm_shown(pilot)
        shown = str(modal.query_one("#call-text", Static).content)
        assert shown == "buy milk\nfix bike" and not target.exists()  # nothing runs before y
        assert "2 of 3 workers" in modal.note
        await pilot.press("y")
        await wait_vote(pilot)
        turn = app.conversation.turns[-1]
        assert target.read_text() == "buy milk\nfix bike"
        assert turn.answer == "Saved your list."
        assert [(e.name, e.approved, e.proposers) for e in turn.tools] == [
            ("write_file", True, ["w0", "w1"])]
        log = app.query(AnswerMessage).last().query_one(".tool-log", Static)
        assert "write_file notes/todo.txt · ran" in str(log.content)

        target.unlink()
        await ask(pilot, "Save it again")
        await confirm_shown(pilot)
        await pilot.press("n")
        await wait_vote(pilot)
        turn = app.conversation.turns[-1]
        assert not target.exists() and not turn.tools[0].approved
        assert "declined" in str(app.query(AnswerMessage).last().query_one(".tool-log",
                                                                           Static).content)
        await pilot.press("f2")  # the tool vote: who proposed what
        table = app.query_one("#vote-table", DataTable)
        assert [str(c.label) for c in table.columns.values()][-1] == "proposes"
        # The last step's vote: every worker answered in text after the tool result.
        assert [table.get_row_at(i)[-1] for i in range(table.row_count)] == ["text"] * 3


def node_settings(tmp_path: Path, name: str, answers: list[str], peers: list[str]):
    script = write_script(str(tmp_path / f"{name}.json"), answers=answers, token_delay_s=0.01)
    return load_settings(
        {"backend": "scripted", "model": script, "workers": 2, "threads": 1, "port": 0,
         "host": "127.0.0.1", "secret": SECRET, "node_name": name, "peers": peers,
         "vote_deadline_s": 20.0}, environ={})


async def test_federated_vote_in_the_app_and_no_tool_for_a_peer(isolated_dirs):
    work = isolated_dirs / "work"
    work.mkdir()
    mine = node_settings(isolated_dirs, "front", [WRITE], [])
    app = HiveApp(LocalCore(Node(mine, make_plan(mine), node_id="node-front"), serve=True),
                  hardware_source=lambda: RECORDED_HARDWARE, hardware_refresh_s=0,
                  tools=ToolSettings(work, {"write_file"}))
    other: LocalCore | None = None
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await wait_ready(pilot, 2)
            state = await app.core.serving()
            assert state is not None and state.url and state.problem is None
            port = state.url.rsplit(":", 1)[1]
            theirs = node_settings(isolated_dirs, "back", ["Paris.", "Paris"],
                                   [f"127.0.0.1:{port}"])
            other = LocalCore(Node(theirs, make_plan(theirs), node_id="node-back"), serve=True)
            await other.start()
            await wait_for(pilot, lambda: any(p.name == "back" and p.state == "ok"
                                              for p in app.peers), 60, "the peer")
            status = app.query_one("#status", Static)  # the other node, not this one too
            await wait_for(pilot, lambda: " · 1 peer" in str(status.content), 10, "1 peer")
            await pilot.press("f4")
            rows = app.query_one("#peers-table", DataTable)
            names = [rows.get_row_at(i)[1] for i in range(rows.row_count)]
            assert names == ["front", "back"]
            assert rows.get_row_at(1)[4] == "2/2"  # workers ready / workers

            # The peer asks the hive: the app's workers answer with a write_file call, but a
            # request from a peer never reaches a tool: no modal, no file, no turn here.
            result = await other.run(resolve_request([wire.ChatMessage("user", "save it")]))
            assert {n.node_id for n in result.nodes} == {"node-back", "node-front"}
            await pilot.pause(0.3)
            assert not isinstance(app.screen, ConfirmToolCall)
            assert not list(work.iterdir()) and not app.conversation.turns

            app.toggle_tool("write_file")  # tools off: the app's turn goes to the whole hive
            await ask(pilot, "Capital of France?")
            await wait_vote(pilot)
            turn = app.conversation.turns[-1]
            assert [n.name for n in turn.nodes] == ["front", "back"]
            assert all(n.state == "ok" and n.weight == 2 for n in turn.nodes)
            await pilot.press("f2")
            table = app.query_one("#vote-table", DataTable)
            assert [str(c.label) for c in table.columns.values()][1] == "node"
            stars = [table.get_row_at(i)[0] for i in range(table.row_count)]
            assert table.row_count == 2 and stars.count("★") == 1
            boxes = {b.worker_id for b in app.query(WorkerAnswer)}
            assert boxes == {"w0", "w1", "w0@node-back", "w1@node-back"}
            summary = str(app.query_one("#vote-summary", Static).content)
            assert "Hive winner" in summary and "2/2 nodes voted" in summary
        finally:
            if other is not None:
                await other.stop()
