"""The process layout: which workers share an engine process, and why (a pure function)."""

from __future__ import annotations

import pytest

from hive_tui.swarm.layout import MAX_SLOTS, layout_for

# workers, free cores, gpu, batching, threads, max slots -> slots per process, threads each
CASES = [
    (4, 2, False, True, None, MAX_SLOTS, [2, 2], 1),  # CPU: a process per core, slots beyond
    (3, 2, False, True, None, MAX_SLOTS, [2, 1], 1),
    (2, 8, False, True, None, MAX_SLOTS, [1, 1], 4),  # fewer workers than cores: more threads
    (4, 1, False, True, None, MAX_SLOTS, [4], 1),  # one core: one process, four slots
    (4, 4, False, True, 2, MAX_SLOTS, [2, 2], 2),  # asked for 2 threads: 2 processes fit
    (40, 2, False, True, None, MAX_SLOTS, [14, 13, 13], 1),  # 20 a process is over the bound
    (8, 16, True, True, None, MAX_SLOTS, [8], 16),  # GPU: one process, weights once
    (32, 16, True, True, None, MAX_SLOTS, [16, 16], 8),  # 32 slots crashed: split
    (33, 16, True, True, None, MAX_SLOTS, [11, 11, 11], 5),
    (3, 2, False, False, None, MAX_SLOTS, [1, 1, 1], 1),  # no batched engine: as before
    (4, 2, False, True, 1, 1, [1, 1, 1, 1], 1),  # --slots 1: a process per worker
    (4, 16, True, True, None, 2, [2, 2], 8),
]


@pytest.mark.parametrize(("workers", "cores", "gpu", "batching", "threads", "max_slots",
                          "slots", "each"), CASES)
def test_layout_table(workers, cores, gpu, batching, threads, max_slots, slots, each):
    layout = layout_for(workers, cores, gpu, batching=batching, threads=threads,
                         max_slots=max_slots)
    assert [p.slots for p in layout.processes] == slots
    assert {p.threads for p in layout.processes} == {each}
    assert layout.workers == workers
    assert layout.reasons  # every plan says why


def test_processes_go_by_usable_cores_and_threads_by_free_ones():
    busy = layout_for(4, 1, False, usable_cores=2)  # 2 cores, one busy with something else
    assert [p.slots for p in busy.processes] == [2, 2]
    assert {p.threads for p in busy.processes} == {1}
    idle = layout_for(2, 8, False, usable_cores=8)
    assert {p.threads for p in idle.processes} == {4}


def test_reasons_name_the_bound_and_the_hardware():
    split = layout_for(32, 16, True)
    assert any("32 crashed" in r for r in split.reasons)
    assert any(r.startswith("GPU") for r in split.reasons)
    cpu = layout_for(4, 2, False)
    assert cpu.describe() == "2 processes x 2 slots"
    assert any(r.startswith("CPU: 2 process(es) for 2 usable core(s)") for r in cpu.reasons)
    assert layout_for(3, 2, False).describe() == "2 processes with 2+1 slots"
