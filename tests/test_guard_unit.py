"""The guard middleware in process (ASGI transport): Host parsing, binding to all, the key."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hive_tui.api.guard import Admission, Guard, host_name, is_loopback, own_names


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
