"""Putting the offered tools into the prompt.

A chat template that knows about tools (it mentions ``tools``: Qwen, Hermes, Llama 3.1,
Mistral...) gets them through its own ``tools`` variable, in the OpenAI shape. A template that
does not (SmolLM2's, ChatML's) gets this documented system-prompt block instead, merged into
the first system message (or added as one), asking for the ``<tool_call>`` format of
``hive_tui.tools.calls``. Tool results come back as ``tool`` messages; an assistant turn that
called tools is written as its ``<tool_call>`` tags, so either kind of template can show it.
"""

from __future__ import annotations

import json
from typing import Any

from hive_tui import wire

TOOLS_PREAMBLE = (
    "You can call tools. To call one, reply with only this, and nothing else:\n"
    '<tool_call>{"name": "TOOL_NAME", "arguments": {ARGUMENTS_AS_JSON}}</tool_call>\n'
    "The result comes back in a message from the tool. If no tool is needed, answer normally.\n"
    "Available tools:\n"
)


def template_knows_tools(template: str) -> bool:
    return "tools" in template


def openai_tools(specs: list[wire.ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": s.name,
                "description": s.description,
                "parameters": json.loads(s.parameters_json),
            },
        }
        for s in specs
    ]


def tools_system_prompt(specs: list[wire.ToolSpec]) -> str:
    lines = [
        json.dumps(
            {
                "name": s.name,
                "description": s.description,
                "parameters": json.loads(s.parameters_json),
            },
            ensure_ascii=False,
        )
        for s in specs
    ]
    return TOOLS_PREAMBLE + "\n".join(lines)


def with_tools_prompt(
    messages: list[wire.ChatMessage], specs: list[wire.ToolSpec]
) -> list[wire.ChatMessage]:
    if not specs:
        return messages
    block = tools_system_prompt(specs)
    if messages and messages[0].role == "system":
        first = wire.ChatMessage("system", f"{messages[0].content}\n\n{block}")
        return [first, *messages[1:]]
    return [wire.ChatMessage("system", block), *messages]
