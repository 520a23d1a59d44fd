"""execute_bash: sandboxed, killed on time with its children, output capped, no network."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from pathlib import Path

import psutil
import pytest

from hive_tui.config import Settings
from hive_tui.tools.builtin import ToolPolicy, ToolRefused, run_tool
from hive_tui.tools.calls import ToolCall
from hive_tui.tools.limits import PidsCgroup, ResourceLimits
from hive_tui.tools.sandbox import SandboxUnavailable, command_line, run_bash, sandbox_problem

pytestmark = pytest.mark.process  # commands run in bubblewrap

needs_bwrap = pytest.mark.skipif(
    sandbox_problem() is not None,
    reason=f"no working bubblewrap sandbox here: {sandbox_problem()}",
)


def _procs_with(marker: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any(marker in part for part in (p.info["cmdline"] or [])):
            found.append(p)
    return found


@needs_bwrap
async def test_sleep_is_killed_with_its_children_within_3s(tmp_path: Path) -> None:
    marker = f"{100 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 10**6}"
    cmd = f"sleep {marker} & (sleep {marker} &) ; setsid sleep {marker} & sleep {marker}"
    started = time.monotonic()
    task = asyncio.create_task(run_bash(cmd, tmp_path, timeout_s=2.0))
    await asyncio.sleep(1.0)
    assert len(_procs_with(marker)) >= 3  # they really ran
    result = await task
    assert result.timed_out and result.exit_code is None
    deadline = started + 3.0
    while _procs_with(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert time.monotonic() - started <= 3.0
    assert _procs_with(marker) == []


@needs_bwrap
async def test_ten_megabytes_of_output_come_back_capped_and_marked(tmp_path: Path) -> None:
    cap = 64 * 1024
    result = await run_bash(
        "head -c 10000000 /dev/zero | tr '\\0' x; echo never", tmp_path, output_cap=cap
    )
    assert result.truncated
    body, mark = result.output[:cap], result.output[cap:]
    assert body == "x" * cap
    assert "output truncated by hive" in mark and str(cap) in mark


@needs_bwrap
async def test_the_sandbox_has_no_network(tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        probe = f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo CONNECTED"
        inside = await run_bash(probe, tmp_path, timeout_s=5)
        assert "CONNECTED" not in inside.output and inside.exit_code != 0
        # The same probe without the sandbox does connect: the server was reachable.
        outside = await run_bash(probe, tmp_path, timeout_s=5, sandbox=False)
        assert "CONNECTED" in outside.output
    finally:
        server.close()


@needs_bwrap
async def test_sandbox_sees_only_the_workdir_and_a_scrubbed_env(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HIVE_SECRET_TOKEN", "hunter2")
    (tmp_path / "mine.txt").write_text("mine")
    result = await run_bash(
        "cat mine.txt; env; ls /root /home 2>&1; echo new > made.txt; cat /etc/shadow", tmp_path
    )
    assert "mine" in result.output and "hunter2" not in result.output
    assert "No such file" in result.output  # /root, /home and /etc/shadow are not there
    assert (tmp_path / "made.txt").read_text() == "new\n"


def test_refuses_without_a_sandbox_unless_opted_out(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    sandbox_problem.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match="refusing"):
            command_line("true", tmp_path, sandbox=True)
        assert command_line("true", tmp_path, sandbox=False)[0] == "/bin/bash"
    finally:
        sandbox_problem.cache_clear()


async def test_tools_are_off_by_default_and_never_run_for_a_peer(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    read = ToolCall("read_file", {"path": "a.txt"})
    with pytest.raises(ToolRefused):
        await run_tool(read, ToolPolicy(tmp_path))
    policy = ToolPolicy(tmp_path, frozenset({"read_file", "write_file"}))
    assert (await run_tool(read, policy)).content == "hello"
    with pytest.raises(ToolRefused, match="peer"):
        await run_tool(read, policy, origin="peer")
    bad = await run_tool(ToolCall("read_file", {"path": "../x"}), policy)
    assert not bad.ok and "refused" in bad.content
    wrote = await run_tool(ToolCall("write_file", {"path": "d/b.txt", "content": "hi"}), policy)
    assert wrote.ok and (tmp_path / "d" / "b.txt").read_text() == "hi"


FORK_LOOP = """
import os, time
n = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError as exc:
        print("stopped after", n, exc.strerror)
        break
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    n += 1
else:
    print("never stopped", n)
"""


def _processes_limited() -> bool:
    """The kernel exempts the real root user from RLIMIT_NPROC: as root, only a pids cgroup
    bounds the sandbox's processes."""
    if os.geteuid() != 0:
        return True
    group = PidsCgroup.make(8)
    if group is None:
        return False
    group.remove()
    return True


@needs_bwrap
@pytest.mark.skipif(not _processes_limited(), reason="root without a pids cgroup to make")
async def test_a_fork_loop_is_stopped_below_the_process_limit(tmp_path: Path) -> None:
    (tmp_path / "forks.py").write_text(FORK_LOOP)
    limits = ResourceLimits()  # the defaults
    result = await run_bash("python3 forks.py", tmp_path, limits=limits, timeout_s=20)
    assert "stopped after" in result.output, result.output
    forked = int(result.output.split("stopped after", 1)[1].split()[0])
    assert 0 < forked < limits.processes


@needs_bwrap
async def test_a_two_gib_allocation_fails_with_the_default_limits(tmp_path: Path) -> None:
    result = await run_bash(
        "python3 -c 'b = bytearray(2 * 1024**3); print(\"allocated\")'", tmp_path
    )
    assert result.exit_code != 0
    assert "MemoryError" in result.output and "allocated" not in result.output


@needs_bwrap
async def test_a_file_over_the_size_limit_is_cut_off(tmp_path: Path) -> None:
    limits = ResourceLimits(file_mb=4)
    result = await run_bash(
        "head -c 20000000 /dev/zero > big; echo status=$?; head -c 20000000 /dev/zero > /tmp/t",
        tmp_path,
        limits=limits,
    )
    assert "status=0" not in result.output
    assert (tmp_path / "big").stat().st_size <= 4 * 1024 * 1024
    assert result.exit_code != 0  # the private /tmp is bounded too


@needs_bwrap
async def test_ordinary_commands_still_work_under_the_default_limits(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("b\na\nb\n")
    result = await run_bash(
        "python3 -c 'print(1)' && sort notes.txt | uniq -c | wc -l && ulimit -u -v -t -f",
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.split()
    assert lines[:2] == ["1", "2"]
    defaults = ResourceLimits()
    assert str(defaults.processes) in lines and str(defaults.memory_mb * 1024) in lines


def test_limits_come_from_the_settings() -> None:
    settings = Settings(tool_max_processes=7, tool_max_memory_mb=300, tool_max_cpu_s=5)
    limits = ResourceLimits.from_settings(settings)
    assert (limits.processes, limits.memory_mb, limits.cpu_s) == (7, 300, 5)
    wrapped = limits.wrap("echo hi")
    assert wrapped[-1] == "echo hi" and "-u 7" in wrapped[2] and "-v 307200" in wrapped[2]
    assert "_hive_limit -u" not in limits.wrap("echo hi", processes=False)[2]


@needs_bwrap
async def test_a_busy_loop_is_stopped_at_its_cpu_limit(tmp_path: Path) -> None:
    limits = ResourceLimits(cpu_s=1)
    result = await run_bash(
        "python3 -c 'while True: pass'; echo status=$?", tmp_path, limits=limits, timeout_s=120
    )
    assert not result.timed_out, result.output  # the kernel stopped it, not hive's timeout
    assert "status=137" in result.output or "status=152" in result.output, result.output
