"""Running one chat turn through the core: a single vote, or the built-in tool loop.

No Textual here: the app hands in how to ask the user (``confirm``) and how to repaint
(``changed``). A tool turn votes once per step; the turn follows each step's vote in turn, and
every call the swarm voted for lands in ``turn.tools`` with who proposed it and what came of
it. Requests from peers never get here (they are served by federation, with the local swarm
alone), and ``run_with_tools`` runs with ``origin="local"`` only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from hive_tui.client.core import Core
from hive_tui.client.outcome import settle
from hive_tui.client.turn import ToolEntry, Turn
from hive_tui.node import SwarmRequest, VoteResult
from hive_tui.tools.builtin import TOOL_NAMES, ToolPolicy
from hive_tui.tools.calls import ToolCall
from hive_tui.tools.decide import decide_tools
from hive_tui.tools.limits import ResourceLimits
from hive_tui.tools.runner import ToolStep, run_with_tools

Changed = Callable[[Turn], Awaitable[None]]
Confirm = Callable[[ToolCall, str], Awaitable[bool]]
OUTPUT_SHOWN = 2000
# With --connect the turn runs on a node in another process, which never runs this one's tools.
REMOTE = ("Tools run only next to an embedded node: with --connect the node answers from "
          "another process, which cannot run this machine's tools.")


@dataclass
class ToolSettings:
    """Which built-in tools the user turned on (none by default) and where they may act."""

    workdir: Path = field(default_factory=Path.cwd)
    enabled: set[str] = field(default_factory=set)
    sandbox: bool = True  # False only with --no-sandbox, the user's explicit opt-out
    timeout_s: float = 30.0
    limits: ResourceLimits = field(default_factory=ResourceLimits)

    def toggle(self, name: str) -> bool:
        if name not in TOOL_NAMES:
            raise ValueError(f"unknown tool {name!r}")
        self.enabled ^= {name}
        return name in self.enabled

    def policy(self) -> ToolPolicy:
        return ToolPolicy(self.workdir.resolve(), frozenset(self.enabled), sandbox=self.sandbox,
                          timeout_s=self.timeout_s, limits=self.limits)


def detail(call: ToolCall) -> str:
    key = "command" if call.name == "execute_bash" else "path"
    return str(call.arguments.get(key, call.arguments_json()))


def proposal(text: str) -> str:
    """What one worker proposed, in a few words: a call, or a text answer."""
    from hive_tui.tools.calls import parse_tool_calls

    calls = parse_tool_calls(text)
    if calls is None:
        return "text"
    return "; ".join(f"{c.name} {detail(c)}" for c in calls)


async def run_turn(core: Core, turn: Turn, request: SwarmRequest, own_node: str,
                   changed: Changed) -> None:
    settle(turn, await core.run(request), own_node)
    turn.pending = False
    await changed(turn)


async def run_tool_turn(core: Core, turn: Turn, request: SwarmRequest, tools: ToolSettings,
                        own_node: str, confirm: Confirm, changed: Changed) -> None:
    policy = tools.policy()
    supporters: list[str] = []

    async def ask(request: SwarmRequest) -> VoteResult:  # one step of the tool loop
        turn.follow(request.request_id)
        await changed(turn)
        result = await core.run(request)
        settle(turn, result, own_node)
        vote = decide_tools(result, policy.enabled).vote
        turn.tool_note = vote.note
        supporters[:] = [turn.candidates[i].worker_id for i in vote.supporters
                         if i < len(turn.candidates)]
        await changed(turn)
        return result

    async def ask_user(call: ToolCall) -> bool:
        return await confirm(call, turn.tool_note)

    def on_step(step: ToolStep) -> None:
        output = step.result.content
        if len(output) > OUTPUT_SHOWN:
            output = output[:OUTPUT_SHOWN] + "\n…"
        turn.tools.append(ToolEntry(name=step.call.name, detail=detail(step.call),
                                    approved=step.approved, ok=step.result.ok, output=output,
                                    proposers=list(supporters)))

    turn.tools_offered = True
    session = await run_with_tools(ask, request, policy, ask_user, on_step=on_step)
    turn.final_text = session.answer
    turn.pending = False
    await changed(turn)
