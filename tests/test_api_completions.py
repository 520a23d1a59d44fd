"""`/v1/completions` and the OpenAI details real clients check, read by the `openai` client
(and raw SSE where the client would hide what is on the wire), scripted workers."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from hive_tui.backends.scripted_engine import write_script

ANSWERS = ["Paris is the capital of France.", "Paris is the capital of France.", "Lyon."]
FRANCE = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path_factory.mktemp("c") / "s.json"), answers=ANSWERS)
    node = NodeProcess(["--backend", "scripted", "--model", script, "--workers", "3"])
    node.wait_ready(3)
    yield node
    assert node.stop() == 0
    assert '"GET /v1/models"' not in node.output()  # the access log is off by default


@pytest.fixture
def client(api) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api.url}/v1", api_key="unused", max_retries=0)


def test_completions_answer_the_vote_whole_and_streamed(client) -> None:
    r = client.completions.create(model="hive", prompt="What is the capital of France?")
    assert r.object == "text_completion" and r.model == "hive"
    assert r.choices[0].text == "Paris is the capital of France."
    assert r.choices[0].finish_reason == "stop"
    vote = r.model_extra["hive"]
    assert vote["agree_count"] == 2
    assert r.usage.completion_tokens == next(c for c in vote["candidates"] if c["winner"])["tokens"]
    chunks = list(
        client.completions.create(
            model="hive",
            prompt=["What is the capital of France?"],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == r.choices[0].text
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-2].model_extra["hive"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == r.usage.total_tokens


def test_completions_refuse_what_they_cannot_do(client) -> None:
    for bad in ({"prompt": ["a", "b"]}, {"prompt": "a", "echo": True}, {"prompt": "a", "n": 2}):
        with pytest.raises(openai.BadRequestError):
            client.completions.create(model="hive", **bad)


def test_models_carry_the_context_length(client, api) -> None:
    models = client.models.list().data
    assert {m.id for m in models} == {"hive", "scripted"}
    lengths = {m.model_extra["max_model_len"] for m in models}
    (length,) = lengths
    # The prompt-size check refuses prompts over the same length the card shows.
    r = httpx.post(
        f"{api.url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "x" * 3 * 1024 * 1024}]},
        timeout=60,
    )
    assert r.json()["error"]["max_context"] == length


def test_chat_names_the_model_asked_for_and_sends_usage_when_asked(client) -> None:
    r = client.chat.completions.create(model="hive", messages=FRANCE)
    assert r.model == "hive"
    chunks = list(
        client.chat.completions.create(
            model="hive", messages=FRANCE, stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(c.model == "hive" for c in chunks)
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert chunks[-1].usage.total_tokens == r.usage.total_tokens
    assert all(c.usage is None for c in chunks[:-1])


def test_every_chunk_on_the_wire_says_what_it_is(api) -> None:
    body = {"model": "hive", "messages": FRANCE, "stream": True}
    with httpx.stream("POST", f"{api.url}/v1/chat/completions", json=body, timeout=30) as r:
        data = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    assert all(json.loads(d)["object"] == "chat.completion.chunk" for d in data[:-1])


def test_an_image_part_is_refused_by_name(client) -> None:
    content = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="hive", messages=[{"role": "user", "content": content}]
        )
    error = caught.value.body
    assert error["param"] == "messages[0].content[1]" and "image_url" in error["message"]


def test_the_access_log_setting_logs_one_line_per_request(node_process, tmp_path) -> None:
    script = write_script(str(tmp_path / "s.json"), answers=["Paris."])
    node = node_process(
        "--backend",
        "scripted",
        "--model",
        script,
        "--workers",
        "1",
        env={"HIVE_ACCESS_LOG": "true"},
    )
    node.wait_ready(1)
    client = openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused", max_retries=0)
    client.models.list()
    client.completions.create(model="hive", prompt="capital of France?")
    assert httpx.get(f"{node.url}/v1/nothing", timeout=10).status_code == 404
    assert node.stop() == 0
    lines = node.output().splitlines()
    assert sum('"GET /v1/models" 200' in line for line in lines) == 1
    assert sum('"POST /v1/completions" 200' in line for line in lines) == 1
    assert sum('"GET /v1/nothing" 404' in line for line in lines) == 1
