"""The built-in tools: ``read_file``, ``write_file``, ``execute_bash``, inside one working folder.

All are off by default; a ``ToolPolicy`` names the ones the user enabled. Running a tool never
raises for what the model asked: a refused path, a missing file or a failed command comes back
as a ``ToolResult`` the model reads in its next turn. Only a request from this machine's user
(``origin == "local"``) may run a tool: a request that came from a peer node never does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from hive_tui.errors import HiveError
from hive_tui.tools import sandbox as sandboxing
from hive_tui.tools.calls import ToolCall
from hive_tui.tools.limits import ResourceLimits
from hive_tui.tools.paths import PathEscape, open_for_read, open_for_write

READ_FILE, WRITE_FILE, EXECUTE_BASH = "read_file", "write_file", "execute_bash"
TOOL_NAMES = (READ_FILE, WRITE_FILE, EXECUTE_BASH)
# These change the user's files or run code: each call is confirmed by the user.
NEEDS_CONFIRMATION = frozenset({WRITE_FILE, EXECUTE_BASH})
DEFAULT_READ_CAP = 64 * 1024
MAX_WRITE_BYTES = 1024 * 1024

SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    READ_FILE: (
        "Read a text file from the working folder.",
        {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "relative path"}},
            "required": ["path"],
        },
    ),
    WRITE_FILE: (
        "Write (create or replace) a text file in the working folder.",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "relative path"},
                "content": {"type": "string", "description": "the whole new content"},
            },
            "required": ["path", "content"],
        },
    ),
    EXECUTE_BASH: (
        "Run a bash command in the working folder (sandboxed, no network) and return its output.",
        {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "the bash command"}},
            "required": ["command"],
        },
    ),
}


class ToolRefused(HiveError):
    """The call may not run at all (tool not enabled, request from a peer)."""


class ReadFileArgs(msgspec.Struct, forbid_unknown_fields=True):
    path: str


class WriteFileArgs(msgspec.Struct, forbid_unknown_fields=True):
    path: str
    content: str


class ExecuteBashArgs(msgspec.Struct, forbid_unknown_fields=True):
    command: str


@dataclass(frozen=True)
class ToolPolicy:
    workdir: Path
    enabled: frozenset[str] = frozenset()
    sandbox: bool = True  # False only when the user explicitly opted out
    timeout_s: float = sandboxing.DEFAULT_TIMEOUT_S
    output_cap: int = sandboxing.DEFAULT_OUTPUT_CAP
    read_cap: int = DEFAULT_READ_CAP
    limits: ResourceLimits = ResourceLimits()  # execute_bash's processes, memory, CPU, files

    def __post_init__(self) -> None:
        unknown = set(self.enabled) - set(TOOL_NAMES)
        if unknown:
            raise ValueError(f"unknown tool(s) {sorted(unknown)}; known: {', '.join(TOOL_NAMES)}")


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    content: str  # what the model reads back in the ``tool`` message


def tool_definitions(names: frozenset[str] | set[str]) -> list[dict[str, Any]]:
    """OpenAI-style ``tools`` entries for the enabled built-in tools, in a stable order."""
    return [
        {
            "type": "function",
            "function": {"name": n, "description": SPECS[n][0], "parameters": SPECS[n][1]},
        }
        for n in TOOL_NAMES
        if n in names
    ]


async def run_tool(call: ToolCall, policy: ToolPolicy, origin: str = "local") -> ToolResult:
    if origin != "local":
        raise ToolRefused(f"a request from {origin!r} can never run a tool")
    if call.name not in policy.enabled:
        raise ToolRefused(f"tool {call.name!r} is not enabled")
    try:
        match call.name:
            case "read_file":
                return _read(msgspec.convert(call.arguments, ReadFileArgs), policy)
            case "write_file":
                return _write(msgspec.convert(call.arguments, WriteFileArgs), policy)
            case "execute_bash":
                args = msgspec.convert(call.arguments, ExecuteBashArgs)
                return await _bash(args, policy)
    except msgspec.ValidationError as exc:
        return ToolResult(False, f"bad arguments for {call.name}: {exc}")
    except PathEscape as exc:
        return ToolResult(False, f"refused: {exc}")
    except sandboxing.SandboxUnavailable as exc:
        return ToolResult(False, str(exc))
    except OSError as exc:
        return ToolResult(False, f"{call.name} failed: {exc.strerror or exc}")
    raise ToolRefused(f"unknown tool {call.name!r}")


def _read(args: ReadFileArgs, policy: ToolPolicy) -> ToolResult:
    fd = open_for_read(policy.workdir, args.path)
    with os.fdopen(fd, "rb") as f:
        data = f.read(policy.read_cap + 1)
    text = data[: policy.read_cap].decode("utf-8", "replace")
    if len(data) > policy.read_cap:
        text += f"\n[... truncated by hive: file is over {policy.read_cap} bytes]"
    return ToolResult(True, text)


def _write(args: WriteFileArgs, policy: ToolPolicy) -> ToolResult:
    data = args.content.encode("utf-8")
    if len(data) > MAX_WRITE_BYTES:
        return ToolResult(False, f"refused: content over {MAX_WRITE_BYTES} bytes")
    fd = open_for_write(policy.workdir, args.path)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return ToolResult(True, f"wrote {len(data)} bytes to {args.path}")


async def _bash(args: ExecuteBashArgs, policy: ToolPolicy) -> ToolResult:
    result = await sandboxing.run_bash(
        args.command,
        policy.workdir,
        timeout_s=policy.timeout_s,
        output_cap=policy.output_cap,
        sandbox=policy.sandbox,
        limits=policy.limits,
    )
    status = "killed" if result.exit_code is None else f"exit code {result.exit_code}"
    return ToolResult(result.exit_code == 0, f"[{status}]\n{result.output}")
