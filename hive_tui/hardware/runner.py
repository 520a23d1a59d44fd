"""Run an external detection tool with a timeout and turn every failure into a reason string.

Detectors never see exceptions from here: a missing tool, a non-zero exit, a hang and an
unreadable output all come back as ``ToolRun(ok=False, reason=...)``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from typing import Any

from hive_tui.errors import HiveError

DEFAULT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ToolRun:
    ok: bool
    stdout: str = ""
    reason: str = ""


def run_tool(
    argv: list[str], timeout_s: float = DEFAULT_TIMEOUT_S, accept_nonzero: bool = False
) -> ToolRun:
    """Run ``argv`` (no shell) and return its stdout, or why there is none.

    ``accept_nonzero`` is for tools such as ``sysctl`` that print what they know and exit
    non-zero because one of several keys is unknown on this machine.
    """
    tool = argv[0]
    exe = shutil.which(tool)
    if exe is None:
        return ToolRun(False, reason=f"{tool} is not installed (not on PATH)")
    try:
        # A session of its own, so a timeout can kill the tool's children too: a wrapper
        # script's child would otherwise keep our pipes open after the wrapper dies.
        proc = subprocess.Popen(
            [exe, *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        return ToolRun(False, reason=f"{tool} could not be started: {exc}")
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        proc.communicate()
        return ToolRun(False, reason=f"{tool} did not answer within {timeout_s:g} s")
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    if done.returncode != 0 and not (accept_nonzero and done.stdout.strip()):
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return ToolRun(
            False, reason=f"{tool} exited with status {done.returncode}: {tail[0][:200]}"
        )
    if not done.stdout.strip():
        return ToolRun(False, reason=f"{tool} printed nothing")
    return ToolRun(True, stdout=done.stdout)


def _kill_tree(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group we created for this one tool
    except (AttributeError, OSError):  # Windows, or it already exited
        proc.kill()


class ParseError(HiveError, ValueError):
    """A tool's output was empty, truncated or not in the shape we know."""


def json_after_warnings(text: str, tool: str) -> Any:
    """The JSON document a tool printed, after any warning lines it printed first.

    rocm-smi and amd-smi both write lines such as "WARNING: ..." before their JSON; the
    document starts on the first line that opens with "{" or "[".
    """
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.lstrip()[:1] in ("{", "[")), None)
    if start is None:
        raise ParseError(f"no JSON in {tool} output")
    try:
        return json.loads("".join(lines[start:]))
    except json.JSONDecodeError as exc:
        raise ParseError(f"{tool} JSON does not parse: {exc}") from exc
