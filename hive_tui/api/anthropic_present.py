"""Anthropic's Messages API over the same vote as the OpenAI route (pure functions, no I/O).

A Messages request is translated into the OpenAI request the chat route already answers
(system prompt first, ``tool_use`` blocks as an assistant's tool calls, ``tool_result``
blocks as tool turns, ``tool_choice`` any/tool/none as required/named/none), so the tool
prompt, the tool vote and the request resolution stay in one place. The answer goes the other
way: the OpenAI completion's text and voted tool calls become ``text`` and ``tool_use``
blocks, its finish reason a stop reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from hive_tui.api import anthropic_schemas as an
from hive_tui.api import schemas
from hive_tui.api.present import word_pieces

_STOP_REASONS: dict[str, an.StopReason] = {
    "tool_calls": "tool_use",
    "length": "max_tokens",
    "stop": "end_turn",
}


def _tool_call(block: an.ToolUseBlock) -> schemas.ToolCallOut:
    arguments = json.dumps(block.input, ensure_ascii=False)
    return schemas.ToolCallOut(block.id, schemas.FunctionCall(block.name, arguments))


def _turns(message: an.MessageParam) -> Iterator[schemas.RequestMessage]:
    """One Anthropic turn as OpenAI messages: tool results are turns of their own."""
    if isinstance(message.content, str):
        yield schemas.RequestMessage(message.role, message.content)
        return
    texts: list[str] = []
    calls: list[schemas.ToolCallOut] = []
    for block in message.content:
        if isinstance(block, an.TextBlock):
            texts.append(block.text)
        elif isinstance(block, an.ToolUseBlock):
            calls.append(_tool_call(block))
        else:  # a tool_result: the text the tool gave, as a tool turn
            if texts:
                yield schemas.RequestMessage(message.role, "".join(texts))
                texts = []
            yield schemas.RequestMessage("tool", block.text(), tool_call_id=block.tool_use_id)
    if texts or calls:
        yield schemas.RequestMessage(message.role, "".join(texts), tool_calls=calls or None)


def _tool_choice(choice: an.ToolChoice | None) -> schemas.ToolChoice | None:
    if choice is None or isinstance(choice, an.ToolChoiceAuto):
        return None
    if isinstance(choice, an.ToolChoiceAny):
        return "required"
    if isinstance(choice, an.ToolChoiceNone):
        return "none"
    return schemas.NamedToolChoice("function", schemas.NamedFunction(choice.name))


def as_chat_request(req: an.MessagesRequest) -> schemas.ChatCompletionRequest:
    system = req.system_text()
    messages = [schemas.RequestMessage("system", system)] if system else []
    for message in req.messages:
        messages.extend(_turns(message))
    tools = [
        schemas.ToolDef(
            "function", schemas.FunctionDef(t.name, t.description, t.input_schema or None)
        )
        for t in req.tools or []
    ]
    return schemas.ChatCompletionRequest(
        messages=messages,
        model=req.model,
        temperature=req.temperature,
        top_p=req.top_p,
        top_k=req.top_k,
        max_tokens=req.max_tokens,
        stop=req.stop_sequences,
        seed=req.seed,
        stream=req.stream,
        hive=req.hive,
        tools=tools or None,
        tool_choice=_tool_choice(req.tool_choice),
    )


def _blocks(completion: schemas.ChatCompletion) -> list[an.TextBlock | an.ToolUseBlock]:
    message = completion.choices[0].message
    calls = message.tool_calls or []
    blocks: list[an.TextBlock | an.ToolUseBlock] = []
    if message.content or not calls:
        blocks.append(an.TextBlock(message.content or ""))
    for call in calls:
        try:
            arguments = json.loads(call.function.arguments or "{}")
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):  # Anthropic's input is always an object
            arguments = {"arguments": call.function.arguments}
        blocks.append(an.ToolUseBlock(call.id, call.function.name, arguments))
    return blocks


def message_id(request_id: str) -> str:
    return f"msg_{request_id.removeprefix('req-')}"


def as_message(completion: schemas.ChatCompletion, request_id: str) -> an.Message:
    finish = completion.choices[0].finish_reason
    winner = next((c for c in completion.hive.candidates if c.winner), None) \
        if completion.hive is not None else None
    matched = winner.stop_sequence if winner is not None and finish == "stop" else None
    return an.Message(
        id=message_id(request_id),
        model=completion.model,
        content=_blocks(completion),
        stop_reason="stop_sequence" if matched else _STOP_REASONS.get(finish, "end_turn"),
        stop_sequence=matched,
        usage=an.MessageUsage(completion.usage.prompt_tokens, completion.usage.completion_tokens),
        hive=completion.hive,
    )


def message_start(request_id: str, model: str) -> an.MessageStart:
    """Sent before the vote (the SDK wants it first): no content, no counts yet."""
    empty = an.Message(message_id(request_id), model, [], None, an.MessageUsage(0, 0))
    return an.MessageStart(empty)


def stream_events(message: an.Message) -> Iterator[an.StreamEvent]:
    """The decided message as Anthropic's block events, then its stop reason and counts (and
    the vote, on ``message_delta``); ``message_start`` went first, before the vote."""
    for index, block in enumerate(message.content):
        if isinstance(block, an.TextBlock):
            yield an.ContentBlockStart(index, an.TextBlock(""))
            for piece in word_pieces(block.text):
                yield an.ContentBlockDelta(index, an.TextDelta(piece))
        else:
            yield an.ContentBlockStart(index, an.ToolUseBlock(block.id, block.name, {}))
            partial = json.dumps(block.input, ensure_ascii=False)
            yield an.ContentBlockDelta(index, an.InputJsonDelta(partial))
        yield an.ContentBlockStop(index)
    assert message.stop_reason is not None
    stop = an.StopInfo(message.stop_reason, message.stop_sequence)
    yield an.MessageDelta(stop, message.usage, hive=message.hive)
    yield an.MessageStop()
