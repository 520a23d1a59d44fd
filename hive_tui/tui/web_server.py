"""The textual-serve server behind ``hive --web`` (``commands/web.py`` decides who may reach it).

Every browser tab runs the app (the command given) in a child process, as a terminal would.
textual-serve does not import Textual itself, but it is the app's side of the web: it lives
here, with the app, so that nothing outside ``hive_tui/tui/`` imports a Textual package. The
guard (Host, Origin, the API key) and the tabs' admission come from the caller, since the app
part reaches neither the server nor its guard.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

# On Ctrl+C, open tabs are closed after this long; each tab's app is then told to quit.
SHUTDOWN_S = 2.0


class Tabs(Protocol):
    """A bounded count of open tabs (``api.guard.Admission``): never waits, says yes or no."""

    limit: int

    def try_enter(self) -> bool: ...

    def leave(self) -> None: ...


def make_server(command: str, host: str, guard: Callable[..., Awaitable[Any]],
                tabs: Tabs) -> Any:
    """A textual-serve server running ``command`` per tab, every request through ``guard``
    (an aiohttp middleware) and at most ``tabs.limit`` websockets at once."""
    from aiohttp import web
    from textual_serve.server import Server

    class HiveWebServer(Server):
        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            app.middlewares.append(guard)
            return app

        async def on_startup(self, app: web.Application) -> None:
            pass  # textual-serve prints a banner here; run_web says where it serves instead

        async def handle_index(self, request: web.Request) -> Any:
            # The page's websocket URL is where the browser reached us, not the bind address
            # (0.0.0.0 is no place a browser can connect to).
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> Any:
            if not tabs.try_enter():
                return web.Response(status=503, text=f"at most {tabs.limit} tabs at once")
            try:
                return await super().handle_websocket(request)
            finally:
                tabs.leave()

    return HiveWebServer(command, host=host, title="hive")


async def serve(server: Any, sock: socket.socket) -> None:
    """Serve until Ctrl+C or SIGTERM; then every tab's app is stopped (the server's shutdown)."""
    import asyncio
    import signal

    from aiohttp import web

    runner = web.AppRunner(await server._make_app(), handle_signals=False,
                           shutdown_timeout=SHUTDOWN_S)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.SockSite(runner, sock).start()
        await stop.wait()
    finally:
        await runner.cleanup()
