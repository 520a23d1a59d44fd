"""Start the app: ``hive`` (embedded node) or ``hive --connect URL`` (a running node)."""

from __future__ import annotations

import asyncio
import logging
import sys

from hive_tui.config import Settings, data_dir
from hive_tui.tui.core import Core, CoreError, LocalCore


def _log_to_file() -> None:
    # The terminal belongs to the app: log lines on stderr would tear the screen.
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=folder / "hive-tui.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def _run(settings: Settings, connect: str | None) -> int:
    from hive_tui.tui.app import HiveApp

    core: Core
    if connect:
        from hive_tui.tui.remote_core import RemoteCore

        try:
            core = await RemoteCore.connect(connect, settings.api_key)
        except CoreError as exc:
            print(f"hive: {exc}", file=sys.stderr)
            return 1
    else:
        from hive_tui.node import Node, make_plan

        core = LocalCore(Node(settings, make_plan(settings)))
    app = HiveApp(core)
    await app.run_async()
    return app.return_code or 0


def run_app(settings: Settings, connect: str | None = None) -> int:
    _log_to_file()
    return asyncio.run(_run(settings, connect))
