"""The RPC tunnel: its sealing without sockets (wrong secret, tampered, replayed, reordered
chunks), then both ends on real sockets on 127.0.0.1 with an echo server behind the lender."""

from __future__ import annotations

import asyncio
import os

import pytest

from hive_tui import wire
from hive_tui.federation.identity import derive_key
from hive_tui.federation.protocol import PeerProtocol, ProtocolViolation
from hive_tui.federation.rpc_tunnel import TunnelEntrance, TunnelExit
from hive_tui.federation.tunnel_seal import TunnelChunk, TunnelProtocol

KEY = derive_key("ABCDE-FGHIJ-KLMNO")
OTHER_KEY = derive_key("ZZZZZ-FGHIJ-KLMNO")


def handshake(a: TunnelProtocol | PeerProtocol, b: TunnelProtocol | PeerProtocol) -> None:
    while True:
        moved = False
        for src, dst in ((a, b), (b, a)):
            for data in src.data_to_send():
                moved = True
                dst.receive(data)
        if not moved:
            return


def opened() -> tuple[TunnelProtocol, TunnelProtocol]:
    a, b = TunnelProtocol(KEY, "borrower", "dialer"), TunnelProtocol(KEY, "lender", "listener")
    handshake(a, b)
    assert a.is_open and b.is_open
    return a, b


# ---------------------------------------------------------------- sealing, no sockets


def test_chunks_cross_both_ways_with_the_end_of_stream():
    a, b = opened()
    assert (a.peer_node_id, b.peer_node_id) == ("lender", "borrower")
    assert b.receive(a.seal(b"set_tensor")) == TunnelChunk(b"set_tensor", False)
    assert a.receive(b.seal(b"ok")) == TunnelChunk(b"ok", False)
    assert b.receive(a.seal(b"", end=True)) == TunnelChunk(b"", True)
    with pytest.raises(ProtocolViolation):
        a.seal(b"after the end")


def test_wrong_secret_never_opens_and_nothing_can_be_sealed():
    a = TunnelProtocol(KEY, "borrower", "dialer")
    b = TunnelProtocol(OTHER_KEY, "lender", "listener")
    with pytest.raises(ProtocolViolation, match="authentication failed"):
        handshake(a, b)
    assert not a.is_open and not b.is_open
    assert b.data_to_send() == []  # the lender's own proof never went out
    with pytest.raises(ProtocolViolation):
        b.seal(b"anything")


def test_a_federation_proof_does_not_open_a_tunnel():
    # Same secret, same handshake, other key domain: a peer connection is not a tunnel.
    a = PeerProtocol(KEY, "borrower", "dialer")
    b = TunnelProtocol(KEY, "lender", "listener")
    with pytest.raises(ProtocolViolation, match="authentication failed"):
        handshake(a, b)


def test_a_sealed_chunk_before_the_handshake_is_refused():
    a, _ = opened()
    c = TunnelProtocol(KEY, "lender", "listener")
    with pytest.raises(ProtocolViolation):
        c.receive(a.seal(b"early"))
    assert c.closed


@pytest.mark.parametrize("where", [-1, -40, 12])
def test_a_tampered_chunk_closes_the_tunnel(where):
    a, b = opened()
    sealed = bytearray(a.seal(b"x" * 100))
    sealed[where] ^= 0x01
    with pytest.raises(ProtocolViolation):
        b.receive(bytes(sealed))
    assert b.closed
    with pytest.raises(ProtocolViolation):  # closed for good, even for a good chunk
        b.receive(a.seal(b"y"))


def test_a_replayed_chunk_closes_the_tunnel():
    a, b = opened()
    first = a.seal(b"one")
    b.receive(first)
    with pytest.raises(ProtocolViolation, match="replayed or reordered"):
        b.receive(first)
    assert b.closed


def test_reordered_chunks_close_the_tunnel():
    a, b = opened()
    first, second = a.seal(b"one"), a.seal(b"two")
    with pytest.raises(ProtocolViolation, match="replayed or reordered"):
        b.receive(second)
    assert b.closed and first  # the skipped chunk never gets a chance


def test_a_chunk_from_another_connection_does_not_verify():
    a, b = opened()
    c, d = opened()  # same secret, fresh nonces: fresh keys
    with pytest.raises(ProtocolViolation, match="MAC"):
        d.receive(a.seal(b"recorded elsewhere"))
    assert b.is_open and c.is_open


def test_the_end_flag_is_covered_by_the_mac():
    a, b = opened()
    sealed = wire.decode_tunnel_link(a.seal(b"half"))
    assert isinstance(sealed, wire.TunnelSealed)
    forged = wire.encode(wire.TunnelSealed(sealed.seq, sealed.data, sealed.mac, end=True))
    with pytest.raises(ProtocolViolation, match="MAC"):
        b.receive(forged)


# ---------------------------------------------------------------- real sockets


class EchoServer:
    """Echoes every byte back; counts connections and bytes it received."""

    def __init__(self) -> None:
        self.connections = 0
        self.received = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._echo, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _echo(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while data := await reader.read(65536):
                self.received += len(data)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    def close(self) -> None:
        self.server.close()


async def tunnel(lender_key: bytes = KEY):
    echo = EchoServer()
    exit_ = TunnelExit(lender_key, "lender", await echo.start())
    exit_port = await exit_.start()
    entrance = TunnelEntrance(KEY, "borrower", "127.0.0.1", exit_port)
    await entrance.start()
    return echo, exit_, entrance


async def send_and_read_all(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    writer.write_eof()  # half close: the echo still comes back, then the end of stream
    got = await reader.read()
    writer.close()
    return got


async def test_a_large_payload_crosses_unchanged_both_ways():
    echo, exit_, entrance = await tunnel()
    payload = os.urandom(8 * 1024 * 1024 + 17)
    try:
        got, again = await asyncio.wait_for(
            asyncio.gather(
                send_and_read_all(entrance.port, payload),
                send_and_read_all(entrance.port, payload[:1000]),
            ),
            120,
        )
    finally:
        await entrance.close()
        await exit_.close()
        echo.close()
    assert got == payload and again == payload[:1000]
    assert echo.connections == 2
    assert entrance.endpoint == f"127.0.0.1:{entrance.port}"


async def test_a_wrong_secret_gets_nothing_through():
    echo, exit_, entrance = await tunnel(lender_key=OTHER_KEY)
    try:
        got = await asyncio.wait_for(send_and_read_all(entrance.port, b"GRAPH_COMPUTE"), 30)
    finally:
        await entrance.close()
        await exit_.close()
        echo.close()
    assert got == b""
    assert echo.connections == 0 and echo.received == 0


async def test_a_byte_flipped_on_the_wire_closes_the_tunnel():
    """A relay between the ends flips one byte well after the handshake: the lender refuses
    that chunk, so the RPC server never sees the bytes it carried, and both sides are closed."""
    flip_at = 4096

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", exit_port)

        async def flow(src, dst, tamper: bool) -> None:
            seen = 0
            try:
                while data := await src.read(65536):
                    if tamper and seen <= flip_at < seen + len(data):
                        data = bytearray(data)
                        data[flip_at - seen] ^= 0x20
                    seen += len(data)
                    dst.write(bytes(data))
                    await dst.drain()
            finally:  # the lender resets its socket on a bad chunk: pass that on as a close
                dst.close()

        await asyncio.gather(
            flow(reader, up_w, True), flow(up_r, writer, False), return_exceptions=True
        )

    echo = EchoServer()
    exit_ = TunnelExit(KEY, "lender", await echo.start())
    exit_port = await exit_.start()
    relay_server = await asyncio.start_server(relay, "127.0.0.1", 0)
    relay_port = relay_server.sockets[0].getsockname()[1]
    entrance = TunnelEntrance(KEY, "borrower", "127.0.0.1", relay_port)
    await entrance.start()
    payload = os.urandom(512 * 1024)
    try:
        got = await asyncio.wait_for(send_and_read_all(entrance.port, payload), 60)
    finally:
        await entrance.close()
        await exit_.close()
        relay_server.close()
        echo.close()
    assert len(got) < len(payload)
    assert echo.received < len(payload)
