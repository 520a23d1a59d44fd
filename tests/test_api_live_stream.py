"""``"hive": {"stream": "live"}`` through the official ``openai`` client: the first worker to
speak is streamed as it writes, and the last chunk says whether its answer won the vote."""

from __future__ import annotations

import httpx
import openai
import pytest

from hive_tui.backends.scripted_engine import write_script
from tests.conftest import NodeProcess

# w0 speaks at once; w1 and w2 start late, so the vote is still open while w0 streams.
LATE_S = 8.0


def live_node(tmp_path, answers: list[str]) -> NodeProcess:
    script = write_script(str(tmp_path / "s.json"), answers=answers, token_delay_s=0.02,
                          start_delay_s=[0.0, LATE_S, LATE_S])
    node = NodeProcess(["--backend", "scripted", "--model", script, "--workers", "3"])
    node.wait_ready(3)
    return node


def stream(node: NodeProcess, **extra):
    client = openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused")
    return client.chat.completions.create(
        model="hive", messages=[{"role": "user", "content": "What is the capital of France?"}],
        stream=True, stream_options={"include_usage": True}, extra_body=extra)


@pytest.fixture
def nodes():
    started: list[NodeProcess] = []
    yield started
    for node in started:
        node.stop()


def test_a_live_stream_shows_the_first_worker_while_the_vote_runs(tmp_path, nodes):
    node = live_node(tmp_path, ["It is London.", "Paris is the capital.", "Paris is the capital."])
    nodes.append(node)
    chunks = []
    states_at_first_word = None
    for chunk in stream(node, hive={"stream": "live"}):
        chunks.append(chunk)
        if states_at_first_word is None and chunk.choices and chunk.choices[0].delta.content:
            health = httpx.get(f"{node.url}/health", timeout=10).json()
            states_at_first_word = {w["worker_id"]: w["state"] for w in health["workers"]}
    # The first words arrived while the late workers had not answered: no vote yet.
    assert states_at_first_word is not None
    assert states_at_first_word["w1"] == states_at_first_word["w2"] == "generating"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "It is London."  # w0's draft, as it wrote it
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    hive = final.model_extra["hive"]
    assert hive["streamed"] == {"worker": "w0", "won": False}
    winner = next(c for c in hive["candidates"] if c["winner"])
    assert winner["text"] == "Paris is the capital."
    assert chunks[-1].usage.completion_tokens > 0  # include_usage still honoured


def test_a_live_stream_whose_worker_wins_says_so_and_the_default_streams_the_vote(
        tmp_path, nodes):
    node = live_node(tmp_path, ["Paris.", "Paris.", "London."])
    nodes.append(node)
    chunks = list(stream(node, hive={"stream": "live"}))
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    assert final.model_extra["hive"]["streamed"] == {"worker": "w0", "won": True}
    # Without the option the stream is the vote's answer, and no "streamed" is said.
    voted = list(stream(node))
    final = next(c for c in voted if c.choices and c.choices[0].finish_reason)
    assert final.model_extra["hive"].get("streamed") is None
    assert "".join(c.choices[0].delta.content or "" for c in voted if c.choices) == "Paris."
