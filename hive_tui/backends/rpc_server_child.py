"""The lender's child process: ``python -m hive_tui.backends.rpc_server_child --port N``.

It serves ggml RPC on 127.0.0.1 only, never another address: the server has no
authentication (CVE-2024-42479), so peers reach it only through the sealed tunnel
(``rpc_tunnel.TunnelExit``). A process of its own so a crash in ggml takes down nothing else,
and so the node can kill it; it also ends when its parent closes its stdin.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

from hive_tui.backends.ggml_rpc import start_server

LOOPBACK = "127.0.0.1"


def command(port: int, threads: int = 1) -> list[str]:
    """The argv that starts this child (the lender and ``hive bench split`` run it)."""
    return [sys.executable, "-m", "hive_tui.backends.rpc_server_child", "--port", str(port),
            "--threads", str(threads)]


def _exit_with_parent() -> None:
    sys.stdin.read()  # EOF: the parent is gone or wants us gone
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hive_tui.backends.rpc_server_child")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cpu-only", dest="cpu_only", action="store_true")
    args = p.parse_args(argv)
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    start_server(f"{LOOPBACK}:{args.port}", args.threads, args.cpu_only)
    print("the ggml RPC server stopped (port taken?)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
