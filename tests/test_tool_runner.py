"""The built-in tool loop with scripted workers: vote, confirm, run, answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hive_tui.swarm.request import resolve_request
from hive_tui.swarm.swarm import SwarmRequest
from hive_tui.tools.builtin import ToolPolicy
from hive_tui.tools.calls import ToolCall
from hive_tui.tools.runner import run_with_tools
from hive_tui.wire import ChatMessage

WRITE = (
    '<tool_call>{"name": "write_file",'
    ' "arguments": {"path": "out/hello.txt", "content": "hi"}}</tool_call>'
)
OTHER = (
    '<tool_call>{"name": "write_file", "arguments": {"path": "x.txt", "content": "no"}}</tool_call>'
)
ASK = [ChatMessage("user", "write hi to out/hello.txt")]


async def test_voted_write_is_confirmed_then_run(make_scripted_node, tmp_path: Path) -> None:
    node = make_scripted_node(3, answers=[WRITE, OTHER, WRITE], after_tool_answers=["Done."])
    await node.start()
    seen: list[ToolCall] = []
    offered: list[SwarmRequest] = []

    async def ask(request: SwarmRequest):
        offered.append(request)
        return await node.swarm.run(request)

    work = tmp_path / "work"
    work.mkdir()
    try:
        policy = ToolPolicy(work, frozenset({"write_file"}))
        session = await run_with_tools(
            ask, resolve_request(ASK), policy, lambda c: seen.append(c) or True
        )
    finally:
        await node.stop()
    assert session.answer == "Done."
    assert [c.name for c in seen] == ["write_file"]  # asked once, for the voted call only
    assert (work / "out" / "hello.txt").read_text() == "hi" and not (work / "x.txt").exists()
    assert [t.name for t in offered[0].tools] == ["write_file"]
    assert [m.role for m in session.messages] == ["user", "assistant", "tool"]


async def test_declined_or_peer_calls_never_run(make_scripted_node, tmp_path: Path) -> None:
    node = make_scripted_node(3, answers=[WRITE], after_tool_answers=["Understood."])
    await node.start()
    try:
        policy = ToolPolicy(tmp_path, frozenset({"write_file"}))
        first = resolve_request(ASK)
        declined = await run_with_tools(node.swarm.run, first, policy, lambda c: False)
        peer = await run_with_tools(node.swarm.run, first, policy, lambda c: True, origin="peer")
    finally:
        await node.stop()
    assert declined.answer == "Understood." and not declined.steps[0].approved
    assert "declined" in declined.messages[-1].content
    assert not peer.steps[0].approved and "refused" in peer.steps[0].result.content
    assert not (tmp_path / "out").exists()


def test_hive_ask_with_tools_on_the_command_line(tmp_path: Path) -> None:
    from hive_tui.backends.scripted_engine import write_script

    script = write_script(
        str(tmp_path / "s.json"), answers=[WRITE], after_tool_answers=["Wrote it."]
    )
    work = tmp_path / "work"
    work.mkdir()
    base = [
        sys.executable,
        "-m",
        "hive_tui",
        "ask",
        "--backend",
        "scripted",
        "--model",
        script,
        "--workers",
        "3",
        "write hi",
        "--workdir",
        str(work),
    ]
    without = subprocess.run(
        base, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert without.returncode == 0 and not (work / "out").exists()  # tools off by default
    done = subprocess.run(
        [*base, "--tools", "write_file", "--yes"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Wrote it." and (work / "out" / "hello.txt").read_text() == "hi"
    assert "write_file ran" in done.stderr
