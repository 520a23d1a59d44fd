"""Anthropic's Messages API of `hive --node`, read by the official `anthropic` SDK over real
sockets: scripted workers for exact answers, keys and tools; the embedded model at the end."""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

from hive_tui.backends.scripted_engine import write_script

KEY = "s3cret-key"
ANSWERS = ["Paris is the capital of France.", "Paris is the capital of France.", "Lyon."]
FRANCE = [{"role": "user", "content": "What is the capital of France?"}]
LS = '<tool_call>{"name": "execute_bash", "arguments": {"command": "ls -l"}}</tool_call>'
LS_REORDERED = '{"arguments": {"command": "ls -l"}, "name": "execute_bash"}'
CAT = '<tool_call>{"name": "read_file", "arguments": {"path": "a.txt"}}</tool_call>'
RM = '<tool_call>{"name": "execute_bash", "arguments": {"command": "rm -rf ."}}</tool_call>'
TOOLS = [
    {"name": name, "description": name, "input_schema": {"type": "object", "properties": {}}}
    for name in ("execute_bash", "read_file")
]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path_factory.mktemp("a") / "s.json"), answers=ANSWERS)
    node = NodeProcess(
        ["--backend", "scripted", "--model", script, "--workers", "3", "--api-key", KEY]
    )
    node.wait_ready(3)
    yield node
    assert node.stop() == 0


@pytest.fixture
def client(keyed) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=keyed.url, api_key=KEY, max_retries=0)


def test_create_answers_the_vote_with_the_key_as_x_api_key(client) -> None:
    m = client.messages.create(model="hive", max_tokens=64, messages=FRANCE)
    assert m.type == "message" and m.role == "assistant" and m.model == "hive"
    assert [b.type for b in m.content] == ["text"]
    assert m.content[0].text == "Paris is the capital of France."
    assert m.stop_reason == "end_turn" and m.id.startswith("msg_")
    vote = m.model_extra["hive"]
    assert vote["agree_count"] == 2 and len(vote["candidates"]) == 3
    winner = next(c for c in vote["candidates"] if c["winner"])
    assert winner["text"] == m.content[0].text
    assert m.usage.output_tokens == winner["tokens"] > 0 and m.usage.input_tokens > 0


def test_streamed_text_equals_the_final_message_and_the_plain_answer(client) -> None:
    ask = {"model": "hive", "max_tokens": 64, "messages": FRANCE}
    with client.messages.stream(**ask, system="Be brief.") as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    with client.messages.stream(**ask) as s:
        events = [e.type for e in s]
    assert text == final.content[0].text == "Paris is the capital of France."
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert {"content_block_start", "content_block_delta", "content_block_stop"} <= set(events)


def test_message_delta_carries_the_vote(keyed) -> None:
    body = {"model": "hive", "max_tokens": 64, "messages": FRANCE, "stream": True}
    with httpx.stream(
        "POST", f"{keyed.url}/v1/messages", json=body, headers={"x-api-key": KEY}, timeout=30
    ) as r:
        lines = [line for line in r.iter_lines() if line]
    names = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    data = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    delta = next(d for d in data if d["type"] == "message_delta")
    assert delta["hive"]["agree_count"] == 2 and delta["delta"]["stop_reason"] == "end_turn"


def test_system_prompt_blocks_multi_turn_and_stop_sequences(client) -> None:
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]},
        {"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]},
    ]
    m = client.messages.create(
        model="hive",
        max_tokens=64,
        system=[{"type": "text", "text": "You answer in one sentence."}],
        messages=messages,
        stop_sequences=["capital"],
        # This SDK has no sampling arguments any more; older ones send them in the body.
        extra_body={"temperature": 0.5, "top_p": 0.9, "top_k": 40},
    )
    assert m.content[0].text == "Paris is the "  # cut before the stop sequence
    assert (m.stop_reason, m.stop_sequence) == ("stop_sequence", "capital")
    kwargs = dict(model="hive", max_tokens=64, messages=messages, stop_sequences=["capital"])
    with client.messages.stream(**kwargs) as s:
        final = s.get_final_message()
    assert (final.stop_reason, final.stop_sequence) == ("stop_sequence", "capital")


def test_a_missing_or_wrong_key_is_an_anthropic_shaped_401(keyed) -> None:
    wrong = anthropic.Anthropic(base_url=keyed.url, api_key="nope", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        wrong.messages.create(model="hive", max_tokens=8, messages=FRANCE)
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "authentication_error"
    r = httpx.post(f"{keyed.url}/v1/messages", json={}, timeout=10)
    assert r.status_code == 401
    assert r.json() == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "missing or wrong API key"},
    }
    # x-api-key opens the other routes too, and the full /health.
    assert httpx.get(f"{keyed.url}/v1/models", headers={"x-api-key": KEY}).status_code == 200
    assert "workers" in httpx.get(f"{keyed.url}/health", headers={"x-api-key": KEY}).json()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": "hive", "messages": FRANCE}, "max_tokens"),
        ({"model": "hive", "max_tokens": 8, "messages": []}, "messages"),
        (
            {
                "model": "hive",
                "max_tokens": 8,
                "messages": [
                    {"role": "user", "content": [{"type": "image", "source": {"data": "x"}}]}
                ],
            },
            "image",
        ),
        ({"model": "hive", "max_tokens": 8, "messages": FRANCE, "temperature": 3}, "temperature"),
    ],
)
def test_bad_requests_are_anthropic_shaped_400s(client, body, needle) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.post("/v1/messages", body=body, cast_to=httpx.Response)
    error = caught.value.body
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert needle in error["error"]["message"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_over_the_context_and_a_body_over_the_limit(client, keyed, stream) -> None:
    huge = [{"role": "user", "content": "x" * 3 * 1024 * 1024}]
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model="hive", max_tokens=8, messages=huge, stream=stream)
    assert "context" in caught.value.body["error"]["message"]
    r = httpx.post(
        f"{keyed.url}/v1/messages",
        content=b"x" * (5 * 1024 * 1024),
        headers={"x-api-key": KEY, "content-type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"


def test_a_wrong_method_is_an_anthropic_shaped_405(keyed) -> None:
    r = httpx.get(f"{keyed.url}/v1/messages", headers={"x-api-key": KEY}, timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "invalid_request_error"


@pytest.fixture
def tool_client(node_process, tmp_path):
    def start(answers: list[str]) -> anthropic.Anthropic:
        script = write_script(str(tmp_path / f"t{hash(tuple(answers))}.json"), answers=answers)
        node = node_process("--backend", "scripted", "--model", script, "--workers", "3")
        node.wait_ready(3)
        return anthropic.Anthropic(base_url=node.url, api_key="unused", max_retries=0)

    return start


def test_voted_tool_use_streamed_and_not(tool_client) -> None:
    client = tool_client([LS, CAT, LS_REORDERED])
    ask = {"model": "hive", "max_tokens": 64, "tools": TOOLS, "messages": FRANCE}
    m = client.messages.create(**ask)
    assert m.stop_reason == "tool_use"
    (use,) = m.content
    assert use.type == "tool_use" and use.name == "execute_bash"
    assert use.input == {"command": "ls -l"}
    assert m.model_extra["hive"]["tool_vote"]["supporters"] == [0, 2]
    with client.messages.stream(**ask) as s:
        final = s.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [(b.type, b.name, b.input) for b in final.content] == [
        ("tool_use", "execute_bash", {"command": "ls -l"})
    ]


def test_tool_results_round_trip_and_tool_choice_none(tool_client) -> None:
    client = tool_client(["The files are a.txt and b.txt.", RM, "The files are a.txt and b.txt."])
    messages = [
        {"role": "user", "content": "list the files"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "execute_bash",
                 "input": {"command": "ls"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt\nb.txt"}
            ],
        },
    ]
    m = client.messages.create(model="hive", max_tokens=64, tools=TOOLS, messages=messages)
    assert m.stop_reason == "end_turn"
    assert m.content[0].text == "The files are a.txt and b.txt."
    assert m.model_extra["hive"]["tool_vote"]["outcome"] == "text"
    m = client.messages.create(
        model="hive", max_tokens=64, tools=TOOLS, messages=messages, tool_choice={"type": "none"}
    )
    assert m.model_extra["hive"]["tool_vote"] is None
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(
            model="hive", max_tokens=64, tools=TOOLS, messages=FRANCE,
            tool_choice={"type": "tool", "name": "rm_rf"},
        )
    assert "rm_rf" in caught.value.body["error"]["message"]


@pytest.mark.model
def test_the_embedded_model_answers_through_the_anthropic_sdk(node_process) -> None:
    node = node_process("--workers", "2", "--threads", "1")
    node.wait_ready(2)
    client = anthropic.Anthropic(base_url=node.url, api_key="unused", max_retries=0)
    ask = {
        "model": "hive",
        "max_tokens": 24,
        "extra_body": {"temperature": 0.0},
        "system": "Answer in one word.",
        "messages": FRANCE,
    }
    m = client.messages.create(**ask)
    assert "Paris" in m.content[0].text and m.stop_reason in ("end_turn", "max_tokens")
    with client.messages.stream(**ask) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == final.content[0].text == m.content[0].text  # greedy: the same answer
    cut = client.messages.create(**ask, stop_sequences=["aris"])
    assert "aris" not in cut.content[0].text
    assert (cut.stop_reason, cut.stop_sequence) == ("stop_sequence", "aris")
