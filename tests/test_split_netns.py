"""No ggml RPC server is reachable from another machine: a lender in one network namespace,
a stranger in another (tests/netns.py builds and removes them). Every TCP port the lender's
namespace listens on is tried from the stranger's: the loopback ones (the RPC server) cannot
be reached at all, the rest (the API, the tunnel exit) never pass RPC bytes on, with or without
the tunnel's own handshake under a wrong secret."""

from __future__ import annotations

import subprocess
import time

import pytest

from hive_tui.backends.ggml_rpc import rpc_available
from hive_tui.backends.scripted_engine import write_script
from tests.netns import in_ns, needs_netns, ns_json

pytestmark = [
    needs_netns,
    pytest.mark.skipif(not rpc_available(), reason="llama-cpp-python built without GGML_RPC"),
]

API_KEY = "split-netns-key"
SECRET = "SPLIT-NETNS-SECRET-0000"
LEND_PORT = 18555
# ggml RPC (protocol v7): the command byte RPC_CMD_HELLO (14, fixed forever), the input's
# size and the input (24 bytes of connection capabilities).
RPC_HELLO = bytes([14]) + (24).to_bytes(8, "little") + bytes(24)


def is_rpc_hello_reply(reply_hex: str) -> bool:
    """The server's answer: a size of 28, then the protocol version (major 7 here)."""
    reply = bytes.fromhex(reply_hex)
    return len(reply) >= 9 and int.from_bytes(reply[:8], "little") == 28

PROBE = """
import asyncio, json, socket
from hive_tui.federation.identity import derive_key
from hive_tui.federation.rpc_tunnel import TunnelEntrance
HOST, PORTS, HELLO = {host!r}, {ports!r}, {hello!r}

def probe(port, host=HOST):
    try:
        s = socket.create_connection((host, port), timeout=3)
    except OSError as exc:
        return {{"port": port, "connected": False, "error": type(exc).__name__}}
    s.settimeout(3)
    got = b""
    try:
        s.sendall(HELLO)
        while len(got) < 64:
            chunk = s.recv(64)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    s.close()
    return {{"port": port, "connected": True, "reply": got.hex()}}

async def wrong_secret():
    entrance = TunnelEntrance(derive_key("not the hive secret"), "stranger", HOST, {lend})
    await entrance.start()
    result = await asyncio.to_thread(probe, entrance.port, "127.0.0.1")
    await entrance.close()
    return result

print(json.dumps({{"direct": [probe(p) for p in PORTS], "tunnel": asyncio.run(wrong_secret())}}))
"""


def listening(ns: str) -> list[tuple[str, int]]:
    out = subprocess.run(["ip", "netns", "exec", ns, "ss", "-ltnH"], capture_output=True,
                         text=True, timeout=10, check=True).stdout
    found = []
    for line in out.splitlines():
        local = line.split()[3]
        host, _, port = local.rpartition(":")
        found.append((host.strip("[]"), int(port)))
    return found


def test_no_rpc_port_is_reachable_beyond_127_0_0_1(lan, tmp_path):
    (ns_lender, addr), (ns_stranger, _) = lan
    script = write_script(str(tmp_path / "s.json"), answers=["Paris."])
    env = {"HIVE_SECRET": SECRET, "HIVE_API_KEY": API_KEY, "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_DATA_HOME": str(tmp_path / "d")}
    log = open(tmp_path / "lender.log", "w")  # noqa: SIM115 - closed with the process
    lender = in_ns(ns_lender, "-m", "hive_tui", "--node", "--host", addr, "--port", "8420",
                   "--backend", "scripted", "--model", script, "--workers", "1", "--lend",
                   "--lend-port", str(LEND_PORT), "--split", "off", env=env, stdout=log,
                   stderr=subprocess.STDOUT)
    health = f"http://{addr}:8420/health"
    ask = (f"import httpx, json; print(json.dumps(httpx.get({health!r}, timeout=5, "
           f"headers={{'Authorization': 'Bearer {API_KEY}'}}).json()))")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                lending = ns_json(ns_lender, ask).get("lending")  # type: ignore[union-attr]
            except subprocess.CalledProcessError:
                lending = None
            if lending or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert lending and lending["port"] == LEND_PORT, (tmp_path / "lender.log").read_text()
        ports = listening(ns_lender)
        loopback = {p for h, p in ports if h.startswith("127.")}
        outward = {p for h, p in ports if not h.startswith("127.")}
        assert {8420, LEND_PORT} <= outward  # the API and the tunnel exit
        code = PROBE.format(host=addr, ports=sorted(loopback | outward), hello=RPC_HELLO,
                            lend=LEND_PORT)
        probes = ns_json(ns_stranger, code)
        assert isinstance(probes, dict)
        for probe in probes["direct"]:
            if probe["port"] in loopback and probe["port"] not in outward:
                assert probe["connected"] is False, probe
            else:  # answered, but never with the RPC server's hello reply
                assert not is_rpc_hello_reply(probe["reply"]), probe
        assert loopback  # the RPC server, out of reach
        tunnel = probes["tunnel"]  # the wrong secret: refused, nothing passed on
        assert tunnel["connected"] and tunnel["reply"] == "", tunnel
        after = ns_json(ns_lender, ask)["lending"]  # type: ignore[index]
        assert after["borrower"] is None and after["refused"] >= 2
    finally:
        lender.terminate()
        try:
            lender.wait(20)
        except subprocess.TimeoutExpired:
            lender.kill()
        log.close()
