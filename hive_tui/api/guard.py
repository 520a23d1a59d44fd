"""The node's front door: one ASGI middleware that every request passes before any route.

In order, cheapest first:

1. **Host allow-list** (DNS rebinding): a web page on ``evil.example`` whose name later resolves
   to 127.0.0.1 reaches us with ``Host: evil.example``; only localhost names, the bound address
   and the ``allowed_hosts`` setting are accepted (400 otherwise).
2. **API key**: with ``api_key`` set, every path but ``/health`` needs
   ``Authorization: Bearer <key>`` or ``x-api-key: <key>`` (what Anthropic's clients send;
   401 otherwise), compared in constant time.
3. **Framing**: a request with both ``Content-Length`` and ``Transfer-Encoding`` is refused
   (400, RFC 9112 6.3: the two disagree on where the body ends, the stuff of smuggling).
4. **Body**: read here, whole, before any route or admission: a ``Content-Length`` over the
   limit is refused before reading; bytes are counted as they come whatever the framing, and
   refused past the limit (413); the body must arrive within ``body_timeout_s`` (408). A
   client that hangs up while sending is let go without a word in the log.
5. **Admission** for generation routes: at most ``max_queue`` requests admitted at once
   (running or waiting for workers); one more gets 503 with ``Retry-After`` at once instead
   of a queue that grows without end. Only a request whose body is in takes a slot, so slow
   senders cannot hold them. The slot is held until the response is fully sent or the client
   is gone, whatever the route does.

Websocket upgrades pass the same Host check, the API key (except the peer channel, whose
peers prove the hive secret instead) and an ``Origin`` check: a browser always names the page
that opened the socket, and only a page on an allowed host may. At most ``sockets.limit``
websockets are open at once (503 past it).

No CORS headers are ever added: browsers on other origins cannot read our answers.
Refusals are OpenAI-style ``{"error": {...}}`` bodies, Anthropic's shape on its routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import msgspec
import psutil
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hive_tui.api import anthropic_schemas, schemas

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "localhost.localdomain"})
OPEN_PATHS = frozenset({"/health"})
ADMITTED_PATHS = frozenset(
    {
        "/v1/chat/completions",
        "/v1/hive/vote",
        "/v1/completions",
        "/v1/embeddings",
        "/api/chat",
        "/api/generate",
        "/api/embed",
        *anthropic_schemas.ANTHROPIC_PATHS,
    }
)
RETRY_AFTER_S = 1
PEER_PATH = "/v1/hive/peer"  # peers prove the hive secret there, not the API key

log = logging.getLogger("hive.api")


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
        self.refused = 0  # for /metrics

    def try_enter(self) -> bool:
        if self.inside >= self.limit:
            self.refused += 1
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
        body_timeout_s: float = 30.0,
        admission: Admission | None = None,
        sockets: Admission | None = None,
    ) -> None:
        self.app = app
        self._key = api_key.encode()
        hosts = {h.strip().lower() for h in allowed_hosts if h.strip()}
        self.allowed = hosts | LOCAL_HOSTS | {host_name(bound_host)}
        if bound_host in ("0.0.0.0", "::", ""):
            self.allowed |= own_names()
        self._any_host = "*" in hosts
        self.max_body = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self.admission = admission or Admission(64)
        # Open websockets: uvicorn's limit_concurrency stops counting a connection once
        # it is upgraded, so they are counted here.
        self.sockets = sockets or Admission(256)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._upgrade(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path: str = scope.get("path", "")
        refusal = self._refusal(path, headers) or self._framing(headers)
        if refusal is not None:
            await _refuse(send, *refusal, path=path)
            return
        body = await self._body(headers, receive, send, path)
        if body is None:  # refused, or the client left while sending
            return
        request = _replay(body, receive)
        if path in ADMITTED_PATHS and scope.get("method") == "POST":
            if not self.admission.try_enter():
                await _refuse(send, *BUSY, path=path)
                return
            try:
                await self.app(scope, request, send)
            finally:
                self.admission.leave()
            return
        await self.app(scope, request, send)

    def _refusal(self, path: str, headers: dict[str, str], key_needed: bool = True) -> Refusal:
        """The Host check and the API key, for plain requests and upgrades alike."""
        if not self._any_host and host_name(headers.get("host", "")) not in self.allowed:
            return 400, "host not allowed (set allowed_hosts)", "invalid_request_error", {}
        if key_needed and self._key and path not in OPEN_PATHS and not self._authorised(headers):
            return 401, "missing or wrong API key", "authentication_error", UNAUTHORISED
        return None

    def _framing(self, headers: dict[str, str]) -> Refusal:
        if "content-length" in headers and "transfer-encoding" in headers:
            message = "Content-Length and Transfer-Encoding together (RFC 9112 6.3)"
            return 400, message, "invalid_request_error", CLOSE
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return 413, f"request body over {self.max_body} bytes", "invalid_request_error", CLOSE
        return None

    def _authorised(self, headers: dict[str, str]) -> bool:
        return has_key(headers, self._key)

    async def _body(
        self, headers: dict[str, str], receive: Receive, send: Send, path: str = ""
    ) -> bytes | None:
        """The whole body, counted as it comes and within the time allowed; None once refused
        (413, 408) or when the client hangs up. No framing header: HTTP/1.1 has no body."""
        if "content-length" not in headers and "transfer-encoding" not in headers:
            return b""
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        log.debug("a client hung up while sending its body")
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        too_big = f"request body over {self.max_body} bytes"
                        await _refuse(send, 413, too_big, "invalid_request_error", CLOSE, path=path)
                        return None
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            slow = f"request body not received within {self.body_timeout_s:g} s"
            await _refuse(send, 408, slow, "invalid_request_error", CLOSE, path=path)
            return None

    async def _upgrade(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        path: str = scope.get("path", "")
        refusal = self._refusal(path, headers, key_needed=path != PEER_PATH)
        refusal = refusal or self._origin(headers)
        if refusal is None:
            if not self.sockets.try_enter():
                refusal = BUSY
            else:
                try:
                    await self.app(scope, receive, send)
                finally:
                    self.sockets.leave()
                return
        await receive()  # websocket.connect
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})  # the server answers 403
            return
        await _refuse(send, *refusal, prefix="websocket.")

    def _origin(self, headers: dict[str, str]) -> Refusal:
        """Browsers send Origin on every websocket; only pages on allowed hosts may connect.
        Other clients (peers, scripts) send none and pass."""
        origin = headers.get("origin")
        if origin is None or self._any_host:
            return None
        with contextlib.suppress(ValueError):
            if (urlsplit(origin).hostname or "") in self.allowed:
                return None
        return 403, "origin not allowed", "invalid_request_error", {}


Refusal = tuple[int, str, str, dict[str, str]] | None
UNAUTHORISED = {"www-authenticate": "Bearer"}
CLOSE = {"connection": "close"}  # the rest of the body is never read: end the connection
BUSY = (
    503,
    "the node is busy: too many requests queued",
    "service_unavailable",
    {"retry-after": str(RETRY_AFTER_S)},
)


def has_key(headers: dict[str, str], key: bytes) -> bool:
    """The key as ``Authorization: Bearer`` or ``x-api-key``, compared in constant time."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key):
        return True
    given = headers.get("x-api-key")
    return given is not None and hmac.compare_digest(given.strip().encode(), key)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read by the guard, handed to the app as one message; later calls wait for
    the disconnect, as usual."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(
    send: Send,
    status: int,
    message: str,
    kind: str,
    extra: dict[str, str] | None = None,
    prefix: str = "",
    path: str = "",
) -> None:
    if path in anthropic_schemas.ANTHROPIC_PATHS:
        body = anthropic_schemas.error_body(status, message)
    else:
        body = msgspec.json.encode(schemas.ErrorBody(schemas.ErrorDetail(message, kind)))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": f"{prefix}http.response.start", "status": status, "headers": headers})
    await send({"type": f"{prefix}http.response.body", "body": body})
