"""The guard middleware in process (ASGI transport): Host parsing, binding to all, the key;
framing, bodies, admission and upgrades called as raw ASGI (issue 16)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hive_tui import wire
from hive_tui.api.events import _stream
from hive_tui.api.guard import Admission, Guard, host_name, is_loopback, own_names
from hive_tui.bus import EventBus


def app() -> Starlette:
    async def ok(request):
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/health", ok), Route("/v1/models", ok)])


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("example.com:8420", "example.com"),
        ("[::1]:8420", "::1"),
        ("LOCALHOST", "localhost"),
        ("::1", "::1"),
        ("", ""),
        ("[broken", "[broken"),
    ],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


def test_loopback_names() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.8.9.10")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert not is_loopback("localhost.evil.example")


async def get(guard: Guard, host: str, path: str = "/health", **headers: str) -> int:
    transport = httpx.ASGITransport(app=guard)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as c:
        return (await c.get(path, headers={"host": host, **headers})).status_code


async def test_bound_to_all_accepts_this_machines_names_only() -> None:
    guard = Guard(app(), bound_host="0.0.0.0", api_key="k")
    mine = sorted(own_names() - {"localhost", "127.0.0.1", "::1"})
    for name in mine:
        assert await get(guard, name) == 200, name
    assert await get(guard, "evil.example") == 400


async def test_key_and_wildcard_hosts() -> None:
    guard = Guard(app(), api_key="k", allowed_hosts=["*"])
    assert await get(guard, "anything.example") == 200  # /health is open
    assert await get(guard, "anything.example", "/v1/models") == 401
    assert await get(guard, "a", "/v1/models", authorization="Bearer k") == 200
    assert await get(guard, "a", "/v1/models", authorization="Basic k") == 401


def test_admission_is_bounded() -> None:
    gate = Admission(2)
    assert gate.try_enter() and gate.try_enter() and not gate.try_enter()
    gate.leave()
    assert gate.try_enter() and gate.inside == 2


# ------------------------------------------------------------- raw ASGI: framing and bodies


class Recorder:
    """An app that records the body it was handed."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.bodies.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def http_scope(path: str = "/v1/chat/completions", *headers: tuple[str, str]) -> dict:
    pairs = [(b"host", b"127.0.0.1"), *((k.encode(), v.encode()) for k, v in headers)]
    return {"type": "http", "method": "POST", "path": path, "headers": pairs}


async def call(guard: Guard, scope: dict, messages: list[dict]) -> list[dict]:
    """Run the guard; `receive` hands out `messages`, then waits for ever."""
    sent: list[dict] = []
    queue = list(messages)

    async def receive() -> dict:
        if queue:
            return queue.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.wait_for(guard(scope, receive, send), 10)
    return sent


def body(data: bytes, more: bool = False) -> dict:
    return {"type": "http.request", "body": data, "more_body": more}


async def test_content_length_with_transfer_encoding_is_refused() -> None:
    app = Recorder()
    scope = http_scope(
        "/v1/chat/completions", ("content-length", "5"), ("transfer-encoding", "chunked")
    )
    sent = await call(Guard(app), scope, [body(b"x" * 5, more=True)])
    assert sent[0]["status"] == 400 and (b"connection", b"close") in sent[0]["headers"]
    assert app.bodies == []


async def test_bytes_are_counted_whatever_the_framing() -> None:
    app = Recorder()
    guard = Guard(app, max_body_bytes=100)
    for framing in [("transfer-encoding", "chunked"), ("content-length", "50")]:
        chunks = [body(b"x" * 40, more=True) for _ in range(5)]
        sent = await call(guard, http_scope("/v1/models", framing), chunks)
        assert sent[0]["status"] == 413, framing
    assert app.bodies == []
    sent = await call(guard, http_scope("/v1/models", ("content-length", "3")), [body(b"abc")])
    assert sent[0]["status"] == 200 and app.bodies == [b"abc"]


async def test_a_slow_body_takes_no_admission_slot_and_gets_408() -> None:
    gate = Admission(1)
    guard = Guard(Recorder(), admission=gate, body_timeout_s=0.5)
    scope = http_scope("/v1/chat/completions", ("content-length", "100"))
    slow = asyncio.ensure_future(call(guard, scope, [body(b"{", more=True)]))
    await asyncio.sleep(0.1)
    assert gate.inside == 0 and not slow.done()
    sent = await slow
    assert sent[0]["status"] == 408 and gate.inside == 0


async def test_a_client_that_hangs_up_mid_body_gets_nothing_and_no_log(caplog) -> None:
    app = Recorder()
    scope = http_scope("/v1/chat/completions", ("content-length", "100"))
    sent = await call(Guard(app), scope, [body(b"{", more=True), {"type": "http.disconnect"}])
    assert sent == [] and app.bodies == []
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


async def test_upgrades_pass_host_key_and_origin_checks() -> None:
    async def accept(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.accept"})

    guard = Guard(accept, api_key="k")

    async def status(path: str, *headers: tuple[str, str]) -> int:
        scope = {
            "type": "websocket",
            "path": path,
            "headers": [(k.encode(), v.encode()) for k, v in headers],
            "extensions": {"websocket.http.response": {}},
        }
        sent = await call(guard, scope, [{"type": "websocket.connect"}])
        return 101 if sent[0]["type"] == "websocket.accept" else sent[0]["status"]

    local, key = ("host", "localhost:8420"), ("authorization", "Bearer k")
    assert await status("/v1/hive/peer", local) == 101  # peers prove the hive secret instead
    assert await status("/v1/hive/peer", ("host", "evil.example")) == 400
    assert await status("/v1/hive/peer", local, ("origin", "http://evil.example")) == 403
    assert await status("/v1/hive/peer", local, ("origin", "null")) == 403
    assert await status("/v1/hive/events", local) == 401
    assert await status("/v1/hive/events", local, key) == 101
    assert await status("/v1/hive/events", local, key, ("origin", "http://localhost:3000")) == 101


async def test_an_event_reader_that_falls_behind_is_told_what_it_lost() -> None:
    bus = EventBus()
    subscription = bus.subscribe(maxsize=3)
    for i in range(10):
        bus.publish(wire.RequestFailed(f"req-{i}", "x"))
    lines = _stream(subscription, [], asyncio.Event())
    got = [await anext(lines) for _ in range(3)]
    await lines.aclose()
    assert got[1] == b": dropped 7 events (reading too slowly)\n\n"
    assert b"req-7" in got[2]
    assert bus.subscriber_count == 0


async def test_open_websockets_are_bounded() -> None:
    held = asyncio.Event()

    async def hold(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.accept"})
        await held.wait()

    guard = Guard(hold, sockets=Admission(1))
    scope = {
        "type": "websocket",
        "path": "/v1/hive/peer",
        "headers": [(b"host", b"127.0.0.1")],
        "extensions": {"websocket.http.response": {}},
    }
    first = asyncio.ensure_future(call(guard, scope, [{"type": "websocket.connect"}]))
    await asyncio.sleep(0.05)
    second = await call(guard, scope, [{"type": "websocket.connect"}])
    assert second[0]["status"] == 503
    held.set()
    assert (await first)[0]["type"] == "websocket.accept"
    assert guard.sockets.inside == 0
