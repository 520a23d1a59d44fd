"""The `hive` command line: flags for the node, subcommands for everything else.

Each subcommand lives in its own module under ``hive_tui.commands`` and exposes
``register(subparsers)``; this file only assembles them and dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules under hive_tui.commands, each adding one subcommand.
COMMAND_MODULES: list[str] = ["hardware", "models"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hive",
        description="A local LLM swarm: several workers answer, a vote picks the best answer.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"hive_tui.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
