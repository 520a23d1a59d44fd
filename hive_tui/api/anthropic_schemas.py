"""Anthropic's Messages API bodies (``POST /v1/messages``), as msgspec types.

These shapes are Anthropic's (https://docs.anthropic.com/en/api/messages), not ours: a request
is validated by decoding into ``MessagesRequest``; unknown fields the SDK sends (``metadata``,
``service_tier``...) are accepted and ignored. Content blocks are tagged by ``type``; a block
type hive cannot answer (images, documents, thinking) fails the decode, so the client gets a
400 that names it instead of an answer that silently ignored part of the question. The vote
rides along in an extra ``hive`` field, which the SDK keeps in ``model_extra``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from hive_tui.api.schemas import HiveOptions, HiveVote, Int64, TokenCount, ToolName

ANTHROPIC_PATHS = frozenset({"/v1/messages"})


# --- content blocks ---------------------------------------------------------------------
class TextBlock(msgspec.Struct, tag="text", tag_field="type"):
    text: str


class PlainText(msgspec.Struct):
    """A text block where it is the only kind (a system prompt's, a tool result's): msgspec
    takes a lone tagged struct without its tag, and the schema says ``type`` is required."""

    type: Literal["text"]
    text: str


class ToolUseBlock(msgspec.Struct, tag="tool_use", tag_field="type"):
    id: str
    name: str
    input: dict[str, Any]


class ToolResultBlock(msgspec.Struct, tag="tool_result", tag_field="type"):
    tool_use_id: str
    content: str | list[PlainText] | None = None
    is_error: bool | None = None

    def text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        return "".join(b.text for b in self.content)


RequestBlock = TextBlock | ToolUseBlock | ToolResultBlock


class MessageParam(msgspec.Struct):
    role: Literal["user", "assistant"]
    content: str | Annotated[list[RequestBlock], Meta(min_length=1, max_length=1024)]


# --- tools -------------------------------------------------------------------------------
class ToolParam(msgspec.Struct):
    name: ToolName
    input_schema: dict[str, Any]
    description: str | None = None


class ToolChoiceAuto(msgspec.Struct, tag="auto", tag_field="type"):
    disable_parallel_tool_use: bool | None = None  # accepted; hive runs the voted calls


class ToolChoiceAny(msgspec.Struct, tag="any", tag_field="type"):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(msgspec.Struct, tag="tool", tag_field="type"):
    name: ToolName
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(msgspec.Struct, tag="none", tag_field="type"):
    pass


ToolChoice = ToolChoiceAuto | ToolChoiceAny | ToolChoiceTool | ToolChoiceNone


class MessagesRequest(msgspec.Struct):
    model: str
    max_tokens: TokenCount  # required, as Anthropic's API requires it
    messages: Annotated[list[MessageParam], Meta(min_length=1, max_length=1024)]
    system: str | Annotated[list[PlainText], Meta(max_length=64)] | None = None
    stop_sequences: Annotated[list[str], Meta(max_length=16)] | None = None
    temperature: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None
    top_p: Annotated[float, Meta(gt=0.0, le=1.0)] | None = None
    top_k: Annotated[int, Meta(ge=1, le=2**31 - 1)] | None = None
    stream: bool = False
    tools: Annotated[list[ToolParam], Meta(max_length=128)] | None = None
    tool_choice: ToolChoice | None = None
    seed: Int64 | None = None  # not Anthropic's: hive's, as on the OpenAI routes
    hive: HiveOptions | None = None

    def system_text(self) -> str:
        if self.system is None or isinstance(self.system, str):
            return self.system or ""
        return "\n\n".join(b.text for b in self.system)


# --- responses ---------------------------------------------------------------------------
StopReason = Literal["end_turn", "max_tokens", "stop_sequence", "tool_use"]


class MessageUsage(msgspec.Struct):
    input_tokens: int
    output_tokens: int


class Message(msgspec.Struct):
    id: str
    model: str
    content: list[TextBlock | ToolUseBlock]
    stop_reason: StopReason | None
    usage: MessageUsage
    stop_sequence: str | None = None
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    hive: HiveVote | None = None  # the vote (None in message_start: not decided yet)


# Streaming: one server-sent event per struct, its ``event:`` line naming its ``type``.
class MessageStart(msgspec.Struct, tag="message_start", tag_field="type"):
    message: Message


class Ping(msgspec.Struct, tag="ping", tag_field="type"):
    pass


class ContentBlockStart(msgspec.Struct, tag="content_block_start", tag_field="type"):
    index: int
    content_block: TextBlock | ToolUseBlock


class TextDelta(msgspec.Struct, tag="text_delta", tag_field="type"):
    text: str


class InputJsonDelta(msgspec.Struct, tag="input_json_delta", tag_field="type"):
    partial_json: str


class ContentBlockDelta(msgspec.Struct, tag="content_block_delta", tag_field="type"):
    index: int
    delta: TextDelta | InputJsonDelta


class ContentBlockStop(msgspec.Struct, tag="content_block_stop", tag_field="type"):
    index: int


class StopInfo(msgspec.Struct):
    stop_reason: StopReason
    stop_sequence: str | None = None


class MessageDelta(msgspec.Struct, tag="message_delta", tag_field="type"):
    delta: StopInfo
    usage: MessageUsage  # cumulative, as Anthropic's: the SDK overwrites its counts with these
    hive: HiveVote | None = None  # the vote, once decided


class MessageStop(msgspec.Struct, tag="message_stop", tag_field="type"):
    pass


class ErrorInfo(msgspec.Struct):
    type: str
    message: str


class AnthropicError(msgspec.Struct, tag="error", tag_field="type"):
    """Anthropic's error shape, for responses and for the ``error`` event of a stream."""

    error: ErrorInfo


StreamEvent = (
    MessageStart
    | Ping
    | ContentBlockStart
    | ContentBlockDelta
    | ContentBlockStop
    | MessageDelta
    | MessageStop
    | AnthropicError
)

_BY_STATUS = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
}


def error_type(status: int) -> str:
    """Anthropic's error type for an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def error_body(status: int, message: str) -> bytes:
    return msgspec.json.encode(AnthropicError(ErrorInfo(error_type(status), message)))
