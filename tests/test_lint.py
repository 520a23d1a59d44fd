"""ruff and mypy are part of the suite, so the README's test command (and .ci/run) runs them.

Both read their settings from pyproject.toml: mypy is strict on every package but the app
(hive_tui/tui/), and the dev extra pins the versions these settings were checked with.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900
    )


def test_ruff_finds_nothing():
    out = run_module("ruff", "check", "hive_tui", "tests")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_finds_nothing():
    out = run_module("mypy")  # files and strictness: [tool.mypy] in pyproject.toml
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout
