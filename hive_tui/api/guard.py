"""The node's front door: one ASGI middleware that every request passes before any route.

In order, cheapest first:

1. **Host allow-list** (DNS rebinding): a web page on ``evil.example`` whose name later resolves
   to 127.0.0.1 reaches us with ``Host: evil.example``; only localhost names, the bound address
   and the ``allowed_hosts`` setting are accepted (400 otherwise).
2. **API key**: with ``api_key`` set, every path but ``/health`` needs
   ``Authorization: Bearer <key>`` (401 otherwise), compared in constant time.
3. **Body size**: a ``Content-Length`` over the limit is refused before reading; a chunked body
   is read up to the limit and refused past it (413), so no request can make us buffer more.
4. **Admission** for generation routes: at most ``max_queue`` requests admitted at once
   (running or waiting for workers); one more gets 503 with ``Retry-After`` at once instead
   of a queue that grows without end. The slot is held until the response is fully sent or
   the client is gone, whatever the route does.

No CORS headers are ever added: browsers on other origins cannot read our answers.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import socket
from collections.abc import Iterable

import msgspec
import psutil
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hive_tui.api import schemas

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "localhost.localdomain"})
OPEN_PATHS = frozenset({"/health"})
ADMITTED_PATHS = frozenset({"/v1/chat/completions", "/v1/hive/vote"})
RETRY_AFTER_S = 1


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """``example.com:8420`` -> ``example.com``; ``[::1]:8420`` -> ``::1``; lower-cased."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def own_names() -> set[str]:
    """This machine's addresses and names: what LAN clients put in Host when we bind to all."""
    names = {socket.gethostname().lower(), f"{socket.gethostname().lower()}.local"}
    with contextlib.suppress(OSError):
        names.add(socket.getfqdn().lower())
    for addrs in psutil.net_if_addrs().values():
        for addr in addrs:
            if addr.family in (socket.AF_INET, socket.AF_INET6):
                names.add(addr.address.split("%", 1)[0].lower())
    return names


class Admission:
    """A bounded count of requests in the house; never waits, only says yes or no."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.inside = 0

    def try_enter(self) -> bool:
        if self.inside >= self.limit:
            return False
        self.inside += 1
        return True

    def leave(self) -> None:
        self.inside = max(0, self.inside - 1)


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        api_key: str = "",
        allowed_hosts: Iterable[str] = (),
        bound_host: str = "127.0.0.1",
        max_body_bytes: int = 4 * 1024 * 1024,
        admission: Admission | None = None,
    ) -> None:
        self.app = app
        self._key = api_key.encode()
        hosts = {h.strip().lower() for h in allowed_hosts if h.strip()}
        self.allowed = hosts | LOCAL_HOSTS | {host_name(bound_host)}
        if bound_host in ("0.0.0.0", "::", ""):
            self.allowed |= own_names()
        self._any_host = "*" in hosts
        self.max_body = max_body_bytes
        self.admission = admission or Admission(64)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope.get("path", "")
        if not self._any_host and host_name(headers.get("host", "")) not in self.allowed:
            await _refuse(
                send, 400, "host not allowed (set allowed_hosts)", "invalid_request_error"
            )
            return
        if self._key and path not in OPEN_PATHS and not self._authorised(headers):
            await _refuse(
                send,
                401,
                "missing or wrong API key",
                "authentication_error",
                {"www-authenticate": "Bearer"},
            )
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _refuse(
                send, 413, f"request body over {self.max_body} bytes", "invalid_request_error"
            )
            return
        if path in ADMITTED_PATHS and scope.get("method") == "POST":
            if not self.admission.try_enter():
                await _refuse(
                    send,
                    503,
                    "the node is busy: too many requests queued",
                    "service_unavailable",
                    {"retry-after": str(RETRY_AFTER_S)},
                )
                return
            try:
                await self._bounded(scope, receive, send)
            finally:
                self.admission.leave()
            return
        await self._bounded(scope, receive, send)

    def _authorised(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(token.strip().encode(), self._key)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; a body without Content-Length (chunked) is read here first, up to the
        limit, and handed over whole. With a Content-Length the server itself enforces it."""
        headers = dict(scope["headers"])
        if b"content-length" in headers or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left while sending
            size += len(message.get("body", b""))
            if size > self.max_body:
                await _refuse(
                    send, 413, f"request body over {self.max_body} bytes", "invalid_request_error"
                )
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # later calls wait for the disconnect, as usual

        await self.app(scope, replay, send)


async def _refuse(
    send: Send, status: int, message: str, kind: str, extra: dict[str, str] | None = None
) -> None:
    body = msgspec.json.encode(schemas.ErrorBody(schemas.ErrorDetail(message, kind)))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
