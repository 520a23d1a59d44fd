"""`/v1/embeddings` read by the official `openai` client from a real node: the vectors come
from the embedded SmolLM2 (mean-pooled, 1 thread) in the node's embedding child; the chat
workers are scripted (no vote runs here)."""

from __future__ import annotations

import time

import httpx
import numpy as np
import openai
import pytest

from hive_tui.backends.scripted_engine import write_script

pytestmark = pytest.mark.model
KEY = "embed-test-key"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path_factory.mktemp("e") / "s.json"), answers=["Paris."])
    node = NodeProcess(
        ["--backend", "scripted", "--model", script, "--workers", "1", "--threads", "1",
         "--api-key", KEY, "--no-federation"]
    )  # fmt: skip
    node.wait_ready(1)
    yield node
    assert node.stop() == 0


@pytest.fixture
def client(keyed) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{keyed.url}/v1", api_key=KEY, max_retries=0, timeout=120)


def _rows(response) -> np.ndarray:
    return np.array([d.embedding for d in response.data], dtype=np.float64)


def test_float_and_base64_give_the_same_unit_vectors(client) -> None:
    text = "The river runs past the old mill."
    plain = client.embeddings.create(model="hive", input=text, encoding_format="float")
    packed = client.embeddings.create(model="hive", input=text)  # the client asks for base64
    assert plain.object == "list" and plain.data[0].object == "embedding"
    assert plain.data[0].index == 0 and plain.model == "hive"
    assert plain.usage.prompt_tokens > 0
    assert plain.usage.total_tokens == plain.usage.prompt_tokens
    a, b = _rows(plain)[0], _rows(packed)[0]
    assert a.shape == b.shape and a.shape[0] > 100
    assert np.allclose(a, b, atol=1e-6)  # float32 either way: the same numbers
    assert abs(np.linalg.norm(a) - 1.0) < 1e-4
    raw = httpx.post(
        f"{client.base_url}embeddings",
        json={"input": text, "encoding_format": "base64"},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=120,
    ).json()["data"][0]["embedding"]
    import base64

    assert np.allclose(np.frombuffer(base64.b64decode(raw), dtype="<f4"), a, atol=1e-6)


def test_a_batch_answers_one_vector_per_input_in_order(client) -> None:
    texts = [
        "A cat sleeps on the warm windowsill.",
        "Interest rates rose again this quarter.",
        "A cat sleeps on the warm windowsill.",
        "The kitten dozed in the sunny window.",
    ]
    batch = client.embeddings.create(model="hive", input=texts, encoding_format="float")
    assert [d.index for d in batch.data] == [0, 1, 2, 3]
    rows = _rows(batch)
    assert np.allclose(rows[0], rows[2], atol=1e-6)  # equal texts, equal vectors
    alone = _rows(client.embeddings.create(model="hive", input=texts[1]))[0]
    assert np.allclose(rows[1], alone, atol=1e-4)  # its place in the batch changes nothing
    cosine = rows @ rows.T
    assert cosine[0, 3] > cosine[0, 1]  # the related sentence is the closer one
    single = client.embeddings.create(model="hive", input=texts[0])
    assert batch.usage.prompt_tokens > single.usage.prompt_tokens


def test_dimensions_cut_and_renormalise_and_over_the_model_is_a_400(client) -> None:
    full = _rows(client.embeddings.create(model="hive", input="short text"))[0]
    cut = _rows(client.embeddings.create(model="hive", input="short text", dimensions=64))[0]
    assert cut.shape == (64,) and abs(np.linalg.norm(cut) - 1.0) < 1e-4
    assert np.allclose(cut, full[:64] / np.linalg.norm(full[:64]), atol=1e-5)
    with pytest.raises(openai.BadRequestError) as over:
        client.embeddings.create(model="hive", input="short text", dimensions=full.shape[0] + 1)
    assert over.value.body["param"] == "dimensions"


def test_bad_input_is_a_400_in_openais_shape(client) -> None:
    for bad in ("", [], ["ok", ""], ["x"] * 129, "x" * 8193):
        with pytest.raises(openai.BadRequestError) as refused:
            client.embeddings.create(model="hive", input=bad)
        assert refused.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as tokens:
        client.embeddings.create(model="hive", input=[[15339, 1917], [3]])
    assert "token arrays" in tokens.value.body["message"]
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="hive", input="x", encoding_format="int8")  # type: ignore[arg-type]


def test_the_api_key_is_enforced(keyed) -> None:
    for key in ("wrong", ""):
        bare = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key=key or "-", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            bare.embeddings.create(model="hive", input="hello")
    paths = httpx.get(
        f"{keyed.url}/openapi.json", headers={"Authorization": f"Bearer {KEY}"}, timeout=10
    ).json()["paths"]
    assert paths["/v1/embeddings"]["post"]["security"]  # documented as keyed too


def test_ollamas_embed_gives_the_same_vectors_to_the_ollama_client(keyed, client) -> None:
    import ollama

    texts = ["A cat sleeps on the warm windowsill.", "Interest rates rose again."]
    talk = ollama.Client(host=keyed.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120)
    answer = talk.embed(model="nomic-embed-text", input=texts)
    assert answer.model == "nomic-embed-text" and answer.prompt_eval_count > 0
    openai_rows = _rows(client.embeddings.create(model="hive", input=texts))
    assert np.allclose(np.array(answer.embeddings), openai_rows, atol=1e-6)
    with pytest.raises(ollama.ResponseError) as refused:
        talk.embed(model="m", input=[])
    assert refused.value.status_code == 400
    with pytest.raises(ollama.ResponseError) as keyless:
        ollama.Client(host=keyed.url, timeout=30).embed(model="m", input="hi")
    assert keyless.value.status_code == 401


# The batch schemathesis found: U+0004 is one of the few characters SmolLM2's tokenizer drops,
# so that text has no tokens at all (the rest are odd but embeddable).
FUZZ_BATCH = [
    "\u00c4\U00024cb8\U00092dcd", "\u00ba\u00f0[M", "\U0001d413\U0001d421\U0001d41e fox",
    ".\U00018d03", "\u00ce\u00a3\u0084\u00eeO\u0099\u0012\U000ef3b0\u00e8=", "/#\u00f5\U000e197c",
    "\u0004", "\u00e1(\u00f8[\U000ee7da", "\u009f",
]  # fmt: skip


def _embed_children(node) -> list[int]:
    import psutil

    return [
        p.pid for p in psutil.Process(node.proc.pid).children(recursive=True)
        if "hive_tui.retrieval.embed_child" in " ".join(p.cmdline())
    ]  # fmt: skip


def test_a_text_with_no_tokens_is_a_400_naming_it_and_the_child_lives_on(keyed, client) -> None:
    client.embeddings.create(model="hive", input="warm up")
    (child,) = _embed_children(keyed)
    with pytest.raises(openai.BadRequestError) as refused:
        client.embeddings.create(model="hive", input=FUZZ_BATCH)
    assert refused.value.body["param"] == "input"
    message = refused.value.body["message"]
    assert "input[6]" in message and "no tokens" in message
    ollama_refused = httpx.post(
        f"{keyed.url}/api/embed", json={"model": "m", "input": FUZZ_BATCH},
        headers={"Authorization": f"Bearer {KEY}"}, timeout=120,
    )  # fmt: skip
    assert ollama_refused.status_code == 400 and "input[6]" in ollama_refused.json()["error"]
    odd = [t for t in FUZZ_BATCH if t != "\u0004"]
    rows = _rows(client.embeddings.create(model="hive", input=odd, encoding_format="float"))
    assert rows.shape[0] == len(odd) and np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    assert _embed_children(keyed) == [child]  # the same child answered all of it


def test_a_dead_embedding_child_is_started_again_by_the_next_request(keyed, client) -> None:
    import psutil

    before = _rows(client.embeddings.create(model="hive", input="the mill"))
    (child,) = _embed_children(keyed)
    victim = psutil.Process(child)
    victim.kill()
    # The node reaps it only when asked next: here it is gone once it is a zombie.
    while victim.is_running() and victim.status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.05)
    after = _rows(client.embeddings.create(model="hive", input="the mill"))
    assert np.allclose(before, after, atol=1e-5)
    assert len(_embed_children(keyed)) == 1 and _embed_children(keyed) != [child]


def test_the_embedding_child_refuses_what_it_cannot_embed_and_stays_up() -> None:
    from hive_tui.embedded_model import embedded_model_path
    from hive_tui.retrieval.embedder import Embedder, EmbedInputRefused

    with Embedder(embedded_model_path()) as embedder:
        # A lone surrogate (no JSON body holds one, a file read with surrogateescape may)
        with pytest.raises(EmbedInputRefused) as not_unicode:
            embedder.embed(["fine", "bad \udc80 byte"])
        assert not_unicode.value.index == 1
        # Past the child's first batch of 32 texts: the index is the caller's
        with pytest.raises(EmbedInputRefused) as empty:
            embedder.embed(["fine"] * 40 + ["\u0004\u0006"])
        assert empty.value.index == 40 and "no tokens" in empty.value.reason
        assert embedder.alive and embedder.embed(["fine", "\u0004 fine"]).shape == (2, embedder.dim)
