"""``hive peers`` finds a node by ``--port`` (and ``--host``), as ``hive --node`` was given."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from tests.conftest import free_port


def hive(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hive_tui", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


async def test_peers_accepts_the_port_the_node_was_started_with(node_process, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    node = node_process("--backend", "scripted", "--workers", "1", env=env)
    port = node.url.rsplit(":", 1)[1]
    out = await asyncio.to_thread(hive, "peers", "--json", "--host", "127.0.0.1", "--port",
                                  port, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []  # a node alone: no peers, and no error
    # A port where no node listens: said in one line, not a traceback.
    missing = await asyncio.to_thread(hive, "peers", "--port", str(free_port()), env=env)
    assert missing.returncode == 1 and "no node answering at http://127.0.0.1:" in missing.stderr
