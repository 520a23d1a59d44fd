"""The MLX backend on Linux (mlx[cpu]): the embedded GGUF converted for mlx-lm, run in a real
worker child, tokenising like llama.cpp, and voting beside llama.cpp workers in one swarm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hive_tui import wire
from hive_tui.backends.mlx_models import MlxModelFolder, display_name, find_mlx_models
from hive_tui.backends.process import WorkerDied, WorkerProcess
from hive_tui.config import load_settings
from hive_tui.embedded_model import embedded_model_path
from hive_tui.node import Node
from hive_tui.node_plan import listed_backends, make_plan, worker_backends
from hive_tui.swarm.request import resolve_request

FRANCE = [wire.ChatMessage("user", "What is the capital of France? Answer in one word.")]
# A short prompt where the question does not matter: MLX's CPU prefill is slow.
HELLO = [wire.ChatMessage("system", "Be kind."), wire.ChatMessage("user", "Tell me a story.")]

# ASCII, punctuation, numbers, unicode, emoji, leading spaces, newlines, control tokens, code.
TOKENIZER_SAMPLES = [
    "Hello, world!",
    "  two leading spaces",
    " one leading space",
    "\n\nnewlines\nand more\n",
    "tabs\tand\r\nCRLF",
    "numbers 12345, 3.14159 and 1,000,000",
    "punctuation!?;:--...'\"()[]{}<>@#$%^&*",
    "it's we'll they're I'd DON'T",
    "unicode: café naïve Ünïcödé ß 日本語 中文 Привет",
    "emoji 🐝🍯 👩‍👩‍👧 ✅",
    "<|im_start|>user\nhi<|im_end|>",
    "def f(x):\n    return x**2  # square\n",
    "https://example.com/a?b=c&d=e",
    "   ",
    "",
]


@pytest.fixture(scope="module")
def mlx_cache(tmp_path_factory):
    """Conversions go to a private cache, shared by this module's tests and their workers."""
    pytest.importorskip("mlx_lm", reason="the mlx extra is not installed")
    cache = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        yield cache


def hidden_mlx_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python cannot import mlx, as on a machine without the extra."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['mlx'] = None\nsys.modules['mlx_lm'] = None\n"
    )
    path = [str(tmp_path), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in path if p)}


async def generate(
    proc: WorkerProcess, rid: str, messages=FRANCE, cancel_after_first=False, **params
) -> tuple[str, wire.Done]:
    streamed, done = [], None
    async for frame in proc.generate(wire.Generate(rid, messages, wire.SamplingParams(**params))):
        if isinstance(frame, wire.TokenChunk):
            streamed.append(frame.text)
            if cancel_after_first:
                proc.cancel(rid)
        elif isinstance(frame, wire.Done):
            done = frame
    assert done is not None
    return "".join(streamed), done


@pytest.mark.model
async def test_converted_embedded_model_answers_paris_in_an_mlx_worker(mlx_cache):
    proc = WorkerProcess("mlx", 0)
    ready = await proc.start(wire.Load(str(embedded_model_path()), n_ctx=1024, n_threads=1))
    try:
        assert ready.backend == "mlx" and ready.pid == proc.pid
        # Greedy, it says "The capital of France is Paris." and the stop string cuts the dot.
        streamed, greedy = await generate(proc, "g", temperature=0.0, max_tokens=12, stop=["."])
        assert "Paris" in greedy.text and not greedy.text.endswith(".")
        assert streamed == greedy.text and greedy.finish_reason == "stop"
        assert greedy.mean_logprob is not None and greedy.mean_logprob < 0
        a = (await generate(proc, "a", HELLO, temperature=1.0, max_tokens=3, seed=11))[1]
        b = (await generate(proc, "b", HELLO, temperature=1.0, max_tokens=3, seed=11))[1]
        assert a.text == b.text and a.mean_logprob == b.mean_logprob
        assert a.finish_reason == "length" and a.completion_tokens == 3
        cut = (await generate(proc, "c", HELLO, True, temperature=1.0, max_tokens=200))[1]
        assert cut.finish_reason == "cancelled" and cut.completion_tokens < 10
    finally:
        await proc.stop()
    # The conversion landed in the cache, where the catalogue finds it.
    found = find_mlx_models([mlx_cache / "hive" / "mlx"])
    assert [(m.model_type, m.quantization_bits) for m in found] == [("llama", 4)]


def test_converted_tokenizer_matches_llama_cpp_token_for_token(mlx_cache, tmp_path):
    llama_cpp = pytest.importorskip("llama_cpp")
    from mlx_lm.utils import load_tokenizer

    from hive_tui.backends.mlx_convert import convert_gguf

    gguf = embedded_model_path()
    convert_gguf(gguf, tmp_path / "smollm")
    converted = load_tokenizer(tmp_path / "smollm")
    reference = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    for text in TOKENIZER_SAMPLES:
        expected = reference.tokenize(text.encode(), add_bos=False, special=True)
        assert converted.encode(text, add_special_tokens=False) == expected, text
        assert converted.decode(expected) == text
    # The whole chat prompt too: both backends feed the model the same tokens.
    from hive_tui.backends.llama_engine import LlamaEngine, chat_formatter
    from hive_tui.backends.mlx_engine import MlxEngine

    llama_engine, mlx_engine = LlamaEngine(), MlxEngine()
    llama_engine._llm = reference
    llama_engine._formatter = chat_formatter(reference.metadata, reference._model)
    mlx_engine._tokenizer = converted
    for chat in (FRANCE, HELLO):
        assert mlx_engine.prompt_tokens(chat) == llama_engine.prompt_tokens(chat)
    # Offered tools reach both backends' workers the same way.
    tools = [wire.ToolSpec("read_file", "Read a file", '{"type": "object"}')]
    with_tools = mlx_engine.prompt_tokens(FRANCE, tools)
    assert with_tools == llama_engine.prompt_tokens(FRANCE, tools)
    assert len(with_tools) > len(mlx_engine.prompt_tokens(FRANCE))
    config = json.loads((tmp_path / "smollm" / "config.json").read_text())
    assert config["rope_traditional"] is True and config["tie_word_embeddings"] is True


def test_mlx_model_folders_are_found_in_the_hugging_face_cache_layout(tmp_path):
    def model_folder(folder: Path, config: dict, files=("tokenizer.json",)) -> None:
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps(config))
        (folder / "model.safetensors").write_bytes(b"x" * 100)
        for name in files:
            (folder / name).write_text("{}")

    repo = tmp_path / "hub" / "models--mlx-community--Tiny-4bit"
    model_folder(repo / "snapshots" / "old", {"model_type": "llama"})
    model_folder(repo / "snapshots" / "abc", {"model_type": "llama", "quantization": {"bits": 4}})
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc\n")
    model_folder(tmp_path / "hub" / "models--org--no-tokenizer" / "snapshots" / "r",
                 {"model_type": "qwen2"}, files=())
    model_folder(tmp_path / "own" / "converted", {"model_type": "llama"})
    model_folder(tmp_path / "own" / ".half-written", {"model_type": "llama"})
    found = find_mlx_models([tmp_path / "hub", tmp_path / "own", tmp_path / "missing"])
    assert found == [
        MlxModelFolder("mlx-community/Tiny-4bit", repo / "snapshots" / "abc", "llama", 100, 4,
                       revision="abc"),
        MlxModelFolder("converted", tmp_path / "own" / "converted", "llama", 100, None),
    ]
    assert display_name(found[0].path) == "mlx-community/Tiny-4bit"


def test_backend_lists_give_each_worker_its_backend():
    assert listed_backends("mlx") == ["mlx"]
    assert worker_backends("llama, llama,mlx", 3) == ["llama", "llama", "mlx"]
    assert worker_backends("llama,mlx", 3) == ["llama", "mlx", "llama"]
    plan = make_plan(load_settings({"backend": "llama,llama,mlx", "threads": 1}, environ={}))
    assert plan.workers == 3 and any("one per listed backend" in r for r in plan.reasons)


@pytest.mark.model
async def test_two_llama_and_one_mlx_worker_vote_on_one_request(mlx_cache):
    pytest.importorskip("llama_cpp")
    settings = load_settings({"backend": "llama,llama,mlx", "threads": 1, "n_ctx": 512}, environ={})
    node = Node(settings, make_plan(settings), node_id="test-node")
    await node.start()
    try:
        assert [w.status().backend for w in node.workers] == ["llama", "llama", "mlx"]
        request = resolve_request(
            FRANCE, seed=7, strategy="confidence", temperature=0.7, max_tokens=8
        )
        result = await node.swarm.run(request)
    finally:
        await node.stop()
    assert [c.worker_id for c in result.candidates] == ["w0", "w1", "w2"]
    assert not result.degraded and all(c.text for c in result.candidates)
    assert all(c.mean_logprob is not None for c in result.candidates)
    assert result.decision.strategy == "confidence" and len(result.decision.scores) == 3
    assert 0 <= result.decision.winner < 3


async def test_without_mlx_the_backend_reports_the_install_hint(tmp_path):
    env = hidden_mlx_env(tmp_path)
    proc = WorkerProcess("mlx", 0, extra_env=env)
    with pytest.raises(WorkerDied, match=r"run \./install\.sh mlx"):
        await proc.start(wire.Load(str(embedded_model_path())))
    assert not proc.alive
    # Everything that does not run MLX still imports and works there.
    code = textwrap.dedent("""
        import sys
        from hive_tui.backends.engine import BackendUnavailable, load_engine_class
        from hive_tui.backends.mlx_models import MlxModelFolder, display_name, find_mlx_models
        import hive_tui.node, hive_tui.backends.mlx_convert
        assert find_mlx_models([]) == []
        try:
            load_engine_class("mlx")
        except BackendUnavailable as exc:
            print(exc)
        assert "mlx" not in [m.split(".")[0] for m in sys.modules if sys.modules[m]]
    """)
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "./install.sh mlx" in out.stdout


def test_without_mlx_a_vote_names_the_missing_worker_and_why(tmp_path):
    env = {**os.environ, **hidden_mlx_env(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}

    def ask(backends: str, workers: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "hive_tui", "ask", "--backend", backends,
                "--workers", workers, "--max-tokens", "4", "--json", "Hi"]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)

    alone = ask("mlx", "1")
    assert alone.returncode != 0
    assert "./install.sh mlx" in alone.stdout + alone.stderr  # the reason, not just "no worker"
    mixed = ask("llama,mlx", "2")
    assert mixed.returncode == 0, mixed.stderr
    vote = json.loads(mixed.stdout)["hive"]
    assert len(vote["candidates"]) == 1
    assert vote["degraded"] is True and vote["missing"] == ["w1"]
