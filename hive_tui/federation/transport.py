"""Websocket adapters: the one thing ``peers`` needs from a connection is send, receive and
close of binary messages. Dialing uses the ``websockets`` asyncio client; accepting happens on
the node's HTTP port (``/v1/hive/peer``), where Starlette hands us its WebSocket."""

from __future__ import annotations

import contextlib
from typing import Protocol

import websockets
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect

from hive_tui import wire
from hive_tui.errors import HiveError

PEER_PATH = "/v1/hive/peer"
CONNECT_TIMEOUT_S = 5.0
# Protocol errors (close code 1008 "policy violation") versus a clean goodbye (1000).
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
TEXT_FRAME = "text message on a binary protocol"


class TransportClosed(HiveError):
    """The connection ended (cleanly or not)."""


class Transport(Protocol):
    remote: str

    async def send(self, data: bytes) -> None: ...

    async def recv(self) -> bytes: ...

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None: ...


class ClientTransport:
    """A connection we dialed, with the ``websockets`` asyncio client."""

    def __init__(self, conn: ClientConnection, remote: str) -> None:
        self._conn = conn
        self.remote = remote

    @classmethod
    async def dial(cls, host: str, port: int) -> ClientTransport:
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            conn = await connect(
                f"ws://{netloc}{PEER_PATH}",
                max_size=wire.MAX_PEER_FRAME_BYTES,
                open_timeout=CONNECT_TIMEOUT_S,
                close_timeout=2,
                # Our own heartbeat (PeerStatus) detects dead peers; no second mechanism.
                ping_interval=None,
                compression=None,
                proxy=None,
            )
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
            raise TransportClosed(f"cannot connect to {netloc}: {exc}") from exc
        return cls(conn, netloc)

    async def send(self, data: bytes) -> None:
        try:
            await self._conn.send(data)
        except websockets.exceptions.ConnectionClosed as exc:
            raise TransportClosed(str(exc)) from exc

    async def recv(self) -> bytes:
        try:
            message = await self._conn.recv()
        except websockets.exceptions.ConnectionClosed as exc:
            raise TransportClosed(str(exc)) from exc
        if isinstance(message, str):
            await self.close(CLOSE_POLICY, TEXT_FRAME)  # a protocol error, not a goodbye
            raise TransportClosed(TEXT_FRAME)
        return message

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        with contextlib.suppress(Exception):
            await self._conn.close(code, reason[:120])


class ServerTransport:
    """A connection a peer dialed to us, accepted by Starlette on the API port."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        client = ws.client
        self.remote = f"{client.host}:{client.port}" if client else "?"
        self._closed = False

    async def send(self, data: bytes) -> None:
        if self._closed:
            raise TransportClosed("closed")
        try:
            await self._ws.send_bytes(data)
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            self._closed = True
            raise TransportClosed(str(exc)) from exc

    async def recv(self) -> bytes:
        if self._closed:
            raise TransportClosed("closed")
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            self._closed = True
            raise TransportClosed(str(exc)) from exc
        if message["type"] == "websocket.disconnect":
            self._closed = True
            raise TransportClosed(f"peer closed ({message.get('code')})")
        data: bytes | None = message.get("bytes")
        reason = TEXT_FRAME if data is None else "message over the size limit"
        if data is None or len(data) > wire.MAX_PEER_FRAME_BYTES:
            await self.close(CLOSE_POLICY, reason)  # a protocol error, not a goodbye
            raise TransportClosed(reason)
        return data

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            await self._ws.close(code, reason[:120])
