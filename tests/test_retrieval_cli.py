"""Knowledge bases end to end: ``hive index`` with the real embedding child, ``hive.kb`` over
the API of a real node (scripted workers), and ``hive ask --kb`` with the embedded model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from hive_tui.backends.scripted_engine import write_script
from hive_tui.bench.rag.corpus import write_corpus
from hive_tui.embedded_model import embedded_model_path
from hive_tui.retrieval.embedder import Embedder

pytestmark = pytest.mark.process


def hive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hive_tui", *args], capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    """A data folder with the bench corpus indexed as knowledge base "town"."""
    base = tmp_path_factory.mktemp("rag")
    write_corpus(base / "corpus")
    done = hive("index", "add", str(base / "corpus"), "--name", "town",
                "--data-dir", str(base / "data"))
    assert done.returncode == 0, done.stderr
    assert "30 indexed, 0 unchanged" in done.stdout
    return base


def test_the_embedding_child_gives_normalised_vectors_that_find_the_same_text():
    with Embedder(embedded_model_path()) as embedder:
        rows = embedder.embed(["the mayor of the town", "bananas are yellow", "the town mayor"])
    assert rows.shape == (3, embedder.dim) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
    assert rows[0] @ rows[2] > rows[0] @ rows[1]


def test_reindexing_is_skipped_then_list_and_rm(town):
    data = str(town / "data")
    again = hive("index", "add", str(town / "corpus"), "--name", "town", "--data-dir", data)
    assert again.returncode == 0 and "0 indexed, 30 unchanged" in again.stdout
    assert "embedding 0 tokens" in again.stdout  # no embedding child was even started
    listed = hive("index", "list", "--data-dir", data)
    assert listed.stdout.split("\t")[:3] == ["town", "private", "30 files"]
    spare = town / "spare"
    spare.mkdir()
    (spare / "a.md").write_text("# A\n\nA note.\n")
    assert hive("index", "add", str(spare), "--name", "spare", "--data-dir", data).returncode == 0
    assert hive("index", "rm", "spare", "--data-dir", data).returncode == 0
    assert "spare" not in hive("index", "list", "--data-dir", data).stdout


def test_the_api_grounds_on_hive_kb_and_lists_the_passages(town, tmp_path):
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path / "s.json"), answers=["The mayor is Ondrea Vasket."])
    node = NodeProcess(["--backend", "scripted", "--model", script, "--workers", "2",
                        "--data-dir", str(town / "data"), "--no-federation"])
    try:
        node.wait_ready(2)
        client = openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused", max_retries=0)
        reply = client.chat.completions.create(
            model="hive", messages=[{"role": "user", "content": "Who is the mayor of Quellbrook?"}],
            extra_body={"hive": {"kb": "town"}},
        )
        passages = reply.model_extra["hive"]["passages"]
        assert Path(passages[0]["path"]).name == "mayor.md"
        assert passages[0]["kb"] == "town" and passages[0]["start_line"] >= 1
        assert all(p["score"] > 0 for p in passages)
        missing = httpx.post(f"{node.url}/v1/chat/completions", json={
            "messages": [{"role": "user", "content": "hi"}], "hive": {"kb": "nope"}}, timeout=60)
        assert missing.status_code == 400
        assert missing.json()["error"]["param"] == "hive.kb"
    finally:
        assert node.stop() == 0


@pytest.mark.model
def test_hive_ask_answers_an_invented_fact_from_the_knowledge_base_and_cites_it(town):
    question = "Who is the mayor of Quellbrook?"
    common = ["--data-dir", str(town / "data"), "--workers", "1", "--threads", "1"]
    grounded = hive(*common, "ask", "--kb", "town", "--seed", "1", question)
    assert grounded.returncode == 0, grounded.stderr
    assert "Vasket" in grounded.stdout and "Sources: mayor.md:" in grounded.stdout
    plain = hive(*common, "ask", "--seed", "1", question)
    assert "Vasket" not in plain.stdout and "Sources" not in plain.stdout


def test_a_question_with_no_tokens_for_the_embedding_model_searches_keywords_only(town):
    from hive_tui.retrieval.retrieve import retrieve

    # Its vector cannot be made (the child refuses it): no vector, no crash, and no words to
    # find either; a question with words around the same characters still finds its passage.
    assert retrieve(town / "data", "town", "\u0004\u0006") == []
    assert retrieve(town / "data", "town", "\u0004 mayor \u0006")
