"""The peer protocol as a state machine without I/O: bytes in, frames and bytes out.

Like the ``websockets`` library's own protocol objects, this class never touches a socket, so
the handshake and frame checks are tested by feeding it bytes (property tests flip bytes,
replay and reorder frames). ``peers`` drives it over a websocket.

Handshake (``docs/federation.md`` has the details):

1. both sides send ``PeerHello(version, nonce)`` at once;
2. the dialer, having the listener's hello, sends ``PeerAuth(node_id, proof)``;
3. the listener checks it and only then sends its own ``PeerAuth``, so a dialer without the
   secret learns nothing from the listener but its nonce;
4. both derive one key per direction; from then on every frame is a ``PeerSealed`` envelope
   with the next sequence number and a MAC.

proof = HMAC(K, "hive-auth/1" 0 role 0 H(dialer hello) H(listener hello) node_id), where the
hellos are the exact bytes sent, so tampering with a hello breaks the proof, and ``role``
makes a proof useless when reflected back at its sender.

Any violation raises ``ProtocolViolation`` and closes the protocol for good: a connection is
never resynchronised after a bad frame.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from hive_tui import wire
from hive_tui.errors import HiveError

Role = Literal["dialer", "listener"]
State = Literal["hello", "auth", "open", "closed"]
MAC_BYTES = 32
_SEQ_MAX = 2**63 - 1


class ProtocolViolation(HiveError):
    """The peer sent something the protocol does not allow; the connection must be closed."""


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _other(role: Role) -> Role:
    return "listener" if role == "dialer" else "dialer"


class PeerProtocol:
    def __init__(
        self,
        key: bytes,
        node_id: str,
        role: Role,
        nonce: bytes | None = None,
        domain: str = "hive",
    ) -> None:
        # ``domain`` separates protocols that share this handshake (the RPC tunnel uses its own):
        # a proof or key made for one never verifies in another.
        self._auth_label = f"{domain}-auth/1\x00".encode()
        self._frame_label = f"{domain}-frame/1\x00".encode()
        self.key = key
        self.node_id = node_id
        self.role: Role = role
        self.state: State = "hello"
        self.nonce = nonce or secrets.token_bytes(wire.PEER_NONCE_BYTES)
        self.peer_nonce: bytes | None = None
        self.peer_node_id: str | None = None
        self.close_reason: str | None = None
        self._my_hello = wire.encode_peer(wire.PeerHello(wire.PEER_PROTOCOL_VERSION, self.nonce))
        self._peer_hello = b""
        self._outgoing: list[bytes] = [self._my_hello]
        self._send_key = b""
        self._recv_key = b""
        self._send_seq = 0
        self._recv_seq = 0

    # ---------------------------------------------------------------- public API

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def direction_keys(self) -> tuple[bytes, bytes]:
        """(send key, receive key) once open, for a channel that seals its own frames."""
        if self.state != "open":
            raise ProtocolViolation("no keys before authentication")
        return self._send_key, self._recv_key

    def data_to_send(self) -> list[bytes]:
        """Messages to send, in order (each one websocket binary message)."""
        out, self._outgoing = self._outgoing, []
        return out

    def receive(self, data: bytes) -> wire.PeerFrame | None:
        """Feed one received message. Returns the authenticated frame it carried, or None for a
        handshake step. Raises ``ProtocolViolation`` (and closes) on anything not allowed."""
        if self.state == "closed":
            raise ProtocolViolation("connection already closed")
        try:
            return self._receive(data)
        except ProtocolViolation as exc:
            self.state = "closed"
            self.close_reason = str(exc)
            raise
        except wire.FrameError as exc:
            self.state = "closed"
            self.close_reason = f"malformed frame: {exc}"
            raise ProtocolViolation(self.close_reason) from exc

    def send(self, frame: wire.PeerFrame) -> None:
        """Seal an authenticated frame and queue it for ``data_to_send``."""
        if self.state != "open":
            raise ProtocolViolation(f"cannot send {type(frame).__name__} before authentication")
        if isinstance(frame, wire.PeerHello | wire.PeerAuth):
            raise ProtocolViolation("handshake frames are never sealed")
        body = wire.encode_peer(frame)
        seq = self._send_seq
        self._send_seq += 1
        mac = self._mac(self._send_key, seq, body)
        self._outgoing.append(wire.encode_peer(wire.PeerSealed(seq, body, mac)))

    def fail(self, message: str) -> bytes | None:
        """A fatal error frame to send before closing (sealed once open); None if closed."""
        frame = wire.PeerError(message, fatal=True)
        if self.state == "open":
            self.send(frame)
            out = self.data_to_send()[-1]
        else:
            out = wire.encode_peer(frame)
        self.state = "closed"
        self.close_reason = self.close_reason or message
        return out

    # ---------------------------------------------------------------- internals

    def _receive(self, data: bytes) -> wire.PeerFrame | None:
        frame = wire.decode_peer_link(data)
        match frame:
            case wire.PeerError(message=message) if self.state != "open":
                raise ProtocolViolation(f"peer refused: {message}")
            case wire.PeerHello() if self.state == "hello":
                self._on_hello(frame, data)
                return None
            case wire.PeerAuth() if self.state == "auth":
                self._on_auth(frame)
                return None
            case wire.PeerSealed() if self.state == "open":
                return self._unseal(frame)
            case _:
                raise ProtocolViolation(f"unexpected {type(frame).__name__} in state {self.state}")

    def _on_hello(self, hello: wire.PeerHello, raw: bytes) -> None:
        if hello.version != wire.PEER_PROTOCOL_VERSION:
            raise ProtocolViolation(
                f"protocol version {hello.version} (this node speaks {wire.PEER_PROTOCOL_VERSION})"
            )
        if len(hello.nonce) != wire.PEER_NONCE_BYTES:
            raise ProtocolViolation("bad nonce length")
        if hello.nonce == self.nonce:
            raise ProtocolViolation("peer echoed our nonce")
        self.peer_nonce = hello.nonce
        self._peer_hello = raw
        self.state = "auth"
        if self.role == "dialer":
            self._send_auth()

    def _on_auth(self, auth: wire.PeerAuth) -> None:
        expected = self._proof(_other(self.role), auth.node_id)
        if len(auth.proof) != MAC_BYTES or not hmac.compare_digest(auth.proof, expected):
            raise ProtocolViolation("authentication failed (wrong hive secret?)")
        self.peer_node_id = auth.node_id
        if self.role == "listener":
            self._send_auth()
        transcript = self._transcript()
        self._send_key = self._direction_key(self.role, transcript)
        self._recv_key = self._direction_key(_other(self.role), transcript)
        self.state = "open"

    def _send_auth(self) -> None:
        proof = self._proof(self.role, self.node_id)
        self._outgoing.append(wire.encode_peer(wire.PeerAuth(self.node_id, proof)))

    def _unseal(self, sealed: wire.PeerSealed) -> wire.PeerFrame:
        in_range = 0 <= sealed.seq <= _SEQ_MAX
        expected = self._mac(self._recv_key, sealed.seq, sealed.frame) if in_range else b""
        if not in_range or not hmac.compare_digest(sealed.mac, expected):
            raise ProtocolViolation("frame MAC does not verify (tampered or forged)")
        if sealed.seq != self._recv_seq:
            raise ProtocolViolation(
                f"frame sequence {sealed.seq}, expected {self._recv_seq} (replayed or reordered)"
            )
        self._recv_seq += 1
        inner = wire.decode_peer_frame(sealed.frame)
        if isinstance(inner, wire.PeerHello | wire.PeerAuth):
            raise ProtocolViolation("handshake frame inside a sealed envelope")
        return inner

    def _transcript(self) -> bytes:
        dialer, listener = (
            (self._my_hello, self._peer_hello)
            if self.role == "dialer"
            else (self._peer_hello, self._my_hello)
        )
        return _h(dialer) + _h(listener)

    def _proof(self, role: Role, node_id: str) -> bytes:
        msg = self._auth_label + role.encode() + b"\x00" + self._transcript() + node_id.encode()
        return hmac.new(self.key, msg, hashlib.sha256).digest()

    def _direction_key(self, sender: Role, transcript: bytes) -> bytes:
        msg = self._frame_label + sender.encode() + b"\x00" + transcript
        return hmac.new(self.key, msg, hashlib.sha256).digest()

    @staticmethod
    def _mac(key: bytes, seq: int, body: bytes) -> bytes:
        return hmac.new(key, seq.to_bytes(8, "big") + body, hashlib.sha256).digest()
