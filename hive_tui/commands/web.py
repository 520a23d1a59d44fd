"""``hive --web [--host H] [--port P]``: the same app, served to a browser by textual-serve.

For a headless box reached from a laptop or a phone. Every browser tab runs the app (``hive``
with the other flags given here) in a child process, as a terminal would. Like the node, it
listens on 127.0.0.1 unless an API key is set; with a key the page asks for it once
(``/?key=KEY``, then a cookie), and the app's websocket needs it too. The websocket also takes
connections only from the page's own origin, so a web page elsewhere cannot drive the app
through the user's browser.
"""

from __future__ import annotations

import hmac
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hive_tui.api.guard import is_loopback
from hive_tui.config import Settings

DEFAULT_PORT = 8000
KEY_COOKIE = "hive_key"
Handler = Callable[[Any], Awaitable[Any]]


def app_command(argv: Sequence[str]) -> str:
    """The command each browser tab runs: ``hive`` with the flags given, less the web ones
    (``--web``, and ``--host``/``--port``, which say where the page is served)."""
    rest: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--web":
            continue
        if arg in ("--host", "--port"):
            skip = True
            continue
        if arg.startswith(("--host=", "--port=")):
            continue
        rest.append(arg)
    return shlex.join([sys.executable, "-m", "hive_tui", *rest])


def refusal(host: str, api_key: str) -> str | None:
    if api_key or is_loopback(host):
        return None
    return (f"refusing to serve the app on {host} without an API key: anyone on the network "
            "could use it. Set one with --api-key or HIVE_API_KEY, or bind 127.0.0.1.")


def make_server(command: str, host: str, port: int, api_key: str = "") -> Any:
    from aiohttp import web
    from textual_serve.server import Server

    class HiveWebServer(Server):  # type: ignore[misc]
        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            app.middlewares.append(guard)
            return app

        async def handle_index(self, request: web.Request) -> Any:
            # The page's websocket URL is where the browser reached us, not the bind address
            # (0.0.0.0 is no place a browser can connect to).
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> Any:
        if request.path == "/ws":
            origin = request.headers.get("Origin", "")
            if origin.split("://", 1)[-1] != request.host:
                return web.Response(status=403, text="the app's websocket is for its own page")
        if not api_key:
            return await handler(request)
        given = request.query.get("key") or request.cookies.get(KEY_COOKIE, "")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            return web.Response(status=401, text="this hive needs its API key: open /?key=KEY")
        response = await handler(request)
        if request.query.get("key") and isinstance(response, web.Response):
            response.set_cookie(KEY_COOKIE, api_key, httponly=True, samesite="Strict")
        return response

    return HiveWebServer(command, host=host, port=port, title="hive")


async def serve(server: Any, host: str, port: int) -> None:
    """Serve until Ctrl+C or SIGTERM; then every tab's app is stopped (the server's shutdown)."""
    import asyncio
    import signal

    from aiohttp import web

    server.initialize_logging()
    runner = web.AppRunner(await server._make_app(), handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # port 0: the one the system chose
        shown = f"[{host}]" if ":" in host else host
        print(f"hive: serving the app on http://{shown}:{bound} (Ctrl+C stops)", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def run_web(settings: Settings, argv: Sequence[str], host: str | None,
            port: int | None) -> int:
    import asyncio

    host = host or "127.0.0.1"
    if (problem := refusal(host, settings.api_key)) is not None:
        print(f"hive: {problem}", file=sys.stderr)
        return 2
    port = DEFAULT_PORT if port is None else port
    try:
        server = make_server(app_command(argv), host, port, settings.api_key)
        asyncio.run(serve(server, host, port))
    except OSError as exc:
        print(f"hive: cannot serve the app on {host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0
