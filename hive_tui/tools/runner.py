"""The built-in tool loop: ask the swarm, run the call it voted for, give it the result, repeat.

Used by ``hive ask --tools`` and (later) the TUI. The caller supplies how to ask the swarm and
how to ask the user: ``confirm(call)`` is called before every ``write_file`` and
``execute_bash`` call and may be sync or async; a refused call is reported to the model as
refused. A request from a peer never reaches a tool (``run_tool`` refuses it).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hive_tui import wire
from hive_tui.swarm.swarm import SwarmRequest, VoteResult
from hive_tui.tools.builtin import (
    NEEDS_CONFIRMATION,
    ToolPolicy,
    ToolRefused,
    ToolResult,
    run_tool,
    tool_definitions,
)
from hive_tui.tools.calls import ToolCall
from hive_tui.tools.decide import ToolDecision, decide_tools

Confirm = Callable[[ToolCall], bool | Awaitable[bool]]
AskSwarm = Callable[[SwarmRequest], Awaitable[VoteResult]]
OnStep = Callable[["ToolStep"], None]
DEFAULT_MAX_STEPS = 8


@dataclass(frozen=True)
class ToolStep:
    call: ToolCall
    approved: bool
    result: ToolResult


@dataclass
class ToolSession:
    answer: str = ""
    steps: list[ToolStep] = field(default_factory=list)
    decisions: list[ToolDecision] = field(default_factory=list)
    messages: list[wire.ChatMessage] = field(default_factory=list)
    last_result: VoteResult | None = None


def tool_specs(policy: ToolPolicy) -> tuple[wire.ToolSpec, ...]:
    return tuple(
        wire.ToolSpec(
            d["function"]["name"],
            d["function"]["description"],
            json.dumps(d["function"]["parameters"]),
        )
        for d in tool_definitions(policy.enabled)
    )


async def _confirmed(confirm: Confirm, call: ToolCall) -> bool:
    answer = confirm(call)
    if inspect.isawaitable(answer):
        answer = await answer
    return bool(answer)


async def run_with_tools(
    ask: AskSwarm,
    first: SwarmRequest,
    policy: ToolPolicy,
    confirm: Confirm,
    *,
    origin: str = "local",
    max_steps: int = DEFAULT_MAX_STEPS,
    on_step: OnStep | None = None,
) -> ToolSession:
    """``first`` is the user's request as the node resolved it; step n of the loop asks
    again with the conversation so far, seed ``first.seed + n`` and its own request id."""
    session = ToolSession(messages=list(first.messages))
    specs = tool_specs(policy) if origin == "local" else ()
    for step in range(max_steps + 1):
        request = dataclasses.replace(
            first,
            messages=list(session.messages),
            seed=(first.seed or 0) + step,
            tools=specs if step < max_steps else (),
            request_id=first.request_id if step == 0 else f"{first.request_id}-{step}",
        )
        result = await ask(request)
        session.last_result = result
        decision = decide_tools(result, policy.enabled)
        session.decisions.append(decision)
        if not decision.is_call:
            session.answer = decision.text
            return session
        session.messages.append(
            wire.ChatMessage("assistant", "".join(c.as_text() for c in decision.calls))
        )
        for call in decision.calls:
            tool_step = await _run_one(call, policy, confirm, origin)
            session.steps.append(tool_step)
            if on_step is not None:
                on_step(tool_step)
            session.messages.append(wire.ChatMessage("tool", tool_step.result.content))
    session.answer = session.answer or f"Stopped after {max_steps} tool steps."
    return session


async def _run_one(call: ToolCall, policy: ToolPolicy, confirm: Confirm, origin: str) -> ToolStep:
    try:
        if call.name not in policy.enabled or origin != "local":
            raise ToolRefused(f"tool {call.name!r} is not enabled")
        if call.name in NEEDS_CONFIRMATION and not await _confirmed(confirm, call):
            return ToolStep(call, False, ToolResult(False, "the user declined this call"))
        return ToolStep(call, True, await run_tool(call, policy, origin))
    except ToolRefused as exc:
        return ToolStep(call, False, ToolResult(False, f"refused: {exc}"))
