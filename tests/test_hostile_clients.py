"""Hostile clients against a real `hive --node` on 127.0.0.1, over raw sockets (issue 16).

Slow headers, slow bodies, conflicting framing, oversized headers, abrupt closes and upgrade
abuse. Every socket has a timeout and every test a bounded number of requests; a wait that
depends on the node's timeouts allows many times the configured value, so a loaded machine
is slower, not red.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from hive_tui.backends.scripted_engine import write_script

pytestmark = pytest.mark.process

KEY = "hostile-key"
CHAT = b'{"messages":[{"role":"user","content":"hi"}]}'
WAIT_S = 20.0  # the longest any socket waits for the node (its timeouts are 1-2 s here)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Iterator:
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path_factory.mktemp("h") / "s.json"), answers=["ok."])
    node = NodeProcess(
        ["--backend", "scripted", "--model", script, "--workers", "1", "--max-queue", "4"],
        env={
            "HIVE_API_KEY": KEY,
            "HIVE_MAX_BODY_BYTES": "65536",
            "HIVE_HEADER_TIMEOUT_S": "1",
            "HIVE_BODY_TIMEOUT_S": "2",
            "HIVE_SECRET": "hostile-test-secret",
        },
    )
    node.wait_ready(1)
    yield node
    assert node.stop() == 0


def address(node) -> tuple[str, int]:
    host, port = node.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def dial(node) -> socket.socket:
    sock = socket.create_connection(address(node), timeout=WAIT_S)
    sock.settimeout(WAIT_S)
    return sock


def head(path: str, *lines: str, method: str = "POST", key: bool = True) -> bytes:
    auth = [f"Authorization: Bearer {KEY}"] if key else []
    parts = (f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *auth, *lines, "", "")
    return "\r\n".join(parts).encode()


def read_response(sock: socket.socket) -> bytes:
    """Everything the node sends until it closes (or WAIT_S passes, then what came)."""
    data = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def status(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:200]
    return int(response.split(b" ", 2)[1])


def refused_while_sending(sock: socket.socket, chunks: Iterator[bytes]) -> bytes | None:
    """Send `chunks` until the node stops reading; its answer (b"" when it reset the
    connection instead), or None when it took everything and said nothing within WAIT_S."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        for chunk in chunks:
            sock.sendall(chunk)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        return data or None
    except ConnectionResetError:
        pass
    return data


def closed_by_node(sock: socket.socket) -> bool:
    """True when the node closes the connection (with or without an answer) within WAIT_S."""
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def log_of(node) -> str:
    return "".join(node._lines)


def test_content_length_with_chunked_is_refused_at_once(hostile) -> None:
    """Issue 16 (1): both headers (RFC 9112 6.3) used to be read as chunked without a limit."""
    with dial(hostile) as sock:
        sock.sendall(
            head("/v1/chat/completions", "Content-Length: 5", "Transfer-Encoding: chunked")
            + b"10000\r\n"  # a 64 KiB chunk announced, never finished
            + b"x" * 1024
        )
        response = read_response(sock)
    assert status(response) == 400 and b"Content-Length" in response


def test_a_flood_behind_conflicting_framing_costs_the_node_no_memory(hostile) -> None:
    """Issue 16's acceptance: a huge chunked body with a Content-Length: 4xx, RSS flat."""
    node = psutil.Process(hostile.proc.pid)
    before = node.memory_info().rss
    framing = ("Content-Length: 5", "Transfer-Encoding: chunked")
    mib = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    sent = 0

    def flood() -> Iterator[bytes]:
        nonlocal sent
        yield head("/v1/chat/completions", *framing)
        while sent < 256:  # at most 256 MiB from this side
            sent += 1
            yield mib

    with dial(hostile) as sock:
        response = refused_while_sending(sock, flood())
    assert sent < 256, "the node kept reading the body"
    assert response == b"" or status(response) == 400
    assert node.memory_info().rss - before < 50 * 1024 * 1024


def test_chunked_body_over_the_limit_is_refused_before_its_end(hostile) -> None:
    chunks = [head("/v1/chat/completions", "Transfer-Encoding: chunked")]
    chunks += [b"1000\r\n" + b"x" * 4096 + b"\r\n"] * 20  # 80 KiB, over the 64 KiB limit
    with dial(hostile) as sock:  # and the body never ends
        response = refused_while_sending(sock, iter(chunks))
    assert response is not None, "the node waited for the end of an oversized body"
    assert response == b"" or status(response) == 413


def test_deep_json_nesting_is_a_400(hostile) -> None:
    """Issue 16 (3): a RecursionError used to answer 500 and log two tracebacks."""
    body = CHAT[:-1] + b',"x":' + b"[" * 500 + b"]" * 500 + b"}"
    r = httpx.post(
        f"{hostile.url}/v1/chat/completions",
        content=body,
        headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"},
        timeout=WAIT_S,
    )
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_slow_bodies_do_not_lock_out_chat(hostile) -> None:
    """Issue 16 (2): 70 slow-body sockets, more than `max_queue` (4 here, 64 by default),
    while a real request runs."""
    socks = [dial(hostile) for _ in range(70)]
    try:
        for sock in socks:
            sock.sendall(head("/v1/chat/completions", "Content-Length: 100") + b"{")
        r = httpx.post(
            f"{hostile.url}/v1/chat/completions",
            content=CHAT,
            headers={"authorization": f"Bearer {KEY}"},
            timeout=WAIT_S,
        )
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == "ok."
        # and the slow ones are told so once the body timeout (2 s) has passed
        assert [status(read_response(sock)) for sock in socks] == [408] * len(socks)
    finally:
        for sock in socks:
            sock.close()


def test_slow_and_silent_headers_are_closed(hostile) -> None:
    """Issue 16 (8): partial headers and silent sockets used to stay open for ever."""
    partial, silent = dial(hostile), dial(hostile)
    with partial, silent:
        partial.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        assert closed_by_node(partial) and closed_by_node(silent)
        assert time.monotonic() - started < WAIT_S
    # a trickle of header bytes does not keep a connection open either
    with dial(hostile) as trickle:
        trickle.sendall(b"GET /health HTTP/1.1\r\n")
        deadline = time.monotonic() + WAIT_S
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while time.monotonic() < deadline:
                trickle.sendall(b"X-A: b\r\n")
                time.sleep(0.2)
        assert time.monotonic() < deadline, "the node kept a trickling connection open"


def test_a_long_response_outlives_the_header_deadline(hostile) -> None:
    """The header deadline (1 s here) never cuts a request once its headers are in."""
    with dial(hostile) as sock:
        sock.sendall(head("/v1/hive/events", method="GET"))
        seen = b""
        while b": keepalive" not in seen:  # the first comes after 5 s of quiet
            chunk = sock.recv(65536)
            assert chunk, f"the node closed a live event stream: {seen[-300:]!r}"
            seen += chunk
    assert status(seen) == 200


def test_oversized_headers_are_refused(hostile) -> None:
    with dial(hostile) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head("/health", f"X-Big: {'a' * 200_000}", method="GET"))
        response = read_response(sock)
    assert response == b"" or status(response) in (400, 431)
    assert httpx.get(f"{hostile.url}/health", timeout=WAIT_S).status_code == 200


def test_clients_that_hang_up_mid_body_leave_no_traceback(hostile) -> None:
    """Issue 16 (6): each used to log an unhandled error with two tracebacks."""
    for _ in range(5):
        with dial(hostile) as sock:
            sock.sendall(head("/v1/chat/completions", "Content-Length: 1000") + CHAT[:10])
    time.sleep(1.0)  # let the node notice the hang-ups
    assert httpx.get(f"{hostile.url}/health", timeout=WAIT_S).status_code == 200
    log = log_of(hostile)
    assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]


def upgrade(node, path: str, *lines: str, key: bool = False) -> int:
    nonce = base64.b64encode(os.urandom(16)).decode()
    with dial(node) as sock:
        sock.sendall(
            head(
                path,
                "Connection: Upgrade",
                "Upgrade: websocket",
                "Sec-WebSocket-Version: 13",
                f"Sec-WebSocket-Key: {nonce}",
                *lines,
                method="GET",
                key=key,
            ).replace(b"Host: 127.0.0.1\r\n", b"")
        )
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(4096)):
            answer += chunk
    return status(answer)


def test_upgrades_pass_the_guard(hostile) -> None:
    """Issue 16 (7): upgrades used to skip the Host, key and Origin checks."""
    port = address(hostile)[1]
    local = f"Host: 127.0.0.1:{port}"
    assert upgrade(hostile, "/v1/hive/peer", local) == 101  # a peer, as peers dial
    assert upgrade(hostile, "/v1/hive/peer", "Host: evil.example") == 400
    assert upgrade(hostile, "/v1/hive/peer", local, "Origin: http://evil.example") == 403
    assert upgrade(hostile, "/v1/hive/events", local) == 401  # the key is needed there
    evil = "Origin: http://evil.example"
    assert upgrade(hostile, "/v1/hive/events", local, evil, key=True) == 403
    assert upgrade(hostile, "/v1/hive/peer", local, "Origin: http://localhost:3000") == 101
    assert "Traceback" not in log_of(hostile)


# ------------------------------------------------------------- bounded connections, streams


@pytest.fixture(scope="module")
def bounded(tmp_path_factory) -> Iterator:
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path_factory.mktemp("b") / "s.json"), answers=["ok."])
    node = NodeProcess(
        ["--backend", "scripted", "--model", script, "--workers", "1", "--no-federation"],
        env={
            "HIVE_MAX_CONNECTIONS": "8",
            "HIVE_MAX_EVENT_STREAMS": "2",
            "HIVE_HEADER_TIMEOUT_S": "120",  # the held sockets stay until the test lets go
        },
    )
    node.wait_ready(1)
    yield node
    assert node.stop() == 0


def test_connections_are_bounded(bounded) -> None:
    """Issue 16 (8): past `max_connections` a new request gets 503 at once, not a hang."""
    held = [dial(bounded) for _ in range(10)]
    try:
        with dial(bounded) as sock:
            sock.sendall(head("/v1/models", method="GET", key=False))
            assert status(read_response(sock)) == 503
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + WAIT_S
    while httpx.get(f"{bounded.url}/health", timeout=WAIT_S).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_event_streams_are_bounded(bounded) -> None:
    """Issue 16 (8): 300 subscribers used to be accepted; past `max_event_streams`, 503."""
    with httpx.Client(base_url=bounded.url, timeout=WAIT_S) as client:
        with (
            client.stream("GET", "/v1/hive/events") as one,
            client.stream("GET", "/v1/hive/events") as two,
        ):
            assert one.status_code == two.status_code == 200
            with client.stream("GET", "/v1/hive/events") as third:
                assert third.status_code == 503 and third.headers.get("retry-after")
        # once they are gone, a new one is welcome again
        deadline = time.monotonic() + WAIT_S
        while True:
            with client.stream("GET", "/v1/hive/events") as again:
                if again.status_code == 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
