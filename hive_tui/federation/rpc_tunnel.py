"""The RPC tunnel's asyncio ends: llama.cpp's RPC client talks to a local port, the lender's
RPC server is reached only through an authenticated, sealed connection.

``TunnelEntrance`` (the borrowing node) listens on 127.0.0.1 only; each connection llama.cpp
makes to it is carried over a new TCP connection to the lender's ``TunnelExit``. The exit runs
the handshake first and connects to its RPC server on 127.0.0.1 only after the dialer proved it
holds the hive secret, so a stranger never gets a single byte to the RPC server. All protocol
decisions live in ``tunnel_seal`` (no I/O); this module only moves bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct

from hive_tui import wire
from hive_tui.errors import HiveError
from hive_tui.federation.protocol import ProtocolViolation
from hive_tui.federation.tunnel_seal import TunnelProtocol

log = logging.getLogger("hive.federation.rpc")

LOOPBACK = "127.0.0.1"
HANDSHAKE_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5.0
_LEN = struct.Struct(">I")


class TunnelClosed(HiveError):
    """The other end went away without ending the stream."""


def _frame(body: bytes) -> bytes:
    return _LEN.pack(len(body)) + body


async def _read_link(reader: asyncio.StreamReader) -> bytes:
    """One length-prefixed message, refused before allocation when over the tunnel's limit."""
    try:
        (n,) = _LEN.unpack(await reader.readexactly(_LEN.size))
        if n > wire.MAX_TUNNEL_FRAME_BYTES:
            raise ProtocolViolation(f"frame length {n} over {wire.MAX_TUNNEL_FRAME_BYTES}")
        return await reader.readexactly(n)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise TunnelClosed("the other end closed the tunnel") from exc


async def _handshake(
    proto: TunnelProtocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    async def run() -> None:
        while True:
            for body in proto.data_to_send():
                writer.write(_frame(body))
            await writer.drain()
            if proto.is_open:
                return
            proto.receive(await _read_link(reader))

    try:
        await asyncio.wait_for(run(), HANDSHAKE_TIMEOUT_S)
    except ProtocolViolation as exc:
        refusal = proto.fail(str(exc))
        if refusal is not None:
            with contextlib.suppress(ConnectionError):
                writer.write(_frame(refusal))
                await writer.drain()
        raise
    except TimeoutError as exc:
        proto.fail("handshake timed out")
        raise ProtocolViolation("handshake timed out") from exc


async def _seal_up(
    proto: TunnelProtocol, local: asyncio.StreamReader, remote: asyncio.StreamWriter
) -> None:
    """Local plaintext -> sealed chunks, then the end of the stream."""
    while True:
        data = await local.read(wire.TUNNEL_CHUNK_BYTES)
        remote.write(_frame(proto.seal(data, end=not data)))
        await remote.drain()
        if not data:
            return


async def _open_down(
    proto: TunnelProtocol, remote: asyncio.StreamReader, local: asyncio.StreamWriter
) -> None:
    """Sealed chunks -> verified plaintext on the local socket; a bad chunk raises."""
    while True:
        chunk = proto.receive(await _read_link(remote))
        assert chunk is not None  # the handshake is over: every message is a chunk
        if chunk.data:
            local.write(chunk.data)
            await local.drain()
        if chunk.end:
            if local.can_write_eof():
                local.write_eof()
            return


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def carry(
    proto: TunnelProtocol,
    local: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    remote: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Move bytes both ways until both streams ended; any failure closes both sockets."""
    up = asyncio.create_task(_seal_up(proto, local[0], remote[1]))
    down = asyncio.create_task(_open_down(proto, remote[0], local[1]))
    try:
        pending: set[asyncio.Task[None]] = {up, down}
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a violation or a broken socket ends the whole tunnel
    except (ProtocolViolation, TunnelClosed, ConnectionError) as exc:
        log.info("rpc tunnel closed: %s", exc)
    finally:
        for task in (up, down):
            task.cancel()
        await asyncio.gather(up, down, return_exceptions=True)
        await _close(local[1])
        await _close(remote[1])


class _TunnelEnd:
    """A listening end: the server, its port, and the connections it carries."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def _listen(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._accepted, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:  # closing the end: this connection goes with it
            await _close(writer)
        except Exception as exc:  # one connection's failure never stops the listener
            log.info("rpc tunnel connection failed: %s", exc)
            await _close(writer)
        finally:
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()


class TunnelEntrance(_TunnelEnd):
    """The borrower's end: llama.cpp's RPC client connects to ``127.0.0.1:port``."""

    def __init__(self, key: bytes, node_id: str, lender_host: str, lender_port: int) -> None:
        super().__init__()
        self.key = key
        self.node_id = node_id
        self.lender = (lender_host, lender_port)

    @property
    def endpoint(self) -> str:
        """What to give llama.cpp as an RPC server (``rpc_servers``)."""
        return f"{LOOPBACK}:{self.port}"

    async def start(self) -> int:
        return await self._listen(LOOPBACK, 0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            remote = await asyncio.wait_for(
                asyncio.open_connection(*self.lender), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            log.warning("rpc tunnel: cannot reach the lender at %s:%s: %s", *self.lender, exc)
            await _close(writer)
            return
        proto = TunnelProtocol(self.key, self.node_id, "dialer")
        try:
            await _handshake(proto, *remote)
        except (ProtocolViolation, TunnelClosed, ConnectionError) as exc:
            log.warning("rpc tunnel to %s:%s refused: %s", *self.lender, exc)
            await _close(remote[1])
            await _close(writer)
            return
        await carry(proto, (reader, writer), remote)


class TunnelExit(_TunnelEnd):
    """The lender's end: authenticates each connection, then joins it to the RPC server."""

    def __init__(
        self, key: bytes, node_id: str, rpc_port: int, host: str = LOOPBACK, port: int = 0
    ) -> None:
        super().__init__()
        self.key = key
        self.node_id = node_id
        self.rpc_port = rpc_port
        self.host = host
        self.requested_port = port
        self.borrower: str | None = None  # the node whose connections it carries now
        self._carrying = 0
        self.refused = 0

    async def start(self) -> int:
        return await self._listen(self.host, self.requested_port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        proto = TunnelProtocol(self.key, self.node_id, "listener")
        try:
            await _handshake(proto, reader, writer)
        except (ProtocolViolation, TunnelClosed, ConnectionError) as exc:
            peer = writer.get_extra_info("peername")
            log.warning("rpc tunnel from %s refused: %s", peer, exc)
            self.refused += 1
            await _close(writer)
            return
        # ggml's RPC server serves one client at a time: a second borrowing node would wait
        # in its accept queue, hung. It is refused instead, while the first one holds it.
        borrower = proto.peer_node_id
        if self.borrower not in (None, borrower):
            log.warning("rpc tunnel: %s refused, lent to %s now", borrower, self.borrower)
            self.refused += 1
            await _close(writer)
            return
        self.borrower = borrower
        self._carrying += 1
        try:
            await self._join(proto, reader, writer)
        finally:
            self._carrying -= 1
            if self._carrying == 0:
                self.borrower = None

    async def _join(
        self, proto: TunnelProtocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # Only now, with the secret proven, does anything reach the RPC server.
        try:
            rpc = await asyncio.wait_for(
                asyncio.open_connection(LOOPBACK, self.rpc_port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            log.warning("rpc tunnel: the local RPC server is not answering: %s", exc)
            await _close(writer)
            return
        await carry(proto, rpc, (reader, writer))
