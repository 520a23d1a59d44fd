"""The peer protocol state machine, without sockets: handshake, sealing, and every way a
frame can be wrong (wrong secret, flipped byte, replay, reorder, unauthenticated frame)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hive_tui import wire
from hive_tui.federation.identity import derive_key
from hive_tui.federation.protocol import PeerProtocol, ProtocolViolation

KEY = derive_key("ABCDE-FGHIJ-KLMNO")
OTHER_KEY = derive_key("ZZZZZ-FGHIJ-KLMNO")
GENERATE = wire.PeerGenerate(
    "req-1",
    [wire.ChatMessage("user", "capital of France?")],
    wire.SamplingParams(),
    "similarity",
    7,
)


def pump(a: PeerProtocol, b: PeerProtocol) -> list[wire.PeerFrame]:
    """Deliver queued messages both ways until both are quiet; returns frames b and a got."""
    got: list[wire.PeerFrame] = []
    while True:
        moved = False
        for src, dst in ((a, b), (b, a)):
            for data in src.data_to_send():
                moved = True
                frame = dst.receive(data)
                if frame is not None:
                    got.append(frame)
        if not moved:
            return got


def pair(dialer_key: bytes = KEY, listener_key: bytes = KEY) -> tuple[PeerProtocol, PeerProtocol]:
    return PeerProtocol(dialer_key, "node-a", "dialer"), PeerProtocol(
        listener_key, "node-b", "listener"
    )


def test_handshake_opens_both_sides_and_names_the_peer():
    a, b = pair()
    pump(a, b)
    assert a.is_open and b.is_open
    assert (a.peer_node_id, b.peer_node_id) == ("node-b", "node-a")
    a.send(GENERATE)
    b.send(wire.PeerCancel("req-1"))
    assert pump(a, b) == [GENERATE, wire.PeerCancel("req-1")]


def test_wrong_secret_is_refused_and_the_listener_reveals_no_proof():
    a, b = pair(listener_key=OTHER_KEY)
    for data in a.data_to_send():
        b.receive(data)
    for data in b.data_to_send():  # the listener's hello only
        a.receive(data)
    auth = a.data_to_send()
    with pytest.raises(ProtocolViolation, match="authentication failed"):
        b.receive(auth[0])
    assert not b.is_open and b.data_to_send() == []  # no PeerAuth of its own went out
    with pytest.raises(ProtocolViolation):
        b.receive(auth[0])  # closed for good


def test_a_dialer_with_the_wrong_secret_rejects_a_listener_too():
    # The listener here is an impostor that answers with its own (wrong-key) proof.
    a, b = pair(dialer_key=KEY, listener_key=OTHER_KEY)
    b.key = KEY  # accepts the dialer ...
    for data in a.data_to_send():
        b.receive(data)
    for data in b.data_to_send():
        a.receive(data)
    b.receive(a.data_to_send()[0])
    b.key = OTHER_KEY  # ... but cannot prove it knows the secret
    b.state, b._outgoing = "auth", []
    b._send_auth()
    with pytest.raises(ProtocolViolation, match="authentication failed"):
        a.receive(b.data_to_send()[0])


def test_frames_from_an_unauthenticated_connection_are_rejected():
    a, b = pair()
    b.data_to_send()
    for frame in (GENERATE, wire.PeerStatus("x", "x", "m", "llama", 1, 0), wire.PeerBye()):
        fresh = PeerProtocol(KEY, "node-b", "listener")
        with pytest.raises(ProtocolViolation):
            fresh.receive(wire.encode_peer(frame))
    # a sealed frame made with a guessed key before any handshake
    fresh = PeerProtocol(KEY, "node-b", "listener")
    forged = wire.PeerSealed(0, wire.encode_peer(GENERATE), b"\0" * 32)
    with pytest.raises(ProtocolViolation):
        fresh.receive(wire.encode_peer(forged))
    with pytest.raises(ProtocolViolation):
        a.send(GENERATE)  # and we never seal before authentication


def test_replayed_and_reordered_frames_are_rejected():
    a, b = pair()
    pump(a, b)
    a.send(GENERATE)
    a.send(wire.PeerCancel("req-1"))
    first, second = a.data_to_send()
    assert b.receive(first) == GENERATE
    with pytest.raises(ProtocolViolation, match="replayed or reordered"):
        b.receive(first)

    a, b = pair()
    pump(a, b)
    a.send(GENERATE)
    a.send(wire.PeerCancel("req-1"))
    first, second = a.data_to_send()
    with pytest.raises(ProtocolViolation, match="replayed or reordered"):
        b.receive(second)


def test_a_frame_from_another_session_does_not_verify():
    a1, b1 = pair()
    pump(a1, b1)
    a2, b2 = pair()
    pump(a2, b2)
    a1.send(GENERATE)
    with pytest.raises(ProtocolViolation, match="MAC"):
        b2.receive(a1.data_to_send()[0])


def test_a_reflected_proof_is_rejected():
    a, b = pair()
    hello_a = a.data_to_send()[0]
    b.receive(hello_a)
    # a "listener" that reflects the dialer's own proof back at it
    a.receive(b.data_to_send()[0])
    auth_a = a.data_to_send()[0]
    with pytest.raises(ProtocolViolation, match="authentication failed"):
        a.receive(auth_a)


def transcript() -> list[tuple[str, bytes]]:
    """Every message of a session in delivery order, with its receiver ('a' or 'b')."""
    a, b = (
        PeerProtocol(KEY, "node-a", "dialer", b"a" * 32),
        PeerProtocol(KEY, "node-b", "listener", b"b" * 32),
    )
    log: list[tuple[str, bytes]] = []
    script = [
        lambda: a.send(GENERATE),
        lambda: b.send(wire.PeerStatus("node-b", "b", "m", "llama", 8420, 1)),
        lambda: a.send(wire.PeerCancel("req-1")),
        lambda: b.send(wire.PeerBye("done")),
    ]
    steps = iter(script)
    while True:
        moved = False
        for src, dst, name in ((a, b, "b"), (b, a, "a")):
            for data in src.data_to_send():
                moved = True
                log.append((name, data))
                dst.receive(data)
        if not moved:
            step = next(steps, None)
            if step is None:
                return log
            step()


TRANSCRIPT = transcript()


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_a_flipped_byte_in_any_frame_is_rejected(data):
    index = data.draw(st.integers(0, len(TRANSCRIPT) - 1), label="frame")
    receiver_name, message = TRANSCRIPT[index]
    pos = data.draw(st.integers(0, len(message) - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    tampered = bytearray(message)
    tampered[pos] ^= 1 << bit
    a, b = (
        PeerProtocol(KEY, "node-a", "dialer", b"a" * 32),
        PeerProtocol(KEY, "node-b", "listener", b"b" * 32),
    )
    peers = {"a": a, "b": b}
    a.data_to_send(), b.data_to_send()
    for name, earlier in TRANSCRIPT[:index]:
        peers[name].receive(earlier)
        peers["a"].data_to_send(), peers["b"].data_to_send()
    receiver = peers[receiver_name]
    sealed = isinstance(wire.decode_peer_link(message), wire.PeerSealed)
    with pytest.raises(ProtocolViolation):
        receiver.receive(bytes(tampered))
        assert not sealed, "a tampered sealed frame was accepted"
        # A hello with a flipped byte can still decode; the handshake must then fail.
        for name, later in TRANSCRIPT[index + 1 :]:
            peers[name].receive(later)
    assert receiver.state == "closed" or not sealed


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_never_crash_the_protocol(blob):
    for role in ("dialer", "listener"):
        p = PeerProtocol(KEY, "node-x", role)
        try:
            p.receive(blob)
        except ProtocolViolation:
            assert p.state == "closed"
    a, b = pair()
    pump(a, b)
    with pytest.raises(ProtocolViolation):
        b.receive(blob)
