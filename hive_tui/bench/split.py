"""``hive bench split``: what the RPC tunnel costs next to plain loopback TCP, in one run.

llama.cpp's RPC client sends small commands (a graph to compute, a tensor to read: a few KiB)
and large uploads (tensors at load time). So two measures, each direct to a server on
127.0.0.1 and through a ``TunnelEntrance`` -> ``TunnelExit`` pair in front of the same server:
the median round trip of an RPC-sized request/reply, and the upload throughput of tensor-sized
writes. Each tunnel end runs in its own process, as on two machines; the client and the server are
plain blocking sockets, as llama.cpp's are. Ratios are tunnel / direct.
"""

from __future__ import annotations

import functools
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hive_tui.federation.identity import new_secret

ACK = b"ok"


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = sock.recv(min(n - got, 1 << 20))
        if not part:
            raise ConnectionError("closed early")
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class RpcLikeServer:
    """Each request is 8 bytes of size n, n bytes of payload, 8 bytes of reply size m; the reply
    is m bytes (the shape of ggml RPC: command, size, payload; reply)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _serve(conn: socket.socket) -> None:
        with conn:
            try:
                while head := conn.recv(16, socket.MSG_WAITALL):
                    n, m = int.from_bytes(head[:8], "big"), int.from_bytes(head[8:], "big")
                    _recv_exactly(conn, n)
                    conn.sendall(b"r" * m)
            except (ConnectionError, ValueError):
                return

    def close(self) -> None:
        self.sock.close()


def _request(sock: socket.socket, payload: bytes, reply: int) -> None:
    sock.sendall(len(payload).to_bytes(8, "big") + reply.to_bytes(8, "big") + payload)
    _recv_exactly(sock, reply)


def _trips(port: int, size: int, count: int) -> float:
    """Median seconds for one request of ``size`` bytes answered with ``size`` bytes."""
    payload = b"q" * size
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        times = []
        for _ in range(count):
            start = time.perf_counter()
            _request(sock, payload, size)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _upload(port: int, total: int, write: int) -> float:
    """Bytes per second for ``total`` bytes sent in requests of ``write`` bytes."""
    payload = b"t" * write
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.perf_counter()
        for _ in range(max(1, total // write)):
            _request(sock, payload, len(ACK))
        return total / (time.perf_counter() - start)


class TunnelProcesses:
    """A tunnel exit in front of ``port`` and an entrance to it, each in its own process (as
    on a lender and a borrower), so the measure is not of one interpreter's lock."""

    def __init__(self, port: int) -> None:
        env = {**os.environ, "HIVE_SECRET": new_secret()}
        self.children: list[subprocess.Popen[str]] = []
        lender = self._start(["exit", "--rpc-port", str(port)], env)
        self.port = self._start(["entrance", "--lender", f"127.0.0.1:{lender}"], env)

    def _start(self, args: list[str], env: dict[str, str]) -> int:
        child = subprocess.Popen(
            [sys.executable, "-m", "hive_tui.federation.tunnel_end", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        self.children.append(child)
        assert child.stdout is not None
        return int(child.stdout.readline())

    def close(self) -> None:
        for child in self.children:
            assert child.stdin is not None
            child.stdin.close()  # the end's signal to stop
        for child in self.children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


def cpu_name() -> str:
    from hive_tui.hardware.cpu import cpu_model_name

    try:
        return cpu_model_name(Path("/proc/cpuinfo").read_text(errors="replace")) or "?"
    except OSError:
        return platform.processor() or platform.machine()


def _pair(
    measure: Callable[[int], float], direct: int, tunnel: int, runs: int
) -> tuple[float, float]:
    """Medians of interleaved runs, so a load spike hits both paths alike."""
    d, t = [], []
    for _ in range(runs):
        d.append(measure(direct))
        t.append(measure(tunnel))
    return statistics.median(d), statistics.median(t)


def run(sizes: list[int], count: int, upload_mib: int, runs: int) -> int:
    server = RpcLikeServer()
    tunnel = TunnelProcesses(server.port)
    print(f"CPU: {cpu_name()} ({platform.machine()}); tunnel: HMAC-SHA256 sealed chunks")
    print(f"{'measure':<28}{'direct':>14}{'tunnel':>14}{'ratio':>8}")
    try:
        for size in sizes:
            trips = functools.partial(_trips, size=size, count=count)
            d, t = _pair(trips, server.port, tunnel.port, runs)
            print(f"{f'round trip {size} B':<28}{d * 1e6:>11.0f} us{t * 1e6:>11.0f} us"
                  f"{t / d:>7.2f}x")
        total = upload_mib * 1024 * 1024
        for write in (64 * 1024, 1024 * 1024):
            sends = functools.partial(_upload, total=total, write=write)
            d, t = _pair(sends, server.port, tunnel.port, runs)
            print(f"{f'upload in {write // 1024} KiB requests':<28}{d / 2**20:>9.0f} MiB/s"
                  f"{t / 2**20:>9.0f} MiB/s{d / t:>7.2f}x")
    finally:
        tunnel.close()
        server.close()
    print("ratio: tunnel time / direct time (higher is slower)")
    return 0
