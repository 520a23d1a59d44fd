"""``hive bench split`` runs end to end (each tunnel end a process) and prints its ratios."""

from __future__ import annotations

import re

import pytest

from hive_tui.bench.split import run

pytestmark = pytest.mark.process


def test_bench_split_prints_a_ratio_per_measure(capsys):
    assert run([64], count=5, upload_mib=1, runs=1) == 0
    out = capsys.readouterr().out
    assert out.startswith("CPU: ")
    ratios = re.findall(r"(\d+\.\d\d)x$", out, re.MULTILINE)
    assert len(ratios) == 3 and all(float(r) > 0 for r in ratios)
