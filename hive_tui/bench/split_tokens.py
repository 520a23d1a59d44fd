"""``hive bench split``'s first table: tokens/s of the embedded model run here, split over two
ggml RPC servers on loopback directly (llama.cpp's raw RPC), and split over the same two
servers through the sealed tunnel (each tunnel end its own process, as on two machines).

Each run is a fresh process (``bench/split_model``): registering an RPC server with ggml lasts
for the life of a process. Runs are interleaved, so a load spike hits every path alike; the
greedy text must be the same on every path (the split changes where layers run, not what
they compute).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys

import msgspec

from hive_tui import wire
from hive_tui.backends.rpc_server_child import command as rpc_server_command
from hive_tui.bench.split import TunnelProcesses
from hive_tui.embedded_model import embedded_model_path
from hive_tui.federation.lender import free_loopback_port, wait_listening

PROMPT = "The old lighthouse keeper climbed the stairs as the storm rolled in, and"


class RpcServers:
    """Two ggml RPC servers on 127.0.0.1, each a child process (``rpc_server_child``)."""

    def __init__(self, count: int = 2) -> None:


        self.ports = [free_loopback_port() for _ in range(count)]
        self.children = [
            subprocess.Popen(
                rpc_server_command(p),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for p in self.ports
        ]
        for port in self.ports:
            if not asyncio.run(wait_listening(port, 30.0)):
                self.close()
                raise OSError(f"no ggml RPC server on 127.0.0.1:{port}")

    def close(self) -> None:
        for child in self.children:
            assert child.stdin is not None
            child.stdin.close()
        for child in self.children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


def one_run(endpoints: list[str], max_tokens: int) -> wire.SplitRun:
    args = [sys.executable, "-m", "hive_tui.bench.split_model", str(embedded_model_path()),
            "--max-tokens", str(max_tokens), "--prompt", PROMPT]
    if endpoints:
        args += ["--rpc", ",".join(endpoints), "--n-gpu-layers", "99"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"split_model failed: {out.stderr.strip()[-400:]}")
    return msgspec.json.decode(out.stdout.strip().splitlines()[-1], type=wire.SplitRun)


def run(runs: int, max_tokens: int) -> dict[str, float]:
    """Print the table; returns the median tokens/s of each path."""
    servers = RpcServers()
    tunnels = [TunnelProcesses(port) for port in servers.ports]
    paths: dict[str, list[str]] = {
        "local (no RPC)": [],
        "raw RPC, 2 servers": [f"127.0.0.1:{p}" for p in servers.ports],
        "tunnel, 2 lenders": [f"127.0.0.1:{t.port}" for t in tunnels],
    }
    speeds: dict[str, list[float]] = {name: [] for name in paths}
    texts: set[str] = set()
    try:
        for _ in range(runs):
            for name, endpoints in paths.items():
                result = one_run(endpoints, max_tokens)
                speeds[name].append(result.tokens / result.seconds)
                texts.add(result.text)
    finally:
        for tunnel in tunnels:
            tunnel.close()
        servers.close()
    medians = {name: statistics.median(v) for name, v in speeds.items()}
    local = medians["local (no RPC)"]
    print(f"{'model: embedded, greedy':<28}{'tok/s':>10}{'vs local':>10}")
    for name, tps in medians.items():
        print(f"{name:<28}{tps:>10.1f}{tps / local:>9.2f}x")
    raw, tunneled = medians["raw RPC, 2 servers"], medians["tunnel, 2 lenders"]
    print(f"the tunnel costs {raw / tunneled:.2f}x raw RPC's time per token; "
          f"same greedy text on every path: {'yes' if len(texts) == 1 else 'NO'}")
    return medians
