"""A decode step hands llama.cpp its rows in increasing sequence order: out of order (with a KV
stream per sequence) llama.cpp decodes each sequence as its own micro-batch, and batching
several sequences gains nothing (docs/performance.md, "Many users at once")."""

from __future__ import annotations

import pytest

from hive_tui import wire
from hive_tui.bench.batch_ceiling import batch_ceiling
from hive_tui.embedded_model import embedded_model_path
from tests.batch_host import Host

pytestmark = pytest.mark.model


def test_every_step_holds_its_rows_in_sequence_order(monkeypatch):
    import hive_tui.backends.batched_engine as module

    engine = module.BatchedLlamaEngine()
    engine.load(wire.Load(model_path=str(embedded_model_path()), n_ctx=256, n_threads=1,
                          slots=4, prompt_cache=False))
    decode = module.llama_cpp.llama_decode
    steps: list[list[int]] = []

    def recording(ctx, batch):
        steps.append([batch.seq_id[i][0] for i in range(batch.n_tokens)])
        return decode(ctx, batch)

    monkeypatch.setattr(module.llama_cpp, "llama_decode", recording)
    # Different prompts (no shared prompt job), admitted in one go and then one late.
    requests = [
        wire.Generate(f"r{i}", [wire.ChatMessage(role="user", content=f"Count to {i + 3}.")],
                      wire.SamplingParams(temperature=0.7, max_tokens=12, seed=i), slot=i)
        for i in range(3)
    ]
    late = wire.Generate("late", [wire.ChatMessage(role="user", content="Say hi.")],
                         wire.SamplingParams(temperature=0.7, max_tokens=12, seed=9), slot=3)
    host = Host(late=[late], late_after=2)
    engine.run_batch(requests, host)
    assert len(host.results) == 4
    assert any(len(set(step)) >= 3 for step in steps)  # several sequences shared a step
    assert all(step == sorted(step) for step in steps)


def test_the_raw_ceiling_measures_each_batch_size():
    speeds = batch_ceiling(str(embedded_model_path()), (1, 2), steps=4)
    assert set(speeds) == {1, 2} and all(tps > 0 for tps in speeds.values())
