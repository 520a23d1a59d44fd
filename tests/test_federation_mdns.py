"""Nodes in separate network namespaces, joined by a bridge, find each other by mDNS alone.

The test makes three namespaces (two nodes and a hub holding the bridge) with veth pairs on a
private 10.201.x.0/24; all traffic, multicast included, stays inside namespaces it created,
and they are deleted at teardown. Needs root and iproute2; skipped otherwise."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time

import pytest

from hive_tui.backends.scripted_engine import write_script

pytestmark = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0 or shutil.which("ip") is None,
    reason="needs root and iproute2 (ip netns)",
)

API_KEY = "mdns-test-key"
SECRET = "MDNS0-TESTS-SECRE-T0000"


def ip(*args: str, ns: str | None = None) -> None:
    cmd = ["ip", *(["netns", "exec", ns, "ip"] if ns else []), *args]
    subprocess.run(cmd, check=True, capture_output=True, timeout=10)


@pytest.fixture
def lan():
    tag = f"{os.getpid() % 10000}{random.randrange(100)}"
    subnet = random.randrange(1, 250)
    hub, names = f"hivehub{tag}", [f"hivea{tag}", f"hiveb{tag}"]
    made: list[str] = []
    try:
        for ns in (hub, *names):
            ip("netns", "add", ns)
            made.append(ns)
        ip("link", "add", "br0", "type", "bridge", "mcast_snooping", "0", ns=hub)
        ip("link", "set", "br0", "up", ns=hub)
        addrs = []
        for i, ns in enumerate(names, start=1):
            outer, inner = f"vh{i}{tag}"[:15], f"vn{i}{tag}"[:15]
            ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            ip("link", "set", outer, "netns", hub)
            ip("link", "set", inner, "netns", ns)
            ip("link", "set", outer, "master", "br0", ns=hub)
            ip("link", "set", outer, "up", ns=hub)
            addr = f"10.201.{subnet}.{i}"
            ip("addr", "add", f"{addr}/24", "dev", inner, ns=ns)
            ip("link", "set", inner, "up", ns=ns)
            ip("link", "set", "lo", "up", ns=ns)
            ip("route", "add", "224.0.0.0/4", "dev", inner, ns=ns)
            addrs.append(addr)
        yield list(zip(names, addrs, strict=True))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot build network namespaces here: {exc.stderr!r}")
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def in_ns(ns: str, *args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, *args], env={**os.environ, **(env or {})}, **kw
    )


def ns_json(ns: str, code: str) -> object:
    out = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_nodes_find_each_other_by_mdns_alone(lan, tmp_path):
    procs = []
    try:
        for i, (ns, addr) in enumerate(lan):
            script = write_script(str(tmp_path / f"s{i}.json"), answers=["Paris."])
            home = tmp_path / f"n{i}"
            env = {
                "XDG_CONFIG_HOME": str(home / "c"),
                "XDG_DATA_HOME": str(home / "d"),
                "HIVE_SECRET": SECRET,
                # A node bound beyond loopback must have an API key (peers use the secret).
                "HIVE_API_KEY": API_KEY,
                "PYTHONPATH": os.getcwd(),
            }
            log = open(tmp_path / f"n{i}.log", "w")  # noqa: SIM115 - closed with the process
            procs.append(
                in_ns(
                    ns,
                    "-m",
                    "hive_tui",
                    "--node",
                    "--host",
                    addr,
                    "--port",
                    "8420",
                    "--backend",
                    "scripted",
                    "--model",
                    script,
                    "--workers",
                    "1",
                    "--threads",
                    "1",
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        (ns_a, addr_a), (_, addr_b) = lan
        peers: list = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                peers = ns_json(
                    ns_a,
                    "import httpx, json; print(json.dumps(httpx.get("
                    f"'http://{addr_a}:8420/health', timeout=5, "  # peers: with the key only
                    f"headers={{'Authorization': 'Bearer {API_KEY}'}}).json()['peers']))",
                )
            except subprocess.CalledProcessError:
                peers = []
            if any(p["state"] == "connected" and p["workers_ready"] for p in peers):
                break
            time.sleep(0.5)
        logs = "\n".join((tmp_path / f"n{i}.log").read_text() for i in range(2))
        connected = [p for p in peers if p["state"] == "connected"]
        assert len(connected) == 1, f"no peer found by mDNS: {peers}\n{logs}"
        assert connected[0]["address"].split(":")[0] == addr_b
        assert "mDNS: found" in logs

        body = ns_json(
            ns_a,
            "import httpx; print(httpx.post("
            f"'http://{addr_a}:8420/v1/chat/completions', json={{'messages': "
            "[{'role': 'user', 'content': 'capital?'}]}, timeout=30, "
            f"headers={{'Authorization': 'Bearer {API_KEY}'}}).text)",
        )
        assert body["choices"][0]["message"]["content"] == "Paris."
        assert [n["state"] for n in body["hive"]["nodes"]] == ["ok", "ok"]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
