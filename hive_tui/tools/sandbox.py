"""Running a model's shell command: in a bubblewrap sandbox, bounded in time and output.

Inside the sandbox the command sees the system's programs read-only (``/usr`` and the usual
links to it, a few files from ``/etc``), the working folder read-write at its own path (and
as the current directory), a private ``/tmp``, and nothing else of the file system. It runs in
fresh namespaces (``--unshare-all``: no network, its own PIDs, IPC and hostname), with every
capability dropped, a scrubbed environment, and ``--new-session`` so it cannot push keystrokes
into the user's terminal.

Ending it: the sandbox is started in its own process group and killed as a group with SIGKILL
when the time is up or the output cap is reached. ``bwrap --die-with-parent`` takes the
sandbox's PID 1 down with it, and the kernel then kills every process in that PID namespace,
so nothing the command started can outlive it, however it detached itself.

Without bwrap (or where it cannot create namespaces) commands are refused, unless the caller
passes ``sandbox=False``, the user's explicit opt-out; then only the process group and the
environment scrub remain between the command and the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hive_tui.errors import HiveError
from hive_tui.tools.limits import PidsCgroup, ResourceLimits

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_OUTPUT_CAP = 64 * 1024
TRUNCATION_MARK = "\n[... output truncated by hive: over {cap} bytes; the command was stopped]\n"
DEFAULT_LIMITS = ResourceLimits()
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
# System folders that are links to /usr on merged-/usr systems, or real folders elsewhere.
_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Files from /etc that ordinary programs need (the dynamic loader, names of users, Debian's
# alternatives such as awk); nothing else of /etc is visible.
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "passwd",
    "group",
    "nsswitch.conf",
    "localtime",
)


class SandboxUnavailable(HiveError, RuntimeError):
    """Commands cannot be sandboxed here; the message says why and what to do."""


@dataclass(frozen=True)
class BashResult:
    exit_code: int | None  # None when hive stopped the command (timeout or output cap)
    output: str  # stdout and stderr interleaved, at most the cap plus the truncation mark
    truncated: bool
    timed_out: bool
    duration_s: float
    sandboxed: bool


def scrubbed_env(workdir: Path) -> dict[str, str]:
    """No secrets (API keys, tokens, SSH agents) from the user's environment reach a command."""
    return {"PATH": SAFE_PATH, "HOME": str(workdir), "LANG": "C.UTF-8", "TERM": "dumb"}


@functools.cache
def _bwrap_sizes_tmpfs(bwrap: str) -> bool:
    """bwrap >= 0.8 can bound a tmpfs (``--size``)."""
    try:
        text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--size" in text.stdout + text.stderr


def bwrap_args(workdir: Path, tmp_bytes: int | None = None) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_LEVEL:
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    for name in _ETC:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    if tmp_bytes is not None and _bwrap_sizes_tmpfs(bwrap):
        args += ["--size", str(tmp_bytes)]  # the private /tmp is memory: bound it
    args += ["--tmpfs", "/tmp"]
    args += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    args += ["--clearenv"]
    for key, value in scrubbed_env(workdir).items():
        args += ["--setenv", key, value]
    return args


@functools.cache
def sandbox_problem() -> str | None:
    """None when bwrap can build the sandbox here; otherwise why not (bwrap's own words)."""
    try:
        args = bwrap_args(Path("/tmp"))
    except SandboxUnavailable as exc:
        return f"{exc} (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        probe = subprocess.run(
            [*args, "/bin/sh", "-c", "true"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap did not run: {exc}"
    if probe.returncode != 0:
        why = probe.stderr.strip() or f"exit code {probe.returncode}"
        # Typical: user namespaces disabled (kernel.unprivileged_userns_clone=0, or an
        # AppArmor policy restricting unprivileged user namespaces) or a container without
        # CAP_SYS_ADMIN; bwrap says which.
        return f"bwrap cannot create its namespaces here: {why}"
    return None


def command_line(
    command: str, workdir: Path, sandbox: bool, limits: ResourceLimits | None = None
) -> list[str]:
    """The argv that runs ``command``; with ``limits``, bash sets them first (see limits.py)."""
    if not sandbox:
        return limits.wrap(command, processes=False) if limits else ["/bin/bash", "-c", command]
    problem = sandbox_problem()
    if problem is not None:
        raise SandboxUnavailable(
            f"refusing to run a command without a sandbox: {problem}. "
            "Opt out explicitly (--no-sandbox) only if you trust every command the model writes."
        )
    if limits is None:
        return [*bwrap_args(workdir), "/bin/bash", "-c", command]
    return [*bwrap_args(workdir, limits.file_mb * 1024 * 1024), *limits.wrap(command)]


async def run_bash(
    command: str,
    workdir: Path | str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    sandbox: bool = True,
    limits: ResourceLimits | None = DEFAULT_LIMITS,
) -> BashResult:
    """Run ``command`` with bash in ``workdir``; never raises for what the command does.

    ``limits`` are enforced by the kernel (``hive_tui.tools.limits``); None: no limits."""
    folder = Path(workdir).resolve(strict=True)
    argv = command_line(command, folder, sandbox, limits)
    group = PidsCgroup.make(limits.processes) if limits is not None else None
    try:
        return await _run(argv, folder, timeout_s, output_cap, sandbox, group)
    finally:
        if group is not None:
            await _remove_when_empty(group)


async def _remove_when_empty(group: PidsCgroup) -> None:
    """The sandbox's last processes die with its PID namespace, a moment after bwrap."""
    for _ in range(100):
        group.remove()
        if not group.folder.exists():
            return
        await asyncio.sleep(0.05)


async def _run(
    argv: list[str],
    folder: Path,
    timeout_s: float,
    output_cap: int,
    sandbox: bool,
    group: PidsCgroup | None,
) -> BashResult:
    started = time.monotonic()
    # Our own pipe, not asyncio's: asyncio's Process.wait() also waits for its pipes to close,
    # which never happens if we stopped reading a command that fills the pipe.
    read_fd, write_fd = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=subprocess.DEVNULL,
            stdout=write_fd,
            stderr=write_fd,
            cwd=folder,
            env=scrubbed_env(folder),
            start_new_session=True,  # its own process group, killed as one
            preexec_fn=group.join if group is not None else None,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**20)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
    )
    chunks: list[bytes] = []
    size = 0
    truncated = timed_out = False
    deadline = started + timeout_s
    left = timeout_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            try:
                data = await asyncio.wait_for(reader.read(65536), left)
            except TimeoutError:
                timed_out = True
                break
            if not data:
                break
            if size + len(data) > output_cap:
                chunks.append(data[: output_cap - size])
                truncated = True
                break
            chunks.append(data)
            size += len(data)
    finally:
        transport.close()
        # Output ended (or we gave up on it): let the command finish within its time, then
        # make sure nothing of its process group is left.
        exited = await _wait_or_kill(proc, 0.0 if (timed_out or truncated) else max(0.0, left))
        timed_out = timed_out or not (exited or truncated)
    output = b"".join(chunks).decode("utf-8", "replace")
    if truncated:
        output += TRUNCATION_MARK.format(cap=output_cap)
    if timed_out:
        output += f"\n[hive: the command timed out after {timeout_s:g} s and was killed]\n"
    stopped = timed_out or truncated
    return BashResult(
        exit_code=None if stopped else proc.returncode,
        output=output,
        truncated=truncated,
        timed_out=timed_out,
        duration_s=time.monotonic() - started,
        sandboxed=sandbox,
    )


async def _wait_or_kill(proc: asyncio.subprocess.Process, grace_s: float) -> bool:
    """Wait for the command to exit on its own, else SIGKILL its whole process group.

    True when it exited within the grace period."""
    exited = False
    if grace_s > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace_s)
            exited = True
    # The group may outlive its leader (a backgrounded child): kill it even after an exit.
    # Linux does not reuse a PID while it still names a live process group, so this cannot
    # reach an unrelated process.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()
    return exited
