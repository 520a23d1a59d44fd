"""The scripted engine's head start: a test can fix which worker speaks first, alone or batched."""

from __future__ import annotations

from hive_tui import wire
from hive_tui.backends.scripted_engine import ScriptedEngine, write_script
from tests.batch_host import Host


def request(slot: int) -> wire.Generate:
    return wire.Generate(f"r{slot}", [wire.ChatMessage("user", "hi")],
                         wire.SamplingParams(max_tokens=16), slot=slot)


def loaded(tmp_path, slots: int, **script) -> ScriptedEngine:
    engine = ScriptedEngine()
    path = write_script(str(tmp_path / "s.json"), answers=["one two three", "four five"], **script)
    engine.load(wire.Load(path, n_ctx=256, n_threads=1, slots=slots))
    return engine


def test_a_delayed_slot_speaks_after_the_others_and_still_answers_in_full(tmp_path):
    engine = loaded(tmp_path, slots=2, start_delay_s=[0.2, 0.0])
    host = Host()
    engine.run_batch([request(0), request(1)], host)
    assert host.order == [1, 0]
    assert {s: d.finish_reason for s, d in host.results.items()} == {0: "stop", 1: "stop"}
    assert host.results[0].completion_tokens == 3


def test_one_sequence_waits_its_head_start_before_the_first_word(tmp_path):
    import time

    engine = loaded(tmp_path, slots=1, start_delay_s=[0.2])
    words: list[tuple[float, str]] = []
    began = time.monotonic()
    done = engine.generate(request(0), lambda text: words.append((time.monotonic(), text)),
                           lambda: False)
    assert done.finish_reason == "stop"
    assert "".join(t for _, t in words) == "one two three"
    assert words[0][0] - began >= 0.2
