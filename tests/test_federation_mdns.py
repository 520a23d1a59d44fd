"""Nodes in separate network namespaces, joined by a bridge, find each other by mDNS alone.

The test makes three namespaces (two nodes and a hub holding the bridge) with veth pairs on a
private 10.201.x.0/24; all traffic, multicast included, stays inside namespaces it created,
and they are deleted at teardown. Needs root and iproute2; skipped otherwise."""

from __future__ import annotations

import os
import subprocess
import time

from hive_tui.backends.scripted_engine import write_script
from tests.netns import in_ns, needs_netns, ns_json

pytestmark = needs_netns

API_KEY = "mdns-test-key"
SECRET = "MDNS0-TESTS-SECRE-T0000"


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
