"""``hive ask --tools ... --workdir DIR``: the built-in tools in a one-shot command.

Every ``write_file`` and ``execute_bash`` call the swarm votes for is shown and confirmed on
the terminal (``--yes`` approves them all, for scripts). Tools are off unless named.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from hive_tui.config import Settings
from hive_tui.tools.builtin import TOOL_NAMES, ToolPolicy
from hive_tui.tools.calls import ToolCall
from hive_tui.tools.limits import ResourceLimits
from hive_tui.tools.runner import ToolStep


def add_flags(p: argparse.ArgumentParser, assume_yes: bool = True) -> None:
    """The tool flags of ``hive ask``; the app (``assume_yes=False``) always asks per call."""
    g = p.add_argument_group("tools (all off by default)")
    g.add_argument(
        "--tools",
        help=f"comma-separated built-in tools to enable: {','.join(TOOL_NAMES)}",
    )
    g.add_argument("--workdir", help="the only folder tools may touch (required with --tools)")
    if assume_yes:
        g.add_argument(
            "--yes", action="store_true", help="approve every write_file/execute_bash call"
        )
    g.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run execute_bash without bubblewrap (only if you trust every command)",
    )
    g.add_argument("--tool-timeout", type=float, default=30.0, help="seconds per command")


def policy_from(args: argparse.Namespace, settings: Settings | None = None) -> ToolPolicy:
    names = frozenset(n.strip() for n in args.tools.split(",") if n.strip())
    if not args.workdir:
        raise SystemExit("hive: --tools needs --workdir DIR")
    folder = Path(args.workdir).expanduser()
    if not folder.is_dir():
        raise SystemExit(f"hive: --workdir {folder} is not a folder")
    try:
        return ToolPolicy(
            folder.resolve(),
            names,
            sandbox=not args.no_sandbox,
            timeout_s=args.tool_timeout,
            limits=ResourceLimits.from_settings(settings) if settings else ResourceLimits(),
        )
    except ValueError as exc:
        raise SystemExit(f"hive: {exc}") from exc


def describe(call: ToolCall) -> str:
    if call.name == "execute_bash":
        return f"run in the sandbox: {call.arguments.get('command')!r}"
    if call.name == "write_file":
        content = str(call.arguments.get("content", ""))
        return f"write {len(content)} characters to {call.arguments.get('path')!r}"
    return f"{call.name} {call.arguments_json()}"


def terminal_confirm(assume_yes: bool) -> Callable[[ToolCall], bool]:
    """A confirm callback that asks on the terminal (/dev/tty when stdin is the prompt)."""

    def confirm(call: ToolCall) -> bool:
        print(f"hive: the workers voted to {describe(call)}", file=sys.stderr)
        if assume_yes:
            return True
        try:
            with open("/dev/tty", "r+") as tty:
                tty.write("allow? [y/N] ")
                tty.flush()
                answer = tty.readline()
        except OSError:
            print("hive: no terminal to confirm on; declined (use --yes)", file=sys.stderr)
            return False
        return answer.strip().lower() in ("y", "yes")

    return confirm


def report_step(step: ToolStep) -> None:
    mark = "ran" if step.approved else "not run"
    first = step.result.content.splitlines()[0] if step.result.content else ""
    with contextlib.suppress(BrokenPipeError):
        print(f"hive: {step.call.name} {mark}: {first[:120]}", file=sys.stderr)
