"""Ollama's API on `hive --node`, with the official `ollama` client and the embedded model
(SmolLM2-135M, one thread per worker), on the main port and on --ollama-port."""

from __future__ import annotations

import time

import httpx
import ollama
import pytest

pytestmark = pytest.mark.model

FRANCE = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
SEED = 1236  # names Paris with both llama.cpp builds install.sh makes (test_real_model.py)
OPTIONS = {"seed": SEED, "num_predict": 32}


def ollama_url(node, timeout_s: float = 30.0) -> str:
    """The second port's URL, from the line the node prints after its main one."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in list(node._lines):
            if "for Ollama clients also on " in line:
                return line.rsplit(" on ", 1)[1].strip()
        time.sleep(0.05)
    raise TimeoutError("the node printed no Ollama URL")


@pytest.fixture(scope="module")
def node():
    from tests.conftest import NodeProcess

    n = NodeProcess(["--workers", "3", "--threads", "1", "--ollama-port", "0"])
    n.wait_ready(3)
    yield n
    assert n.stop() == 0


@pytest.fixture(scope="module")
def client(node):
    return ollama.Client(host=node.url, timeout=120)


def test_chat_whole_and_streamed_give_the_same_voted_answer(client, node):
    whole = client.chat(model="hive", messages=FRANCE, stream=False, options=OPTIONS)
    assert whole.done and whole.done_reason in ("stop", "length")
    assert whole.message.role == "assistant" and "paris" in whole.message.content.lower()
    assert whole.model == "hive"  # the model asked for, as Ollama answers
    assert whole.eval_count and whole.eval_count > 0 and whole.prompt_eval_count
    assert whole.total_duration and whole.total_duration >= whole.eval_duration > 0
    # The vote rides along, as on the OpenAI route (the ollama client keeps Ollama's fields).
    body = {"model": "hive", "messages": FRANCE, "stream": False, "options": OPTIONS}
    raw = httpx.post(f"{node.url}/api/chat", json=body, timeout=120).json()
    vote = raw["hive"]
    assert len(vote["candidates"]) == 3 and vote["seed"] == SEED
    winner = next(c for c in vote["candidates"] if c["winner"])
    assert winner["text"] == raw["message"]["content"] == whole.message.content

    parts = list(client.chat(model="hive", messages=FRANCE, stream=True, options=OPTIONS))
    assert len(parts) > 1 and all(not p.done for p in parts[:-1])
    last = parts[-1]
    assert last.done and last.message.content == "" and last.eval_count == whole.eval_count
    # The same seed reproduces the whole vote, streamed or not.
    assert "".join(p.message.content or "" for p in parts) == whole.message.content


def test_generate_whole_and_streamed(client):
    prompt = FRANCE[0]["content"]
    whole = client.generate(model="hive", prompt=prompt, stream=False, options=OPTIONS)
    assert whole.done and "paris" in whole.response.lower()
    parts = list(client.generate(model="hive", prompt=prompt, stream=True, options=OPTIONS))
    assert parts[-1].done and "".join(p.response for p in parts) == whole.response
    loaded = client.generate(model="hive", prompt="")  # Ollama's "load the model"
    assert loaded.done and loaded.done_reason == "load" and loaded.response == ""


def test_list_show_ps_and_version(client, node):
    listed = {m.model: m for m in client.list().models}
    assert "hive:latest" in listed
    hive = listed["hive:latest"]
    assert hive.details.format == "gguf" and hive.details.family == "llama"
    assert hive.size and hive.size > 10_000_000  # the embedded model's GGUF
    shown = client.show("hive")
    assert shown.capabilities == ["completion"] and shown.details.family == "llama"
    assert shown.modelinfo["llama.context_length"] > 0
    with pytest.raises(ollama.ResponseError) as missing:
        client.show("no-such-model")
    assert missing.value.status_code == 404
    running = client.ps().models
    assert {m.model for m in running} == set(listed)
    assert all(m.context_length and m.context_length > 0 for m in running)
    version = httpx.get(f"{node.url}/api/version", timeout=10).json()["version"]
    assert version.count(".") == 2


def test_the_ollama_port_serves_the_same_api(node):
    second = ollama.Client(host=ollama_url(node), timeout=120)
    assert ollama_url(node) != node.url
    reply = second.chat(model="hive", messages=FRANCE, stream=False, options=OPTIONS)
    assert "paris" in reply.message.content.lower()
    # The OpenAI routes are there too: one app on two ports.
    models = httpx.get(f"{ollama_url(node)}/v1/models", timeout=10).json()
    assert "hive" in [m["id"] for m in models["data"]]


def test_refusals_are_ollama_errors(client, node):
    with pytest.raises(ollama.ResponseError) as images:
        client.chat(
            model="hive",
            messages=[{"role": "user", "content": "what is this?", "images": [b"\x89PNG"]}],
        )
    assert images.value.status_code == 400 and "images" in str(images.value)
    bad = httpx.post(
        f"{node.url}/api/chat",
        json={"model": "hive", "messages": FRANCE, "options": {"temperature": 9}},
        timeout=10,
    )
    assert bad.status_code == 400 and "temperature" in bad.json()["error"]
