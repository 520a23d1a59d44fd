"""``hive --web [--host H] [--port P]``: the same app, served to a browser by textual-serve
(``hive_tui.tui.web_server``); here, who may reach it.

For a headless box reached from a laptop or a phone. Every browser tab runs the app (``hive``
with the other flags given here) in a child process, as a terminal would. Like the node, it
listens on 127.0.0.1 unless an API key is set; with a key the page asks for it once
(``/?key=KEY``, then a cookie the page's files and its websocket carry). As the node does, it
answers only to its own names in Host (a page elsewhere that a DNS rebinding points at
127.0.0.1 gets nothing), and its websocket only to its own page's Origin, so a page elsewhere
cannot drive the app through the user's browser.
"""

from __future__ import annotations

import hmac
import shlex
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from hive_tui.api.guard import LOCAL_HOSTS, Admission, host_name, is_loopback, own_names
from hive_tui.config import Settings

DEFAULT_PORT = 8000
KEY_COOKIE = "hive_key"
WEB_FLAGS = ("--host", "--port")  # where the page is served: not the app's business
Handler = Callable[[Any], Awaitable[Any]]


def app_command(argv: Sequence[str]) -> str:
    """The command each browser tab runs: ``hive`` with the flags given, less ``--web``,
    ``--host`` and ``--port``."""
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg in WEB_FLAGS:
            next(args, None)
        elif arg != "--web" and not arg.startswith(tuple(f"{f}=" for f in WEB_FLAGS)):
            rest.append(arg)
    return shlex.join([sys.executable, "-m", "hive_tui", *rest])


def refusal(host: str, api_key: str) -> str | None:
    if api_key or is_loopback(host):
        return None
    return (f"refusing to serve the app on {host} without an API key: anyone on the network "
            "could use it. Set one with --api-key or HIVE_API_KEY, or bind 127.0.0.1.")


def allowed_names(host: str, allowed_hosts: Sequence[str] = ()) -> set[str]:
    """The names a browser may put in Host (the node's rule: localhost, the bound address,
    this machine's names when bound to all, and the allowed_hosts setting)."""
    names = set(LOCAL_HOSTS) | {host_name(host)} | {h.strip().lower() for h in allowed_hosts}
    if host in ("0.0.0.0", "::", ""):
        names |= own_names()
    return names


def make_server(command: str, host: str, api_key: str = "",
                allowed_hosts: Sequence[str] = (), max_tabs: int = 4) -> Any:
    """The app's web server (``hive_tui.tui.web_server``) behind this module's guard."""
    from aiohttp import web

    from hive_tui.tui.web_server import make_server as app_server

    names = allowed_names(host, allowed_hosts)
    any_host = "*" in names
    tabs = Admission(max_tabs)  # each tab runs a whole app: workers, models and all

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> Any:
        if not any_host and host_name(request.host) not in names:
            return web.Response(status=400, text="host not allowed (set allowed_hosts)")
        if request.path == "/ws":
            origin = urlsplit(request.headers.get("Origin", ""))
            if origin.netloc.lower() != request.host.lower():
                return web.Response(status=403, text="the app's websocket is for its own page")
        if not api_key:
            return await handler(request)
        given = request.query.get("key") or request.cookies.get(KEY_COOKIE, "")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            return web.Response(status=401, text="this hive needs its API key: open /?key=KEY")
        if "key" in request.query:  # keep the key in a cookie, out of the address bar
            response = web.HTTPSeeOther(request.path)
            response.set_cookie(KEY_COOKIE, api_key, httponly=True, samesite="Strict")
            return response
        return await handler(request)

    return app_server(command, host, guard, tabs)


def run_web(settings: Settings, argv: Sequence[str], host: str | None,
            port: int | None) -> int:
    import asyncio

    host = host or "127.0.0.1"
    if (problem := refusal(host, settings.api_key)) is not None:
        print(f"hive: {problem}", file=sys.stderr)
        return 2
    port = DEFAULT_PORT if port is None else port
    try:  # bound here so that port 0 (a free one) can be said before serving
        sock = socket.create_server((host.strip("[]"), port),
                                    family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        print(f"hive: cannot serve the app on {host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    print(f"hive: serving the app on http://{shown}:{sock.getsockname()[1]} (Ctrl+C stops)",
          flush=True)
    server = make_server(app_command(argv), host, settings.api_key,
                         settings.allowed_host_names(), settings.web_tabs)
    from hive_tui.tui.web_server import serve

    asyncio.run(serve(server, sock))
    return 0
