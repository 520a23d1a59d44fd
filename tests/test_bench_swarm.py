"""`hive bench swarm` end to end on the real embedded model, small enough for the suite: every
path runs, generates and is measured (no timing is asserted, see docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.model


def test_bench_swarm_measures_every_path(tmp_path):
    out = tmp_path / "rows.json"
    run = subprocess.run(
        [sys.executable, "-m", "hive_tui", "bench", "swarm", "--sizes", "2", "--max-tokens", "6",
         "--runs", "1", "--threads", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = json.loads(out.read_text())
    paths = {row["path"] for row in rows}
    assert {"raw single", "raw batched", "N processes", "hive engine"} <= paths
    for row in rows:
        assert row["n"] == 2
        assert 0 < row["tokens"] <= 12  # 2 sequences of at most 6 tokens
        assert row["wall_s"] > 0 and row["tps"] > 0
    # The printed table names every path too, with its ratios.
    for path in paths:
        assert path in run.stdout
    assert "x procs" in run.stdout
