"""install.sh's decisions, with a stand-in `python3` first on PATH that records each call.

The real install (pip building llama.cpp) is what `.ci/run` itself runs; these cases cover
what a real run here never hits: hive failing to start for a reason other than the build.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/bin/sh
echo "$*" >> "$CALLS"
case "$*" in
  "-m hive_tui --help")
    [ -n "$HELP_FAILS" ] && { echo "ModuleNotFoundError: No module named 'httpx'" >&2; exit 1; } ;;
  "-m hive_tui doctor --build-has AMX_INT8") exit 0 ;;
  "-m hive_tui doctor --build-has RPC") [ -n "$NO_RPC" ] && exit 1 ;;
  *--force-reinstall*) echo "rebuilt with CMAKE_ARGS=$CMAKE_ARGS" >> "$CALLS" ;;
esac
exit 0
"""


def run_install(
    tmp_path: Path, help_fails: bool, no_rpc: bool = False
) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "calls"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "HELP_FAILS": "1" if help_fails else "",
        "NO_RPC": "1" if no_rpc else "",
    }
    env.pop("CMAKE_ARGS", None)
    run = subprocess.run(["sh", str(ROOT / "install.sh")], env=env, capture_output=True,
                         text=True, timeout=60)
    return run, calls.read_text().splitlines()


def test_a_hive_that_does_not_start_is_reported_not_rebuilt(tmp_path):
    run, calls = run_install(tmp_path, help_fails=True)
    assert run.returncode == 1
    assert "No module named 'httpx'" in run.stderr
    assert "llama.cpp was not the cause" in run.stderr
    assert calls[0].startswith("-m pip install -q -e .")
    assert calls[-1] == "-m hive_tui --help"  # nothing after: no doctor, no rebuild
    assert not any("--force-reinstall" in call for call in calls)


def test_a_working_install_checks_the_build_and_does_not_rebuild(tmp_path):
    run, calls = run_install(tmp_path, help_fails=False)
    assert run.returncode == 0, run.stderr
    assert "-m hive_tui --help" in calls
    assert "-m hive_tui doctor --quiet" in calls
    assert not any("--force-reinstall" in call for call in calls)


def test_a_build_without_the_rpc_backend_is_rebuilt_with_it(tmp_path):
    # pip's wheel cache does not key on CMAKE_ARGS: a wheel from before GGML_RPC was asked for
    # would be reused silently, and --lend / --split would not work.
    run, calls = run_install(tmp_path, help_fails=False, no_rpc=True)
    assert run.returncode == 0, run.stderr
    assert "no RPC backend" in run.stderr
    rebuilt = [c for c in calls if c.startswith("rebuilt with")]
    assert len(rebuilt) == 1 and "-DGGML_RPC=ON" in rebuilt[0]
