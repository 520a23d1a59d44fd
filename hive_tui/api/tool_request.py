"""From an OpenAI request's tool fields to what the swarm needs.

* ``tools`` become ``wire.ToolSpec`` values the workers' engines render into the prompt;
  ``tool_choice`` "none" offers none, a named function offers only that one, "required"
  makes a text answer a refusal to answer.
* ``messages`` become ``wire.ChatMessage`` values: an assistant turn that called tools is
  written as its ``<tool_call>`` tags (``hive_tui.tools.calls``), a ``tool`` turn keeps its text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hive_tui import wire
from hive_tui.api import schemas


@dataclass(frozen=True)
class ToolMode:
    offered: frozenset[str]
    required: bool


def tool_mode(
    req: schemas.ChatCompletionRequest,
) -> tuple[tuple[wire.ToolSpec, ...], ToolMode | None]:
    """Raises ValueError when ``tool_choice`` names a function that ``tools`` does not offer."""
    if not req.tools or req.tool_choice == "none":
        return (), None
    defs = req.tools
    if isinstance(req.tool_choice, schemas.NamedToolChoice):
        wanted = req.tool_choice.function.name
        defs = [d for d in defs if d.function.name == wanted]
        if not defs:
            raise ValueError(f"tool_choice names {wanted!r}, which is not among the tools")
    specs = tuple(
        wire.ToolSpec(
            d.function.name,
            d.function.description or "",
            json.dumps(d.function.parameters or {}, ensure_ascii=False),
        )
        for d in defs
    )
    required = req.tool_choice == "required" or isinstance(req.tool_choice, schemas.NamedToolChoice)
    return specs, ToolMode(frozenset(s.name for s in specs), required)


def _call_text(call: schemas.ToolCallOut) -> str:
    try:
        arguments = json.loads(call.function.arguments or "{}")
    except ValueError:
        arguments = call.function.arguments
    body = json.dumps({"name": call.function.name, "arguments": arguments}, ensure_ascii=False)
    return f"<tool_call>{body}</tool_call>"


def wire_messages(messages: list[schemas.RequestMessage]) -> list[wire.ChatMessage]:
    out = []
    for m in messages:
        text = m.text()
        if m.role == "assistant" and m.tool_calls:
            text = text + "".join(_call_text(c) for c in m.tool_calls)
        out.append(wire.ChatMessage(m.role, text))
    return out
