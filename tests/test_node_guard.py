"""The node's front door, on a real `hive --node` process: key, Host, CORS, limits, 503."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import httpx
import pytest

from hive_tui.backends.scripted_engine import write_script

KEY = "s3cret-key"
CHAT = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path_factory.mktemp("g") / "s.json"), answers=["ok."])
    node = NodeProcess(
        ["--backend", "scripted", "--model", script, "--workers", "1"],
        env={"HIVE_API_KEY": KEY, "HIVE_ALLOWED_HOSTS": "hive.lan", "HIVE_MAX_BODY_BYTES": "65536"},
    )
    node.wait_ready(1)
    yield node
    assert node.stop() == 0


def auth(key: str = KEY) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_every_route_but_health_needs_the_key(keyed) -> None:
    assert httpx.get(f"{keyed.url}/health").status_code == 200
    for method, path in [
        ("GET", "/v1/models"),
        ("GET", "/openapi.json"),
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/nothing"),
    ]:
        for headers in [{}, auth("wrong"), auth(KEY + "x"), {"authorization": KEY}]:
            r = httpx.request(method, f"{keyed.url}{path}", json=CHAT, headers=headers)
            assert r.status_code == 401, (path, headers)
            assert r.json()["error"]["type"] == "authentication_error"
    assert httpx.get(f"{keyed.url}/v1/models", headers=auth()).status_code == 200
    r = httpx.post(f"{keyed.url}/v1/chat/completions", json=CHAT, headers=auth(), timeout=30)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "ok."


def test_foreign_host_headers_are_refused(keyed) -> None:
    port = keyed.url.rsplit(":", 1)[1]
    for host in ["evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", ""]:
        r = httpx.get(f"{keyed.url}/health", headers={"host": host})
        assert r.status_code == 400, host
    for host in [f"localhost:{port}", f"127.0.0.1:{port}", "hive.lan", f"HIVE.LAN:{port}"]:
        assert httpx.get(f"{keyed.url}/health", headers={"host": host}).status_code == 200, host


def test_no_cors_headers(keyed) -> None:
    origin = {"origin": "https://evil.example"}
    preflight = httpx.options(
        f"{keyed.url}/v1/chat/completions",
        headers={**origin, "access-control-request-method": "POST", **auth()},
    )
    plain = httpx.get(f"{keyed.url}/v1/models", headers={**origin, **auth()})
    for r in (preflight, plain):
        assert not [h for h in r.headers if h.lower().startswith("access-control-")]


def test_body_limits(keyed) -> None:
    big = {"messages": [{"role": "user", "content": "x" * 70000}]}
    r = httpx.post(f"{keyed.url}/v1/chat/completions", json=big, headers=auth())
    assert r.status_code == 413

    def chunked():
        for _ in range(20):
            yield b"x" * 8192

    r = httpx.post(f"{keyed.url}/v1/chat/completions", content=chunked(), headers=auth())
    assert r.status_code == 413
    many = {"messages": [{"role": "user", "content": "x"}] * 1025}
    r = httpx.post(f"{keyed.url}/v1/chat/completions", json=many, headers=auth())
    assert r.status_code == 400 and "messages" in r.json()["error"]["message"]
    r = httpx.post(
        f"{keyed.url}/v1/chat/completions",
        json={**CHAT, "max_tokens": 10**9},
        headers=auth(),
        timeout=30,
    )
    assert r.status_code == 200  # clamped to the context, not refused


def test_non_loopback_bind_without_key_is_refused() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hive_tui",
            "--node",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--backend",
            "scripted",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "without an API key" in proc.stderr
    assert (proc.stdout + proc.stderr).count("refusing to listen") == 1, proc.stderr  # once
    assert "Traceback" not in proc.stderr


async def test_past_the_queue_bound_clients_get_503_quickly(node_process, tmp_path) -> None:
    script = write_script(
        str(tmp_path / "slow.json"), answers=["a b c d e f g h i j"], token_delay_s=0.05
    )
    node = node_process(
        "--backend", "scripted", "--model", script, "--workers", "1", "--max-queue", "4"
    )
    node.wait_ready(1)
    async with httpx.AsyncClient(base_url=node.url, timeout=60) as client:

        async def one() -> tuple[int, float, str | None]:
            t = time.monotonic()
            r = await client.post("/v1/chat/completions", json=CHAT)
            return r.status_code, time.monotonic() - t, r.headers.get("retry-after")

        results = await asyncio.gather(*(one() for _ in range(12)))
    ok = [r for r in results if r[0] == 200]
    busy = [r for r in results if r[0] == 503]
    assert len(ok) == 4 and len(busy) == 8, results
    slowest_ok = max(t for _, t, _ in ok)
    assert all(t < slowest_ok / 2 for _, t, _ in busy)  # refused at once, not after waiting
    assert all(ra is not None and int(ra) >= 1 for _, _, ra in busy)


def test_health_without_the_key_is_liveness_only(keyed) -> None:
    bare = httpx.get(f"{keyed.url}/health")
    assert bare.status_code == 200
    assert set(bare.json()) == {"status", "workers_ready", "detail"}
    assert bare.json()["workers_ready"] == 1
    for headers in [auth("wrong"), {"authorization": KEY}]:
        assert "workers" not in httpx.get(f"{keyed.url}/health", headers=headers).json()
    full = httpx.get(f"{keyed.url}/health", headers=auth()).json()
    assert full["workers"][0]["pid"] and "peers" in full and full["plan"]
