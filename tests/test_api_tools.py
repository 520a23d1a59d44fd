"""Tool calls over the API, voted by scripted workers, read back by the OpenAI client."""

from __future__ import annotations

import json

import openai
import pytest

from hive_tui.backends.scripted_engine import write_script

LS = '<tool_call>{"name": "execute_bash", "arguments": {"command": "ls -l"}}</tool_call>'
LS_REORDERED = '{"arguments": {"command": "ls -l"}, "name": "execute_bash"}'  # bare JSON, same call
CAT = '<tool_call>{"name": "read_file", "arguments": {"path": "a.txt"}}</tool_call>'
RM = '<tool_call>{"name": "execute_bash", "arguments": {"command": "rm -rf ."}}</tool_call>'
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": name,
            "parameters": {"type": "object", "properties": {}},
        },
    }
    for name in ("execute_bash", "read_file")
]


@pytest.fixture
def client_for(node_process, tmp_path):
    def start(answers: list[str]) -> openai.OpenAI:
        script = write_script(
            str(tmp_path / f"s{len(answers)}{hash(tuple(answers))}.json"), answers=answers
        )
        node = node_process("--backend", "scripted", "--model", script, "--workers", "3")
        node.wait_ready(3)
        return openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused", max_retries=0)

    return start


def ask(client: openai.OpenAI, **kw):
    return client.chat.completions.create(
        model="hive", messages=[{"role": "user", "content": "list the files"}], tools=TOOLS, **kw
    )


def test_two_of_three_same_call_wins_streamed_and_not(client_for) -> None:
    client = client_for([LS, CAT, LS_REORDERED])
    r = ask(client, seed=1)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "execute_bash"
    assert json.loads(call.function.arguments) == {"command": "ls -l"}
    vote = r.model_extra["hive"]["tool_vote"]
    assert vote["outcome"] == "call" and vote["supporters"] == [0, 2]

    chunks = list(ask(client, seed=1, stream=True))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [d.function.name for d in deltas] == ["execute_bash"]
    assert json.loads(deltas[0].function.arguments) == {"command": "ls -l"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_three_different_calls_run_nothing_and_say_so(client_for) -> None:
    client = client_for([LS, CAT, RM])
    r = ask(client)
    choice = r.choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    assert "No tool call was run" in choice.message.content
    assert r.model_extra["hive"]["tool_vote"]["outcome"] == "no_majority"


def test_text_majority_answers_in_text_and_tool_results_round_trip(client_for) -> None:
    client = client_for(["The files are a.txt and b.txt.", RM, "The files are a.txt and b.txt."])
    messages = [
        {"role": "user", "content": "list the files"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "execute_bash", "arguments": '{"command": "ls"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "a.txt\nb.txt"},
    ]
    r = client.chat.completions.create(model="hive", messages=messages, tools=TOOLS)
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content == "The files are a.txt and b.txt."
    assert r.model_extra["hive"]["tool_vote"]["outcome"] == "text"
    # tool_choice "none": no vote on calls at all, the strategy's winner stands.
    r = ask(client, tool_choice="none")
    assert r.model_extra["hive"]["tool_vote"] is None and r.choices[0].message.tool_calls is None


def test_a_named_tool_choice_not_among_the_tools_is_a_400(client_for) -> None:
    client = client_for([LS, LS, LS])
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, tool_choice={"type": "function", "function": {"name": "rm_rf"}})
    error = caught.value.body
    assert error["param"] == "tool_choice" and "rm_rf" in error["message"]
