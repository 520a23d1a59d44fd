"""Speculative decoding with the real embedded model, 1 thread: prompt-lookup drafting gives
the greedy answer token for token, with the same per-token log-probabilities, and a draft
model (here the same model, so every draft is a real proposal) does too."""

from __future__ import annotations

import pytest

from hive_tui import wire
from hive_tui.backends.llama_engine import LlamaEngine
from hive_tui.embedded_model import embedded_model_path

pytestmark = pytest.mark.model

CODE = "\n".join(
    f"def add_{i}(total, items):\n    total = total + items[{i}]\n    return total"
    for i in range(6)
)
EDIT = f"Rename the variable total to acc and return the whole code:\n\n{CODE}"


def run(speculative: str, temperature: float = 0.0, seed: int = 0, **load) -> wire.Done:
    engine = LlamaEngine()
    engine.load(wire.Load(model_path=str(embedded_model_path()), n_ctx=1024, n_threads=1,
                          speculative=speculative, **load))
    request = wire.Generate("r", [wire.ChatMessage("user", EDIT)],
                            wire.SamplingParams(temperature=temperature, max_tokens=60, seed=seed))
    return engine.generate(request, lambda _: None, lambda: False)


@pytest.fixture(scope="module")
def plain() -> wire.Done:
    return run("off")


def test_lookup_drafting_keeps_the_greedy_answer_token_for_token(plain: wire.Done) -> None:
    drafted = run("lookup", draft_max=6)
    assert drafted.text == plain.text
    assert drafted.completion_tokens == plain.completion_tokens
    assert drafted.token_logprobs == pytest.approx(plain.token_logprobs, abs=1e-3)


def test_draft_model_keeps_the_greedy_answer(plain: wire.Done) -> None:
    drafted = run("draft", draft_max=4, draft_model=str(embedded_model_path()))
    assert drafted.text == plain.text
    assert drafted.completion_tokens == plain.completion_tokens


def test_sampled_drafting_reports_a_logprob_per_token_and_is_seeded() -> None:
    first = run("lookup", temperature=0.8, seed=3, draft_max=6)
    again = run("lookup", temperature=0.8, seed=3, draft_max=6)
    assert first.text == again.text
    assert first.completion_tokens > 0
    assert len(first.token_logprobs) == first.completion_tokens
    assert all(lp <= 0 for lp in first.token_logprobs)


def test_bench_speculative_measures_both_prompts_and_checks_the_text() -> None:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "hive_tui", "bench", "speculative", "--max-tokens", "12",
         "--runs", "2", "--threads", "1"],
        capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "llama-cpp-python" in run.stdout and "CPU:" in run.stdout
    table = run.stdout[run.stdout.index("median tok/s"):]
    for prompt in ("edit code", "free writing"):
        rows = [line for line in table.splitlines() if line.startswith(prompt + " ")]
        assert [row.split()[2] for row in rows] == ["off", "lookup"]
        assert all(row.rstrip().endswith("yes") for row in rows)  # drafted text == baseline
        # A vote of 4 sampled slots in the batched engine, with and without drafts.
        vote = [line for line in table.splitlines() if line.startswith(f"{prompt}, vote of 4")]
        assert [row.split()[5] for row in vote] == ["off", "lookup"]
        assert all(row.rstrip().endswith("(sampled)") for row in vote)
        assert all(int(row.split()[6]) > 0 for row in vote)  # tokens made by the 4 slots
