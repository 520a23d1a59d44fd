"""Start the app: ``hive`` (embedded node) or ``hive --connect URL`` (a running node).

Here, not in ``hive_tui.tui``, because this is where the parts meet: the node (or the remote
twin) is built and handed to the app, which only ever sees a ``Core``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import sys
from pathlib import Path

from hive_tui.client.core import Core, LocalCore
from hive_tui.client.core_types import CoreError
from hive_tui.client.tool_turn import REMOTE, ToolSettings
from hive_tui.config import Settings, data_dir
from hive_tui.tools.builtin import TOOL_NAMES
from hive_tui.tools.limits import ResourceLimits

LOG_NAME = "hive-tui.log"
LOG_MAX_BYTES = 2 * 1024 * 1024  # then hive-tui.log.1 .. .3: at most 8 MiB of logs
LOG_BACKUPS = 3


def log_to_file(folder: Path) -> logging.Handler:
    """The app's log: hive's own loggers at INFO, every other library (httpx logs each request
    at INFO, about 20 MB a day with --connect) at WARNING, in a file that rotates."""
    # The terminal belongs to the app: log lines on stderr would tear the screen.
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        folder / LOG_NAME, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # third-party loggers inherit this
    logging.getLogger("hive").setLevel(logging.INFO)
    return handler


async def _run(settings: Settings, connect: str | None, tools: ToolSettings | None) -> int:
    from hive_tui.client.conversations import ConversationStore
    from hive_tui.tui.app import HiveApp

    core: Core
    if connect:
        from hive_tui.client.remote_core import RemoteCore

        if tools is not None and tools.enabled:
            print(f"hive: --tools cannot be used with --connect. {REMOTE}", file=sys.stderr)
            return 2

        try:
            core = await RemoteCore.connect(connect, settings.api_key)
        except CoreError as exc:
            print(f"hive: {exc}", file=sys.stderr)
            return 1
    else:
        from hive_tui.node import Node
        from hive_tui.node_plan import make_plan

        # A full node: the API and federation on the configured host and port.
        core = LocalCore(Node(settings, make_plan(settings)), serve=True)
    store = ConversationStore(data_dir(settings.data_dir) / "conversations")
    app = HiveApp(core, store=store, tools=tools)
    await app.run_async()
    return app.return_code or 0


def tool_settings(args: argparse.Namespace, settings: Settings | None = None) -> ToolSettings:
    """``--tools``/``--workdir``/``--no-sandbox``/``--tool-timeout``, as for ``hive ask``;
    tools turned on later in the app without ``--workdir`` work in the current folder (the
    tools screen shows which)."""
    enabled = {n.strip() for n in (args.tools or "").split(",") if n.strip()}
    unknown = enabled - set(TOOL_NAMES)
    if unknown:
        raise SystemExit(f"hive: unknown tool(s) {sorted(unknown)}; known: {', '.join(TOOL_NAMES)}")
    if enabled and not args.workdir:
        raise SystemExit("hive: --tools needs --workdir DIR")
    folder = Path(args.workdir).expanduser() if args.workdir else Path.cwd()
    if not folder.is_dir():
        raise SystemExit(f"hive: --workdir {folder} is not a folder")
    limits = ResourceLimits.from_settings(settings) if settings else ResourceLimits()
    return ToolSettings(folder.resolve(), enabled, sandbox=not args.no_sandbox,
                        timeout_s=args.tool_timeout, limits=limits)


def run_app(settings: Settings, connect: str | None = None,
            tools: ToolSettings | None = None) -> int:
    log_to_file(data_dir(settings.data_dir))
    return asyncio.run(_run(settings, connect, tools))
