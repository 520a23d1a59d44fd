"""The OpenAI-compatible API of `hive --node`, over real sockets, with scripted workers."""

from __future__ import annotations

import httpx
import openai
import pytest

from hive_tui.backends.scripted_engine import write_script
from hive_tui.consensus import DEFAULT_STRATEGY

ANSWERS = ["The capital of France is Paris.", "Paris.", "Paris is the capital.", "Lyon."]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from tests.conftest import NodeProcess

    script = write_script(
        str(tmp_path_factory.mktemp("s") / "s.json"), answers=ANSWERS, token_delay_s=0.01
    )
    node = NodeProcess(["--backend", "scripted", "--model", script, "--workers", "4"])
    node.wait_ready(4)
    yield node
    assert node.stop() == 0


@pytest.fixture
def client(api):
    return openai.OpenAI(base_url=f"{api.url}/v1", api_key="unused", max_retries=0)


def ask(client, **kw):
    return client.chat.completions.create(
        model="hive", messages=[{"role": "user", "content": "capital of France?"}], **kw
    )


def test_completion_carries_the_vote(client):
    r = ask(client, seed=5)
    vote = r.model_extra["hive"]
    assert "Paris" in r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop"
    assert len(vote["candidates"]) == 4
    assert 0.0 <= vote["agreement"] <= 1.0
    # The three Paris answers agree, "Lyon." does not: shown as "3 of 4 agree".
    assert vote["agree_count"] == 3 and vote["agreement"] == 0.75
    assert 0.0 < vote["mean_similarity"] < 1.0
    assert vote["agreement_text"].startswith("3 of 4 agree, likely right (mean similarity 0.")
    assert vote["verdict"] == "likely right"
    assert vote["strategy"] == DEFAULT_STRATEGY and vote["degraded"] is False
    winner = next(c for c in vote["candidates"] if c["winner"])
    assert winner["text"] == r.choices[0].message.content
    assert winner["worker_id"] == vote["winner"]
    assert {c["worker_id"] for c in vote["candidates"]} == {"w0", "w1", "w2", "w3"}
    assert r.usage.completion_tokens == winner["tokens"]


def test_streaming_concatenates_to_the_winner(client):
    chunks = list(ask(client, stream=True, seed=5))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    vote = final.model_extra["hive"]
    winner = next(c for c in vote["candidates"] if c["winner"])
    assert text == winner["text"]
    assert text == ask(client, seed=5).choices[0].message.content


def test_request_options_choose_strategy_and_worker_count(client):
    r = ask(client, extra_body={"hive": {"strategy": "majority", "workers": 2}})
    vote = r.model_extra["hive"]
    assert vote["strategy"] == "majority" and len(vote["candidates"]) == 2


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "malformed JSON"),
        (b'{"model": "hive"}', "messages"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}', "max_tokens"),
        (b'{"messages": []}', "messages"),
        (b'{"messages": [{"role": "wizard", "content": "hi"}]}', "role"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "temperature": 9}', "temperature"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "min_p": 1.5}', "min_p"),
        (
            b'{"messages": [{"role": "user", "content": "x"}], "hive": {"strategy": "coin"}}',
            "strategy",
        ),
        (b"[]", "invalid request"),
    ],
)
def test_bad_input_gets_an_openai_style_400(api, body, needle):
    r = httpx.post(
        f"{api.url}/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and needle in err["message"]


def test_openai_client_raises_bad_request_not_server_error(client):
    with pytest.raises(openai.BadRequestError):
        ask(client, max_tokens=-1)


def test_unknown_route_and_method_are_openai_style_errors(api):
    r = httpx.get(f"{api.url}/v1/nothing", timeout=10)
    assert r.status_code == 404 and "error" in r.json()
    r = httpx.get(f"{api.url}/v1/chat/completions", timeout=10)
    assert r.status_code == 405 and "error" in r.json()


def test_models_and_health(client, api):
    ids = [m.id for m in client.models.list().data]
    assert "hive" in ids and "scripted" in ids
    h = api.health()
    assert h["status"] == "ok" and h["workers_ready"] == 4
    assert {w["state"] for w in h["workers"]} <= {"idle", "generating"}
    assert all(w["pid"] for w in h["workers"])


def test_an_empty_strategy_is_refused_not_taken_for_the_default(api):
    r = httpx.post(
        f"{api.url}/v1/chat/completions",
        json={"model": "hive", "messages": [{"role": "user", "content": "hi"}],
              "hive": {"strategy": ""}},
        timeout=30,
    )
    assert r.status_code == 400 and "strategy" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "hi"}] * 1024,
        [{"role": "user", "content": "x" * 3 * 1024 * 1024}],
    ],
    ids=["1024 messages", "3 MiB message"],
)
@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_over_the_context_is_a_400_with_the_counts(api, messages, stream):
    r = httpx.post(
        f"{api.url}/v1/chat/completions",
        json={"messages": messages, "stream": stream},
        timeout=60,
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["param"] == "messages"
    assert error["prompt_tokens"] >= error["max_context"] == 2048
    assert "retry-after" not in r.headers
