"""Tool calls in a model's text: the format we ask for, parsing it back, and normalising it.

The format (Hermes/Qwen style, which many instruction models were trained on):

    <tool_call>{"name": "read_file", "arguments": {"path": "notes.txt"}}</tool_call>

One tag per call; several tags are several calls, run in order. A reply that is nothing but
one JSON object with ``name`` and ``arguments`` (optionally in a ``` fence) is accepted too
("bare JSON"), as is OpenAI's ``{"function": {"name", "arguments"}}`` shape and arguments
given as a JSON string. Anything else is a text answer.

Two calls are the same when their canonical JSON is equal: keys sorted, no whitespace, and
integral floats written as integers (``1.0`` and ``1`` are one value in JSON's eyes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

TAG_OPEN, TAG_CLOSE = "<tool_call>", "</tool_call>"
# A closing tag may be missing when generation stopped right at it.
_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|\Z)", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]

    def canonical(self) -> str:
        return canonical_json({"name": self.name, "arguments": self.arguments})

    def arguments_json(self) -> str:
        return canonical_json(self.arguments)

    def as_text(self) -> str:
        """The call written in the format models are asked to use (for assistant turns)."""
        body = json.dumps({"name": self.name, "arguments": self.arguments}, ensure_ascii=False)
        return f"{TAG_OPEN}{body}{TAG_CLOSE}"


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def calls_key(calls: tuple[ToolCall, ...]) -> str:
    """One string per distinct list of calls (order matters: the calls run in order)."""
    return "[" + ",".join(c.canonical() for c in calls) + "]"


def _to_call(obj: Any) -> ToolCall | None:
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # OpenAI's shape
        obj = obj["function"]
    name = obj.get("name")
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            return None
    if not isinstance(name, str) or not name or not isinstance(args, dict):
        return None
    return ToolCall(name, _normalise(args))


def parse_tool_calls(text: str) -> tuple[ToolCall, ...] | None:
    """The calls a reply asks for, or None when it is a text answer (or a broken call)."""
    if TAG_OPEN in text:
        calls = []
        for body in _TAGGED.findall(text):
            try:
                call = _to_call(json.loads(body))
            except ValueError:
                return None
            if call is None:
                return None
            calls.append(call)
        return tuple(calls) or None
    stripped = text.strip()
    if fenced := _FENCE.match(stripped):
        stripped = fenced.group(1)
    if not stripped.startswith("{"):
        return None
    try:
        call = _to_call(json.loads(stripped))
    except ValueError:
        return None
    return (call,) if call is not None else None
