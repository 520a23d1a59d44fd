"""`hive --node` start-up failures are one clear line, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys


def test_a_busy_port_is_reported_plainly():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "hive_tui", "--node", "--port", str(port),
             "--backend", "scripted", "--workers", "1"],
            capture_output=True, text=True, timeout=60,
        )
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_a_busy_ollama_port_is_reported_plainly():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "hive_tui", "--node", "--port", "0", "--ollama-port",
             str(port), "--backend", "scripted", "--workers", "1"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port} for Ollama clients" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
