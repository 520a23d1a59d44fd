"""One log line per HTTP request (the ``access_log`` setting, off by default).

Outermost of the app's layers, so refusals by the guard (401, 413, 503) are logged too:
``127.0.0.1:53312 "POST /v1/messages" 200 1.234s``, on the ``hive.access`` logger. The time
is until the response's last byte (a stream's whole length). Query strings are left out:
a client may put a key in one.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hive.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 0  # none sent: the client left, or the app failed before answering

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            client = scope.get("client") or ("-", 0)
            log.info(
                '%s:%s "%s %s" %d %.3fs',
                client[0],
                client[1],
                scope.get("method", ""),
                scope.get("path", ""),
                status,
                time.monotonic() - started,
            )
