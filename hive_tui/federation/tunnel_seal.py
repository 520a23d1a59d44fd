"""The RPC tunnel's protocol without I/O: the federation handshake, then sealed byte chunks.

llama.cpp's RPC server has no authentication (CVE-2024-42479), so its bytes only ever travel
inside this: both ends run the federation's ``PeerProtocol`` handshake (same hellos, proofs and
per-direction keys, under the ``hive-rpc-tunnel`` key domain so a federation proof never
verifies here and the reverse), then every chunk of the stream is a ``TunnelSealed`` whose
HMAC-SHA256 covers its sequence number, end flag and bytes. A wrong secret, a flipped byte, a
replayed, dropped or reordered chunk raises ``ProtocolViolation`` and closes the tunnel for
good; nothing is ever delivered from a chunk that did not verify.

Keys are fresh per connection (they hash both sides' random nonces), so a chunk recorded on one
connection fails on every other.
"""

from __future__ import annotations

import hashlib
import hmac

import msgspec

from hive_tui import wire
from hive_tui.federation.protocol import MAC_BYTES, PeerProtocol, ProtocolViolation, Role

TUNNEL_DOMAIN = "hive-rpc-tunnel"
_SEQ_MAX = 2**63 - 1


class TunnelChunk(msgspec.Struct, frozen=True):
    """What a verified ``TunnelSealed`` delivers: bytes for the local socket, and whether the
    other side has finished writing."""

    data: bytes
    end: bool


def _mac(key: bytes, seq: int, end: bool, data: bytes) -> bytes:
    mac = hmac.new(key, seq.to_bytes(8, "big") + (b"\x01" if end else b"\x00"), hashlib.sha256)
    mac.update(data)
    return mac.digest()


class TunnelProtocol:
    """One tunnel connection, dialer (the borrower) or listener (the lender)."""

    def __init__(self, key: bytes, node_id: str, role: Role, nonce: bytes | None = None) -> None:
        self._handshake = PeerProtocol(key, node_id, role, nonce, domain=TUNNEL_DOMAIN)
        self._send_key = b""
        self._recv_key = b""
        self._send_seq = 0
        self._recv_seq = 0
        self.sent_end = False
        self.received_end = False
        self.closed = False
        self.close_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self._handshake.is_open and not self.closed

    @property
    def peer_node_id(self) -> str | None:
        return self._handshake.peer_node_id

    def data_to_send(self) -> list[bytes]:
        """Handshake messages to send, in order (each one length-prefixed frame)."""
        return self._handshake.data_to_send()

    def receive(self, data: bytes) -> TunnelChunk | None:
        """Feed one received message: None for a handshake step, else the verified chunk.
        Raises ``ProtocolViolation`` (and closes) on anything not allowed."""
        if self.closed:
            raise ProtocolViolation("tunnel already closed")
        try:
            if not self._handshake.is_open:
                if self._handshake.state == "closed":
                    raise ProtocolViolation("handshake failed")
                self._on_handshake(data)
                return None
            return self._unseal(wire.decode_tunnel_link(data))
        except wire.FrameError as exc:
            self._close(f"malformed frame: {exc}")
            raise ProtocolViolation(self.close_reason or "") from exc
        except ProtocolViolation as exc:
            self._close(str(exc))
            raise

    def seal(self, data: bytes, end: bool = False) -> bytes:
        """One sealed chunk of the stream (``end``: the last one this side sends)."""
        if not self.is_open:
            raise ProtocolViolation("cannot send before authentication or after close")
        if self.sent_end:
            raise ProtocolViolation("already sent the end of the stream")
        if len(data) > wire.TUNNEL_CHUNK_BYTES:
            raise ProtocolViolation(f"chunk of {len(data)} bytes over {wire.TUNNEL_CHUNK_BYTES}")
        seq = self._send_seq
        self._send_seq += 1
        self.sent_end = end
        mac = _mac(self._send_key, seq, end, data)
        return wire.encode(wire.TunnelSealed(seq, data, mac, end))

    def fail(self, message: str) -> bytes | None:
        """A bare error to send before closing, only during the handshake (after it the other
        side learns of a failure by the connection closing); None otherwise."""
        opened = self._handshake.is_open
        self._close(message)
        return None if opened else wire.encode(wire.PeerError(message, fatal=True))

    # ---------------------------------------------------------------- internals

    def _close(self, reason: str) -> None:
        self.closed = True
        self.close_reason = self.close_reason or reason

    def _on_handshake(self, data: bytes) -> None:
        frame = wire.decode_tunnel_link(data)  # a sealed chunk before the handshake is refused
        if isinstance(frame, wire.TunnelSealed):
            raise ProtocolViolation("sealed chunk before authentication")
        self._handshake.receive(data)
        if self._handshake.is_open:
            self._send_key, self._recv_key = self._handshake.direction_keys()

    def _unseal(self, frame: wire.TunnelLinkFrame) -> TunnelChunk:
        if not isinstance(frame, wire.TunnelSealed):
            raise ProtocolViolation(f"unexpected {type(frame).__name__} after authentication")
        if self.received_end:
            raise ProtocolViolation("chunk after the end of the stream")
        in_range = 0 <= frame.seq <= _SEQ_MAX
        expected = _mac(self._recv_key, frame.seq, frame.end, frame.data) if in_range else b""
        if len(frame.mac) != MAC_BYTES or not hmac.compare_digest(frame.mac, expected):
            raise ProtocolViolation("chunk MAC does not verify (tampered or forged)")
        if frame.seq != self._recv_seq:
            raise ProtocolViolation(
                f"chunk sequence {frame.seq}, expected {self._recv_seq} (replayed or reordered)"
            )
        self._recv_seq += 1
        self.received_end = frame.end
        return TunnelChunk(frame.data, frame.end)
