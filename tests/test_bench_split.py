"""``hive bench split`` runs end to end (each tunnel end a process) and prints its ratios."""

from __future__ import annotations

import re

import pytest

from hive_tui.backends.ggml_rpc import rpc_available
from hive_tui.bench.split import run
from hive_tui.bench.split_tokens import run as run_model

pytestmark = pytest.mark.process


def test_bench_split_prints_a_ratio_per_measure(capsys):
    assert run([64], count=5, upload_mib=1, runs=1) == 0
    out = capsys.readouterr().out
    assert out.startswith("CPU: ")
    ratios = re.findall(r"(\d+\.\d\d)x$", out, re.MULTILINE)
    assert len(ratios) == 3 and all(float(r) > 0 for r in ratios)


@pytest.mark.skipif(not rpc_available(), reason="llama-cpp-python built without GGML_RPC")
def test_bench_split_runs_the_model_here_over_raw_rpc_and_through_the_tunnel(capsys):
    medians = run_model(runs=1, max_tokens=8)
    out = capsys.readouterr().out
    assert set(medians) == {"local (no RPC)", "raw RPC, 2 servers", "tunnel, 2 lenders"}
    assert all(tps > 0 for tps in medians.values())
    assert re.search(r"the tunnel costs \d+\.\d\dx raw RPC", out)
    assert "same greedy text on every path: yes" in out
