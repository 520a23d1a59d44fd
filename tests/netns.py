"""Network namespaces for tests: a hub with a bridge and a namespace per node on a private
10.201.x.0/24, created by the fixture and deleted at teardown, so no traffic leaves them."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import pytest

needs_netns = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0 or shutil.which("ip") is None,
    reason="needs root and iproute2 (ip netns)",
)


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
