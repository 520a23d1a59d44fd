"""Property tests over the federation frames in the wire module: every frame survives
encode/decode unchanged, and no byte string makes a decoder fail with anything but FrameError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hive_tui import wire

text = st.text(max_size=40)
small = st.integers(min_value=-(2**31), max_value=2**31)
count = st.integers(min_value=0, max_value=2**31)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
seconds = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
opt_float = st.none() | st.floats(allow_nan=False, allow_infinity=False)

messages = st.lists(st.builds(wire.ChatMessage, text, text), max_size=4)
params = st.builds(wire.SamplingParams, unit, unit, count, count, st.lists(text, max_size=3), count)
candidate = st.builds(wire.Candidate, text, text, text, text, count, seconds, seconds, opt_float)
decision = st.builds(
    wire.Decision,
    text,
    small,
    st.lists(unit, max_size=4),
    st.lists(st.lists(count, max_size=3), max_size=3),
    unit,
)
worker_status = st.builds(
    wire.WorkerStatus,
    text,
    text,
    text,
    text,
    st.sampled_from(["loading", "idle", "generating", "crashed", "restarting", "stopped"]),
    st.none() | count,
    count,
    count,
    seconds,
    seconds,
    count,
    st.none() | text,
)
core_event = st.one_of(
    st.builds(wire.WorkerStarted, text, text, text, count),
    st.builds(wire.TokenEvent, text, text, text),
    st.builds(wire.CandidateDone, text, candidate),
    st.builds(wire.WorkerCrashed, text, text, st.none() | text),
)
peer_frames = st.one_of(
    st.builds(wire.PeerHello, small, st.binary(max_size=40)),
    st.builds(wire.PeerAuth, text, st.binary(max_size=40)),
    st.builds(
        wire.PeerStatus,
        text,
        text,
        text,
        text,
        count,
        count,
        st.lists(worker_status, max_size=3),
        count,
    ),
    st.builds(wire.PeerGenerate, text, messages, params, text, count, st.none() | count, seconds),
    st.builds(wire.PeerProgress, text, core_event),
    st.builds(
        wire.PeerLocalResult,
        text,
        text,
        count,
        st.lists(candidate, max_size=3),
        decision,
        st.booleans(),
        st.lists(text, max_size=3),
        count,
    ),
    st.builds(wire.PeerCancel, text),
    st.builds(wire.PeerError, text, st.none() | text, st.booleans()),
    st.builds(wire.PeerBye, text),
)
sealed = st.builds(wire.PeerSealed, count, st.binary(max_size=200), st.binary(max_size=40))


@settings(max_examples=300, deadline=None)
@given(peer_frames)
def test_every_peer_frame_round_trips(frame):
    assert wire.decode_peer_frame(wire.encode_peer(frame)) == frame


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        sealed,
        st.builds(wire.PeerHello, small, st.binary(max_size=40)),
        st.builds(wire.PeerAuth, text, st.binary(max_size=40)),
        st.builds(wire.PeerError, text, st.none() | text, st.booleans()),
    )
)
def test_every_link_frame_round_trips(frame):
    assert wire.decode_peer_link(wire.encode_peer(frame)) == frame


@settings(max_examples=500, deadline=None)
@given(
    st.binary(max_size=600)
    | peer_frames.map(wire.encode_peer).flatmap(
        lambda b: st.integers(0, len(b) - 1).map(
            lambda i: b[:i] + bytes([b[i] ^ 0x5A]) + b[i + 1 :]
        )
    )
)
def test_random_or_damaged_bytes_never_crash_the_decoders(data):
    for decode in (wire.decode_peer_frame, wire.decode_peer_link):
        with contextlib.suppress(wire.FrameError):
            decode(data)


def test_oversized_frames_are_refused_both_ways():
    huge = wire.PeerBye("x" * wire.MAX_PEER_FRAME_BYTES)
    with pytest.raises(wire.FrameError):
        wire.encode_peer(huge)
    with pytest.raises(wire.FrameError, match="exceeds"):
        wire.decode_peer_link(b"\0" * (wire.MAX_PEER_FRAME_BYTES + 1))


def test_unknown_fields_are_errors_not_ignored():
    # A flipped byte in a field name must not silently fall back to a default value.
    data = wire.encode_peer(wire.PeerBye("bye")).replace(b"reason", b"reasoN")
    with pytest.raises(wire.FrameError):
        wire.decode_peer_frame(data)
