"""Parsing tool calls out of worker text, and the strict-majority vote on them."""

from __future__ import annotations

from hive_tui.consensus.toolvote import vote_tool_calls
from hive_tui.tools.calls import ToolCall, canonical_json, parse_tool_calls
from hive_tui.tools.prompt import with_tools_prompt
from hive_tui.wire import ChatMessage, ToolSpec

LS = ToolCall("execute_bash", {"command": "ls"})
CAT = ToolCall("read_file", {"path": "a.txt"})
RM = ToolCall("execute_bash", {"command": "rm -rf ."})


def test_tagged_bare_fenced_and_openai_shapes_parse() -> None:
    tagged = '<tool_call>{"name": "read_file", "arguments": {"path": "a.txt"}}</tool_call>'
    assert parse_tool_calls(tagged) == (CAT,)
    assert parse_tool_calls("Sure.\n" + tagged + "\n" + tagged) == (CAT, CAT)
    assert parse_tool_calls(tagged.removesuffix("</tool_call>")) == (CAT,)  # stopped at the tag
    assert parse_tool_calls('{"name": "read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}') == (
        CAT,
    )
    assert parse_tool_calls('```json\n{"name":"read_file","arguments":{"path":"a.txt"}}\n```') == (
        CAT,
    )
    openai = '{"function": {"name": "read_file", "arguments": {"path": "a.txt"}}}'
    assert parse_tool_calls(openai) == (CAT,)


def test_text_and_broken_calls_are_not_calls() -> None:
    for text in [
        "Paris.",
        "",
        "{not json",
        '{"answer": 42}',
        '<tool_call>{"name": "x", "arguments": [1]}</tool_call>',
        "<tool_call>nonsense</tool_call>",
        '{"name": "", "arguments": {}}',
    ]:
        assert parse_tool_calls(text) is None, text


def test_normalisation_makes_equal_calls_equal() -> None:
    a = parse_tool_calls('{"name":"f","arguments":{"b":1,"a":{"y":2.0,"x":[1.0,"s"]}}}')
    b = parse_tool_calls(
        '<tool_call>{"arguments": {"a": {"x": [1, "s"], "y": 2}, "b": 1.0},'
        ' "name": "f"}</tool_call>'
    )
    assert a is not None and b is not None and a[0].canonical() == b[0].canonical()
    assert canonical_json({"s": "a  b"}) != canonical_json({"s": "a b"})  # strings stay exact


def test_two_of_three_same_call_wins() -> None:
    vote = vote_tool_calls([(LS,), (CAT,), (LS,)])
    assert vote.outcome == "call" and vote.calls == (LS,) and vote.supporters == (0, 2)


def test_three_different_calls_run_nothing_and_say_so() -> None:
    vote = vote_tool_calls([(LS,), (CAT,), (RM,)])
    assert vote.outcome == "no_majority" and vote.calls == ()
    assert "No tool call was run" in vote.note and vote.distinct == 3


def test_a_lone_call_among_text_answers_does_not_run() -> None:
    vote = vote_tool_calls([(RM,), None, None])
    assert vote.outcome == "text" and vote.calls == () and vote.supporters == (1, 2)


def test_half_is_not_a_majority() -> None:
    assert vote_tool_calls([(LS,), (LS,), (CAT,), (CAT,)]).outcome == "no_majority"
    assert vote_tool_calls([(LS,), (LS,), None, None]).outcome == "no_majority"
    assert vote_tool_calls([(LS,), (LS,), (LS,), None]).outcome == "call"


def test_order_of_calls_matters() -> None:
    vote = vote_tool_calls([(LS, CAT), (CAT, LS), (LS, CAT)])
    assert vote.outcome == "call" and vote.calls == (LS, CAT)
    assert vote_tool_calls([(LS, CAT), (CAT, LS), (LS,)]).outcome == "no_majority"


def test_tools_prompt_merges_into_the_system_message() -> None:
    spec = [ToolSpec("read_file", "Read a file", '{"type": "object"}')]
    msgs = with_tools_prompt([ChatMessage("system", "Be brief."), ChatMessage("user", "hi")], spec)
    assert len(msgs) == 2 and msgs[0].content.startswith("Be brief.")
    assert "<tool_call>" in msgs[0].content and '"read_file"' in msgs[0].content
    assert with_tools_prompt([ChatMessage("user", "hi")], spec)[0].role == "system"
    assert with_tools_prompt([ChatMessage("user", "hi")], []) == [ChatMessage("user", "hi")]
